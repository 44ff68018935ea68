"""The GUI with a fresh profile and no shared data, against the real-format data server on 127.0.0.1:
Models & settings -> Data fetches DSK card data (progress bar, status table); the live panel replays a real DSK log,
ranks with the heuristic and offers "Get 17lands ratings for DSK"; one click fetches them (busy bar) and the ranking
switches to ratings and says so. Screenshots go to test-artifacts/ for a person to look at."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_fetch_data_and_ratings_offer(qtbot, tmp_path, monkeypatch, arena_logs, shared_data, artifacts_dir):
    from PySide6.QtWidgets import QApplication

    from copilot.gui.app import settle
    from copilot.gui.app_context import AppContext
    from copilot.gui.gui_state import GuiState
    from copilot.gui.main_window import MainWindow
    from copilot.gui.theme import apply_theme
    from tests.data_server import DataServer

    server = DataServer(data=shared_data).start()
    try:
        empty = tmp_path / "empty-shared"
        empty.mkdir()
        monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("COPILOT_SHARED", str(empty))
        for k, v in server.env().items():
            monkeypatch.setenv(k, v)
        app = QApplication.instance()
        apply_theme(app, "light")
        ctx = AppContext(gui=GuiState(theme="light", commentary=False), engine_override="ratings")
        ctx.catalog()
        win = MainWindow(ctx)
        win.persist = False
        qtbot.addWidget(win)
        win.resize(1280, 860)
        win.show()

        # Models & settings -> Data: card data for DSK, with its progress bar and the status table
        models = win.show_panel("models")
        data = models.data_section
        data.set_edit.setText("DSK")
        data.cards_btn.click()
        qtbot.waitUntil(lambda: not data.busy, timeout=60000)
        settle(app)
        assert "276 cards from Scryfall" in data.message.text(), data.message.text()
        assert data.progress.value() == data.progress.maximum() and "DSK" in data.table.text()
        win.grab().save(str(artifacts_dir / "data-models-panel-cards-fetched.png"))
        assert len(ctx.catalog().cards_in_set("DSK")) == 271
        # the draft file, sent slowly: a determinate progress bar while it downloads
        server.inject("/data/", ("slow", 4.0))
        data.drafts_btn.click()
        qtbot.waitUntil(lambda: 300 <= data.progress.value() <= 800, timeout=10000)
        win.grab().save(str(artifacts_dir / "data-models-panel-downloading.png"))
        qtbot.waitUntil(lambda: not data.busy, timeout=60000)
        settle(app)
        assert "gzip checked" in data.message.text() and data.last_result.path.is_file()

        # live: a real DSK Premier draft replayed; no ratings here, so the heuristic ranks and the offer shows
        live = win.show_panel("live")
        live.load_replay([arena_logs / "premier-draft-2026-DSK-grepped.log"])
        qtbot.waitUntil(lambda: bool(live.timeline), timeout=60000)
        step = next(i for i, s in enumerate(live.timeline) if s.state.current and s.state.current.current_pack
                    and s.state.current.pack_number == 1 and s.state.current.pick_number == 5)
        live.slider.setValue(step)
        qtbot.waitUntil(lambda: live.recommendation is not None and live.recommendation.engine == "heuristic",
                        timeout=60000)
        settle(app)
        offer = live.ratings_offer
        assert offer.isVisible() and offer.button.text() == "Get 17lands ratings for DSK"
        # the log names its event only after the draft: the set comes from the pack's cards
        assert live.state.current.set_code is None
        assert "heuristic" in offer.label.text() and "no 17lands ratings for set DSK" in live.engine_label.text()
        win.grab().save(str(artifacts_dir / "data-live-offer.png"))

        # one click: the fetch runs off the UI thread with a busy bar (the server answers after 3 s)
        server.inject("/17lands/api/card_data", ("delay", 3.0))
        qtbot.mouseClick(offer.button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.LeftButton)
        qtbot.waitUntil(lambda: offer.progress.isVisible(), timeout=5000)
        qtbot.wait(300)
        win.grab().save(str(artifacts_dir / "data-live-fetching.png"))
        assert "Fetching 17lands ratings for DSK" in offer.label.text()
        qtbot.waitUntil(lambda: live.recommendation is not None and live.recommendation.engine == "ratings",
                        timeout=60000)
        settle(app)
        assert not offer.progress.isVisible() and not offer.button.isVisible()
        assert "ranking now uses 17lands ratings" in offer.label.text()
        assert live.engine_label.text().startswith("Engine: ratings (DSK_PremierDraft_17lands.json)")
        win.grab().save(str(artifacts_dir / "data-live-ratings.png"))

        # the next draft state of the same set: no offer any more
        live.slider.setValue(step + 1)
        settle(app)
        assert not offer.button.isVisible()
    finally:
        server.stop()


@pytest.mark.slow
def test_opt_in_daily_refresh(qtbot, tmp_path, monkeypatch, shared_data):
    """Off by default: no request. On: ratings last checked a day ago are re-asked once (conditional request)."""
    from copilot.fetch.ratings import RatingsRequest, fetch_ratings
    from copilot.fetch.store import LocalData
    from copilot.gui.app_context import AppContext
    from copilot.gui.widgets.ratings_offer import RatingsOffer
    from copilot.settings import Settings
    from tests.data_server import DataServer

    server = DataServer(data=shared_data).start()
    try:
        monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
        for k, v in server.env().items():
            monkeypatch.setenv(k, v)
        fetch_ratings(RatingsRequest("DSK"))
        store = LocalData.default()

        def age_it():
            m = store.read_manifest("ratings", "DSK", "PremierDraft")
            m["checked"] = "2020-01-01T00:00:00Z"
            store.write_manifest("ratings", "DSK", {k: v for k, v in m.items() if k not in ("kind", "set")},
                                 "PremierDraft")

        age_it()
        offer = RatingsOffer(AppContext())
        qtbot.addWidget(offer)
        before = len(server.requests)
        offer.check("DSK")
        assert not offer.busy and len(server.requests) == before  # the setting is off: nothing is asked
        s = Settings.load()
        s.ratings_auto_refresh = True
        s.save()
        offer = RatingsOffer(AppContext())
        qtbot.addWidget(offer)
        offer.check("DSK")
        qtbot.waitUntil(lambda: not offer.busy, timeout=30000)
        assert server.requests[-1].headers.get("If-None-Match")  # conditional: the server said 304
        assert store.read_manifest("ratings", "DSK", "PremierDraft")["checked"] > "2020-01-02"
        offer.check("DSK")  # once per set and run
        assert not offer.busy and len(server.requests) == before + 1
    finally:
        server.stop()
