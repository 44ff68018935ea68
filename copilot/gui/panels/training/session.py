"""What the training panel's sections share: the chosen dataset, preset and run, the GPU, one CLI runner, the log.

Sections talk through this object's signals, never to each other, so a section is added or removed with one line
in panel.py. The run's state is the training package's `RunState` as `copilot train` reports it (None: no run, or
one never started); before the command has started the run, the panel shows LAUNCHED.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from copilot.gui.cli_runner import CliJob, CliRunner, EventHandler, JobResult, command_line
from copilot.gui.widgets.labels import role_label
from copilot.training.run_state import RunState

FROZEN = bool(getattr(sys, "frozen", False))  # the desktop bundle ships without torch: no training there
FROZEN_HELP = ("This desktop bundle does not include the training stack (torch, transformers, peft). Install "
               "the full app with `pip install \"magic-copilot[all]\"` and run `copilot gui` to fine-tune; "
               "datasets can be built here.")
DEFAULT_PRESET = "cpu-small"  # until `copilot train --presets` has said what this machine's GPU fits


@dataclass(frozen=True)
class TrainChoice:
    """The preset, base model, step count and way of fine-tuning (lora | full) chosen for the next run."""

    preset: str = DEFAULT_PRESET
    base_model: str = "smollm2-135m-instruct"
    max_steps: int = 300
    finetune: str = "lora"


def runs_dir() -> Path:
    from copilot.paths import user_data_dir

    return user_data_dir() / "runs"


def datasets_dir() -> Path:
    from copilot.paths import user_data_dir

    return user_data_dir() / "datasets"


def configs_dir() -> Path:
    """Where the panel writes the config of each run it starts (`copilot train --config FILE`)."""
    from copilot.paths import user_data_dir

    return user_data_dir() / "train-configs"


def label(text: str = "", role: str | None = None, wrap: bool = True) -> QLabel:
    """Training texts wrap and can be selected (paths, messages to copy)."""
    return role_label(text, role, wrap=wrap, selectable=True)


def set_role(widget: QLabel, role: str | None) -> None:
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class TrainingSession(QObject):
    dataset_changed = Signal(object)  # manifest dict
    choice_changed = Signal(object)  # TrainChoice
    gpu_changed = Signal()  # gpu / gpu_known changed
    run_changed = Signal(object)  # Path of the run now shown
    state_changed = Signal(object)  # RunState | None
    model_exported = Signal(object)  # the `result` of `copilot export`
    log = Signal(str)  # a line for the panel's log view
    busy_changed = Signal()  # a job started or ended

    def __init__(self, ctx, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.runner = CliRunner(self)
        self.dataset_dir: Path | None = None
        self.dataset_manifest: dict | None = None
        self.choice = TrainChoice()
        self.choice_is_default = True  # nobody (user, opened run) chose yet: the GPU's recommendation applies
        self.gpu = None  # copilot.training.presets.GPUInfo or None
        self.gpu_known = False
        self.probe = None  # precision.PrecisionChoice from `copilot train --presets`: the CPU's measured speed
        self.run_dir: Path | None = None
        self.state: RunState | None = None

    # ----- jobs -----
    def start_job(self, key: str, args: list[str], on_event: EventHandler | None = None,
                  on_finished=None, echo: bool = True) -> CliJob:
        """Run `copilot ARGS` through the one runner; the command line goes to the log (`echo`)."""
        if echo:
            self.log.emit(f"$ {command_line(args)}")

        def finished(result: JobResult) -> None:
            if on_finished is not None:
                on_finished(result)
            self.busy_changed.emit()

        job = self.runner.start(key, args, on_event, finished)
        self.busy_changed.emit()
        return job

    def busy(self, key: str | None = None) -> bool:
        return self.runner.busy(key)

    # ----- dataset -----
    def load_dataset(self, folder: Path) -> str | None:
        """Use a dataset folder; the error text when it is not one."""
        try:
            manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            return f"{folder} is not a dataset folder: {exc}"
        self.dataset_dir = Path(folder)
        self.dataset_manifest = manifest
        self.dataset_changed.emit(manifest)
        return None

    def dataset_args(self) -> list[str]:
        """`copilot dataset build` options of the chosen preset (the CPU recipe's prompt format and segments)."""
        from copilot.training.presets import PRESETS

        preset = PRESETS.get(self.choice.preset)
        return preset.dataset_args() if preset is not None else []

    # ----- choice of preset / base / steps -----
    def set_choice(self, *, by_user: bool = True, **changes) -> None:
        new = replace(self.choice, **changes)
        if by_user:
            self.choice_is_default = False
        if new != self.choice:
            self.choice = new
            self.choice_changed.emit(new)

    def config(self, dataset: str | None = None, **overrides):
        """The TrainConfig of the next run (ConfigError / KeyError with a message when the choice is invalid)."""
        from copilot.training.presets import config_from_preset

        c = self.choice
        cfg = config_from_preset(c.preset, base_model=c.base_model, max_steps=c.max_steps, finetune=c.finetune,
                                 dataset=dataset or str(self.dataset_dir or "(dataset)"))
        return cfg.replace(**overrides) if overrides else cfg

    # ----- GPU -----
    def set_gpu(self, gpu) -> None:
        self.gpu, self.gpu_known = gpu, True
        self.gpu_changed.emit()

    # ----- run -----
    def set_run(self, run_dir: Path | None) -> None:
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.run_changed.emit(self.run_dir)

    def set_state(self, state: RunState | None) -> None:
        self.state = state
        self.state_changed.emit(state)

    @property
    def active(self) -> bool:
        """A run is being started, runs or is stopping: no new run, no export."""
        return self.state is not None and self.state.active

    def has_adapter(self) -> bool:
        """The run has something to export: adapter/ (LoRA), model/ (full fine-tuning) or a checkpoint."""
        return self.run_dir is not None and ((self.run_dir / "adapter").is_dir() or (self.run_dir / "model").is_dir()
                                             or (self.run_dir / "checkpoints").is_dir())
