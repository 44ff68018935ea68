"""Learned pick models (PickNet / MLP files from `copilot train-baseline`) in the model store, one per folder.

They live beside the GGUF models (same root, same atomic registration: a temporary folder renamed into place) with
``manifest["kind"] == "pick-model"``, the set codes they were trained on and their validation figures. They are
never the store's *active* model (that pointer is the `gguf` engine's); instead the `picknet`/`mlp` engines, when
given no model file, use the newest pick model registered for the set being drafted (`newest_for_set`), so a model
trained in the panel is used at the next pick without any other step.

    models/dsk-quick-20261130-1205/
        model.pt                    the model file (torch.save; weights_only-loadable)
        model.pt.json               its sidecar (config, vocabulary, dataset, figures)
        manifest.json               kind, name, set_codes, engine, eval, created, sha256, size_bytes, file
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from copilot.fileio import atomic_write_json, read_json, sha256_file, tool_info, utc_now
from copilot.store.model_store import MANIFEST, STORE_VERSION, ModelEntry, ModelStore, StoreError, check_name

PICK_MODEL_KIND = "pick-model"
PICK_MODEL_FILE = "model.pt"


def is_pick_model(entry: ModelEntry) -> bool:
    return entry.manifest.get("kind") == PICK_MODEL_KIND


def pick_model_path(entry: ModelEntry) -> Path:
    return entry.folder / entry.manifest.get("file", PICK_MODEL_FILE)


def register_pick_model(store: ModelStore, model_file: str | os.PathLike, name: str) -> ModelEntry:
    """Copy a train-baseline model file (and its `.json` sidecar) into the store under `name`."""
    src = Path(model_file)
    if not src.is_file():
        raise StoreError(f"model file not found: {src}")
    sidecar = src.with_name(src.name + ".json")
    try:
        info = read_json(sidecar)
    except (OSError, ValueError) as exc:
        raise StoreError(f"{sidecar}: the model's sidecar is missing or unreadable ({exc}); "
                         "register files written by `copilot train-baseline`") from None
    kind = str(info.get("kind", ""))
    if not kind.startswith("magic-copilot.") or "pick-model" not in kind:
        raise StoreError(f"{src} is not a pick model from `copilot train-baseline` (kind={kind or '?'})")
    name = check_name(name)
    final = store.root / name
    if final.exists():
        raise StoreError(f"a model named {name!r} already exists in {store.root}; choose another name")
    store.root.mkdir(parents=True, exist_ok=True)
    incoming = store.root / f".incoming-{name}-{os.getpid()}"
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    try:
        target = incoming / PICK_MODEL_FILE
        shutil.copy2(src, target)
        shutil.copy2(sidecar, incoming / (PICK_MODEL_FILE + ".json"))
        metrics = info.get("metrics") or {}
        manifest = {
            "kind": PICK_MODEL_KIND, "name": name, "file": PICK_MODEL_FILE, "model_kind": kind,
            "engine": "picknet", "set_codes": list((info.get("dataset") or {}).get("set_codes") or []),
            "source_name": (info.get("dataset") or {}).get("source_name"),
            "eval": {k: metrics[k] for k in ("val_top1", "val_top3", "val_decisions", "val_drafts") if k in metrics},
            "train_seconds": metrics.get("train_seconds"), "created": utc_now(), "registered_from": str(src),
            "sha256": sha256_file(target), "size_bytes": target.stat().st_size, "store_version": STORE_VERSION,
            "tool": tool_info(),
        }
        atomic_write_json(incoming / MANIFEST, manifest)
        os.replace(incoming, final)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    return store.get(name)


def pick_models(store: ModelStore, set_code: str | None = None) -> list[ModelEntry]:
    """Pick models in the store (for `set_code` only when given), newest first."""
    out = []
    for e in store.list():
        if not is_pick_model(e) or not pick_model_path(e).is_file():
            continue
        if set_code and set_code.upper() not in {s.upper() for s in e.manifest.get("set_codes") or []}:
            continue
        out.append(e)
    out.sort(key=lambda e: (str(e.manifest.get("created", "")), e.name), reverse=True)
    return out


def newest_for_set(store: ModelStore, set_code: str | None) -> ModelEntry | None:
    found = pick_models(store, set_code)
    return found[0] if found else None
