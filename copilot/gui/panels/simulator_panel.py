"""Simulator panel: draft against seven bots (or watch eight bots) with real boosters, then see the statistics.

The table (copilot.sim.table.DraftTable) runs its engines on a worker thread; the UI only shows snapshots.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QListWidget, QPlainTextEdit, QPushButton, QSizePolicy, QSpinBox, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from copilot.cards.model import COLOR_ORDER
from copilot.gui.theme import MANA
from copilot.gui.widgets.card_text import color_key
from copilot.gui.widgets.charts import BarChart
from copilot.gui.widgets.pack_view import PackView
from copilot.gui.workers import run_async

SETS = ["DSK", "OTJ", "BLB", "FDN", "MKM", "TDM", "FIN", "SOS", "TMT", "MSH", "NEO", "STX", "VOW"]
# Human-like bots draw their picks from their engine's probabilities (a temperature personality) instead of always
# taking the top card: greedy PickNet bots, and the LLM bots that copy them, end mono-colour about twice as often as
# people (DSK, 20 tables). The LLM's temperature is PickNet's 0.5 scaled by the two engines' calibration on 8,526
# held-out picks (bench/hybrid_scores.py: best scale 1.21 for PickNet, 0.78 for the CPU recipe's LLM, which is the
# more confident and so needs the higher T: 0.5 * 1.21 / 0.78, rounded down to 0.75).
BOT_ENGINES = ["ratings", "heuristic", "picknet:temperature=0.5", "mlp", "gguf:temperature=0.75", "random"]


class SimulatorPanel(QWidget):
    draft_finished = Signal(object)  # DraftResult

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.table = None
        self.labels: list[str] = []
        self.human_seat: int | None = None
        self.busy = False
        self.advisor = None
        self.watch_seat = 0
        self._build()

    # ----- layout -----
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 12)
        title = QLabel("Draft simulator")
        title.setProperty("role", "title")
        root.addWidget(title)
        controls = QHBoxLayout()
        form = QFormLayout()
        self.set_combo = QComboBox()
        self.set_combo.addItems(SETS)
        self.seed = QSpinBox()
        self.seed.setRange(0, 10 ** 6)
        self.bot_engine = QComboBox()
        self.bot_engine.addItems(BOT_ENGINES)
        self.take_seat = QCheckBox("Take a seat (you draft against seven bots)")
        self.take_seat.setChecked(True)
        form.addRow("Set", self.set_combo)
        form.addRow("Seed", self.seed)
        form.addRow("Bots", self.bot_engine)
        controls.addLayout(form)
        col = QVBoxLayout()
        col.addWidget(self.take_seat)
        row = QHBoxLayout()
        self.start_btn = QPushButton("Start draft")
        self.step_btn = QPushButton("Next pick")
        self.run_btn = QPushButton("Run to the end")
        self.export_btn = QPushButton("Export deck…")
        self.start_btn.clicked.connect(self.start)
        self.step_btn.clicked.connect(self.next_pick)
        self.run_btn.clicked.connect(self.run_to_end)
        self.export_btn.clicked.connect(self._export)
        for b in (self.start_btn, self.step_btn, self.run_btn, self.export_btn):
            row.addWidget(b)
        col.addLayout(row)
        self.status = QLabel("Choose a set and press Start.")
        self.status.setProperty("role", "muted")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        col.addWidget(self.status)
        controls.addLayout(col, 1)
        root.addLayout(controls)

        split = QSplitter(Qt.Horizontal)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.pack_box = QGroupBox("Pack")
        pv = QVBoxLayout(self.pack_box)
        self.hint = QLabel("")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.pack_view = PackView()
        self.pack_view.card_clicked.connect(self._card_clicked)
        pv.addWidget(self.hint)
        pv.addWidget(self.pack_view)
        lv.addWidget(self.pack_box, 3)
        self.stats_box = QGroupBox("Table statistics")
        stv = QVBoxLayout(self.stats_box)
        self.stats = QTableWidget(0, 5)
        self.stats.setHorizontalHeaderLabels(["Seat", "Engine", "Main colours", "Top-2 share", "Mono"])
        self.stats.verticalHeader().setVisible(False)
        self.stats.setEditTriggers(QTableWidget.NoEditTriggers)
        self.stats.horizontalHeader().setStretchLastSection(True)
        self.stats.setMinimumHeight(150)
        self.stats.itemSelectionChanged.connect(self._seat_selected)
        stv.addWidget(self.stats)
        lv.addWidget(self.stats_box, 2)
        split.addWidget(left)

        right = QWidget()
        right.setMinimumWidth(340)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.pool_box = QGroupBox("Pool")
        pg = QVBoxLayout(self.pool_box)
        self.pool_colors = BarChart(min_height=95)
        self.pool_list = QListWidget()
        pg.addWidget(self.pool_colors)
        pg.addWidget(self.pool_list, 1)
        rv.addWidget(self.pool_box, 2)
        deck_box = QGroupBox("Suggested 40-card deck (Arena import)")
        dv = QVBoxLayout(deck_box)
        self.deck_text = QPlainTextEdit()
        self.deck_text.setReadOnly(True)
        dv.addWidget(self.deck_text)
        rv.addWidget(deck_box, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        root.addWidget(split, 1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        active = self.table is not None and not self.table.done
        human_turn = active and self.human_seat is not None
        self.start_btn.setEnabled(not self.busy)
        self.step_btn.setEnabled(active and not self.busy and not human_turn)
        self.run_btn.setEnabled(active and not self.busy and self.human_seat is None)
        self.export_btn.setEnabled(self.table is not None and self.table.done)

    # ----- starting -----
    def start(self, set_code: str | None = None, seed: int | None = None, human: bool | None = None,
              engine: str | None = None) -> None:
        set_code = set_code or self.set_combo.currentText()
        seed = self.seed.value() if seed is None else seed
        human = self.take_seat.isChecked() if human is None else human
        engine = engine or self.bot_engine.currentText()
        for widget, value in ((self.set_combo, set_code), (self.bot_engine, engine)):
            widget.setCurrentText(value)
        self.seed.setValue(seed)
        self.take_seat.setChecked(human)
        self.busy = True
        self._update_buttons()
        self.status.setText(f"Opening boosters for {set_code} (seed {seed})…")

        def work():
            from copilot.sim.boosters import SetCards, make_generator
            from copilot.sim.simulation import build_seats
            from copilot.sim.table import DraftTable
            from copilot.paths import shared_dir

            catalog = self.ctx.catalog()  # the app's catalog, already loaded: no second read of the card files
            if not len(catalog):
                raise ValueError("no card data: add a 17lands cards.csv in Models & settings -> Card data")
            shared = shared_dir()
            generator = make_generator(set_code, SetCards.from_catalog(catalog), shared / "data" if shared else None)
            specs = (["human"] if human else []) + [engine] * (8 - int(human))
            seats, labels = build_seats(specs, set_code)
            table = DraftTable.deal(generator, seats, seed, set_code=set_code, draft_key=f"gui-{seed}")
            advisor = self.ctx.recommender("ratings") if human else None
            return table, labels, advisor, generator.source

        def done(result):
            self.table, self.labels, self.advisor, source = result
            self.human_seat = 0 if human else None
            self.watch_seat = 0
            self.busy = False
            self.status.setText(f"{set_code}: boosters from {source}. "
                                + ("Click a card to pick it." if human else "Press Next pick or Run to the end."))
            self._refresh()

        run_async(work, done, self._failed)

    def _failed(self, err: str) -> None:
        self.busy = False
        self.status.setText(f"Could not run the draft: {err}")
        self._update_buttons()

    # ----- playing -----
    def _card_clicked(self, card) -> None:
        if self.busy or self.table is None or self.table.done or self.human_seat is None:
            return
        pack = list(self.table.current[self.human_seat])
        if card in pack:
            self.pick(pack.index(card))

    def pick(self, index: int) -> None:
        """The human takes pack card `index`; the bots pick at the same time (worker thread)."""
        self._advance({self.human_seat: [index]})

    def next_pick(self) -> None:
        self._advance(None)

    def _advance(self, choices, to_end: bool = False) -> None:
        if self.busy or self.table is None or self.table.done:
            return
        self.busy = True
        self._update_buttons()
        table = self.table

        def work():
            table.step(choices)
            while to_end and not table.done:
                table.step(None)
            return None

        def done(_):
            self.busy = False
            self._refresh()

        run_async(work, done, self._failed)

    def run_to_end(self) -> None:
        self._advance(None, to_end=True)

    # ----- showing -----
    def _seat_selected(self) -> None:
        rows = self.stats.selectionModel().selectedRows()
        if rows and (self.table is None or self.table.done or self.human_seat is None):
            self.watch_seat = rows[0].row()
            self._refresh(select=False)

    def _refresh(self, select: bool = True) -> None:
        table = self.table
        self._update_buttons()
        if table is None:
            return
        seat = self.human_seat if self.human_seat is not None else self.watch_seat
        state = table.state[seat]
        pool = list(state.pool)
        who = "Your" if seat == self.human_seat else f"Seat {seat + 1} ({self.labels[seat]})"
        self.pool_box.setTitle(f"{who} pool ({len(pool)} cards)")
        counts = {k: 0 for k in COLOR_ORDER + "MC"}
        for c in pool:
            counts[color_key(c)] += 1
        self.pool_colors.set_bars([(k, v, MANA[k]) for k, v in counts.items()])
        self.pool_list.clear()
        self.pool_list.addItems([f"P{e.pack}p{e.pick}: {', '.join(c.name for c in e.picked)}" for e in state.picks])
        self.pool_list.scrollToBottom()
        self._fill_stats()
        if table.done:
            self.pack_box.setTitle("Draft complete")
            self.pack_view.show_message(f"All {len(table.state)} pools are complete ({len(pool)} cards each). "
                                        "Select a seat in the table to see its pool.")
            self.hint.setText("")
            from copilot.draft.deckbuild import suggest_deck

            self.deck = suggest_deck(pool)
            self.deck_text.setPlainText(self.deck.to_arena())
            self.status.setText("Draft complete. Export the deck or start another draft.")
            self.draft_finished.emit(table.result())
            self._update_buttons()
            return
        self.pack_box.setTitle(f"Pack {table.pack_number} · Pick {table.pick_number} — "
                               + ("your pick" if seat == self.human_seat else f"seat {seat + 1}'s pack"))
        ctx = table.context(seat)
        if seat == self.human_seat and self.advisor is not None:
            self.hint.setText("Suggestion from 17lands ratings (click any card to take it):")
            run_async(lambda: self.advisor.rank(ctx), self._show_advice)
            self.pack_view.show_pack(list(ctx.pack))
        else:
            self.hint.setText("Bots pick together when you press Next pick.")
            self.pack_view.show_pack(list(ctx.pack), note="")

    def _show_advice(self, rec) -> None:
        if self.table is not None and not self.table.done and rec.ranked:
            current = {c.name for c in self.table.current[self.human_seat]}
            if {s.card.name for s in rec.ranked} == current:
                self.pack_view.show_recommendation(rec)

    def _fill_stats(self) -> None:
        from copilot.sim.simstats import card_pool_stats

        table = self.table
        self.stats.blockSignals(True)
        self.stats.setRowCount(len(table.state))
        for i, st in enumerate(table.state):
            ps = card_pool_stats(st.pool)
            you = " (you)" if i == self.human_seat else ""
            cells = [f"{i + 1}{you}", self.labels[i], ps.pair or "–", f"{ps.top2_share * 100:.0f}%",
                     "yes" if ps.mono and ps.n_cards >= 10 else ""]
            for c, text in enumerate(cells):
                self.stats.setItem(i, c, QTableWidgetItem(text))
        self.stats.blockSignals(False)

    def _export(self) -> None:
        if getattr(self, "deck", None) is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save deck (Arena import format)", "deck.txt", "Text (*.txt)")
        if path:
            Path(path).write_text(self.deck.to_arena(), encoding="utf-8")
            self.status.setText(f"Deck saved to {path}. In Arena: Decks -> Import.")

    def shutdown(self) -> None:
        self.table = None
