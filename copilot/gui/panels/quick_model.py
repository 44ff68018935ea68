""""Quick model for this set": a learned pick model (PickNet) trained in minutes on a CPU, used live at once.

A 17lands file (draft_data CSV or picks JSONL; or downloaded here by set code with `copilot data drafts`) or a
dataset folder -> [`copilot dataset build`] -> `copilot train-baseline --register NAME` -> the model is in the model
store and, with "Use it live" ticked, the live panel ranks with the `picknet` engine from its next pick on (the
engine takes the newest stored pick model for the set being drafted). Every step is a `copilot` child process run
through the GUI's one runner (copilot/gui/cli_runner.py, `--json-progress`): torch never loads in the UI process,
and the progress bar follows the trainer's `progress` events.

Mount it with `QuickModelWidget(ctx, parent)`; `ctx` is the app's AppContext (None: no settings are changed). In the
training panel: `("copilot.gui.panels.quick_model:QuickModelWidget",)` in panel.SECTIONS. Signals:
`state_changed(str)` (idle | downloading | building | training | done | failed | stopped) and `model_ready(dict)`
(the trainer's `result`: model, registered, val_top1, val_top3, val_drafts, train_seconds ...).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QSpinBox, QVBoxLayout)

from copilot.gui.cli_runner import CliRunner, JobResult, command_line
from copilot.gui.widgets.labels import role_label
from copilot.progress import EventKind, ProgressEvent

JOB = "quick-model"
BUILD_SHARE = 0.12  # of the progress bar, when a 17lands file must first become a dataset
QUALITY = {"Fast (1 model)": 1, "Best (3 models)": 3}


def quick_dir() -> Path:
    from copilot.paths import user_data_dir

    return user_data_dir() / "quick-models"


def _pct(v) -> str:
    return "-" if v is None else f"{100 * float(v):.1f}%"


def summary_text(done: dict) -> str:
    """The validation figures of a finished run, as the widget shows them."""
    parts = []
    if done.get("val_top1") is not None:
        parts.append(f"Validation on {done.get('val_drafts', '?')} held-out drafts ({done.get('val_decisions', 0):,} "
                     f"picks): top-1 {_pct(done['val_top1'])}, top-3 {_pct(done.get('val_top3'))} "
                     f"(random {_pct(done.get('val_random_top1'))} / {_pct(done.get('val_random_top3'))})")
    secs = float(done.get("train_seconds") or 0)
    parts.append(f"trained in {int(secs // 60)} min {int(secs % 60)} s on {done.get('train_examples', 0):,} picks")
    if done.get("registered"):
        parts.append(f"registered as {done['registered']}")
    return "; ".join(parts) + "."


class QuickModelWidget(QGroupBox):
    state_changed = Signal(str)
    model_ready = Signal(object)

    def __init__(self, ctx=None, parent=None):
        super().__init__("Quick model for this set", parent)
        self.ctx = ctx
        self.state = "idle"
        self.result: dict | None = None
        self.lines: list[str] = []  # the jobs' command lines and log lines (for a log view or a failed test)
        self.runner = CliRunner(self)
        self._build_share = 0.0
        self._name: str | None = None
        self._build()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.addWidget(role_label("A small neural pick model (no LLM) trained on this set's 17lands drafts in a few "
                                 "minutes on the CPU; the live panel can use it as soon as it is done.", "muted",
                                 wrap=True))
        row = QHBoxLayout()
        self.source = QLineEdit()
        self.source.setPlaceholderText("17lands draft_data CSV(.gz), picks JSONL(.gz) or a dataset folder")
        pick_file = QPushButton("File…")
        pick_file.clicked.connect(self._choose_file)
        pick_dir = QPushButton("Dataset…")
        pick_dir.clicked.connect(self._choose_dataset)
        self.set_edit = QLineEdit()
        self.set_edit.setPlaceholderText("set, e.g. DSK")
        self.set_edit.setMaximumWidth(110)
        self.download_btn = QPushButton("Download")
        self.download_btn.setToolTip("get the set's public 17lands draft file (copilot data drafts --set SET)")
        self.download_btn.clicked.connect(lambda: self.download())
        for w, stretch in ((self.source, 1), (pick_file, 0), (pick_dir, 0), (self.set_edit, 0),
                           (self.download_btn, 0)):
            row.addWidget(w, stretch)
        lay.addLayout(row)
        opts = QHBoxLayout()
        opts.addWidget(QLabel("Quality"))
        self.quality = QComboBox()
        self.quality.addItems(list(QUALITY))
        self.quality.setToolTip("Best trains three models with different seeds and averages them (3x the time)")
        opts.addWidget(self.quality)
        opts.addWidget(QLabel("Epochs"))
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 50)
        self.epochs.setValue(6)
        opts.addWidget(self.epochs)
        self.use_live = QCheckBox("Use it live when done")
        self.use_live.setChecked(True)
        self.use_live.setToolTip("sets the pick engine to picknet, which ranks with the newest stored model of "
                                 "the set being drafted")
        opts.addWidget(self.use_live)
        opts.addStretch(1)
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(lambda: self.start())
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.clicked.connect(self.stop)
        self.stop_btn.setEnabled(False)
        opts.addWidget(self.train_btn)
        opts.addWidget(self.stop_btn)
        lay.addLayout(opts)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        lay.addWidget(self.progress)
        self.status = role_label("Choose a 17lands file or a dataset folder (or download the set's file), then "
                                 "Train.", "muted", wrap=True, selectable=True)
        lay.addWidget(self.status)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "17lands draft data", "",
                                              "17lands picks (*.csv *.csv.gz *.jsonl *.jsonl.gz *.gz)")
        if path:
            self.source.setText(path)

    def _choose_dataset(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Dataset folder (copilot dataset build)")
        if path:
            self.source.setText(path)

    def set_source(self, path: str | Path) -> None:
        """Preset the file or dataset folder (e.g. the training panel's current dataset)."""
        self.source.setText(str(path))

    # ------------------------------------------------------------------ state
    def _set_state(self, state: str, text: str | None = None, role: str = "muted") -> None:
        self.state = state
        running = state in ("downloading", "building", "training")
        self.train_btn.setEnabled(not running)
        self.download_btn.setEnabled(not running)
        self.stop_btn.setEnabled(running)
        if text is not None:
            self.status.setText(text)
            self.status.setProperty("role", role)
            self.status.style().unpolish(self.status)
            self.status.style().polish(self.status)
        self.state_changed.emit(state)

    def _set_fraction(self, fraction: float) -> None:
        self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))

    def busy(self) -> bool:
        return self.runner.busy(JOB)

    def _run(self, args: list[str], on_event, on_finished) -> None:
        self.lines.append(f"$ {command_line(args)}")

        def event(ev: ProgressEvent) -> None:
            if ev.kind is EventKind.LOG:
                self.lines.append(ev.message)
            on_event(ev)

        def finished(res: JobResult) -> None:
            if res.killed or self.state == "stopped":
                return
            on_finished(res)

        self.runner.start(JOB, args, event, finished)

    # ------------------------------------------------------------------ the steps
    def download(self, set_code: str | None = None) -> bool:
        """`copilot data drafts --set SET`: the downloaded file becomes the source to train from."""
        if set_code is not None:
            self.set_edit.setText(set_code)
        code = self.set_edit.text().strip().upper()
        if not code.isalnum():
            self._set_state("failed", "Type the set code (e.g. DSK) to download its 17lands draft file.", "error")
            return False
        if self.busy():
            return False
        self._set_state("downloading", f"Downloading the 17lands draft file of {code}…")

        def on_event(ev: ProgressEvent) -> None:
            if ev.kind is EventKind.PROGRESS and ev.data.get("bytes") is not None:
                done, total = ev.data.get("bytes", 0), ev.data.get("total")
                if total:
                    self._set_fraction(done / total)
                self.status.setText(f"Downloading the 17lands draft file of {code}… {done / 2 ** 20:,.1f} MiB")

        def finished(res: JobResult) -> None:
            path = (res.result or {}).get("path")
            if res.ok and path:
                self.source.setText(path)
                self._set_state("idle", f"Downloaded {Path(path).name}: Train builds a model from it.")
            else:
                self._set_state("failed", f"Download failed: {res.error}", "error")

        self._run(["data", "drafts", "--set", code], on_event, finished)
        return True

    def start(self, source: str | Path | None = None, epochs: int | None = None, ensemble: int | None = None,
              name: str | None = None) -> bool:
        """Train from `source` (default: the text field). False (with the reason shown) when it cannot start."""
        if self.busy():
            return False
        if source is not None:
            self.source.setText(str(source))
        if epochs is not None:
            self.epochs.setValue(epochs)
        if ensemble is not None:
            self.quality.setCurrentIndex(0 if ensemble <= 1 else 1)
        text = self.source.text().strip()
        src = Path(text).expanduser()
        if not text or not src.exists():
            self._set_state("failed", f"No such file or folder: {src}" if text
                            else "Choose a 17lands file or a dataset folder first.", "error")
            return False
        if src.is_dir() and not (src / "manifest.json").is_file():
            self._set_state("failed", f"{src} is not a dataset folder (no manifest.json): choose a 17lands file "
                            "or a folder made by `copilot dataset build`", "error")
            return False
        self.result = None
        self._name = name
        self._set_fraction(0.0)
        if src.is_dir():
            self._build_share = 0.0
            self._train(src)
            return True
        self._build_share = BUILD_SHARE
        out = quick_dir() / "datasets" / f"{src.name.split('.')[0]}-{time.strftime('%Y%m%d-%H%M%S')}"
        self._set_state("building", f"Reading {src.name} into a dataset…")

        def on_event(ev: ProgressEvent) -> None:
            if ev.kind is EventKind.PROGRESS and ev.data.get("rows") is not None:
                self.status.setText(f"Reading {src.name} into a dataset… {ev.data['rows']:,} rows")

        def finished(res: JobResult) -> None:
            folder = Path((res.result or {}).get("folder") or out)
            if not res.ok or not (folder / "manifest.json").is_file():
                self._set_state("failed", f"Could not read the file: {res.error}", "error")
                return
            self._set_fraction(self._build_share)
            self._train(folder)

        self._run(["dataset", "build", "--picks", str(src), "--out", str(out), "--force", "--format", "picks"],
                  on_event, finished)
        return True

    def _train(self, dataset: Path) -> None:
        try:
            manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
            sets = "-".join(manifest.get("set_codes") or ["set"]).lower()
        except (OSError, ValueError):
            sets = "set"
        name = self._name or f"{sets}-quick-{time.strftime('%Y%m%d-%H%M%S')}"
        ensemble = QUALITY[self.quality.currentText()]
        self._set_state("training", f"Training {name} ({ensemble} model{'s' if ensemble > 1 else ''}, "
                                    f"{self.epochs.value()} epochs)…")

        def on_event(ev: ProgressEvent) -> None:
            share = self._build_share
            if ev.data.get("fraction") is not None and ev.kind in (EventKind.PROGRESS, EventKind.METRICS):
                self._set_fraction(share + (1 - share) * float(ev.data["fraction"]))
            if ev.kind is EventKind.METRICS and ev.data.get("val_top1") is not None:
                who = f"model {ev.data['member']}, " if ensemble > 1 else ""
                self.status.setText(f"Training… {who}epoch {ev.data['epoch']}/{self.epochs.value()}: validation "
                                    f"top-1 {_pct(ev.data['val_top1'])}, top-3 {_pct(ev.data.get('val_top3'))}")
            elif ev.kind is EventKind.PROGRESS and ev.data.get("train_picks"):
                self.status.setText(f"Training on {ev.data['train_picks']:,} picks, {ev.data.get('cards', 0)} "
                                    "cards…")

        self._run(["train-baseline", "--dataset", str(dataset), "--out", str(quick_dir() / f"{name}.pt"), "--force",
                   "--epochs", str(self.epochs.value()), "--ensemble", str(ensemble), "--register", name],
                  on_event, self._trained)

    def _trained(self, res: JobResult) -> None:
        if not res.ok or not res.result:
            self._set_state("failed", f"Training failed: {res.error or 'no result'}", "error")
            return
        self.result = res.result
        self._set_fraction(1.0)
        text = summary_text(self.result)
        if self.use_live.isChecked() and self.ctx is not None:
            self.ctx.settings.default_engine = "picknet"
            try:
                self.ctx.settings.save()
            except OSError as exc:
                text += f" (the engine setting could not be saved: {exc})"
            self.ctx.forget_engines()
            text += " Live picks now use it (engine picknet)."
        self._set_state("done", text)
        self.model_ready.emit(self.result)

    def stop(self) -> None:
        if not self.busy():
            return
        self._set_state("stopped", "Stopped: nothing was registered.")
        self.runner.kill(JOB)

    def shutdown(self) -> None:
        """Stop a running job (the window is closing)."""
        self.stop()
        self.runner.shutdown()
