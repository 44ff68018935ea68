"""The deck after the draft (or for a Sealed pool): the suggested 40 cards, alternatives with their scores, the
sideboard, a copy-to-Arena button, and the deck the player registered beside the suggestion with what differs.

`DeckView.show_draft(draft, ctx)` builds the report off the UI thread (scoring the pool can take a model's time) and
shows it when it arrives; a newer draft state wins over an older build still running.
"""
from __future__ import annotations

import html
from collections import Counter

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (QHBoxLayout, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QSizePolicy,
                               QVBoxLayout, QWidget)

from copilot.draft.deckselect import curve_value
from copilot.draft.manabase import BASIC_COLOUR
from copilot.gui.theme import MANA, current_theme
from copilot.gui.widgets.card_text import card_tooltip, color_key
from copilot.gui.widgets.charts import BarChart
from copilot.gui.widgets.labels import role_label
from copilot.gui.workers import run_async

ONLY_HERE = "#c0392b"  # registered cards the suggestion leaves out
ADDED = "#2f6fde"  # suggested cards the player did not register


def _entries(cards, basics: dict[str, int] | None = None) -> list[tuple[int, object]]:
    """(count, card) by curve then name, lands last; basics as (count, name)."""
    counts = Counter(c.name for c in cards)
    first = {c.name: c for c in cards}
    spells = sorted((c for c in first.values() if not c.is_land), key=lambda c: (curve_value(c), c.name))
    lands = sorted((c for c in first.values() if c.is_land), key=lambda c: (c.is_basic_land, c.name))
    out = [(counts[c.name], c) for c in spells + lands]
    out += [(n, name) for name, n in (basics or {}).items() if n]
    return out


