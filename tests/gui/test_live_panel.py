"""The live panel driven by real Arena logs, headless (offscreen Qt)."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from copilot.gui.app import settle  # noqa: E402
from copilot.gui.app_context import AppContext  # noqa: E402
from copilot.gui.gui_state import GuiState  # noqa: E402
from copilot.gui.panels.live_panel import LivePanel  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    ctx = AppContext(gui=GuiState(commentary=False), engine_override="ratings")
    ctx.catalog()  # as the app does at startup, before the window is interactive
    p = LivePanel(ctx)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    p.shutdown()


def test_replay_drives_panel_to_the_right_pack_and_pool(panel, qtbot, arena_logs):
    from PySide6.QtWidgets import QApplication

    from copilot.draft.replay import replay_paths

    log = arena_logs / "premier-draft-2026-ECL.log"
    panel.load_replay([log])
    qtbot.waitUntil(lambda: bool(panel.timeline), timeout=60000)
    settle(QApplication.instance())
    final = replay_paths([log]).current
    # the last step is the finished draft: the panel shows its whole pool and every pick
    assert panel.pool_box.title() == f"Pool ({len(final.pool)} cards)" == "Pool (39 cards)"
    assert panel.history.count() == len([p for p in final.picks if p.picked]) == 39
    # step to a mid-draft pack: the pack view ranks exactly the cards of that pack
    index = next(i for i, s in enumerate(panel.timeline)
                 if s.state.current.pack_number == 2 and s.state.current.pick_number == 3
                 and s.state.current.current_pack)
    panel.slider.setValue(index)
    settle(QApplication.instance())
    qtbot.waitUntil(lambda: panel.recommendation is not None and len(panel.pack_view.rows) > 0, timeout=30000)
    draft = panel.timeline[index].state.current
    catalog = panel.ctx.catalog()
    assert sorted(panel.pack_view.names()) == sorted(catalog.card(g).name for g in draft.current_pack)
    assert panel.pack_box.title().startswith("Pack 2 · Pick 3")
    assert panel.pool_box.title() == f"Pool ({len(draft.pool)} cards)"


def test_disabled_detailed_logs_shows_how_to_enable_them(panel, qtbot, arena_logs):
    panel.load_replay([arena_logs / "detailed-logs-disabled-2026.log"])
    qtbot.waitUntil(lambda: bool(panel.timeline), timeout=30000)
    assert panel.warning_label.isVisible()
    assert "Detailed Logs" in panel.warning_label.text()


def test_ui_thread_stays_responsive_during_replay(panel, qtbot, arena_logs, ui_heartbeat):
    """Heartbeat timer on the UI thread: the longest gap while a whole quick draft is replayed and ranked."""
    timer = ui_heartbeat.start()
    parts = [arena_logs / f"quick-draft-2026-ECL.part{i}.log" for i in (1, 2, 3)]
    panel.load_replay(parts, step=5)
    qtbot.waitUntil(lambda: bool(panel.timeline) and panel.recommendation is not None, timeout=90000)
    for i in range(6, 20):
        panel.slider.setValue(i)
        qtbot.wait(20)
    worst = timer.stop()
    print(f"UI heartbeat: {len(timer.gaps)} beats, worst gap {worst * 1000:.0f} ms")
    assert worst < 1.0, f"UI thread blocked for {worst:.2f} s"


def test_pick_two_highlights_both_cards_of_the_best_pair(panel, qtbot, arena_logs, tmp_path):
    from PySide6.QtWidgets import QApplication

    from tests.draft.pick_two_log import pick_two_lines

    text = (arena_logs / "premier-draft-2026-DSK-grepped.log").read_text(encoding="utf-8")
    log = tmp_path / "Player.log"
    log.write_text("".join(pick_two_lines(text)[:2]), encoding="utf-8")
    panel.load_replay([log])
    qtbot.waitUntil(lambda: panel.advice is not None and len(panel.pack_view.rows) == 14, timeout=60000)
    settle(QApplication.instance())
    assert panel.pack_box.title().endswith("take two")
    best = [r.card.name for r in panel.pack_view.rows if r.best]
    assert len(best) == 2 and sorted(best) == sorted(panel.advice.pairs[0].names())


def test_a_state_that_changes_nothing_visible_does_not_rank_again(panel, qtbot, arena_logs):
    from dataclasses import replace

    from PySide6.QtWidgets import QApplication

    log = arena_logs / "premier-draft-2026-ECL.log"
    panel.load_replay([log], step=10)
    qtbot.waitUntil(lambda: panel.advice is not None, timeout=60000)
    settle(QApplication.instance())
    shown, token = panel.advice, panel._rank_token
    state = panel.state
    panel.set_state(replace(state, warnings=list(state.warnings)))  # an equal state, another object
    settle(QApplication.instance())
    assert panel._rank_token == token and panel.advice is shown
