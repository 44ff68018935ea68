"""The time estimate of a run from measured speed, not an assumed constant.

A run's speed is its tokens/s. Before any run on this machine it comes from the precision probe
(`precision.measure`: GFLOP/s of a matrix product in fp32 and bf16, about a second) divided by the FLOPs a token
costs the model (`flops_per_token`): 2N forward, 2N for the input gradients, 2N more for the weight gradients of
full fine-tuning, 2N more with gradient checkpointing's second forward; N the parameters that multiply (the embedding
lookup is free, a tied lm_head counts once). The attention products and the time outside matrix products are not in
it, so the probe's figure is an upper bound on speed. Once a run has trained on this machine, its measured tokens/s
(the median over its steps, first step left out) is kept per device, precision and way of fine-tuning in
`user_cache_dir()/train-speed.json` as effective GFLOP/s, and the next estimate uses that instead (scaled by FLOPs
per token to another base model). During a run, status.json's `eta_s` comes from the run's own recent step times
(`callbacks.RunProtocol`).
"""
from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from copilot.fileio import atomic_write_json, utc_now
from copilot.paths import user_cache_dir
from copilot.training.base_models import BaseModelSpec
from copilot.training.config import TrainConfig
from copilot.training.precision import PrecisionChoice

SPEED_FILE = "train-speed.json"


@dataclass(frozen=True)
class SpeedEstimate:
    tokens_per_s: float
    source: str  # "measured" (an earlier run here) | "probe" (matmul GFLOP/s now)
    detail: str  # where the figure comes from, in words
    tokens_per_example: float  # the tokens a step's example is taken to hold (at most max_seq_len)

    def seconds_per_step(self, cfg: TrainConfig) -> float:
        return cfg.batch_size * cfg.grad_accum * self.tokens_per_example / self.tokens_per_s

    def to_dict(self) -> dict:
        return asdict(self)


def compute_params(spec: BaseModelSpec) -> int:
    """Parameters that take part in matrix products per token (an untied input embedding is a lookup)."""
    tied = spec.kind in ("gguf", "random")  # SmolLM2 and the smoke model tie embeddings (as presets.py)
    return max(spec.n_params - (0 if tied else spec.vocab_size * spec.hidden_size), 1)


def flops_per_token(spec: BaseModelSpec, cfg: TrainConfig) -> float:
    passes = 6 if cfg.finetune == "full" else 4
    if cfg.gradient_checkpointing:
        passes += 2
    return passes * compute_params(spec)


def speed_key(device: str, precision: str, finetune: str) -> str:
    return f"{device}:{precision}:{finetune}"


def speed_file() -> Path:
    return user_cache_dir() / SPEED_FILE


def read_records() -> dict:
    try:
        data = json.loads(speed_file().read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def record_run_speed(run_dir: Path, cfg: TrainConfig, spec: BaseModelSpec, device: str, precision: str,
                     metrics: list[dict]) -> dict | None:
    """Keep this run's measured speed for the next estimate; None when it has too few steps to say (< 3)."""
    steps = [m for m in metrics if isinstance(m.get("tokens_per_s"), (int, float)) and m["tokens_per_s"] > 0]
    steps = steps[1:]  # the first step loads kernels and warms caches
    if len(steps) < 2:
        return None
    tps = statistics.median(m["tokens_per_s"] for m in steps)
    per_example = statistics.mean(m["tokens"] for m in steps if m.get("tokens")) / (
        cfg.batch_size * cfg.grad_accum)
    rec = {"tokens_per_s": round(tps, 1), "effective_gflops": round(tps * flops_per_token(spec, cfg) / 1e9, 3),
           "tokens_per_example": round(per_example, 1), "base_model": spec.name, "max_seq_len": cfg.max_seq_len,
           "steps": len(steps), "run": str(run_dir), "measured": utc_now()}
    records = read_records()
    records[speed_key(device, precision, cfg.finetune)] = rec
    atomic_write_json(speed_file(), records)
    return rec


def dataset_tokens_per_example(dataset: str, lines: int = 200) -> float | None:
    """Mean tokens of the first `lines` training examples (characters / CHARS_PER_TOKEN); None without a dataset."""
    from copilot.training.conversation_data import CHARS_PER_TOKEN

    path = Path(dataset) / "train.jsonl" if dataset else None
    if path is None or not path.is_file():
        return None
    chars = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                ex = json.loads(line)
                chars.append(sum(len(m.get("content") or "") for m in ex["messages"]))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                continue
            if len(chars) >= lines:
                break
    return statistics.mean(chars) / CHARS_PER_TOKEN if chars else None


@lru_cache(maxsize=1)
def probe() -> PrecisionChoice:
    """The precision probe, measured once per process (about a second)."""
    from copilot.training.precision import measure

    return measure()


def estimate_speed(cfg: TrainConfig, spec: BaseModelSpec, *, device: str = "cpu",
                   choice: PrecisionChoice | None = None, measure: bool = True) -> SpeedEstimate | None:
    """tokens/s for `cfg` on this machine: an earlier run's measurement, else the probe (`choice`, or measured now
    when `measure`), else None (no figure to go on). precision=auto takes the precision the probe chooses."""
    records = read_records()

    def lookup(precision: str) -> dict | None:
        return records.get(speed_key(device, precision, cfg.finetune))

    precision = cfg.precision
    if precision == "auto" and choice is None and measure:
        choice = probe()
    if precision == "auto" and choice is not None and choice.fp32_gflops is not None:
        precision = choice.precision
    rec = next((r for r in (lookup("bf16"), lookup("fp32")) if r), None) if precision == "auto" else lookup(precision)
    fpt = flops_per_token(spec, cfg)
    from_data = dataset_tokens_per_example(cfg.dataset)
    per_example = min(from_data, cfg.max_seq_len) if from_data else cfg.max_seq_len
    if rec:
        same = rec.get("base_model") == spec.name
        tps = rec["tokens_per_s"] if same else rec["effective_gflops"] * 1e9 / fpt
        if same and not from_data:
            per_example = min(rec["tokens_per_example"], cfg.max_seq_len)
        how = "" if same else f", scaled from {rec['base_model']} by FLOPs per token"
        return SpeedEstimate(tps, "measured", f"{rec['tokens_per_s']:.0f} tokens/s measured in "
                             f"{Path(rec['run']).name} ({rec['measured'][:10]}{how})", per_example)
    if choice is None and measure:
        choice = probe()
    gflops = None
    if choice is not None:
        gflops = choice.bf16_gflops if precision == "bf16" else choice.fp32_gflops
    if gflops:
        return SpeedEstimate(gflops * 1e9 / fpt, "probe", f"{precision} matmul {gflops:.0f} GFLOP/s measured now, "
                             f"{fpt / 1e9:.2f} GFLOP per token (an upper bound on speed)", per_example)
    return None
