"""Training panel, section 4: Evaluate & export, i.e. `copilot export RUN --eval N --activate`.

Merge the adapter, write and quantize the GGUF, register it in the model store, rank N held-out validation picks
with it, and make it the active model; the same command line does it from a terminal.
"""
from __future__ import annotations

import time

from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout

from copilot.gui.cli_runner import JobResult
from copilot.gui.panels.training.session import FROZEN, TrainingSession, label, set_role
from copilot.progress import EventKind, ProgressEvent

JOB = "export"
QUANTS = ("Q8_0", "Q4_K_M", "F16")
THREADS = 2


def result_text(result: dict) -> str:
    """One line for the panel from `copilot export --json-progress`'s result."""
    model = result.get("active") or result.get("model") or "?"
    ev = result.get("eval") or {}
    if isinstance(ev.get("top1"), (int, float)):
        figure = f", top-1 {ev['top1'] * 100:.1f}% / top-3 {ev['top3'] * 100:.1f}% on {ev['n']} held-out picks"
        first = ev.get("first_listed") or {}
        if isinstance(first.get("model_picked_it"), (int, float)):  # a format listing packs in an engine's order
            figure += (f"; it took the first card listed at {first['model_picked_it'] * 100:.0f}% of them (always "
                       f"that card: top-1 {first['top1'] * 100:.1f}%)")
    elif ev.get("error"):
        figure = f" (no evaluation: {ev['error']})"
    else:
        figure = ""
    return f"{'Active model' if result.get('active') else 'Exported'}: {model}{figure}."


class ExportSection(QFrame):
    stretch = 0

    def __init__(self, session: TrainingSession, parent=None):
        super().__init__(parent)
        self.session = session
        self.setProperty("role", "banner")
        ev = QHBoxLayout()
        ev.addWidget(QLabel("4 · Evaluate & export:"))
        self.quant_combo = QComboBox()
        self.quant_combo.addItems(QUANTS)
        self.quant_combo.setToolTip("GGUF quantization of the exported model")
        self.eval_picks = QSpinBox()
        self.eval_picks.setRange(0, 100_000)
        self.eval_picks.setValue(40)
        self.eval_picks.setPrefix("eval on ")
        self.eval_picks.setSuffix(" val picks")
        self.eval_picks.setToolTip("held-out validation picks of the run's dataset ranked by the exported model "
                                   "(0: no evaluation)")
        self.export_btn = QPushButton("Evaluate && export to GGUF")
        self.export_btn.clicked.connect(self.export)
        self.export_label = label("", "muted")
        self.export_label.setWordWrap(True)
        self.export_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        ev.addWidget(self.quant_combo)
        ev.addWidget(self.eval_picks)
        ev.addWidget(self.export_btn)
        ev.addStretch(1)
        column = QVBoxLayout(self)  # the row on top, what the export did under it (beside the taller quick model)
        column.addLayout(ev)
        column.addWidget(self.export_label)
        column.addStretch(1)
        for signal in (session.busy_changed, session.state_changed, session.run_changed):
            signal.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def export(self) -> None:
        s = self.session
        if s.run_dir is None or s.busy(JOB) or s.active:
            return
        quant = self.quant_combo.currentText()
        args = ["export", str(s.run_dir), "--quant", quant, "--name", f"{s.run_dir.name}-{time.strftime('%H%M%S')}",
                "--activate", "--threads", str(THREADS)]
        if self.eval_picks.value():
            args += ["--eval", str(self.eval_picks.value())]
        set_role(self.export_label, "muted")
        self.export_label.setText("Merging the adapter, writing GGUF, quantizing…")

        def on_event(ev: ProgressEvent) -> None:
            if ev.kind in (EventKind.LOG, EventKind.PROGRESS) and ev.message:
                s.log.emit(ev.message)
                if not ev.message.startswith(" "):
                    self.export_label.setText(ev.message.strip()[:160])

        def finished(res: JobResult) -> None:
            if res.killed:
                return
            if res.ok and res.result:
                self.export_label.setText(result_text(res.result))
                s.model_exported.emit(res.result)
                self._refresh_models_panel()
            else:
                self.export_label.setText(f"Export failed: {res.error}")
                set_role(self.export_label, "error")

        s.start_job(JOB, args, on_event, finished)

    def _refresh_models_panel(self) -> None:
        panels = getattr(self.window(), "panels", None)
        models = panels.get("models") if isinstance(panels, dict) else None
        if models is not None and hasattr(models, "refresh"):
            models.refresh()

    def _update_buttons(self) -> None:
        s = self.session
        self.export_btn.setEnabled(s.has_adapter() and not s.active and not s.busy(JOB) and not FROZEN)
