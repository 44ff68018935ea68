"""Main window: panels, theme switch, compact always-on-top mode, preferences remembered between runs."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from copilot.gui.app_context import AppContext  # noqa: E402
from copilot.gui.gui_state import GuiState  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    return tmp_path


def test_panels_theme_compact_and_remembered_preferences(qtbot, home, shared):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from copilot.gui.main_window import MainWindow
    from copilot.gui.theme import current_theme

    window = MainWindow(AppContext(gui=GuiState.load()))
    qtbot.addWidget(window)
    window.show()
    assert list(window.panels) == ["live", "simulator", "training", "models"]
    shortcuts = {a.shortcut().toString() for a in window.actions()}
    assert {"Ctrl+1", "Ctrl+4", "Ctrl+O", "Ctrl+L", "Ctrl+Shift+T", "Ctrl+Shift+K"} <= shortcuts
    window.toggle_theme()
    assert current_theme().name == "dark" == QApplication.instance().property("copilot_theme")
    window.set_compact(True)
    assert window.windowFlags() & Qt.WindowStaysOnTopHint
    assert not window.nav.isVisible() and window.stack.currentWidget() is window.panels["live"]
    assert not window.panels["live"]._right.isVisible()
    window.set_compact(False)
    assert window.nav.isVisible() and not (window.windowFlags() & Qt.WindowStaysOnTopHint)
    window.show_panel("models")
    window.resize(1100, 700)
    window.close()
    saved = GuiState.load()
    assert saved.theme == "dark" and saved.panel == "models" and saved.geometry
    again = MainWindow(AppContext(gui=saved))
    qtbot.addWidget(again)
    assert again.stack.currentWidget() is again.panels["models"]
    window.toggle_theme()  # back to light for the other tests


def test_ranking_falls_back_when_the_chosen_engine_cannot_be_created(home, shared):
    from copilot.cards.model import Card
    from copilot.picking.engine import PickContext

    ctx = AppContext(gui=GuiState())
    pack = tuple(Card(name=n, set_code="DSK", rarity="common") for n in ("Cult Healer", "Piranha Fly", "Anthropede"))
    rec = ctx.recommender("mlp").rank(PickContext(pack=pack, pool=(), pack_number=1, pick_number=1, set_code="DSK"))
    assert rec.ok and rec.engine != "mlp"
    assert "mlp" in (rec.note or "")
