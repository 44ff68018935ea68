"""The live panel's offer to fetch 17lands ratings for the set being drafted when none are local.

`check(set_code)` runs at every rendered draft state (the set as `picking.context.draft_set` finds it): when the set
has no ratings file the engine could use, the bar says so and offers "Get 17lands ratings for SET" (one click; a
busy progress bar while it runs, off the UI thread). When the ratings are in, it says that the ranking now uses them
and emits `ratings_ready(set_code)` so the panel ranks the pack again. With the opt-in setting
`ratings_auto_refresh`, ratings fetched earlier are refreshed (a conditional request) when their last check is a day
old, at most once per set and run. Nothing here touches the network unless the user clicked or opted in.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QSizePolicy

from copilot.gui.widgets.labels import role_label
from copilot.gui.workers import run_async


class RatingsOffer(QFrame):
    ratings_ready = Signal(str)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.setProperty("role", "banner")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        self.label = role_label("", "warning", wrap=True)
        self.label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.button = QPushButton("")
        self.button.clicked.connect(self.fetch)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: one request whose size is not known in advance
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.progress.hide()
        lay.addWidget(self.label, 1)
        lay.addWidget(self.progress)
        lay.addWidget(self.button)
        self.set_code: str | None = None
        self.busy = False
        self._has: set[str] = set()  # sets whose ratings were found (a miss is looked up again: a few listdirs)
        self._refreshed: set[str] = set()
        self.hide()

    # ---- state ----
    def _has_ratings(self, code: str) -> bool:
        if code not in self._has:
            from copilot.picking.ratings import find_ratings

            if find_ratings(code) is not None:
                self._has.add(code)
        return code in self._has

    def check(self, set_code: str | None) -> None:
        """Show the offer for a set without ratings (and start the opt-in daily refresh for one with them)."""
        code = (set_code or "").upper() or None
        if self.busy:
            return
        if code is None:
            self.hide()
            return
        if self._has_ratings(code):
            if code != self.set_code or self.label.property("role") == "warning":
                self.hide()
            self.set_code = code
            self._maybe_refresh(code)
            return
        self.set_code = code
        self._show(f"No 17lands ratings for {code} on this computer: picks are ranked by the heuristic (card "
                   f"attributes), which is weaker.", "warning", f"Get 17lands ratings for {code}")

    def _show(self, text: str, role: str, button: str | None) -> None:
        self.label.setText(text)
        self.label.setProperty("role", role)
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)
        self.button.setVisible(button is not None)
        if button:
            self.button.setText(button)
        self.show()

    # ---- fetching ----
    def fetch(self, refresh: bool = False) -> None:
        code = self.set_code
        if not code or self.busy:
            return
        self.busy = True
        self.button.setEnabled(False)
        self.progress.show()
        if not refresh:
            self._show(f"Fetching 17lands ratings for {code}…", "muted", f"Get 17lands ratings for {code}")

        def work():
            from copilot.fetch.ratings import RatingsRequest, fetch_ratings

            res = fetch_ratings(RatingsRequest(code), refresh=refresh)
            self.ctx.data_changed(cards=True)  # new engines read the ratings; the catalog gets their card file
            return res

        run_async(work, lambda res: self._done(res, refresh), lambda err: self._failed(code, err, refresh))

    def _done(self, res, refresh: bool) -> None:
        self.busy = False
        self.progress.hide()
        self.button.setEnabled(True)
        self._has.add(res.set_code)
        if refresh:
            if res.status == "fetched":
                self._show(f"17lands ratings for {res.set_code} refreshed ({res.rated_cards} cards rated).",
                           "muted", None)
                self.ratings_ready.emit(res.set_code)
            return
        self._show(f"17lands ratings for {res.set_code} fetched ({res.rated_cards} of {res.cards} cards rated): the "
                   f"ranking now uses 17lands ratings instead of the heuristic.", "muted", None)
        self.ratings_ready.emit(res.set_code)

    def _failed(self, code: str, err: str, refresh: bool) -> None:
        self.busy = False
        self.progress.hide()
        self.button.setEnabled(True)
        if refresh:
            return  # an opt-in background refresh that failed keeps the ratings there are, silently
        self._show(f"Could not fetch 17lands ratings for {code}: {err.partition(': ')[2] or err}", "error",
                   "Try again")

    def _maybe_refresh(self, code: str) -> None:
        if code in self._refreshed:
            return
        from copilot.settings import Settings

        if not Settings.load().ratings_auto_refresh:
            return
        from copilot.fetch.ratings import needs_daily_refresh

        self._refreshed.add(code)
        if needs_daily_refresh(code):
            self.fetch(refresh=True)
