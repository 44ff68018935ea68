"""Checkpoints of a training run: `RUN/checkpoints/step-NNNNNN/`, written whole or not at all.

A checkpoint holds the adapter, the optimizer, the scheduler (and the fp16 grad scaler), the RNG states and
`state.json` (step, data cursor), plus `MANIFEST.json` with the size and sha256 of each file, written last inside a
temporary folder that is renamed into place. Resuming takes the newest checkpoint whose files match its manifest;
corrupt ones are moved aside, and a run that had checkpoints but has no usable one refuses to restart silently.
"""
from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

from copilot.fileio import atomic_write_json, sha256_file, utc_now
from copilot.training.run_folder import CHECKPOINTS, read_status

CKPT_MANIFEST = "MANIFEST.json"
CKPT_FILES = ("adapter_config.json", "adapter_model.safetensors", "optimizer.pt", "scheduler.pt", "rng.pt",
              "state.json")


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


def verify_checkpoint(path: Path) -> str:
    """'' if the checkpoint is complete and its files match MANIFEST.json, else the problem in words."""
    man_path = path / CKPT_MANIFEST
    if not man_path.is_file():
        return f"{CKPT_MANIFEST} missing (the checkpoint was not finished)"
    try:
        man = json.loads(man_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return f"{CKPT_MANIFEST} unreadable: {exc}"
    for name in CKPT_FILES:
        f = path / name
        if not f.is_file():
            return f"{name} missing"
        want = man.get("files", {}).get(name)
        if not want:
            return f"{name} not listed in {CKPT_MANIFEST}"
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


def save_checkpoint(run_dir: Path, model, optimizer, scheduler, state: dict, keep: int, scaler=None) -> Path:
    import torch

    root = Path(run_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    name = f"step-{state['step']:06d}"
    final = root / name
    tmp = root / f".tmp-{name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    model.save_pretrained(str(tmp), safe_serialization=True)
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    sched = {"scheduler": scheduler.state_dict()}
    if scaler is not None:
        sched["scaler"] = scaler.state_dict()
    torch.save(sched, tmp / "scheduler.pt")
    rng = {"python": random.getstate(), "torch": torch.get_rng_state()}
    try:
        import numpy as np

        rng["numpy"] = np.random.get_state()
    except ImportError:  # pragma: no cover
        pass
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    torch.save(rng, tmp / "rng.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=2))
    files = {}
    for fname in CKPT_FILES:
        p = tmp / fname
        files[fname] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    atomic_write_json(tmp / CKPT_MANIFEST, {"step": state["step"], "files": files, "created": utc_now()})
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for _, old in checkpoint_dirs(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, model, optimizer, scheduler, scaler=None) -> dict:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    try:
        weights = load_file(str(path / "adapter_model.safetensors"))
        result = set_peft_model_state_dict(model, weights)
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise CheckpointError(f"{path}: adapter does not match this model (unexpected keys {unexpected[:3]})")
        optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=False))
        sched = torch.load(path / "scheduler.pt", weights_only=False)
        scheduler.load_state_dict(sched["scheduler"])
        if scaler is not None and "scaler" in sched:
            scaler.load_state_dict(sched["scaler"])
        rng = torch.load(path / "rng.pt", weights_only=False)
        random.setstate(rng["python"])
        torch.set_rng_state(rng["torch"])
        if "numpy" in rng:
            import numpy as np

            np.random.set_state(rng["numpy"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        return json.loads((path / "state.json").read_text())
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - any load failure is reported as a checkpoint problem
        raise CheckpointError(f"checkpoint {path} could not be loaded: {type(exc).__name__}: {exc}") from None
