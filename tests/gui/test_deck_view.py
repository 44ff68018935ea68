"""The live panel after a replayed draft and on the Sealed fixture: the deck view (offscreen Qt, real logs, real
engines). Screenshots go to test-artifacts/ for a person to look at."""
from __future__ import annotations

import threading

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
    ctx.catalog()
    p = LivePanel(ctx)
    qtbot.addWidget(p)
    p.resize(1100, 800)
    p.show()
    yield p
    p.shutdown()


def _replay_to_deck(panel, qtbot, logs):
    from PySide6.QtWidgets import QApplication

    panel.load_replay(logs)
    qtbot.waitUntil(lambda: bool(panel.timeline) and panel.deck_view.report is not None, timeout=120000)
    settle(QApplication.instance())
    return panel.deck_view


def _counts(text: str) -> int:
    lines = text.splitlines()
    return sum(int(line.split(" ", 1)[0]) for line in lines[1:lines.index("")])


def test_after_a_replayed_draft_the_deck_replaces_the_pack(panel, qtbot, arena_logs, artifacts_dir, monkeypatch):
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    import copilot.picking.deck_report as deck_report_mod

    threads = []
    real = deck_report_mod.deck_report

    def recording(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(deck_report_mod, "deck_report", recording)
    view = _replay_to_deck(panel, qtbot, [arena_logs / "premier-draft-2026-DSK-grepped.log"])
    assert threads == [False]  # built on a worker thread, once
    assert view.isVisible() and not panel.pack_view.isVisible()
    assert panel.pack_box.title() == "Draft complete: your deck"
    report = view.report
    deck = report.deck
    assert report.scores.engine == "ratings" and set(deck.colours) == {"W", "B"}
    assert view.title.text().startswith("Suggested deck: WB")
    assert "14 creatures" in view.summary.text() and "8 Plains, 7 Swamp, 2 Neglected Manor" in view.summary.text()
    assert view.curve.bars() == [(k, v, "#8a94a6") for k, v in deck.curve().items()]
    # builds: the suggestion first, then its alternatives with scores
    rows = [view.alternatives.item(i).text() for i in range(view.alternatives.count())]
    assert len(rows) == 1 + len(deck.alternatives) >= 3
    assert rows[0].startswith(f"WB  ·  {deck.score:.2f}") and rows[0].endswith("(suggested)")
    # the registered deck beside it, with what differs
    cmp = report.comparison
    assert f"shares {cmp.shared} of its 23 spells" in view.registered_caption.text()
    reg_rows = [view.registered_list.item(i).text() for i in range(view.registered_list.count())]
    main_rows = [view.main_list.item(i).text() for i in range(view.main_list.count())]
    assert sum(1 for r in reg_rows if "(-" in r) == len(set(cmp.only_registered))
    assert sum(1 for r in main_rows if "(+" in r) == len(set(cmp.only_suggested))
    assert any(r.endswith("Plains") for r in main_rows)
    assert f"Sideboard ({len(deck.sideboard)} cards)" == view.side_caption.text()
    # copy to Arena: the clipboard holds the import text of the build shown
    view.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert text == deck.to_arena() and text.startswith("Deck\n") and _counts(text) == 40
    assert "\n\nSideboard\n" in text and view.copy_status.text().startswith("Copied 40 cards")
    view.alternatives.setCurrentRow(1)
    assert view.shown is deck.alternatives[0] and view.title.text().startswith("Alternative build")
    view.copy_button.click()
    assert QGuiApplication.clipboard().text() == deck.alternatives[0].to_arena()
    view.alternatives.setCurrentRow(0)
    settle(QApplication.instance())
    panel.window().grab().save(str(artifacts_dir / "live-deck-after-draft.png"))
    # back to a pick in the middle of the draft: the pack again
    mid = next(i for i, s in enumerate(panel.timeline) if s.state.current.current_pack
               and not s.state.current.complete)
    panel.slider.setValue(mid)
    assert panel.pack_view.isVisible() and not view.isVisible()
    panel.slider.setValue(len(panel.timeline) - 1)
    assert view.isVisible() and threads == [False]  # the same pool and deck: not built again


def test_sealed_pool_shows_its_deck(panel, qtbot, arena_logs, artifacts_dir):
    view = _replay_to_deck(panel, qtbot, [arena_logs / "sealed-2026-SOS-join-pool.log",
                                          arena_logs / "sealed-2026-SOS-deckbuild.log"])
    assert panel.pack_box.title() == "Sealed pool: your deck"
    deck = view.report.deck
    assert set(deck.colours) == {"W", "R"} and deck.size == 40 and deck.mana_problems() == []
    assert "85 cards scored by ratings" in view.summary.text()
    assert view.registered_caption.text() == "Registered deck: the whole pool (95 cards)"
    assert not any("(+" in view.main_list.item(i).text() for i in range(view.main_list.count()))
    assert view.side_caption.text() == f"Sideboard ({len(deck.sideboard)} cards)"
    panel.window().grab().save(str(artifacts_dir / "live-deck-sealed.png"))
