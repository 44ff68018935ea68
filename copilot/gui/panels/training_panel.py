"""Training panel: the one-click fine-tune.

17lands file (dialog or drag-and-drop) -> dataset build (its own process) -> base model + preset with the memory
estimate against the detected GPU -> Start / Stop / Resume of the training process (copilot.training.runner; Stop
writes the STOP file) -> live loss / validation-accuracy charts, tokens/s, ETA and the run's log, followed by a
QTimer that reads only the new bytes of `metrics.jsonl` and `train.log` -> Evaluate & export to GGUF (its own
process), ending with the new model registered and active in the model store.

Nothing slow runs on the UI thread: every job that imports torch or reads a big file is a separate process.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QSizePolicy, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from copilot.gui.theme import current_theme
from copilot.gui.training_watch import (RunMetrics, TailReader, dataset_summary, format_duration, latest_run)
from copilot.gui.widgets.charts import LineChart
from copilot.gui.widgets.labels import role_label

PICK_SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".gz")
POLL_MS = 250
LOG_LINES = 2000
FROZEN = bool(getattr(sys, "frozen", False))  # the desktop bundle ships without torch: no training there
FROZEN_HELP = ("This desktop bundle does not include the training stack (torch, transformers, peft). Install "
               "the full app with `pip install \"magic-copilot[all]\"` and run `copilot gui` to fine-tune; "
               "datasets can be built here.")


def _label(text: str = "", role: str | None = None, wrap: bool = True) -> QLabel:
    """Training texts wrap and can be selected (paths, messages to copy)."""
    return role_label(text, role, wrap=wrap, selectable=True)


def runs_dir() -> Path:
    from copilot.paths import user_data_dir

    return user_data_dir() / "runs"


def datasets_dir() -> Path:
    from copilot.paths import user_data_dir

    return user_data_dir() / "datasets"


def _is_picks_file(path: str) -> bool:
    return any(path.lower().endswith(s) for s in PICK_SUFFIXES)


class TrainingPanel(QWidget):
    dataset_ready = Signal(object)  # manifest dict
    run_state_changed = Signal(str)  # idle | running | stopping | stopped | done | failed
    model_exported = Signal(object)  # RESULT dict of the export job

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.dataset_dir: Path | None = None
        self.dataset_manifest: dict | None = None
        self.run_dir: Path | None = None
        self.proc = None  # subprocess.Popen of the training process (launched here)
        self.state = "idle"
        self.metrics = RunMetrics()
        self._metrics_tail: TailReader | None = None
        self._log_tail: TailReader | None = None
        self._gpu: object = None
        self._gpu_known = False
        self._jobs: dict[str, QProcess] = {}
        self._build()
        self.setAcceptDrops(True)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._detect_gpu()
        self._update_estimate()
        last = latest_run(runs_dir())
        if last is not None:
            self.open_run(last)
        self._update_buttons()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 12)
        head = QHBoxLayout()
        title = _label("Training", "title", wrap=False)
        sub = _label("Fine-tune a pick model on 17lands drafts: build a dataset, train a LoRA adapter, export it to "
                     "GGUF for the live panel. Drop a 17lands file anywhere on this panel.", "muted")
        head.addWidget(title)
        head.addWidget(sub, 1)
        root.addLayout(head)

        top = QHBoxLayout()
        # 1 · data
        data_box = QGroupBox("1 · Dataset")
        dv = QVBoxLayout(data_box)
        row = QHBoxLayout()
        self.picks_edit = QLineEdit()
        self.picks_edit.setPlaceholderText("17lands draft_data CSV(.gz) or picks JSONL(.gz)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._choose_picks)
        row.addWidget(self.picks_edit, 1)
        row.addWidget(browse)
        dv.addLayout(row)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Drafts"))
        self.max_drafts = QSpinBox()
        self.max_drafts.setRange(0, 10_000_000)
        self.max_drafts.setSpecialValueText("all")
        self.max_drafts.setToolTip("use only the first N drafts of the file (0 = all)")
        self.max_drafts.setValue(0)
        row2.addWidget(self.max_drafts)
        self.build_btn = QPushButton("Build dataset")
        self.build_btn.clicked.connect(lambda: self.build_dataset())
        open_ds = QPushButton("Open dataset…")
        open_ds.clicked.connect(self._choose_dataset)
        row2.addStretch(1)
        row2.addWidget(open_ds)
        row2.addWidget(self.build_btn)
        dv.addLayout(row2)
        self.dataset_label = _label("No dataset yet.", "muted")
        dv.addWidget(self.dataset_label)
        dv.addStretch(1)
        top.addWidget(data_box, 1)

        # 2 · model and preset
        model_box = QGroupBox("2 · Base model and preset")
        mf = QFormLayout(model_box)
        from copilot.training.base_models import CATALOG
        from copilot.training.presets import PRESETS

        self.base_combo = QComboBox()
        for name, spec in CATALOG.items():
            self.base_combo.addItem(spec.display, name)
        self.preset_combo = QComboBox()
        for name, p in PRESETS.items():
            if name.endswith("+"):
                continue  # alias
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, p.description, Qt.ToolTipRole)
        self.steps = QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setToolTip("optimizer steps (from the preset; change to shorten or lengthen the run)")
        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        self.base_combo.currentIndexChanged.connect(lambda _=0: self._update_estimate())
        self.steps.valueChanged.connect(lambda _=0: self._update_estimate())
        mf.addRow("Preset", self.preset_combo)
        mf.addRow("Base model", self.base_combo)
        mf.addRow("Steps", self.steps)
        self.device_label = _label("Looking for a CUDA GPU…", "muted")
        mf.addRow(self.device_label)
        top.addWidget(model_box, 1)
        root.addLayout(top)

        # 3 · run
        run_box = QGroupBox("3 · Train")
        rv = QVBoxLayout(run_box)
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
        self.state_label = _label("No run yet.", None)
        self.speed_label = _label("", "muted", wrap=False)
        self.state_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        stats.addWidget(self.state_label, 0, 0)
        stats.addWidget(self.speed_label, 0, 1, Qt.AlignRight)
        stats.setColumnStretch(0, 1)
        rv.addLayout(stats)

        split = QSplitter(Qt.Vertical)
        split.setChildrenCollapsible(False)
        charts = QWidget()
        charts.setMinimumHeight(190)
        cl = QHBoxLayout(charts)
        cl.setContentsMargins(0, 0, 0, 0)
        self.loss_chart = LineChart(title="Training loss")
        self.val_chart = LineChart(title="Validation pick accuracy (top-1)")
        cl.addWidget(self.loss_chart, 3)
        cl.addWidget(self.val_chart, 2)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.log_view.setPlaceholderText("The run's log (train.log in the run folder) appears here.")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.TypeWriter)
        mono.setPointSize(max(8, self.font().pointSize() - 1))
        self.log_view.setFont(mono)
        self.log_view.setMinimumHeight(80)
        split.addWidget(charts)
        split.addWidget(self.log_view)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        rv.addWidget(split, 1)
        root.addWidget(run_box, 1)

        # 4 · evaluate and export
        exp_box = QFrame()
        exp_box.setProperty("role", "banner")
        ev = QHBoxLayout(exp_box)
        ev.addWidget(QLabel("4 · Evaluate & export:"))
        self.quant_combo = QComboBox()
        self.quant_combo.addItems(["Q8_0", "Q4_K_M", "F16"])
        self.quant_combo.setToolTip("GGUF quantization of the exported model")
        self.eval_picks = QSpinBox()
        self.eval_picks.setRange(0, 100_000)
        self.eval_picks.setValue(40)
        self.eval_picks.setPrefix("eval on ")
        self.eval_picks.setSuffix(" val picks")
        self.export_btn = QPushButton("Evaluate && export to GGUF")
        self.export_btn.clicked.connect(self.export)
        self.export_label = _label("", "muted")
        self.export_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        ev.addWidget(self.quant_combo)
        ev.addWidget(self.eval_picks)
        ev.addWidget(self.export_btn)
        ev.addWidget(self.export_label, 1)
        root.addWidget(exp_box)
        self._preset_changed()

    # ------------------------------------------------------------------ small helpers
    def _append_log(self, text: str) -> None:
        for line in text.splitlines():
            if "\r" in line:
                line = line.rsplit("\r", 1)[-1]  # progress bars redraw with \r: keep the final state
            self.log_view.appendPlainText(line)

    def _start_job(self, key: str, args: list[str], on_line, on_finished) -> QProcess:
        """A Python child process with its merged output delivered line by line on the UI thread."""
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.MergedChannels)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        proc.setProcessEnvironment(env)
        buf = bytearray()

        def ready():
            buf.extend(bytes(proc.readAllStandardOutput()))
            *lines, rest = bytes(buf).split(b"\n")
            buf[:] = rest
            for ln in lines:
                on_line(ln.decode("utf-8", "replace").rstrip("\r"))

        def finished(code, _status=None):
            ready()
            if buf:
                on_line(bytes(buf).decode("utf-8", "replace"))
                buf.clear()
            self._jobs.pop(key, None)
            on_finished(code)
            proc.deleteLater()

        proc.readyReadStandardOutput.connect(ready)
        proc.finished.connect(finished)
        proc.errorOccurred.connect(lambda err: on_line(f"error: could not run {args[:3]}: {err}")
                                   if err == QProcess.FailedToStart else None)
        self._jobs[key] = proc
        proc.start(sys.executable, args)
        return proc

    def busy(self) -> bool:
        return bool(self._jobs)

    # ------------------------------------------------------------------ GPU and estimate
    def _detect_gpu(self) -> None:
        out: list[str] = []
        if FROZEN:
            self._gpu_known = True
            return

        def done(_code):
            info = None
            for line in out:
                try:
                    info = json.loads(line)
                    break
                except json.JSONDecodeError:
                    continue
            from copilot.training.presets import GPUInfo

            g = (info or {}).get("gpu")
            self._gpu = GPUInfo(**g) if g else None
            self._gpu_known = True
            if g is None and self.preset_combo.currentData() not in ("smoke", "cpu-small"):
                self.preset_combo.setCurrentIndex(self.preset_combo.findData("cpu-small"))
            self._update_estimate()

        self._start_job("gpu", ["-m", "copilot.gui.training_job", "gpu"], out.append, done)

    def _preset_changed(self, _=0) -> None:
        from copilot.training.presets import get_preset

        p = get_preset(self.preset_combo.currentData())
        i = self.base_combo.findData(p.overrides.get("base_model"))
        if i >= 0:
            self.base_combo.blockSignals(True)
            self.base_combo.setCurrentIndex(i)
            self.base_combo.blockSignals(False)
        self.steps.blockSignals(True)
        self.steps.setValue(int(p.overrides.get("max_steps", 100)))
        self.steps.blockSignals(False)
        self._update_estimate()

    def config(self, dataset: str | None = None):
        from copilot.training.presets import config_from_preset

        return config_from_preset(self.preset_combo.currentData(), base_model=self.base_combo.currentData(),
                                  max_steps=self.steps.value(),
                                  dataset=dataset or str(self.dataset_dir or "(dataset)"))

    def _update_estimate(self) -> None:
        from copilot.training.base_models import CATALOG
        from copilot.training.presets import device_message

        try:
            cfg = self.config()
        except Exception as exc:  # noqa: BLE001 - shown, never raised
            self.device_label.setText(str(exc))
            return
        spec = CATALOG[cfg.base_model]
        gpu = self._gpu if self._gpu_known else None
        msg = device_message(cfg, spec, gpu)
        role = "muted"
        if not self._gpu_known:
            msg = "Looking for a CUDA GPU… " + msg.split(": ", 1)[-1]
        elif gpu is None and cfg.device == "cuda":
            msg = ("No CUDA GPU found: this preset needs one (QLoRA on CUDA). Choose 'cpu-small' to train "
                   "SmolLM2-135M on the CPU instead, or 'smoke' for a one-minute check. " + msg)
            role = "warning"
        elif gpu is None:
            msg = msg[0].upper() + msg[1:] + "."
        elif "DOES NOT FIT" in msg:
            role = "warning"
        if FROZEN:
            msg, role = FROZEN_HELP, "warning"
        self.device_label.setText(msg)
        self.device_label.setProperty("role", role)
        self.device_label.style().unpolish(self.device_label)
        self.device_label.style().polish(self.device_label)

    # ------------------------------------------------------------------ dataset
    def _choose_picks(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a 17lands file", self.picks_edit.text(),
                                              "17lands picks (*.csv *.csv.gz *.jsonl *.jsonl.gz *.gz);;All files (*)")
        if path:
            self.picks_edit.setText(path)
            self.build_dataset()

    def _choose_dataset(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a dataset folder", str(datasets_dir()))
        if path:
            self.load_dataset(Path(path))

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and _is_picks_file(u.toLocalFile()) for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        for u in event.mimeData().urls():
            if u.isLocalFile() and _is_picks_file(u.toLocalFile()):
                self.picks_edit.setText(u.toLocalFile())
                event.acceptProposedAction()
                self.build_dataset()
                return

    def build_dataset(self, picks: str | Path | None = None, out: str | Path | None = None,
                      max_drafts: int | None = None) -> None:
        """Run `copilot dataset build` as a child process; the summary shows when it ends."""
        if picks is not None:
            self.picks_edit.setText(str(picks))
        if max_drafts is not None:
            self.max_drafts.setValue(max_drafts)
        src = Path(self.picks_edit.text().strip()).expanduser()
        if not src.is_file():
            self._dataset_error(f"No such file: {src}" if str(src) != "." else "Choose a 17lands file first.")
            return
        if "dataset" in self._jobs:
            return
        stem = src.name.split(".")[0] if not src.name.startswith("draft_data") else ".".join(src.name.split(".")[1:3])
        out = Path(out) if out else datasets_dir() / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        args = ["-m", "copilot.cli", "dataset", "build", "--picks", str(src), "--out", str(out), "--force"]
        n = self.max_drafts.value()
        if n:
            args += ["--max-drafts", str(n)]
            if n < 40:  # a 10 % split of a few drafts would leave no validation draft
                args += ["--val-drafts", str(max(1, n // 5))]
        self.dataset_label.setProperty("role", "muted")
        self.dataset_label.setText(f"Building a dataset from {src.name}…")
        self._append_log(f"$ copilot dataset build --picks {src} --out {out}" + (f" --max-drafts {n}" if n else ""))
        lines: list[str] = []

        def on_line(line: str) -> None:
            lines.append(line)
            if line.strip().startswith(tuple("0123456789")) and "rows" in line:
                self.dataset_label.setText(f"Building a dataset from {src.name}… {line.strip()}")
            self._append_log(line)

        def finished(code: int) -> None:
            if code == 0 and (out / "manifest.json").is_file():
                self.load_dataset(out)
            else:
                err = next((ln for ln in reversed(lines) if ln.startswith("error")), f"exit code {code}")
                self._dataset_error(f"Dataset build failed: {err}")
            self._update_buttons()

        self._start_job("dataset", args, on_line, finished)
        self._update_buttons()

    def _dataset_error(self, text: str) -> None:
        self.dataset_label.setText(text)
        self.dataset_label.setProperty("role", "error")
        self.dataset_label.style().unpolish(self.dataset_label)
        self.dataset_label.style().polish(self.dataset_label)

    def load_dataset(self, folder: Path) -> None:
        try:
            manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            self._dataset_error(f"{folder} is not a dataset folder: {exc}")
            return
        self.dataset_dir = Path(folder)
        self.dataset_manifest = manifest
        self.dataset_label.setProperty("role", None)
        self.dataset_label.style().unpolish(self.dataset_label)
        self.dataset_label.style().polish(self.dataset_label)
        self.dataset_label.setText(f"{dataset_summary(manifest)}\n{folder}")
        self._update_estimate()
        self._update_buttons()
        self.dataset_ready.emit(manifest)

    # ------------------------------------------------------------------ run control
    def start(self, run_dir: str | Path | None = None, **overrides) -> Path | None:
        """A new run folder with the chosen preset, then the training process. Returns the run folder."""
        if FROZEN:
            self.state_label.setText(FROZEN_HELP)
            return None
        if self.dataset_dir is None:
            self.state_label.setText("Build or open a dataset first.")
            return None
        try:
            cfg = self.config(dataset=str(self.dataset_dir))
            if overrides:
                cfg = cfg.replace(**overrides)
        except Exception as exc:  # noqa: BLE001
            self.state_label.setText(f"Cannot start: {exc}")
            return None
        if run_dir is None:
            run_dir = runs_dir() / f"{cfg.preset}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = Path(run_dir)
        cfg.save(run_dir)
        self._watch(run_dir)
        self._launch()
        return run_dir

    def resume(self) -> None:
        if self.run_dir is None or self.state in ("running", "stopping"):
            return
        self._launch()

    def _launch(self) -> None:
        from copilot.training import runner

        try:
            self.proc = runner.launch(self.run_dir)
        except Exception as exc:  # noqa: BLE001 - e.g. already running in another window
            self.state_label.setText(f"Cannot launch: {exc}")
            return
        self._set_state("running")
        self.timer.start()

    def stop(self) -> None:
        from copilot.training import runner

        if self.run_dir is None or self.state not in ("running",):
            return
        runner.request_stop(self.run_dir)
        self._set_state("stopping")

    def _choose_run(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a run folder", str(runs_dir()))
        if path:
            self.open_run(Path(path))

    def open_run(self, run_dir: Path) -> None:
        """Show an existing run (its chart, log and state); Resume continues it."""
        from copilot.training import runner
        from copilot.training.trainer import read_status

        self._watch(Path(run_dir))
        st = read_status(self.run_dir)
        state = st.get("state", "idle")
        if runner.is_running(self.run_dir):
            state = "running"  # started elsewhere (CLI or an earlier window): follow it
        elif state in ("running", "starting", "launched"):
            state = "failed"
        self._set_state({"done": "done", "stopped": "stopped", "failed": "failed",
                         "running": "running"}.get(state, "idle"))
        try:
            cfg = json.loads((self.run_dir / "config.json").read_text())
            ds = Path(cfg["dataset"])
            if self.dataset_dir is None and (ds / "manifest.json").is_file():
                self.load_dataset(ds)
            i = self.preset_combo.findData(cfg.get("preset"))
            if i >= 0:
                self.preset_combo.setCurrentIndex(i)
            i = self.base_combo.findData(cfg.get("base_model"))
            if i >= 0:
                self.base_combo.setCurrentIndex(i)
            self.steps.setValue(int(cfg.get("max_steps", self.steps.value())))
        except (OSError, KeyError, ValueError, json.JSONDecodeError):
            pass
        self.poll()
        if state == "running":
            self.timer.start()

    def _watch(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.metrics.reset()
        self.loss_chart.clear()
        self.val_chart.clear()
        self.log_view.clear()
        self._metrics_tail = TailReader(run_dir / "metrics.jsonl")
        self._log_tail = TailReader(run_dir / "train.log")
        self._max_steps = self._read_max_steps()
        self.progress.setRange(0, self._max_steps)
        self.progress.setValue(0)
        self.progress.setFormat("step %v / %m")
        self.loss_chart.set_x_range(0, self._max_steps)
        self.val_chart.set_x_range(0, self._max_steps)

    def _read_max_steps(self) -> int:
        try:
            return int(json.loads((self.run_dir / "config.json").read_text())["max_steps"])
        except (OSError, KeyError, ValueError):
            return 100

    # ------------------------------------------------------------------ following the run
    def poll(self) -> None:
        """Timer tick: new metric lines and log bytes, and whether the process has ended."""
        if self.run_dir is None:
            return
        reset, lines = self._metrics_tail.read_new()
        if reset:
            self.metrics.reset()
        if self.metrics.add_lines(lines) or reset:
            self._show_metrics()
        _, log_lines = self._log_tail.read_new()
        if log_lines:
            self._append_log("\n".join(log_lines))
        if self.state in ("running", "stopping") and not self._process_alive():
            self._finished()

    def _process_alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        from copilot.training import runner

        return runner.is_running(self.run_dir)

    def _finished(self) -> None:
        from copilot.training.trainer import read_status

        self.poll_once_more()
        st = read_status(self.run_dir)
        code = self.proc.returncode if self.proc is not None else None
        self.proc = None
        self.timer.stop()
        state = st.get("state")
        if state == "done":
            self._set_state("done")
        elif state == "stopped":
            self._set_state("stopped")
        else:
            self._set_state("failed")
            self.state_label.setText(f"The training process ended (exit {code}): "
                                     f"{st.get('message') or 'see the log'}")

    def poll_once_more(self) -> None:
        _, lines = self._metrics_tail.read_new()
        if self.metrics.add_lines(lines):
            self._show_metrics()
        _, log_lines = self._log_tail.read_new()
        if log_lines:
            self._append_log("\n".join(log_lines))

    def _show_metrics(self) -> None:
        theme = current_theme()
        self.loss_chart.set_series("loss", self.metrics.loss_points(), theme.accent)
        self.val_chart.set_series("top-1", self.metrics.val_points(), "#3c9a5f")
        last = self.metrics.last()
        step = int(last.get("step", 0)) if last else 0
        self.progress.setValue(min(step, self._max_steps))
        if last:
            parts = [f"loss {last['loss']:.4f}" if isinstance(last.get("loss"), (int, float)) else "",
                     f"{last.get('tokens_per_s', 0):,.0f} tokens/s",
                     f"{last.get('step_time_s', 0):.2f} s/step"]
            if self.state in ("running", "stopping"):
                parts.append(f"ETA {format_duration(self.metrics.eta_s(self._max_steps))}")
            if isinstance(last.get("val_top1"), (int, float)):
                parts.append(f"val top-1 {last['val_top1'] * 100:.1f}%")
            self.speed_label.setText(" · ".join(p for p in parts if p))

    def _set_state(self, state: str) -> None:
        self.state = state
        name = self.run_dir.name if self.run_dir else ""
        texts = {
            "idle": f"Run {name}: not started." if name else "No run yet.",
            "running": f"Run {name}: training… (the process runs on its own; closing this window does not stop it)",
            "stopping": f"Run {name}: stop requested; the run saves a checkpoint after the current step…",
            "stopped": f"Run {name}: stopped at step {self._step()} with a checkpoint. Resume continues from it.",
            "done": f"Run {name}: finished ({self._step()} steps). Evaluate & export it below.",
            "failed": f"Run {name}: ended without finishing; Resume continues from the last checkpoint.",
        }
        self.state_label.setText(texts.get(state, state))
        if self.metrics.records:
            self._show_metrics()  # the ETA goes once the run is no longer running
        self._update_buttons()
        self.run_state_changed.emit(state)

    def _step(self) -> int:
        last = self.metrics.last()
        if last:
            return int(last["step"])
        from copilot.training.trainer import read_status

        return int(read_status(self.run_dir).get("step", 0)) if self.run_dir else 0

    def _update_buttons(self) -> None:
        running = self.state in ("running", "stopping")
        self.build_btn.setEnabled("dataset" not in self._jobs)
        self.start_btn.setEnabled(self.dataset_dir is not None and not running and not FROZEN)
        self.stop_btn.setEnabled(self.state == "running")
        self.resume_btn.setEnabled(self.run_dir is not None and self.state in ("stopped", "failed"))
        has_adapter = self.run_dir is not None and ((self.run_dir / "adapter").is_dir()
                                                    or (self.run_dir / "checkpoints").is_dir())
        self.export_btn.setEnabled(has_adapter and not running and "export" not in self._jobs and not FROZEN)

    # ------------------------------------------------------------------ evaluate and export
    def export(self) -> None:
        if self.run_dir is None or "export" in self._jobs:
            return
        args = ["-m", "copilot.gui.training_job", "export", str(self.run_dir),
                "--quant", self.quant_combo.currentText(), "--eval-limit", str(self.eval_picks.value())]
        self.export_label.setProperty("role", "muted")
        self.export_label.setText("Merging the adapter, writing GGUF, quantizing…")
        self._append_log(f"$ export {self.run_dir.name} ({self.quant_combo.currentText()})")
        result: dict = {}

        def on_line(line: str) -> None:
            if line.startswith("RESULT "):
                try:
                    result.update(json.loads(line[7:]))
                except json.JSONDecodeError:
                    pass
                return
            self._append_log(line)
            if line.strip() and not line.startswith(" "):
                self.export_label.setText(line.strip()[:160])

        def finished(code: int) -> None:
            if result.get("ok"):
                ev = result.get("eval") or {}
                figure = f", top-1 {ev['top1'] * 100:.1f}% on {ev['n']} val picks" \
                    if isinstance(ev.get("top1"), (int, float)) else ""
                self.export_label.setText(f"Active model: {result['model']}{figure}.")
                self.model_exported.emit(result)
                models = self._models_panel()
                if models is not None:
                    models.refresh()
            else:
                self.export_label.setText(f"Export failed: {result.get('error') or f'exit code {code}'}")
                self.export_label.setProperty("role", "error")
                self.export_label.style().unpolish(self.export_label)
                self.export_label.style().polish(self.export_label)
            self._update_buttons()

        self._start_job("export", args, on_line, finished)
        self._update_buttons()

    def _models_panel(self):
        w = self.window()
        panels = getattr(w, "panels", None)
        return panels.get("models") if isinstance(panels, dict) else None

    def wait_ready(self, timeout_ms: int = 60000) -> None:
        """Block until the short jobs (GPU detection, dataset build) end; for screenshots and tests only."""
        deadline = time.monotonic() + timeout_ms / 1000
        for key in ("gpu", "dataset"):
            proc = self._jobs.get(key)
            if proc is not None:
                proc.waitForFinished(max(1, int((deadline - time.monotonic()) * 1000)))

    # ------------------------------------------------------------------ shutdown
    def shutdown(self) -> None:
        """The training process keeps running (it is detached); jobs of this window end with it."""
        self.timer.stop()
        for proc in list(self._jobs.values()):
            proc.kill()
            proc.waitForFinished(2000)
        self._jobs.clear()
