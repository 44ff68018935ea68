"""Training panel, section 3: Start / Stop / Resume a run and follow it (loss and validation charts, speed, log).

Every action is a `copilot train` command through the session's runner: Start writes the run's config and runs
`copilot train --config FILE --out RUN`, Resume `--resume RUN`, Stop `--stop RUN`, and a run opened in the panel
(the latest one when the panel opens, or one started in a terminal) is followed with `--follow RUN`. These print
the run's metrics, log lines and state as JSON lines; the training process itself is detached, so closing the
window never stops it.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QPlainTextEdit, QProgressBar,
                               QPushButton, QSizePolicy, QSplitter, QVBoxLayout, QWidget)

from copilot.gui.cli_runner import JobResult
from copilot.gui.panels.training.session import FROZEN, FROZEN_HELP, TrainingSession, configs_dir, label, runs_dir
from copilot.gui.theme import current_theme
from copilot.gui.panels.training.watch import RunMetrics, format_duration
from copilot.gui.widgets.charts import LineChart
from copilot.progress import EventKind, ProgressEvent
from copilot.training.run_state import RunState

JOB = "run"  # the one job attached to the shown run: train --config / --resume / --follow
STOP_JOB = "stop"
STOPPABLE = (RunState.LAUNCHED, RunState.STARTING, RunState.RUNNING)
LOG_LINES = 2000
REDRAW_MS = 100  # metrics arriving in a burst (a replayed run) redraw the charts once


class RunSection(QGroupBox):
    stretch = 1

    def __init__(self, session: TrainingSession, parent=None):
        super().__init__("3 · Train", parent)
        self.session = session
        self.metrics = RunMetrics()
        self.max_steps = 100
        self.max_seconds = 0.0  # the run's time budget (max_minutes), 0 for none
        self.pid: int | None = None
        self.caught_up = False  # the followed run's existing metrics and log have arrived
        self._message = ""
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_MS)
        self._redraw.timeout.connect(self._show_metrics)
        self._build()
        session.log.connect(self.append_log)
        session.busy_changed.connect(self._update_buttons)
        session.dataset_changed.connect(lambda _m: self._update_buttons())
        session.state_changed.connect(lambda _s: self._update_buttons())

    def _build(self) -> None:
        rv = QVBoxLayout(self)
        controls = QHBoxLayout()
        self.start_btn = QPushButton("Start")
        self.stop_btn = QPushButton("Stop")
        self.resume_btn = QPushButton("Resume")
        self.open_run_btn = QPushButton("Open run…")
        self.start_btn.setToolTip("start a new run in a new run folder")
        self.stop_btn.setToolTip("ask the run to stop: it saves a checkpoint after the current step")
        self.resume_btn.setToolTip("continue the run from its last checkpoint")
        self.start_btn.clicked.connect(lambda: self.start())
        self.stop_btn.clicked.connect(self.stop)
        self.resume_btn.clicked.connect(self.resume)
        self.open_run_btn.clicked.connect(self._choose_run)
        for b in (self.start_btn, self.stop_btn, self.resume_btn):
            controls.addWidget(b)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("no run")
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.open_run_btn)
        rv.addLayout(controls)
        stats = QGridLayout()
        self.state_label = label("No run yet.", None)
        self.speed_label = label("", "muted", wrap=False)
        self.state_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        stats.addWidget(self.state_label, 0, 0)
        stats.addWidget(self.speed_label, 0, 1, Qt.AlignRight)
        stats.setColumnStretch(0, 1)
        rv.addLayout(stats)

        split = QSplitter(Qt.Vertical)
        split.setChildrenCollapsible(False)
        charts = QWidget()
        charts.setMinimumHeight(110)
        cl = QHBoxLayout(charts)
        cl.setContentsMargins(0, 0, 0, 0)
        self.loss_chart = LineChart(title="Training loss")
        self.val_chart = LineChart(title="Validation pick accuracy (top-1)")
        cl.addWidget(self.loss_chart, 3)
        cl.addWidget(self.val_chart, 2)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.log_view.setPlaceholderText("The commands this panel runs and the run's log (train.log) appear here.")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.TypeWriter)
        mono.setPointSize(max(8, self.font().pointSize() - 1))
        self.log_view.setFont(mono)
        self.log_view.setMinimumHeight(60)
        split.addWidget(charts)
        split.addWidget(self.log_view)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        rv.addWidget(split, 1)

    def append_log(self, text: str) -> None:
        for line in text.splitlines():
            if "\r" in line:
                line = line.rsplit("\r", 1)[-1]  # progress bars redraw with \r: keep the final state
            self.log_view.appendPlainText(line)

    # ----- actions -----
    def start(self, run_dir: str | Path | None = None, **overrides) -> Path | None:
        """Write the run's config, then `copilot train --config FILE --out RUN`. Returns the run folder."""
        s = self.session
        if FROZEN:
            self.state_label.setText(FROZEN_HELP)
            return None
        if s.dataset_dir is None:
            self.state_label.setText("Build or open a dataset first.")
            return None
        if s.active:
            return None
        try:
            cfg = s.config(dataset=str(s.dataset_dir), **overrides)
        except (KeyError, ValueError) as exc:  # ConfigError is a ValueError
            self.state_label.setText(f"Cannot start: {exc.args[0] if exc.args else exc}")
            return None
        run = Path(run_dir) if run_dir is not None else runs_dir() / f"{cfg.preset}-{time.strftime('%Y%m%d-%H%M%S')}"
        config_file = cfg.save(configs_dir() / f"{run.name}.json")
        self._attach(run, cfg.max_steps)
        self._run_job(["train", "--config", str(config_file), "--out", str(run)])
        return run

    def resume(self) -> None:
        s = self.session
        if s.run_dir is None or s.active or FROZEN:
            return
        self._attach(s.run_dir, self.max_steps)
        self._run_job(["train", "--resume", str(s.run_dir)])

    def stop(self) -> None:
        s = self.session
        if not self.can_stop():
            return

        def finished(res: JobResult) -> None:
            if not res.ok and not res.killed:
                self.state_label.setText(f"Stop failed: {res.error}")

        s.start_job(STOP_JOB, ["train", "--stop", str(s.run_dir)], self._on_event, finished)
        self._set_state(RunState.STOPPING)

    def _choose_run(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a run folder", str(runs_dir()))
        if path:
            self.open_run(Path(path))

    def open_run(self, run_dir: Path) -> None:
        """Show a run (chart, log, state) with `copilot train --follow`; a running one is followed to its end."""
        self._attach(Path(run_dir), None)
        self._set_state(None)
        self._run_job(["train", "--follow", str(run_dir)], starting=False)

    def _run_job(self, args: list[str], starting: bool = True) -> None:
        self.session.runner.kill(JOB)  # following another run: the training process itself runs on
        if starting:
            self._set_state(RunState.LAUNCHED)
        self.session.start_job(JOB, args, self._on_event, self._job_finished)

    def _attach(self, run: Path, max_steps: int | None) -> None:
        """Show `run` from scratch: its events replay everything it holds."""
        self.session.runner.kill(JOB)
        self.metrics.reset()
        self.loss_chart.clear()
        self.val_chart.clear()
        self.speed_label.setText("")
        self.log_view.clear()
        self.caught_up = False
        self.pid = None
        self._message = ""
        self._set_max_steps(max_steps or 100)
        self.max_seconds = 0.0  # until the run's config arrives (STARTED)
        self.session.set_run(run)

    def _set_max_steps(self, n: int) -> None:
        self.max_steps = int(n)
        self.progress.setRange(0, self.max_steps)
        self.progress.setFormat("step %v / %m")
        self.loss_chart.set_x_range(0, self.max_steps)
        self.val_chart.set_x_range(0, self.max_steps)

    # ----- events of the run job -----
    def _on_event(self, ev: ProgressEvent) -> None:
        d = ev.data
        if ev.kind is EventKind.METRICS:
            self.metrics.add_record(d)
            if not self._redraw.isActive():
                self._redraw.start()
        elif ev.kind is EventKind.RESET:
            self.metrics.reset()
            self._redraw.start()
        elif ev.kind is EventKind.LOG:
            self.append_log(ev.message)
        elif ev.kind is EventKind.STARTED:
            self._started(d)
        elif ev.kind in (EventKind.STATE, EventKind.RESULT):
            self.caught_up = True
            if isinstance(d.get("max_steps"), int) and d["max_steps"] != self.max_steps:
                self._set_max_steps(d["max_steps"])
            self._message = d.get("message") or ""
            state = RunState.of(d.get("state"))
            if not (self.session.state is RunState.STOPPING and state in STOPPABLE):
                self._set_state(state)

    def _started(self, d: dict) -> None:
        cfg = d.get("config") or {}
        if isinstance(cfg.get("max_steps"), int):
            self._set_max_steps(cfg["max_steps"])
        minutes = cfg.get("max_minutes")
        self.max_seconds = 60.0 * minutes if isinstance(minutes, (int, float)) and minutes > 0 else 0.0
        s = self.session
        if cfg.get("preset") and cfg.get("base_model"):
            s.set_choice(preset=cfg["preset"], base_model=cfg["base_model"],
                         max_steps=int(cfg.get("max_steps") or s.choice.max_steps),
                         finetune=str(cfg.get("finetune") or "lora"))
        ds = Path(cfg["dataset"]) if cfg.get("dataset") else None
        if s.dataset_dir is None and ds is not None and (ds / "manifest.json").is_file():
            s.load_dataset(ds)
        self.pid = d.get("pid")
        self._update_buttons()  # Stop works once the process exists

    def _job_finished(self, res: JobResult) -> None:
        if res.killed:
            return
        self._redraw.stop()
        self._show_metrics()
        if res.result is None:  # refused before the run started (bad config, no CUDA, ...) or crashed
            run = self.session.run_dir
            self._message = res.error or ""
            started = run is not None and (run / "config.json").is_file()
            self._set_state(RunState.FAILED if started else None)
            self.state_label.setText(f"Could not run the training: {res.error}")

    # ----- showing -----
    def _show_metrics(self) -> None:
        theme = current_theme()
        self.loss_chart.set_series("loss", self.metrics.loss_points(), theme.accent)
        self.val_chart.set_series("top-1", self.metrics.val_points(), "#3c9a5f")
        last = self.metrics.last()
        self.progress.setValue(min(int(last.get("step", 0)) if last else 0, self.max_steps))
        if not last:
            self.speed_label.setText("")
            return
        parts = [f"loss {last['loss']:.4f}" if isinstance(last.get("loss"), (int, float)) else "",
                 f"{last.get('tokens_per_s', 0):,.0f} tokens/s", f"{last.get('step_time_s', 0):.2f} s/step"]
        if self.session.active:
            parts.append(f"ETA {format_duration(self.metrics.eta_s(self.max_steps, self.max_seconds))}")
        if isinstance(last.get("val_top1"), (int, float)):
            parts.append(f"val top-1 {last['val_top1'] * 100:.1f}%")
        self.speed_label.setText(" · ".join(p for p in parts if p))

    def step(self) -> int:
        last = self.metrics.last()
        return int(last["step"]) if last else 0

    def _set_state(self, state: RunState | None) -> None:
        s = self.session
        name = s.run_dir.name if s.run_dir else ""
        texts = {
            None: f"Run {name}: not started." if name else "No run yet.",
            RunState.LAUNCHED: f"Run {name}: starting the training process…",
            RunState.STARTING: f"Run {name}: loading the base model and the dataset…",
            RunState.RUNNING: f"Run {name}: training… (the process runs on its own; closing this window does not "
                              f"stop it)",
            RunState.STOPPING: f"Run {name}: stop requested; the run saves a checkpoint after the current step…",
            RunState.STOPPED: f"Run {name}: stopped at step {self.step()} with a checkpoint. Resume continues "
                              f"from it.",
            RunState.DONE: f"Run {name}: finished ({self.step()} steps). Evaluate & export it below."
                           + (" Full fine-tuning: the whole model is in model/." if s.choice.finetune == "full"
                              else ""),
            RunState.FAILED: f"Run {name}: ended without finishing"
                             + (f" ({self._message})" if self._message else "")
                             + "; Resume continues from the last checkpoint.",
        }
        self.state_label.setText(texts[state])
        changed = state is not s.state
        if changed:
            s.set_state(state)
        if self.metrics.records:
            self._show_metrics()  # the ETA goes once the run is no longer running

    def can_stop(self) -> bool:
        """A running run, or one whose process exists and is still starting (the loop stops after its first
        step); not before `copilot train` has launched it (it would clear the STOP file)."""
        s = self.session
        started = s.state in (RunState.STARTING, RunState.RUNNING) or (s.state is RunState.LAUNCHED and self.pid)
        return bool(s.run_dir is not None and started and not s.busy(STOP_JOB))

    def _update_buttons(self) -> None:
        s = self.session
        self.start_btn.setEnabled(s.dataset_dir is not None and not s.active and not FROZEN)
        self.stop_btn.setEnabled(self.can_stop())
        self.resume_btn.setEnabled(s.run_dir is not None and s.state in (RunState.STOPPED, RunState.FAILED)
                                   and not FROZEN)
