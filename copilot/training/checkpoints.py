"""Checkpoints of a training run: `RUN/checkpoints/step-NNNNNN/`, written whole or not at all.

transformers' Trainer writes its checkpoint (adapter, optimizer, scheduler, RNG state per process, trainer state)
into `RUN/checkpoints/checkpoint-N`; when it has finished, `finalize_checkpoint` writes `MANIFEST.json` with the
size and sha256 of every file and renames the folder to `step-NNNNNN`. A folder is a checkpoint only under its
final name with a matching manifest, so a kill at any moment leaves either the previous checkpoints or a complete
new one. Resuming takes the newest checkpoint whose files match; corrupt ones are moved aside, and a run that had
checkpoints but has no usable one refuses to restart silently.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from copilot.fileio import atomic_write_json, sha256_file, utc_now
from copilot.training.run_folder import CHECKPOINTS, read_status

CKPT_MANIFEST = "MANIFEST.json"
REQUIRED = ("trainer_state.json", "optimizer.pt", "scheduler.pt")
# the weights: a LoRA run's adapter, a full run's model (one file or an index of shards), or FSDP's sharded state
WEIGHTS = (("adapter_config.json", "adapter_model.safetensors"), ("config.json", "model.safetensors"),
           ("config.json", "model.safetensors.index.json"))


def missing_weights(names) -> str:
    """'' when `names` (files of a checkpoint) hold one of the WEIGHTS sets or a sharded FSDP state, else what lacks."""
    names = set(names)
    if any(all(n in names for n in group) for group in WEIGHTS):
        return ""
    if any(n.startswith(("pytorch_model_fsdp", "model_fsdp")) for n in names):
        return ""
    return "adapter_config.json + adapter_model.safetensors (LoRA) or config.json + model.safetensors (full)"


class CheckpointError(RuntimeError):
    """No usable checkpoint; the message names the folder and what is wrong with it."""


def checkpoint_dirs(run_dir: Path) -> list[tuple[int, Path]]:
    root = Path(run_dir) / CHECKPOINTS
    out = []
    if root.is_dir():
        for p in root.iterdir():
            if p.is_dir() and p.name.startswith("step-") and p.name[5:].isdigit():
                out.append((int(p.name[5:]), p))
    return sorted(out)


def finalize_checkpoint(run_dir: Path, written: Path, step: int, keep: int, extra: dict | None = None) -> Path:
    """Checksum a folder the Trainer has finished writing, rename it to step-NNNNNN, drop the oldest beyond `keep`."""
    files = {}
    for p in sorted(written.rglob("*")):
        if p.is_file() and p.name != CKPT_MANIFEST:
            files[str(p.relative_to(written))] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    missing = [n for n in REQUIRED if n not in files]
    if missing_weights(files):
        missing.append(missing_weights(files))
    if missing:
        raise CheckpointError(f"checkpoint {written} lacks {', '.join(missing)}")
    atomic_write_json(written / CKPT_MANIFEST, {"step": step, "files": files, "created": utc_now(), **(extra or {})})
    final = Path(run_dir) / CHECKPOINTS / f"step-{step:06d}"
    if final.exists():
        shutil.rmtree(final)
    os.replace(written, final)
    for _, old in checkpoint_dirs(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def verify_checkpoint(path: Path) -> str:
    """'' if the checkpoint is complete and its files match MANIFEST.json, else the problem in words."""
    man_path = path / CKPT_MANIFEST
    if not man_path.is_file():
        return f"{CKPT_MANIFEST} missing (the checkpoint was not finished)"
    try:
        man = json.loads(man_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return f"{CKPT_MANIFEST} unreadable: {exc}"
    listed = man.get("files") or {}
    for name in REQUIRED:
        if name not in listed:
            return f"{name} not listed in {CKPT_MANIFEST}"
    if missing_weights(listed):
        return f"no weights listed in {CKPT_MANIFEST}: needs {missing_weights(listed)}"
    for name, want in listed.items():
        f = path / name
        if not f.is_file():
            return f"{name} missing"
        if f.stat().st_size != want["bytes"]:
            return f"{name} has {f.stat().st_size} bytes, expected {want['bytes']} (truncated or overwritten)"
        if sha256_file(f) != want["sha256"]:
            return f"{name} is corrupt (sha256 mismatch)"
    return ""


def find_resume_checkpoint(run_dir: Path, log=print) -> tuple[int, Path] | None:
    """Latest valid checkpoint; corrupt ones are renamed `*.corrupt` and reported; None when there are none.

    Raises CheckpointError when checkpoints existed but none is usable, so that a run never silently restarts
    from step 0 after losing its progress.
    """
    found = checkpoint_dirs(run_dir)
    problems = []
    for step, path in reversed(found):
        why = verify_checkpoint(path)
        if not why:
            if problems:
                log(f"resuming from {path.name} instead: " + "; ".join(problems))
            return step, path
        problems.append(f"checkpoint {path} is unusable: {why}")
        bad = path.with_name(path.name + ".corrupt")
        if bad.exists():
            shutil.rmtree(bad, ignore_errors=True)
        os.replace(path, bad)
        log(f"WARNING: checkpoint {path} is unusable ({why}); moved aside to {bad.name}")
    if problems:
        raise CheckpointError("no usable checkpoint to resume from: " + "; ".join(problems) +
                              ". Start the run again from step 0 with `copilot train --resume RUN --restart`.")
    status = read_status(run_dir)
    if status.get("last_checkpoint_step"):
        raise CheckpointError(
            f"{run_dir} recorded a checkpoint at step {status['last_checkpoint_step']} but "
            f"{Path(run_dir) / CHECKPOINTS} holds none (deleted?). Start again from step 0 with "
            f"`copilot train --resume RUN --restart`.")
    return None


def clear_unfinished(run_dir: Path) -> None:
    """Remove Trainer folders (`checkpoint-N`) a killed run left unfinished: they never became checkpoints."""
    root = Path(run_dir) / CHECKPOINTS
    if root.is_dir():
        for p in root.glob("checkpoint-*"):
            shutil.rmtree(p, ignore_errors=True)
