"""The pack list's cost column: Rooms and split cards show both halves in a form short enough for the column."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")


@pytest.mark.parametrize("cost, shown", [
    ("{2}{R} // {3}{R}", "2R // 3R"),  # a DSK Room: both doors
    ("{W/U}{B}", "(W/U)B"),  # hybrid
    ("{1}{W/P}", "1(W/P)"),  # Phyrexian
    ("{X}{G}{G}", "XGG"),
    ("", ""),
    (None, ""),
])
def test_compact_cost(cost, shown):
    from copilot.gui.widgets.pack_view import compact_cost

    assert compact_cost(cost) == shown
