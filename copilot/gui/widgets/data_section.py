"""Models & settings -> Data: fetch 17lands ratings, Scryfall card data (and images) and the 17lands draft file for a
set, each download off the UI thread with a progress bar; what is local for each set; the opt-in daily refresh of
the drafted set's ratings."""
from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QVBoxLayout)

from copilot.gui.widgets.labels import role_label
from copilot.gui.workers import UiBridge, run_async

FORMATS = ["PremierDraft", "TradDraft", "QuickDraft", "Sealed", "TradSealed", "PickTwoDraft"]


class DataSection(QGroupBox):
    def __init__(self, ctx, parent=None):
        super().__init__("Data for a set (17lands, Scryfall)", parent)
        self.ctx = ctx
        self.bridge = UiBridge(self)
        self.cancel: threading.Event | None = None
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        self.set_edit = QLineEdit()
        self.set_edit.setPlaceholderText("set code, e.g. DSK")
        self.set_edit.setMaximumWidth(140)
        self.format = QComboBox()
        self.format.addItems(FORMATS)
        self.ratings_btn = QPushButton("Get ratings")
        self.cards_btn = QPushButton("Get card data")
        self.images = QCheckBox("with images")
        self.drafts_btn = QPushButton("Get draft file")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.hide()
        for w in (QLabel("Set"), self.set_edit, self.format, self.ratings_btn, self.cards_btn, self.images,
                  self.drafts_btn, self.cancel_btn):
            row.addWidget(w)
        row.addStretch(1)
        v.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.progress.hide()
        self.message = role_label("Nothing is fetched unless you ask.", "muted", wrap=True)
        self.auto = QCheckBox("Refresh the ratings of the set being drafted (at most once a day)")
        from copilot.settings import Settings

        self.auto.setChecked(Settings.load().ratings_auto_refresh)
        self.auto.toggled.connect(self._auto_toggled)
        self.table = QLabel("")
        self.table.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.table.setTextInteractionFlags(Qt.TextSelectableByMouse)
        v.addWidget(self.progress)
        v.addWidget(self.message)
        v.addWidget(self.auto)
        v.addWidget(self.table)
        self.ratings_btn.clicked.connect(lambda: self.start("ratings"))
        self.cards_btn.clicked.connect(lambda: self.start("cards"))
        self.drafts_btn.clicked.connect(lambda: self.start("drafts"))
        self.cancel_btn.clicked.connect(lambda: self.cancel and self.cancel.set())
        self.busy = False
        self.last_result = None
        self.refresh_status()

    def _auto_toggled(self, on: bool) -> None:
        from copilot.settings import Settings

        s = Settings.load()
        s.ratings_auto_refresh = on
        s.save()

    def refresh_status(self) -> None:
        def work():
            from copilot.fetch.status import data_status, format_status

            return format_status(data_status())

        run_async(work, self.table.setText, lambda err: self.table.setText(f"status unavailable: {err}"))

    # ---- fetching ----
    def _set_progress(self, done: int, total: int | None, text: str) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
        else:
            self.progress.setRange(0, 0)
        self.message.setText(text)

    def start(self, kind: str) -> None:
        from copilot.fetch.store import StoreError, check_set_code

        if self.busy:
            return
        try:
            code = check_set_code(self.set_edit.text())
        except StoreError as exc:
            self.message.setText(str(exc))
            return
        fmt = self.format.currentText()
        images = self.images.isChecked()
        self.busy = True
        self.cancel = threading.Event()
        cancel = self.cancel
        for b in (self.ratings_btn, self.cards_btn, self.drafts_btn):
            b.setEnabled(False)
        self.cancel_btn.show()
        self.progress.show()
        self._set_progress(0, None, f"Fetching {kind} for {code}…")
        post = self.bridge.post

        def work():
            from copilot.fetch.http import HttpClient

            client = HttpClient(cancel=cancel, log=lambda m: post(lambda: self.message.setText(m)))
            if kind == "ratings":
                from copilot.fetch.ratings import RatingsRequest, fetch_ratings

                res = fetch_ratings(RatingsRequest(code, fmt), client=client,
                                    progress=lambda m: post(lambda: self._set_progress(0, None, m)))
                self.ctx.data_changed(cards=True)
                return (f"{code} {fmt} ratings: {res.rated_cards} of {res.cards} cards rated, saved to {res.path}. "
                        "The ratings engine uses them now.", res)
            if kind == "cards":
                from copilot.fetch.cards import fetch_cards, scryfall_client

                res = fetch_cards(code, images=images, client=scryfall_client(cancel=cancel),
                                  progress=lambda m, d, t: post(lambda: self._set_progress(d, t, m)))
                self.ctx.data_changed(cards=True)
                extra = f"; images: {res.images['fetched']} fetched, {res.images['cached']} cached" \
                    if res.images else ""
                return (f"{code}: {res.cards} cards from Scryfall ({res.with_text} with rules text) merged into the "
                        f"card catalog{extra}.", res)
            from copilot.fetch.drafts import fetch_drafts

            res = fetch_drafts(code, fmt, client=client,
                               progress=lambda d, t: post(lambda: self._set_progress(
                                   d, t, f"{d / 2 ** 20:,.1f} of {(t or 0) / 2 ** 20:,.1f} MiB")))
            return (f"{code} {fmt} draft file: {res.bytes / 2 ** 20:,.1f} MiB, gzip checked, saved to {res.path}. "
                    "Build a dataset from it in the Training panel.", res)

        run_async(work, self._done, self._failed)

    def _finish(self) -> None:
        self.busy = False
        for b in (self.ratings_btn, self.cards_btn, self.drafts_btn):
            b.setEnabled(True)
        self.cancel_btn.hide()
        self.refresh_status()

    def _done(self, result) -> None:
        text, self.last_result = result
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        self.message.setText(text)
        self._finish()

    def _failed(self, err: str) -> None:
        self.progress.hide()
        self.message.setText(f"Failed: {err.partition(': ')[2] or err}")
        self._finish()