class DeckView(QWidget):
    report_shown = Signal(object)  # DeckReport

    def __init__(self, parent=None):
        super().__init__(parent)
        self.report = None
        self.shown = None  # the DeckSuggestion on display (the suggestion or an alternative)
        self._key = None
        self._token = 0
        self._asked: str | None = None  # the engine asked for (the report says which one answered)
        self._build()
        self.setMinimumWidth(600)  # two card lists side by side

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.title = role_label("")
        self.title.setStyleSheet("font-size: 13pt; font-weight: 700;")
        self.title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.copy_status = role_label("", "muted")
        self.copy_button = QPushButton("Copy to Arena")
        self.copy_button.setToolTip("Copy the deck in Arena's import format (in Arena: Decks, then Import)")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        top.addWidget(self.title, 1)
        top.addWidget(self.copy_status)
        top.addWidget(self.copy_button)
        root.addLayout(top)
        self.summary = role_label("", "muted", wrap=True)
        self.summary.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        root.addWidget(self.summary)

        middle = QHBoxLayout()
        self.curve = BarChart(min_height=64)
        self.curve.setMaximumHeight(84)
        self.curve.setMaximumWidth(260)
        self.alternatives = QListWidget()
        self.alternatives.setMaximumHeight(84)
        self.alternatives.setToolTip("Click a build to see it (and copy it)")
        self.alternatives.currentRowChanged.connect(self._alternative_chosen)
        left_mid = QVBoxLayout()
        left_mid.addWidget(role_label("Mana curve of the spells", "muted"))
        left_mid.addWidget(self.curve)
        right_mid = QVBoxLayout()
        right_mid.addWidget(role_label("Builds, best first (score on the engine's scale)", "muted"))
        right_mid.addWidget(self.alternatives)
        middle.addLayout(left_mid)
        middle.addLayout(right_mid, 1)
        root.addLayout(middle)

        lists = QHBoxLayout()
        self.main_caption = role_label("Suggested main deck", "muted", wrap=True)
        self.registered_caption = role_label("Registered deck", "muted", wrap=True)
        for lbl in (self.main_caption, self.registered_caption):
            lbl.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.main_list = QListWidget()
        self.registered_list = QListWidget()
        for widget in (self.main_list, self.registered_list, self.alternatives):
            widget.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            widget.setTextElideMode(Qt.ElideRight)
        for widget in (self.main_list, self.registered_list):
            widget.setIconSize(QSize(10, 10))
            widget.setStyleSheet("QListWidget::item { padding: 0px 2px; }")
        for caption, widget in ((self.main_caption, self.main_list), (self.registered_caption, self.registered_list)):
            col = QVBoxLayout()
            col.addWidget(caption)
            col.addWidget(widget, 1)
            lists.addLayout(col, 1)
        root.addLayout(lists, 1)
        self.side_caption = role_label("Sideboard", "muted")
        self.sideboard = QPlainTextEdit()
        self.sideboard.setReadOnly(True)
        self.sideboard.setMaximumHeight(64)
        root.addWidget(self.side_caption)
        root.addWidget(self.sideboard)

    def sizeHint(self) -> QSize:
        return QSize(700, 560)

    # ----- building -----
    def show_draft(self, draft, ctx) -> None:
        """Build (off the UI thread) and show the deck for a finished draft or a Sealed pool."""
        registered = tuple(draft.deck.main) if draft.deck is not None else None
        key = (draft.event_name, tuple(draft.pool), registered, ctx.engine_name)
        if key == self._key:
            return
        self._key = key
        self._token += 1
        token = self._token
        self.title.setText("Building the deck…")
        self.summary.setText(f"Scoring the {len(draft.pool)} cards of the pool with {ctx.engine_name}.")
        engine = self._asked = ctx.engine_name

        def work():
            from copilot.picking.deck_report import deck_report

            return deck_report(draft, ctx.catalog(), recommender=ctx.recommender(engine))

        def done(report):
            if token == self._token:
                self.show_report(report)

        def failed(err):
            if token == self._token:
                self._key = None
                self.title.setText("Could not build a deck")
                self.summary.setText(err)

        run_async(work, done, failed)

    # ----- rendering -----
    def show_report(self, report) -> None:
        self.report = report
        deck = report.deck
        self.alternatives.blockSignals(True)
        self.alternatives.clear()
        for n, d in enumerate([deck] + deck.alternatives):
            basics = ", ".join(f"{v} {k}" for k, v in d.basics.items())
            item = QListWidgetItem(f"{d.label}  ·  {d.score:.2f}  ·  {d.creatures} creatures"
                                   + ("  (suggested)" if n == 0 else ""))
            item.setToolTip(f"{d.label}: {len(d.spells)} spells, {d.creatures} creatures; {basics}")
            self.alternatives.addItem(item)
        self.alternatives.setCurrentRow(0)
        self.alternatives.blockSignals(False)
        self._show_build(deck)
        self.report_shown.emit(report)

    def _alternative_chosen(self, row: int) -> None:
        if self.report is None or row < 0:
            return
        builds = [self.report.deck] + self.report.deck.alternatives
        if row < len(builds):
            self._show_build(builds[row])

    def _show_build(self, deck) -> None:
        self.shown = deck
        report = self.report
        suggested = deck is report.deck
        what = "Suggested deck" if suggested else "Alternative build"
        self.title.setText(f"{what}: {deck.label}  ·  score {deck.score:.2f}")
        nonbasic = ", ".join(f"{n} {name}" for name, n in Counter(c.name for c in deck.nonbasic_lands).items())
        basics = ", ".join(f"{n} {b}" for b, n in deck.basics.items())
        engine = report.scores.engine
        if self._asked and engine != self._asked:
            engine += f" ({self._asked} could not score {report.set_code or 'this set'}; details in the tooltip)"
        self.summary.setText(f"{len(deck.spells)} spells, {deck.creatures} creatures · {deck.lands} lands: {basics}"
                             + (f", {nonbasic}" if nonbasic else "") + f" · {len(report.pool)} cards scored by "
                             + engine + ("".join(f" · {n}" for n in deck.notes)))
        self.summary.setToolTip(report.scores.note or "")
        self.curve.set_bars([(k, v, "#8a94a6") for k, v in deck.curve().items()])
        self.copy_status.setText("")
        registered = Counter(c.name for c in report.registered or [] if not c.is_land)
        suggested_names = Counter(c.name for c in deck.spells)
        cmp = report.comparison
        compared = cmp is not None and not cmp.whole_pool
        self._fill(self.main_list, _entries(deck.main_cards(), deck.basics), registered if compared else None, ADDED)
        self.main_caption.setText(f"Main deck: {deck.size} cards ({deck.label})"
                                  + (" · blue: not in your registered deck" if compared else ""))
        side = Counter(c.name for c in deck.sideboard)
        self.side_caption.setText(f"Sideboard ({len(deck.sideboard)} cards)")
        self.sideboard.setPlainText(", ".join(f"{k} x{v}" if v > 1 else k for k, v in side.items()))
        self.registered_list.clear()
        self.registered_list.setWordWrap(False)
        if report.registered is None:
            self.registered_caption.setText("Registered deck: none in the log yet")
            self._note(self.registered_list, "Arena writes the deck when you submit it; it will show here beside "
                                             "the suggestion, with what differs.")
        elif cmp is not None and cmp.whole_pool:
            self.registered_caption.setText(f"Registered deck: the whole pool ({cmp.registered_size} cards)")
            self._note(self.registered_list, "Arena lists every card of the pool as the registered deck, so "
                                             "there is no built deck to compare yet. Submit your deck in Arena and "
                                             "it will show here with what differs.")
        else:
            shared = sum((suggested_names & registered).values())
            total = sum(registered.values())
            self.registered_caption.setText(f"Your registered deck: {len(report.registered)} cards · shares {shared} "
                                            f"of its {total} spells with this build · red: not in it")
            self._fill(self.registered_list, _entries(report.registered), suggested_names, ONLY_HERE)

    def _fill(self, widget: QListWidget, entries, other: Counter | None, mark: str) -> None:
        widget.clear()
        left = Counter(other or {})
        theme = current_theme()
        for n, card in entries:
            name = card if isinstance(card, str) else card.name
            text = f"{n}  {name}"
            item = QListWidgetItem(text)
            if isinstance(card, str) and card in BASIC_COLOUR:
                item.setData(Qt.DecorationRole, QColor(MANA[BASIC_COLOUR[card]]))
            if not isinstance(card, str):
                item.setToolTip(card_tooltip(card))
                swatch = MANA.get(color_key(card), theme.muted)
                item.setData(Qt.DecorationRole, QColor(swatch))
                if other is not None and not card.is_land:
                    missing = max(0, n - left[name])
                    left[name] -= min(n, left[name])
                    if missing:
                        item.setForeground(QColor(mark))
                        item.setText(item.text() + ("   (+%d)" % missing if mark == ADDED else "   (-%d)" % missing))
            widget.addItem(item)

    @staticmethod
    def _note(widget: QListWidget, text: str) -> None:
        widget.setWordWrap(True)
        item = QListWidgetItem(text)
        item.setFlags(Qt.NoItemFlags)
        widget.addItem(item)

    def copy_to_clipboard(self) -> None:
        if self.shown is None:
            return
        QGuiApplication.clipboard().setText(self.shown.to_arena())
        self.copy_status.setText(f"Copied {self.shown.size} cards + {len(self.shown.sideboard)} sideboard")

    def arena_text(self) -> str:
        return self.shown.to_arena() if self.shown is not None else ""

    def describe(self) -> str:
        """Plain text of what is shown (for tests and accessibility)."""
        return html.unescape(f"{self.title.text()} | {self.summary.text()}")
