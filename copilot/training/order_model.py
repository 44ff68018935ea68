"""The pick model that orders a dataset's packs (prompt format conversation `order=picknet`).

A model trained on packs listed in a pick model's ranking learns to start from that model's first card, so the
ranking seen in training must be as good as the one it will see on drafts it never saw: the pick model must not
have been trained on the dataset's validation drafts, or the figures measured on them flatter the model.

`ensure_order_model` finds or makes such a pick model before the dataset is built:

- a stored pick model (newest first) trained on the same file (sha256) with the same validation-fraction split
  (the same validation drafts, decided per draft) is used as it is: e.g. the training panel's quick model, which
  splits like a dataset build by default;
- otherwise one is trained now on the dataset's training drafts (a picks-only build of the same file, split and
  filters; PickNet's defaults: a minute or two for 70,000 picks on 2 cores) and registered in the model store, so
  the live engines rank with it too (the `picknet` engine and order=picknet use the newest pick model for a set).
"""
from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

ORDER_DIR = ".order-model"  # beside the dataset folder while the pick model is made (removed after)


def _safe(sidecar: dict, source_sha: str, split: dict) -> bool:
    """True when the pick model described by `sidecar` never saw a validation draft of a dataset of the file
    `source_sha` split by `split`."""
    data = sidecar.get("dataset") or {}
    return (split.get("method") == "val-frac" and data.get("source_sha256") == source_sha
            and data.get("split") == split)


def stored_order_model(source_sha: str, split: dict, store=None) -> Path | None:
    """The newest stored pick model trained on this file with this split (so on its sets), or None."""
    from copilot.picking.pick_model_files import read_sidecar
    from copilot.store.model_store import ModelStore
    from copilot.store.pick_models import pick_model_path, pick_models

    store = store or ModelStore()
    for entry in pick_models(store):
        path = pick_model_path(entry)
        try:
            if _safe(read_sidecar(path), source_sha, split):
                return path
        except (OSError, ValueError):
            continue
    return None


def ensure_order_model(cfg, source_sha: str, split: dict, log: Callable[[str], None] = lambda _m: None) -> Path:
    """The pick model file that orders the packs of the dataset `cfg` (a DatasetConfig): found in the store, or
    trained on the dataset's training drafts and registered as "<dataset folder>-order-<time>". Raises
    DatasetError when it can be neither (no torch, a store that cannot be written)."""
    from copilot.picking.picknet_model import PickNetConfig
    from copilot.store.model_store import ModelStore, StoreError, check_name, suggest_name
    from copilot.store.pick_models import pick_model_path, register_pick_model
    from copilot.training.dataset import PICKS_ONLY, DatasetError, build_dataset

    store = ModelStore()
    found = stored_order_model(source_sha, split, store)
    if found is not None:  # no picks-only pass: the same file and split make the same training drafts
        log(f"packs ordered by the stored pick model {found.parent.name} (same file and split)")
        return found
    work = Path(cfg.out).parent / f".{Path(cfg.out).name}{ORDER_DIR}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        manifest = build_dataset(replace(cfg, out=work / "ds", prompt_format=PICKS_ONLY, catalog="none",
                                         force=True))
        sets = list(manifest.get("set_codes") or [])
        log(f"training the pick model that orders the packs on {manifest['counts']['picks']['train']:,} "
            "training picks (PickNet, about a minute per 50,000 picks)")
        try:
            from copilot.training.picknet_train import train

            result = train(work / "ds", work / "picknet.pt", PickNetConfig())
            name = check_name(suggest_name(f"{Path(cfg.out).name[:60]}-order-{time.strftime('%Y%m%d-%H%M%S')}"))
            entry = register_pick_model(store, result.path, name)
        except (ImportError, ValueError, OSError, StoreError) as exc:
            raise DatasetError(f"order=picknet: the pick model that orders the packs could not be made ({exc}); "
                               "install the training extra (pip install magic-copilot[train]) or use order=pick, "
                               "the ratings engine's order") from None
        log(f"pick model {entry.name} registered (validation top-1 {result.metrics.get('val_top1', 0):.3f}); "
            "live engines use it for " + ", ".join(sets))
        return pick_model_path(entry)
    finally:
        shutil.rmtree(work, ignore_errors=True)
