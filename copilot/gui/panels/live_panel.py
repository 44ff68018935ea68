"""Live panel: the current pack ranked by the active engine, pool, signals, pick history, commentary.

Fed either by following Arena's log (LiveSession, on its own thread) or by a saved log replayed step by step.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFrame, QGridLayout, QGroupBox, QHBoxLayout,
                               QListWidget, QPushButton, QSizePolicy, QSlider, QSplitter, QTextEdit, QVBoxLayout,
                               QWidget)

from copilot.cards.model import COLOR_ORDER
from copilot.commentary.commentator import NoticeKind
from copilot.draft.changes import changes
from copilot.draft.state import ArenaState, DraftState
from copilot.gui.theme import MANA
from copilot.gui.widgets.card_text import color_key
from copilot.gui.widgets.charts import BarChart
from copilot.gui.widgets.labels import role_label
from copilot.gui.widgets.deck_view import DeckView
from copilot.gui.widgets.pack_view import PackView
from copilot.gui.widgets.ratings_offer import RatingsOffer
from copilot.gui.workers import UiBridge, run_async
from copilot.picking.context import draft_set
from copilot.picking.deck_report import deck_ready

ENABLE_LOGS_HELP = ("Arena is not writing draft messages. In MTG Arena open Options -> Account, tick "
                    "'Detailed Logs (Plugin Support)', then restart Arena.")


_label = role_label


def event_header(draft: DraftState, set_code: str | None) -> str:
    """The event line above the pack: event, set and format as the log names them. A log that names the event only
    late (or never) still shows the set (`draft_set`: taken from the cards), marked so."""
    code = draft.set_code or (f"{set_code} (from the cards)" if set_code else None)
    return " · ".join(x for x in (draft.event_name, code, draft.format) if x) or "Event not named in the log yet"


class LivePanel(QWidget):
    recommendation_shown = Signal(object)  # Recommendation
    state_shown = Signal(object)  # ArenaState
    open_simulator = Signal()

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = UiBridge(self)
        self.session = None
        self.timeline: list = []
        self.state: ArenaState | None = None
        self.recommendation = None
        self.advice = None  # the recommender's Advice for the pack shown (Pick-Two: its pairs)
        self._rank_token = 0
        self._commentary_token = 0
        self._build()

    # ----- layout -----
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 12)

        banner = QFrame()
        banner.setProperty("role", "banner")
        b = QGridLayout(banner)
        self.title = _label("Live draft", "title")
        self.event_label = _label("No draft yet", "muted")
        self.source_label = _label("", "muted", wrap=True)
        self.warning_label = _label("", "warning", wrap=True)
        for lbl in (self.source_label, self.warning_label, self.event_label):
            lbl.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.warning_label.hide()
        self.follow_btn = QPushButton("Follow Arena log")
        self.open_btn = QPushButton("Open saved log…")
        self.sim_btn = QPushButton("Try the simulator")
        self.follow_btn.clicked.connect(lambda: self.follow())
        self.open_btn.clicked.connect(self._choose_logs)
        self.sim_btn.clicked.connect(self.open_simulator)
        b.addWidget(self.title, 0, 0)
        b.addWidget(self.event_label, 1, 0)
        b.addWidget(self.source_label, 2, 0, 1, 4)
        b.addWidget(self.warning_label, 3, 0, 1, 4)
        buttons = QHBoxLayout()
        for btn in (self.follow_btn, self.open_btn, self.sim_btn):
            buttons.addWidget(btn)
        b.addLayout(buttons, 0, 1, 2, 3, Qt.AlignRight | Qt.AlignVCenter)
        b.setColumnStretch(0, 1)
        root.addWidget(banner)
        self._banner = banner
        self.ratings_offer = RatingsOffer(self.ctx)  # "Get 17lands ratings for SET" when the set has none
        self.ratings_offer.ratings_ready.connect(lambda _set: self.rerank())
        root.addWidget(self.ratings_offer)

        # replay controls
        self.replay_bar = QWidget()
        r = QHBoxLayout(self.replay_bar)
        r.setContentsMargins(0, 0, 0, 0)
        self.prev_btn = QPushButton("◀ Prev")
        self.next_btn = QPushButton("Next ▶")
        self.slider = QSlider(Qt.Horizontal)
        self.step_label = _label("", "muted")
        self.step_label.setMinimumWidth(260)
        self.step_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.prev_btn.clicked.connect(lambda: self.slider.setValue(self.slider.value() - 1))
        self.next_btn.clicked.connect(lambda: self.slider.setValue(self.slider.value() + 1))
        self.slider.valueChanged.connect(self._show_step)
        for w in (self.prev_btn, self.slider, self.next_btn, self.step_label):
            r.addWidget(w)
        r.setStretch(1, 3)
        r.setStretch(3, 2)
        self.replay_bar.hide()
        root.addWidget(self.replay_bar)

        split = QSplitter(Qt.Horizontal)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        pack_box = QGroupBox("Pack")
        self.pack_box = pack_box
        pv = QVBoxLayout(pack_box)
        self.engine_label = _label("", "muted", wrap=True)
        self.engine_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.pack_view = PackView()
        pv.addWidget(self.engine_label)
        pv.addWidget(self.pack_view)
        self.deck_view = DeckView()  # in place of the pack once the draft is over, and for a Sealed pool
        self.deck_view.hide()
        pv.addWidget(self.deck_view)
        lv.addWidget(pack_box, 3)

        comm_box = QGroupBox("Commentary")
        cv = QVBoxLayout(comm_box)
        top = QHBoxLayout()
        self.commentary_toggle = QCheckBox("Explain the pick (OpenAI-compatible model)")
        self.commentary_toggle.setChecked(bool(self.ctx.gui.commentary))
        self.commentary_toggle.toggled.connect(self._commentary_toggled)
        self.commentary_status = _label("", "muted")
        self.commentary_status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.commentary_status.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        top.addWidget(self.commentary_toggle)
        top.addWidget(self.commentary_status, 1)
        self.commentary = QTextEdit()
        self.commentary.setReadOnly(True)
        self.commentary.setMinimumHeight(70)
        self.commentary.setMaximumHeight(130)
        cv.addLayout(top)
        cv.addWidget(self.commentary)
        lv.addWidget(comm_box, 1)
        self._comm_box = comm_box
        split.addWidget(left)

        right = QWidget()
        right.setMinimumWidth(380)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.pool_box = QGroupBox("Pool")
        pg = QVBoxLayout(self.pool_box)
        self.pool_colors = BarChart(min_height=95)
        self.pool_curve = BarChart(min_height=95)
        charts = QHBoxLayout()
        for caption, chart in (("By colour", self.pool_colors), ("Mana curve (non-land)", self.pool_curve)):
            col = QVBoxLayout()
            col.addWidget(_label(caption, "muted"))
            col.addWidget(chart)
            charts.addLayout(col)
        pg.addLayout(charts)
        rv.addWidget(self.pool_box)
        sig_box = QGroupBox("Signals: colours seen in the last 5 packs")
        sv = QVBoxLayout(sig_box)
        self.signals = BarChart(min_height=90)
        sv.addWidget(self.signals)
        rv.addWidget(sig_box)
        lists_min = 110
        miss_box = QGroupBox("Taken from this pack since you saw it")
        mv = QVBoxLayout(miss_box)
        self.missing = QListWidget()
        self.missing.setMinimumHeight(lists_min)
        mv.addWidget(self.missing)
        hist_box = QGroupBox("Pick history")
        hv = QVBoxLayout(hist_box)
        self.history = QListWidget()
        self.history.setMinimumHeight(lists_min)
        hv.addWidget(self.history)
        rv.addWidget(miss_box, 1)
        rv.addWidget(hist_box, 2)
        split.addWidget(right)
        self._right = right
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        root.addWidget(split, 1)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_compact(self, on: bool) -> None:
        """Compact mode keeps only the ranked pack (and the commentary when it is switched on)."""
        self._banner.setVisible(not on)
        self._right.setVisible(not on)
        self._comm_box.setVisible(not on or self.commentary_toggle.isChecked())
        self.replay_bar.setVisible(bool(self.timeline) and not on)

    def shutdown(self) -> None:
        self._rank_token += 1
        self._commentary_token += 1
        self.stop_following()

    # ----- sources -----
    def _choose_logs(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open saved Arena logs (oldest first)", "",
                                                "Arena logs (*.log *.txt);;All files (*)")
        if paths:
            self.load_replay([Path(p) for p in paths])

    def load_replay(self, paths: list[Path], step: int | None = None, on_loaded=None) -> None:
        """Replay saved logs (chronological order) and show the chosen step (default: the last one)."""
        self.stop_following()
        names = ", ".join(p.name for p in paths)
        self.source_label.setText(f"Replaying {names}")
        self.pack_view.show_message("Reading the log…")

        def work():
            from copilot.draft.timeline import timeline_from_paths

            steps = timeline_from_paths(paths)
            self.ctx.catalog()  # warm the catalog off the UI thread
            return steps

        def done(steps):
            self.timeline = steps
            self.replay_bar.setVisible(bool(steps))
            self.slider.blockSignals(True)
            self.slider.setRange(0, max(0, len(steps) - 1))
            self.slider.blockSignals(False)
            target = len(steps) - 1 if step is None else max(0, min(step, len(steps) - 1))
            self.slider.setValue(target)
            self._show_step(target)
            if on_loaded:
                on_loaded()

        run_async(work, done, lambda err: self._show_error(f"Could not replay {names}: {err}"))

    def _show_step(self, index: int) -> None:
        if not self.timeline:
            return
        index = max(0, min(index, len(self.timeline) - 1))
        step = self.timeline[index]
        detail = step.label.split(": ", 1)[-1]  # the event name is already in the banner
        self.step_label.setText(f"Step {index + 1}/{len(self.timeline)}: {detail}")
        self.step_label.setToolTip(step.label)
        self.prev_btn.setEnabled(index > 0)
        self.next_btn.setEnabled(index < len(self.timeline) - 1)
        self.set_state(step.state)

    def follow(self, log_path: Path | None = None) -> None:
        """Follow the live Arena log (found automatically unless given)."""
        from copilot.arena.locate import find_log
        from copilot.settings import Settings

        path = Path(log_path) if log_path else find_log(Settings.load().arena_log or None)
        if path is None:
            self.show_no_log()
            return
        self.stop_following()
        self.replay_bar.hide()
        self.source_label.setText(f"Following {path}")
        from copilot.live.session import LiveSession

        self.session = LiveSession.for_gui(path, on_state=lambda s: self.bridge.post(lambda: self.set_state(s)),
                                           on_warning=lambda w: self.bridge.post(lambda: self._show_warning(w)))
        self.session.start()

    def stop_following(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            session.stop()

    def show_no_log(self) -> None:
        from copilot.arena.locate import searched_places

        places = "\n".join(f"  • {p}" for p in searched_places(limit=4))
        self.source_label.setText("No MTG Arena log found. Looked in:\n" + places)
        self.pack_view.show_message("No Arena log on this computer yet. Open a saved log to replay a draft step "
                                    "by step, or draft against bots in the Simulator.")

    def _show_warning(self, text: str) -> None:
        self.warning_label.setText(text)
        self.warning_label.setVisible(bool(text))

    def _show_error(self, text: str) -> None:
        self.warning_label.setProperty("role", "error")
        self._show_warning(text)

    # ----- rendering -----
    def rerank(self) -> None:
        """Rank the pack on show again (the engine or its settings changed)."""
        self.advice = None
        if self.state is not None:
            self._render_draft(self.state.current, rank=True)

    def set_state(self, state: ArenaState) -> None:
        """Show a state, redrawing only what `changes()` says differs from the state shown (the pack is ranked
        again only when it changed)."""
        ch = changes(self.state, state)
        self.state = state
        if not ch.any:
            return
        if ch.warnings or ch.session or self.warning_label.text() == "":
            if state.detailed_logs is False:
                self._show_warning(ENABLE_LOGS_HELP)
            elif state.warnings:
                self._show_warning(state.warnings[-1])
            else:
                self._show_warning("")
        if ch.draft or state.current is None:
            self._render_draft(state.current, rank=ch.active or ch.current.pack or ch.current.head)
        self.state_shown.emit(state)

    def _render_draft(self, draft: DraftState | None, rank: bool = True) -> None:
        catalog = self.ctx.loaded_catalog  # loading happens off the UI thread
        ready = deck_ready(draft)  # picking is over: the deck view replaces the pack
        for widget, on in ((self.pack_view, not ready), (self.engine_label, not ready), (self.deck_view, ready)):
            widget.setVisible(on)
        if ready or not self._banner.isHidden():  # compact mode (banner hidden) decides the commentary itself
            self._comm_box.setVisible(not ready)
        if draft is None:
            self.event_label.setText("No draft in this log yet")
            self.pack_view.show_message("Waiting for a draft…" if self.session else "No draft in this log.")
            return
        set_code = draft_set(draft, catalog)
        self.ratings_offer.check(set_code)
        self.event_label.setText(event_header(draft, set_code))
        card = (catalog.card if catalog is not None else None)

        def name(gid: int) -> str:
            return card(gid).name if card else f"#{gid}"

        # pool
        pool_cards = [card(g) for g in draft.pool] if card else []
        self.pool_box.setTitle(f"Pool ({len(draft.pool)} cards)")
        colours = {k: 0 for k in COLOR_ORDER + "MC"}
        curve = {k: 0 for k in ("0-1", "2", "3", "4", "5", "6+")}
        for c in pool_cards:
            colours[color_key(c)] += 1
            if not c.is_land and c.mana_value is not None:
                mv = int(c.mana_value)
                curve["0-1" if mv <= 1 else "6+" if mv >= 6 else str(mv)] += 1
        self.pool_colors.set_bars([(k, v, MANA[k]) for k, v in colours.items()])
        self.pool_curve.set_bars([(k, v, "#8a94a6") for k, v in curve.items()])
        # signals
        seen = {k: 0 for k in COLOR_ORDER + "C"}
        for pack in draft.seen_packs():
            for g in pack:
                c = card(g) if card else None
                ident = c.color_identity if c else ()
                for letter in ident or ("C",):
                    seen[letter] += 1
        self.signals.set_bars([(k, v, MANA[k]) for k, v in seen.items()])
        # missing and history
        self.missing.clear()
        self.missing.addItems([name(g) for g in draft.missing_from_pack] or [])
        self.history.clear()
        for rec in draft.picks:
            if rec.picked:
                self.history.addItem(f"P{rec.pack}p{rec.pick}: " + " + ".join(name(g) for g in rec.picked))
        self.history.scrollToBottom()
        # the pack, or the deck once picking is over
        if ready:
            self.pack_box.setTitle(f"{'Sealed pool' if draft.kind == 'sealed' else 'Draft complete'}: your deck")
            self.deck_view.show_draft(draft, self.ctx)
            return
        if draft.current_pack and not draft.complete:
            self.pack_box.setTitle(f"Pack {draft.pack_number} · Pick {draft.pick_number}"
                                   + (" · take two" if draft.cards_per_pick == 2 else ""))
            if rank or self.advice is None:
                self._rank(draft)
            return
        if draft.complete:  # a completed draft whose pool is not in the log
            self.pack_box.setTitle("Draft complete")
            self.pack_view.show_message("Draft complete; the pool is not in the log.")
        else:
            self.pack_box.setTitle(f"Pack {draft.pack_number} · Pick {draft.pick_number}")
            self.pack_view.show_message("First pack not in the log yet: Arena writes it only after your first pick."
                                        if draft.pack_number <= 1 and not draft.picks else "Waiting for the next pack…")

    def _rank(self, draft: DraftState) -> None:
        self._rank_token += 1
        token = self._rank_token
        engine_name = self.ctx.engine_name
        self.engine_label.setText(f"Ranking with {engine_name}…")
        snapshot = draft

        def work():
            return self.ctx.recommender(engine_name).advise(snapshot)

        def done(advice):
            if token != self._rank_token:
                return  # a newer pack arrived meanwhile
            if advice is None:
                self.pack_view.show_message("No pack to rank.")
                return
            rec, pctx = advice.recommendation, advice.context
            self.recommendation, self.advice = rec, advice
            self.pack_view.show_recommendation(rec, best=advice.best_cards)
            note = f" · {rec.note}" if rec.note else ""
            if len(note) > 160:
                self.engine_label.setToolTip(rec.note)
                note = note[:157] + "…"
            model = f" ({rec.model})" if rec.model else ""
            self.engine_label.setText(f"Engine: {rec.engine}{model} · {rec.latency_ms:.0f} ms{note}")
            self.recommendation_shown.emit(rec)
            if self.commentary_toggle.isChecked():
                self._start_commentary(pctx, rec)

        run_async(work, done, lambda err: self.engine_label.setText(f"Ranking failed: {err}"))

    # ----- commentary -----
    def _commentary_toggled(self, on: bool) -> None:
        self.ctx.gui.commentary = on
        if not on:
            self._commentary_token += 1
            self.commentary_status.setText("off")

    def _start_commentary(self, pctx, rec) -> None:
        self._commentary_token += 1
        token = self._commentary_token
        self.commentary.clear()
        self.commentary_status.setText("…")

        def work():
            from copilot.commentary import Commentator

            commentator = Commentator.from_settings()
            ok, why = commentator.available()
            if not ok:
                self.bridge.post(lambda: self._commentary_done(token, why, NoticeKind.DISABLED))
                return
            start = time.perf_counter()
            for chunk in commentator.stream(pctx, rec):
                if token != self._commentary_token:
                    return
                self.bridge.post(lambda c=chunk: self._commentary_chunk(token, c))
            self.bridge.post(lambda: self._commentary_done(token, f"{time.perf_counter() - start:.1f} s", None))

        run_async(work, None, lambda err: self._commentary_done(token, f"commentary failed: {err}", NoticeKind.ERROR))

    def _commentary_chunk(self, token: int, text: str) -> None:
        if token == self._commentary_token:
            self.commentary.insertPlainText(text)

    def _commentary_done(self, token: int, status: str, kind: NoticeKind | None) -> None:
        if token != self._commentary_token:
            return
        if kind is not None:  # an explanation (disabled, failed): show it where the commentary would be
            if not self.commentary.toPlainText().strip():
                self.commentary.setPlainText(status)
            self.commentary_status.setText("not available")
            self.commentary_status.setToolTip(status)
        else:
            self.commentary_status.setText(status)
