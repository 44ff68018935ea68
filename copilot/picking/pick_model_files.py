"""The files of the learned pick models (`copilot train-baseline`): MLP (mlp_model) and PickNet (picknet_model).

A model file is one torch.save of plain tensors and Python types (so it loads with weights_only=True): the model's
`info` (kind, version, config, dataset summary, figures), the card vocabulary and the weights. Next to it a JSON
sidecar `<file>.json` repeats everything but the weights (`weights` names the torch file), for people and tools
without torch. Both are written through a temporary name and a rename: a reader never sees half a file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping, Sequence, TypeVar

TRAIN_HINT = "train one with `copilot train-baseline`"
C = TypeVar("C")


def sidecar_path(path: str | os.PathLike) -> Path:
    return Path(str(path) + ".json")


def save_pick_model(path: str | os.PathLike, info: Mapping, vocab: Sequence[str], weights: Mapping) -> Path:
    """Write `info` + `vocab` + `weights` (tensors / state dicts) to `path` and `info` + `vocab` to the sidecar."""
    import torch

    from copilot.fileio import atomic_write_json

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        torch.save(dict(info, vocab=list(vocab), **weights), tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    atomic_write_json(sidecar_path(path), dict(info, vocab=list(vocab), weights=path.name))
    return path


def read_pick_model(path: str | os.PathLike, label: str = "") -> dict:
    """The content of a model file, read on the CPU with weights_only=True. `label` ("MLP " or "") names the model
    in the messages: FileNotFoundError for a missing file, ValueError for one torch cannot read."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{label}model file not found: {path} ({TRAIN_HINT})")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a clear message for a wrong or damaged file
        raise ValueError(f"{path} is not a readable {label}pick model ({type(exc).__name__}: {exc})") from None
    return blob


def kind_of(blob: object) -> str | None:
    """The `kind` stored in a read model file (None when it is not a model file's dict)."""
    return blob.get("kind") if isinstance(blob, dict) else None


def config_from(blob: dict, path: Path, version: int, config_type: type[C], label: str = "model file") -> C:
    """The model's config from a read file of `version` (unknown config fields of other builds are ignored)."""
    if blob.get("version") != version:
        raise ValueError(f"{path}: {label} version {blob.get('version')} is not supported "
                         f"(this build reads version {version})")
    known = set(config_type.__dataclass_fields__)
    return config_type(**{k: v for k, v in blob["config"].items() if k in known})


def info_of(blob: dict, weights: Sequence[str]) -> dict:
    """The file's content without the vocabulary and the named weight entries."""
    return {k: v for k, v in blob.items() if k not in ("vocab", *weights)}


def read_sidecar(path: str | os.PathLike) -> dict:
    """The JSON sidecar of model file `path` (no torch needed)."""
    with open(sidecar_path(path), encoding="utf-8") as fh:
        return json.load(fh)
