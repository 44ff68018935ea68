"""The files of a training run folder that other processes read: `status.json`, `metrics.jsonl`, `STOP`, `run.json`.

The training process writes them; `copilot train --status`, the runner's `follow()` and the GUI read them while it
runs. status.json is rewritten atomically (a reader never sees half of it); metrics.jsonl gets one flushed line per
logged step, so a torn last line after a hard kill is skipped when reading.
"""
from __future__ import annotations

import json
from pathlib import Path

from copilot.fileio import atomic_write_json, atomic_write_text, utc_now
from copilot.training.run_state import RunState

CHECKPOINTS = "checkpoints"
METRICS = "metrics.jsonl"
STATUS = "status.json"
STOP_FILE = "STOP"
ADAPTER_DIR = "adapter"  # a LoRA run's result
MODEL_DIR = "model"  # a full fine-tuning run's result: a whole Hugging Face model folder (weights + tokenizer)
RUN_INFO = "run.json"


def result_dir_name(finetune: str) -> str:
    """The folder a finished run leaves: adapter/ (finetune=lora) or model/ (finetune=full)."""
    return MODEL_DIR if finetune == "full" else ADAPTER_DIR


def finished_result(run_dir: Path) -> Path | None:
    """The finished run's adapter/ or model/ folder (the one with a manifest.json), else None."""
    for name in (ADAPTER_DIR, MODEL_DIR):
        p = Path(run_dir) / name
        if (p / "manifest.json").is_file():
            return p
    return None


def run_finetune(run_dir: Path) -> str:
    """"lora" or "full": what a finished run left (model/ or adapter/), else how its config.json trains ("lora"
    when neither says, as before full fine-tuning)."""
    if finished_result(run_dir) is not None:
        return "full" if finished_result(run_dir).name == MODEL_DIR else "lora"
    try:
        return str(json.loads((Path(run_dir) / "config.json").read_text()).get("finetune", "lora"))
    except (OSError, json.JSONDecodeError):
        return "lora"


def write_status(run_dir: Path, **fields) -> dict:
    """Merge `fields` into status.json (a RunState is written as its string) and stamp `updated`."""
    status = read_status(run_dir)
    status.update({k: (v.value if isinstance(v, RunState) else v) for k, v in fields.items()})
    status["updated"] = utc_now()
    atomic_write_json(Path(run_dir) / STATUS, status)
    return status


def read_status(run_dir: Path) -> dict:
    """status.json as a dict ({} when missing or unreadable)."""
    path = Path(run_dir) / STATUS
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def read_state(run_dir: Path) -> RunState | None:
    """The run's state (STOPPING while a STOP file waits for a running run); None before it was started."""
    return RunState.of(read_status(run_dir).get("state"), stop_requested=(Path(run_dir) / STOP_FILE).exists())


def read_metrics(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / METRICS
    out = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass  # a torn last line after a hard kill
    return out


def truncate_metrics(run_dir: Path, step: int) -> int:
    """Drop metric lines after `step` (work lost with a crash is redone, so it must not appear twice)."""
    path = Path(run_dir) / METRICS
    if not path.exists():
        return 0
    keep, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            dropped += 1
            continue
        if rec.get("step", 0) <= step:
            keep.append(line)
        else:
            dropped += 1
    atomic_write_text(path, "".join(x + "\n" for x in keep))
    return dropped
