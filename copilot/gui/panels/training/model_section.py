"""Training panel, section 2: base model and preset, with the memory estimate against this machine's GPU.

The GPU and the preset it fits come from `copilot train --presets` (its own process: it imports torch). Until it
answers, and on a machine without CUDA, the panel offers `cpu-small` (SmolLM2-135M-Instruct); with a CUDA GPU that
fits a GPU preset, that preset (Mistral-7B-Instruct). The `smoke` preset (a tiny random model for tests) is listed
last and is never chosen for the user.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QSpinBox

from copilot.gui.cli_runner import JobResult
from copilot.gui.panels.training.session import FROZEN, FROZEN_HELP, TrainChoice, TrainingSession, label, set_role

JOB = "presets"
TEST_PRESETS = ("smoke",)  # listed last, labelled as such


class ModelSection(QGroupBox):
    stretch = 1

    def __init__(self, session: TrainingSession, parent=None):
        super().__init__("2 · Base model and preset", parent)
        from copilot.training.base_models import CATALOG
        from copilot.training.presets import PRESETS

        self.session = session
        form = QFormLayout(self)
        self.preset_combo = QComboBox()
        names = [n for n, p in PRESETS.items() if p.name == n]  # no aliases
        for name in sorted(names, key=lambda n: n in TEST_PRESETS):  # stable: test presets last
            text = f"{name} (test: random weights)" if name in TEST_PRESETS else name
            self.preset_combo.addItem(text, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESETS[name].description, Qt.ToolTipRole)
        self.base_combo = QComboBox()
        for name, spec in sorted(CATALOG.items(), key=lambda kv: kv[1].kind == "random"):
            self.base_combo.addItem(spec.display, name)
        self.steps = QSpinBox()
        self.steps.setRange(1, 1_000_000)
        self.steps.setToolTip("optimizer steps (from the preset; change to shorten or lengthen the run)")
        form.addRow("Preset", self.preset_combo)
        form.addRow("Base model", self.base_combo)
        form.addRow("Steps", self.steps)
        self.finetune_combo = QComboBox()
        self.finetune_combo.addItem("LoRA adapter", "lora")
        self.finetune_combo.addItem("Full fine-tuning (every weight; small models)", "full")
        self.finetune_combo.setToolTip("LoRA trains a small adapter on the frozen base (QLoRA on a GPU); full "
                                       "fine-tuning trains every weight: 16 bytes a parameter (weights, gradients, "
                                       "AdamW), so only small models fit")
        form.addRow("Fine-tuning", self.finetune_combo)
        self.finetune_combo.currentIndexChanged.connect(
            lambda _=0: session.set_choice(finetune=self.finetune_combo.currentData()))
        self.device_label = label("Looking for a CUDA GPU…", "muted")
        form.addRow(self.device_label)
        self.preset_combo.currentIndexChanged.connect(lambda _=0: self.choose_preset(self.preset_combo.currentData()))
        self.base_combo.currentIndexChanged.connect(
            lambda _=0: session.set_choice(base_model=self.base_combo.currentData()))
        self.steps.valueChanged.connect(lambda v: session.set_choice(max_steps=int(v)))
        session.choice_changed.connect(self._show_choice)
        session.gpu_changed.connect(self.update_estimate)
        session.dataset_changed.connect(lambda _m: self.update_estimate())
        self.choose_preset(session.choice.preset, by_user=False)
        self._show_choice(session.choice)
        self._detect_gpu()

    # ----- choice -----
    def choose_preset(self, name: str, by_user: bool = True) -> None:
        """A preset brings its base model and step count."""
        from copilot.training.presets import get_preset

        p = get_preset(name)
        self.session.set_choice(by_user=by_user, preset=name,
                                base_model=p.overrides.get("base_model", self.session.choice.base_model),
                                max_steps=int(p.overrides.get("max_steps", 100)))

    def _show_choice(self, choice: TrainChoice) -> None:
        for combo, value in ((self.preset_combo, choice.preset), (self.base_combo, choice.base_model),
                             (self.finetune_combo, choice.finetune)):
            i = combo.findData(value)
            if i >= 0 and i != combo.currentIndex():
                combo.blockSignals(True)
                combo.setCurrentIndex(i)
                combo.blockSignals(False)
        if self.steps.value() != choice.max_steps:
            self.steps.blockSignals(True)
            self.steps.setValue(choice.max_steps)
            self.steps.blockSignals(False)
        self.update_estimate()

    # ----- GPU -----
    def _detect_gpu(self) -> None:
        if FROZEN:
            self.session.set_gpu(None)
            return

        def finished(res: JobResult) -> None:
            if res.killed:
                return
            from copilot.training.presets import GPUInfo

            data = res.result or {}
            g = data.get("gpu")
            if not res.ok:
                self.session.log.emit(f"GPU check failed ({res.error}): training can use the CPU presets")
            if self.session.choice_is_default and data.get("recommended"):
                self.choose_preset(data["recommended"], by_user=False)
            if isinstance(data.get("probe"), dict):  # the CPU's measured matmul speed: the time estimate uses it
                from copilot.training.precision import PrecisionChoice

                p = data["probe"]
                self.session.probe = PrecisionChoice(p["precision"], p["reason"], p.get("fp32_gflops"),
                                                     p.get("bf16_gflops"), tuple(p.get("cpu_flags") or ()))
            self.session.set_gpu(GPUInfo(int(g["index"]), str(g["name"]), float(g["total_gib"])) if g else None)

        self.session.start_job(JOB, ["train", "--presets"], None, finished, echo=False)

    def update_estimate(self) -> None:
        from copilot.training.base_models import spec_for
        from copilot.training.presets import check_memory, estimate_device

        s = self.session
        try:
            cfg = s.config()
        except (KeyError, ValueError) as exc:  # ConfigError is a ValueError: an impossible combination
            self.device_label.setText(f"{exc.args[0] if exc.args else exc}")
            set_role(self.device_label, "error")
            return
        spec = spec_for(cfg.base_model)
        gpu = s.gpu if s.gpu_known else None
        estimate = estimate_device(cfg, spec, gpu, choice=s.probe, measure=False)  # no probe in the UI thread
        msg = estimate.message
        role = "muted"
        too_big = check_memory(cfg, spec, gpu if cfg.device != "cpu" else None)
        if not s.gpu_known:
            msg = "Looking for a CUDA GPU… " + msg.split(": ", 1)[-1]
        elif gpu is None and cfg.device == "cuda":
            msg = ("No CUDA GPU found: this preset needs one (QLoRA on CUDA). Choose 'cpu-small' to train "
                   "SmolLM2-135M on the CPU instead. " + msg)
            role = "warning"
        elif gpu is None:
            msg = msg[0].upper() + msg[1:] + "."
        elif estimate.fits is False:
            role = "warning"
        if too_big:
            msg, role = f"Cannot start: {too_big}.", "error"
        if spec.kind == "random":
            msg += " This base model has random weights: it checks the pipeline and makes no useful picks."
            role = "error" if too_big else "warning"
        if FROZEN:
            msg, role = FROZEN_HELP, "warning"
        self.device_label.setText(msg)
        set_role(self.device_label, role)
