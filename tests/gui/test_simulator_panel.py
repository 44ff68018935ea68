"""Simulator panel: a human seat drafts a whole table against seven real bots through the GUI."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from copilot.gui.app_context import AppContext  # noqa: E402
from copilot.gui.gui_state import GuiState  # noqa: E402
from copilot.gui.panels.simulator_panel import SimulatorPanel  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch, shared):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    p = SimulatorPanel(AppContext(gui=GuiState()))
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    return p


def test_human_seat_completes_a_draft_through_the_gui(panel, qtbot, artifacts_dir, ui_heartbeat):
    heartbeat = ui_heartbeat.start()
    panel.start(set_code="DSK", seed=7, human=True, engine="ratings")
    qtbot.waitUntil(lambda: panel.table is not None and not panel.busy, timeout=60000)
    table = panel.table
    picks_per_pack = table.picks_per_pack()
    total = 3 * picks_per_pack
    shown_first = list(table.current[0])
    taken = []
    for n in range(total):
        qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
        assert panel.pack_view.rows, f"no pack shown at pick {n + 1}"
        # the pack shown is exactly the human seat's pack; click its last row (not the suggestion) to pick it
        assert sorted(panel.pack_view.names()) == sorted(c.name for c in table.current[0])
        if n == 3:
            qtbot.waitUntil(lambda: len(panel.pack_view.rows) and panel.hint.text() != "", timeout=30000)
            panel.grab().save(str(artifacts_dir / "simulator-human-seat.png"))
        row = panel.pack_view.rows[-1]
        taken.append(row.card.name)
        row.clicked.emit(row.card)
    qtbot.waitUntil(lambda: not panel.busy and panel.table.done, timeout=60000)
    you = table.state[0]
    assert [c.name for c in you.pool] == taken  # every click became exactly that pick, in order
    assert len(you.pool) == total and all(len(s.pool) == total for s in table.state)
    assert taken[0] in [c.name for c in shown_first]
    assert panel.stats.rowCount() == 8
    assert panel.deck_text.toPlainText().startswith("Deck\n")
    assert panel.export_btn.isEnabled()
    panel.grab().save(str(artifacts_dir / "simulator-complete.png"))
    worst = heartbeat.stop()
    print(f"UI heartbeat during a 42-pick GUI draft: {len(heartbeat.gaps)} beats, worst gap {worst * 1000:.0f} ms")
    assert worst < 1.0, f"UI thread blocked for {worst:.2f} s"


def test_bots_only_table_runs_to_the_end(panel, qtbot):
    panel.start(set_code="DSK", seed=3, human=False, engine="heuristic")
    qtbot.waitUntil(lambda: panel.table is not None and not panel.busy, timeout=60000)
    panel.next_pick()
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    assert panel.table.pick_number == 2
    panel.run_to_end()
    qtbot.waitUntil(lambda: not panel.busy and panel.table.done, timeout=120000)
    assert all(len(s.pool) == 3 * panel.table.picks_per_pack() for s in panel.table.state)
    panel.stats.selectRow(5)
    assert panel.pool_box.title().startswith("Seat 6")
