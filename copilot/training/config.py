"""Typed training configuration, saved as JSON in the run folder (`RUN/config.json`).

The config file is the only input of the training subprocess (architecture invariant 6): `copilot train` resolves
presets and command-line overrides into a `TrainConfig`, writes it, and launches
`python -m copilot.training.runner RUN`. No heavy imports here.
"""
from __future__ import annotations

from copilot.fileio import atomic_write_text

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

CONFIG_NAME = "config.json"
CONFIG_VERSION = 1

QUANTS = ("none", "nf4", "int8")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
OPTIMIZERS = ("adamw", "adamw_8bit", "paged_adamw_8bit")
SCHEDULERS = ("cosine", "linear", "constant")
METHODS = ("sft", "dpo", "spin")
DEVICES = ("auto", "cpu", "cuda")
FINETUNES = ("lora", "full")  # lora: a LoRA adapter on the frozen base; full: every weight trained (small models)
ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class ConfigError(ValueError):
    """A config file or value that cannot be used; the message says what to change."""


@dataclass
class TrainConfig:
    # what to train
    base_model: str = "smollm2-135m-instruct"  # catalog name (see base_models.CATALOG) or a local HF folder
    dataset: str = ""  # dataset folder with train.jsonl / val.jsonl / manifest.json (`copilot dataset build`)
    preset: str = "custom"
    prompt_format: str = ""  # empty: taken from the dataset manifest
    # optimisation
    max_steps: int = 100
    max_minutes: float = 0.0  # > 0: also end after this much step time (summed over resumes): final eval, adapter
    batch_size: int = 1
    grad_accum: int = 1
    learning_rate: float = 2e-4
    lr_scheduler: str = "cosine"
    warmup_steps: int = 5
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    optimizer: str = "adamw"
    max_seq_len: int = 768
    seed: int = 1234
    # LoRA / full fine-tuning / quantisation
    finetune: str = "lora"  # lora: adapter/ at the end; full: every weight, model/ at the end (no merge to export)
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: list(ALL_LINEAR))
    quant: str = "none"  # nf4: QLoRA 4-bit base (bitsandbytes); int8: 8-bit base
    precision: str = "auto"  # autocast dtype; fp32 disables autocast; auto: the faster on this CPU (precision.py)
    gradient_checkpointing: bool = False
    device: str = "auto"
    num_threads: int = 0  # CPU threads for torch; 0 = leave torch's default
    # bookkeeping
    log_every: int = 1
    save_every: int = 25
    keep_checkpoints: int = 2
    eval_every: int = 0  # 0 = only at the end
    eval_examples: int = 16  # with eval_drafts 0: the first N validation lines (tiny test datasets)
    eval_drafts: int = 0  # whole validation drafts scored for pick accuracy (all their picks); 0: eval_examples
    max_train_examples: int = 0  # 0 = all
    # preference training (`--method dpo|spin --from SFT_RUN`): see training/preference.py
    method: str = "sft"
    from_run: str = ""  # the finished SFT run whose adapter the policy and the reference start from
    beta: float = 0.1  # DPO temperature
    pairs_per_pick: int = 1  # dpo: rejected cards drawn per human pick (other cards of the same pack)
    spin_rounds: int = 2  # spin: rounds of (self-play picks on training drafts -> DPO on the pairs they give)
    spin_pool: int = 64  # spin: training picks the current model picks on, per round
    spin_agreements: bool = True  # spin: also pair the human pick with the model's runner-up where they agree
    version: int = CONFIG_VERSION

    # ------------------------------------------------------------------ validation
    def validate(self) -> "TrainConfig":
        problems = []
        if not self.base_model:
            problems.append("base_model is empty")
        if not self.dataset:
            problems.append("dataset is empty (give a folder made by `copilot dataset build`)")
        for name, allowed in (("quant", QUANTS), ("precision", PRECISIONS), ("optimizer", OPTIMIZERS),
                              ("lr_scheduler", SCHEDULERS), ("device", DEVICES),
                              ("method", METHODS), ("finetune", FINETUNES)):
            if getattr(self, name) not in allowed:
                problems.append(f"{name}={getattr(self, name)!r} is not one of {', '.join(allowed)}")
        for name in ("max_steps", "batch_size", "grad_accum", "max_seq_len", "lora_r", "log_every",
                     "save_every", "keep_checkpoints"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be >= 1 (got {getattr(self, name)})")
        for name in ("warmup_steps", "eval_every", "eval_examples", "eval_drafts", "max_train_examples", "num_threads"):
            if int(getattr(self, name)) < 0:
                problems.append(f"{name} must be >= 0 (got {getattr(self, name)})")
        if not self.max_minutes >= 0:
            problems.append(f"max_minutes must be >= 0 (got {self.max_minutes}; 0: no time limit)")
        if not self.learning_rate > 0:
            problems.append(f"learning_rate must be > 0 (got {self.learning_rate})")
        if not 0 <= self.lora_dropout < 1:
            problems.append(f"lora_dropout must be in [0, 1) (got {self.lora_dropout})")
        if self.method != "sft" and not self.from_run:
            problems.append(f"method={self.method} needs from_run (a finished SFT run: --from RUN)")
        for name in ("pairs_per_pick", "spin_rounds", "spin_pool"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be >= 1 (got {getattr(self, name)})")
        if not self.beta > 0:
            problems.append(f"beta must be > 0 (got {self.beta})")
        if not self.target_modules:
            problems.append("target_modules is empty")
        if self.finetune == "full" and self.quant != "none":
            problems.append(f"finetune=full trains every weight in fp32 and cannot train a quantised base "
                            f"(quant={self.quant}); set quant=none for full fine-tuning, or finetune=lora for QLoRA")
        if problems:
            raise ConfigError("invalid training config: " + "; ".join(problems))
        return self

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "config") -> "TrainConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a JSON object, got {type(data).__name__}")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(known)}")
        kwargs = {}
        defaults = cls()
        for key, value in data.items():
            default = getattr(defaults, key)
            try:
                if isinstance(default, bool):
                    if not isinstance(value, bool):
                        raise TypeError
                    kwargs[key] = value
                elif isinstance(default, int):
                    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                        raise TypeError
                    kwargs[key] = int(value)
                elif isinstance(default, float):
                    if isinstance(value, bool):
                        raise TypeError
                    kwargs[key] = float(value)
                elif isinstance(default, list):
                    if isinstance(value, str):
                        value = [v.strip() for v in value.split(",") if v.strip()]
                    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                        raise TypeError
                    kwargs[key] = list(value)
                else:
                    if not isinstance(value, str):
                        raise TypeError
                    kwargs[key] = value
            except (TypeError, ValueError):
                raise ConfigError(f"{source}: {key}={value!r} has the wrong type "
                                  f"(expected {type(default).__name__})") from None
        return cls(**kwargs).validate()

    def replace(self, **overrides) -> "TrainConfig":
        data = self.to_dict()
        data.update({k: v for k, v in overrides.items() if v is not None})
        return TrainConfig.from_dict(data, source="overrides")

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        if path.is_dir() or path.suffix != ".json":  # a run folder (existing or not) or a .json file
            path = path / CONFIG_NAME
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainConfig":
        path = Path(path)
        if path.is_dir():
            path = path / CONFIG_NAME
        if not path.exists():
            raise ConfigError(f"config file {path} not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc}") from None
        return cls.from_dict(data, source=str(path))
