"""What the two trainers of `copilot train-baseline` share (copilot.training.mlp_train: the MLP,
copilot.training.picknet_train: PickNet): the pick decisions of a dataset split, card dropout, one optimiser step,
the top-k figures over a batch, the figures of an epoch and of the finished run, and the `info` saved with the
weights (dataset summary, figures, provenance).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Protocol

from copilot.picking.mlp_model import PAD, UNK


class Scored(Protocol):
    """An encoded batch (mlp_model.Encoded, picknet_model.Batch): candidate names and target index per decision."""

    names: list[list[str]]
    target: object


@dataclass
class TrainResult:
    """A trained pick model: its file, the run's figures (`metrics`), its seconds and one row per epoch."""

    path: Path
    metrics: dict
    seconds: float
    history: list[dict]


def read_decisions(folder: str | os.PathLike, split: str, model: str) -> tuple[list[tuple], list[str]]:
    """(candidates, pool, pack, pick, picked) for every example of a dataset split, and each one's draft id (reads
    only the examples' `meta`). `model` names who needs them in the message for an example without them."""
    from copilot.training.dataset import iter_examples

    decisions, drafts = [], []
    for ex in iter_examples(folder, split):
        m = ex.get("meta") or {}
        try:
            decisions.append((m["candidates"], m.get("pool") or [], int(m["pack"]), int(m["pick"]), m["picked"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{folder}/{split}.jsonl: example without the meta {model} needs (candidates, pool, "
                             f"pack, pick, picked): {exc}. Rebuild it with `copilot dataset build`") from None
        drafts.append(str(m.get("draft_id") or f"{split}-{len(drafts)}"))
    return decisions, drafts


def shuffled_batches(n: int, batch_size: int, gen) -> Iterator:
    """Index tensors of one epoch's batches over `n` decisions in a random order (drawn when the first is asked)."""
    import torch

    perm = torch.randperm(n, generator=gen)
    for i in range(0, n, batch_size):
        yield perm[i:i + batch_size]


def drop_cards(ids, share: float, gen):
    """`ids` with a random `share` of its real cards (not padding) replaced by `<unk>` (card dropout)."""
    import torch

    drop = (torch.rand(ids.shape, generator=gen) < share) & (ids != PAD)
    return ids.masked_fill(drop, UNK)


def optimiser_step(opt, sched, loss) -> float:
    """Backpropagate `loss`, step the optimiser and its schedule; the loss as a float."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    return float(loss.detach())


def topk_accuracy(logits, target, ks=(1, 3)) -> dict:
    """Share of decisions whose target is among the k best (decisions with an unknown target are skipped)."""
    import torch

    valid = target >= 0
    logits, target = logits[valid], target[valid]
    out = {"n": int(valid.sum())}
    if out["n"] == 0:
        return out | {f"top{k}": 0.0 for k in ks}
    order = torch.argsort(logits, dim=1, descending=True, stable=True)
    for k in ks:
        hit = (order[:, :k] == target.unsqueeze(1)).any(dim=1)
        out[f"top{k}"] = float(hit.float().mean())
    return out


def val_row(logits, target) -> dict:
    """The top-k figures of an epoch's validation as `val_n`, `val_top1`, `val_top3` (rounded to 4 places)."""
    return {f"val_{k}": (round(v, 4) if isinstance(v, float) else v) for k, v in topk_accuracy(logits, target).items()}


def random_baseline(enc: Scored) -> dict:
    """Expected top-1/top-3 of a uniformly random ranking over the distinct candidates."""
    valid = [len(n) for n, t in zip(enc.names, enc.target.tolist()) if t >= 0]
    if not valid:
        return {"top1": 0.0, "top3": 0.0}
    return {"top1": sum(1 / c for c in valid) / len(valid), "top3": sum(min(3, c) / c for c in valid) / len(valid)}


def epoch_figures(total_loss: float, n: int, started: float) -> dict:
    """`train_loss` (mean over the epoch's `n` decisions) and `seconds` since `started`, for an epoch's row."""
    return {"train_loss": round(total_loss / n, 4), "seconds": round(time.perf_counter() - started, 2)}


def run_metrics(n: int, seconds: float, cpu_started: float, threads: int) -> dict:
    """The figures of a finished run: decisions trained on, its wall seconds, CPU seconds since `cpu_started`."""
    return {"train_examples": n, "train_seconds": round(seconds, 2),
            "train_cpu_seconds": round(time.process_time() - cpu_started, 2), "threads": threads}


def val_metrics(logits, va: Scored, manifest: Mapping) -> dict:
    """The validation figures of a finished run, with those of a random ranking for comparison."""
    val = topk_accuracy(logits, va.target)
    rnd = random_baseline(va)
    return {"val_top1": val["top1"], "val_top3": val["top3"], "val_decisions": val["n"],
            "val_drafts": manifest["counts"]["drafts"]["val"],
            "val_random_top1": rnd["top1"], "val_random_top3": rnd["top3"]}


def dataset_summary(dataset: str | os.PathLike, manifest: Mapping) -> dict:
    """What a model file says of the dataset it was trained on (its manifest's sha256, source, sets, split)."""
    from copilot.fileio import sha256_file

    return {
        "path": str(Path(dataset).resolve()),
        "manifest_sha256": sha256_file(Path(dataset) / "manifest.json"),
        "source_sha256": manifest["source"]["sha256"], "source_name": manifest["source"]["name"],
        "set_codes": manifest["set_codes"], "event_types": manifest["event_types"],
        "split": manifest["split"], "filters": manifest["filters"]["given"], "counts": manifest["counts"]["examples"],
    }


def model_info(kind: str, version: int, config: dict, vocab_size: int, dataset: dict, metrics: dict,
               history: list[dict], **more) -> dict:
    """The `info` a pick model file holds besides its weights and vocabulary (`more`: model-specific entries)."""
    from copilot.fileio import tool_info, utc_now

    return {"kind": kind, "version": version, "config": config, "vocab_size": vocab_size, "dataset": dataset,
            "metrics": metrics, "history": history, "created": utc_now(), "tool": tool_info(), **more}
