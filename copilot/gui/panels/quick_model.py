""""Quick model for this set": a learned pick model (PickNet) trained in minutes on a CPU, used live at once.

A 17lands file (draft_data CSV or picks JSONL) or a dataset folder -> [`copilot dataset build`] -> `copilot
train-baseline --progress-json --register NAME` -> the model is in the model store and, with "Use it live" ticked,
the live panel ranks with the `picknet` engine from its next pick on (the engine takes the newest stored pick model
for the set being drafted). Both steps are child processes (QProcess): torch never loads in the UI process, and
the progress bar follows the JSON lines the trainer prints.

Mount it with `QuickModelWidget(ctx, parent)`; `ctx` is the app's AppContext (None: no settings are changed).
Signals: `state_changed(str)` (idle | building | training | done | failed | stopped) and `model_ready(dict)` (the
trainer's final "done" object: model, registered, val_top1, val_top3, val_drafts, train_seconds ...).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QSpinBox, QVBoxLayout)

from copilot.gui.widgets.labels import role_label

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
        self.proc: QProcess | None = None
        self.result: dict | None = None
        self._buf = bytearray()
        self._lines: list[str] = []
        self._started = 0.0
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
        row.addWidget(self.source, 1)
        row.addWidget(pick_file)
        row.addWidget(pick_dir)
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
        self.status = role_label("Choose a 17lands file or a dataset folder, then Train.", "muted", wrap=True,
                                 selectable=True)
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
        running = state in ("building", "training")
        self.train_btn.setEnabled(not running)
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
        return self.proc is not None

    # ------------------------------------------------------------------ the two steps
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
        src = Path(self.source.text().strip()).expanduser()
        if not self.source.text().strip() or not src.exists():
            self._set_state("failed", f"No such file or folder: {src}" if self.source.text().strip()
                            else "Choose a 17lands file or a dataset folder first.", "error")
            return False
        self.result = None
        self._started = time.perf_counter()
        self._name = name
        self._set_fraction(0.0)
        if src.is_dir():
            if not (src / "manifest.json").is_file():
                self._set_state("failed", f"{src} is not a dataset folder (no manifest.json): choose a 17lands "
                                "file or a folder made by `copilot dataset build`", "error")
                return False
            self._build_share = 0.0
            self._train(src)
            return True
        self._build_share = BUILD_SHARE
        out = quick_dir() / "datasets" / f"{src.name.split('.')[0]}-{time.strftime('%Y%m%d-%H%M%S')}"
        self._set_state("building", f"Reading {src.name} into a dataset…")
        self._run(["-m", "copilot.cli", "dataset", "build", "--picks", str(src), "--out", str(out), "--force",
                   "--catalog", "none", "--quiet"], lambda code: self._built(code, out))
        return True

    def _built(self, code: int, out: Path) -> None:
        if self.state == "stopped":
            return
        if code != 0 or not (out / "manifest.json").is_file():
            err = next((ln for ln in reversed(self._lines) if ln.startswith("error")), f"exit code {code}")
            self._set_state("failed", f"Could not read the file: {err}", "error")
            return
        self._set_fraction(self._build_share)
        self._train(out)

    def _train(self, dataset: Path) -> None:
        try:
            manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
            sets = "-".join(manifest.get("set_codes") or ["set"]).lower()
        except (OSError, ValueError):
            sets = "set"
        name = self._name or f"{sets}-quick-{time.strftime('%Y%m%d-%H%M%S')}"
        out = quick_dir() / f"{name}.pt"
        ensemble = QUALITY[self.quality.currentText()]
        self._set_state("training", f"Training {name} ({ensemble} model{'s' if ensemble > 1 else ''}, "
                                    f"{self.epochs.value()} epochs)…")
        self._run(["-m", "copilot.cli", "train-baseline", "--dataset", str(dataset), "--out", str(out), "--force",
                   "--epochs", str(self.epochs.value()), "--ensemble", str(ensemble), "--register", name,
                   "--progress-json"], self._trained)

    def _run(self, args: list[str], on_finished) -> None:
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.SeparateChannels)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        proc.setProcessEnvironment(env)
        self._buf.clear()
        self._lines = []
        proc.readyReadStandardOutput.connect(lambda: self._read(proc, proc.readAllStandardOutput()))
        proc.readyReadStandardError.connect(lambda: self._read(proc, proc.readAllStandardError(), err=True))

        def finished(code, _status=None):
            self._read(proc, proc.readAllStandardOutput())
            if self._buf:
                self._line(bytes(self._buf).decode("utf-8", "replace"))
                self._buf.clear()
            self.proc = None
            proc.deleteLater()
            on_finished(code)

        proc.finished.connect(finished)
        proc.errorOccurred.connect(lambda err: self._set_state("failed", f"Could not start Python: {err}", "error")
                                   if err == QProcess.FailedToStart else None)
        self.proc = proc
        proc.start(sys.executable, args)

    def _read(self, proc: QProcess, data, err: bool = False) -> None:
        if err:
            for ln in bytes(data).decode("utf-8", "replace").splitlines():
                self._lines.append(ln.strip())
            return
        self._buf.extend(bytes(data))
        *lines, rest = bytes(self._buf).split(b"\n")
        self._buf[:] = rest
        for ln in lines:
            self._line(ln.decode("utf-8", "replace"))

    def _line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        self._lines.append(line)
        try:
            ev = json.loads(line)
        except ValueError:
            return
        if not isinstance(ev, dict):
            return
        kind = ev.get("event")
        share = self._build_share
        if kind in ("progress", "epoch") and ev.get("fraction") is not None:
            self._set_fraction(share + (1 - share) * float(ev["fraction"]))
        if kind == "epoch" and ev.get("val_top1") is not None:
            who = f"model {ev['member']}, " if QUALITY[self.quality.currentText()] > 1 else ""
            self.status.setText(f"Training… {who}epoch {ev['epoch']}/{self.epochs.value()}: validation top-1 "
                                f"{_pct(ev['val_top1'])}, top-3 {_pct(ev.get('val_top3'))}")
        elif kind == "start" and ev.get("stage") == "training":
            self.status.setText(f"Training on {ev.get('train_picks', 0):,} picks, {ev.get('cards', 0)} cards…")
        elif kind == "done":
            self.result = ev
        elif kind == "error":
            self._lines.append(f"error: {ev.get('message')}")

    def _trained(self, code: int) -> None:
        if self.state == "stopped":
            return
        if code != 0 or not self.result:
            err = next((ln for ln in reversed(self._lines) if ln.startswith("error")), f"exit code {code}")
            self._set_state("failed", f"Training failed: {err}", "error")
            return
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
        if self.proc is None:
            return
        proc = self.proc
        self._set_state("stopped", "Stopped: nothing was registered.")
        proc.kill()
        proc.waitForFinished(5000)

    def shutdown(self) -> None:
        """Stop a running job (the window is closing)."""
        self.stop()
