"""Training of the MLP pick model (`copilot train-baseline`): the model itself lives in copilot.picking.mlp_model."""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from copilot.picking.mlp_model import (MODEL_KIND, MODEL_VERSION, PAD, UNK, Encoded, MLPConfig, Vocab, build_model,
                                      encode, predict, save)

def decisions_from_dataset(folder: str | os.PathLike, split: str) -> list[tuple]:
    """(candidates, pool, pack, pick, picked) for every example of a dataset split (reads only `meta`)."""
    from copilot.training.dataset import iter_examples

    out = []
    for ex in iter_examples(folder, split):
        m = ex.get("meta") or {}
        try:
            out.append((m["candidates"], m.get("pool") or [], int(m["pack"]), int(m["pick"]), m["picked"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{folder}/{split}.jsonl: example without the meta the baseline needs "
                             f"(candidates, pool, pack, pick, picked): {exc}. Rebuild it with "
                             "`copilot dataset build`") from None
    return out


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


def random_baseline(enc: Encoded) -> dict:
    """Expected top-1/top-3 of a uniformly random ranking over the distinct candidates."""
    valid = [len(n) for n, t in zip(enc.names, enc.target.tolist()) if t >= 0]
    if not valid:
        return {"top1": 0.0, "top3": 0.0}
    return {"top1": sum(1 / c for c in valid) / len(valid), "top3": sum(min(3, c) / c for c in valid) / len(valid)}


@dataclass
class TrainResult:
    path: Path
    metrics: dict
    seconds: float
    history: list[dict]


def train(dataset: str | os.PathLike, out: str | os.PathLike, cfg: MLPConfig | None = None,
          log: Callable[[dict], None] | None = None) -> TrainResult:
    """Train on `dataset`/train.jsonl, evaluate on val.jsonl, save to `out` (atomically) with a JSON sidecar."""
    import torch

    from copilot.training.dataset import load_manifest
    from copilot.fileio import sha256_file, tool_info, utc_now

    cfg = cfg or MLPConfig()
    started, cpu_started = time.perf_counter(), time.process_time()
    torch.set_num_threads(max(1, cfg.threads))
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    manifest = load_manifest(dataset)
    train_dec = decisions_from_dataset(dataset, "train")
    val_dec = decisions_from_dataset(dataset, "val")
    if not train_dec:
        raise ValueError(f"{dataset}: the train split is empty")
    vocab = Vocab.from_names(n for c, p, *_ in train_dec for n in list(c) + list(p))
    tr, va = encode(train_dec, vocab), encode(val_dec, vocab)
    keep = tr.target >= 0
    tr = Encoded(tr.cands[keep], tr.pool[keep], tr.feats[keep], tr.target[keep])
    model = build_model(len(vocab), cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n = tr.cands.shape[0]
    steps = cfg.epochs * ((n + cfg.batch_size - 1) // cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(1, steps), pct_start=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            cands, pool = tr.cands[idx], tr.pool[idx]
            if cfg.card_dropout > 0:
                drop_c = (torch.rand(cands.shape, generator=gen) < cfg.card_dropout) & (cands != PAD)
                drop_p = (torch.rand(pool.shape, generator=gen) < cfg.card_dropout) & (pool != PAD)
                cands, pool = cands.masked_fill(drop_c, UNK), pool.masked_fill(drop_p, UNK)
            logits = model(cands, pool, tr.feats[idx])
            loss = loss_fn(logits, tr.target[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * idx.shape[0]
        row = {"epoch": epoch, "train_loss": round(total / n, 4), "seconds": round(time.perf_counter() - t0, 2)}
        if va.cands.shape[0]:
            row.update({f"val_{k}": (round(v, 4) if isinstance(v, float) else v)
                        for k, v in topk_accuracy(predict(model, va), va.target).items()})
        history.append(row)
        if log is not None:
            log(row)
    seconds = time.perf_counter() - started
    metrics = {"train_examples": n, "train_seconds": round(seconds, 2),
               "train_cpu_seconds": round(time.process_time() - cpu_started, 2), "threads": cfg.threads}
    if va.cands.shape[0]:
        val = topk_accuracy(predict(model, va), va.target)
        metrics.update({"val_top1": val["top1"], "val_top3": val["top3"], "val_decisions": val["n"],
                        "val_drafts": manifest["counts"]["drafts"]["val"],
                        "val_random_top1": random_baseline(va)["top1"], "val_random_top3": random_baseline(va)["top3"],
                        "val_unknown_card_share": _unknown_share(va)})
    dataset_info = {
        "path": str(Path(dataset).resolve()),
        "manifest_sha256": sha256_file(Path(dataset) / "manifest.json"),
        "source_sha256": manifest["source"]["sha256"], "source_name": manifest["source"]["name"],
        "set_codes": manifest["set_codes"], "event_types": manifest["event_types"],
        "split": manifest["split"], "filters": manifest["filters"]["given"], "counts": manifest["counts"]["examples"],
    }
    info = {"kind": MODEL_KIND, "version": MODEL_VERSION, "config": asdict(cfg), "vocab_size": len(vocab),
            "dataset": dataset_info, "metrics": metrics, "history": history, "created": utc_now(),
            "tool": tool_info(), "architecture": "score = bias[card] + MLP([e(card), mean pool emb, product, "
                                                  "pack one-hot, pick/15, pool/45])"}
    out = Path(out)
    save(out, model, vocab, info)
    return TrainResult(out, metrics, seconds, history)


def _unknown_share(enc: Encoded) -> float:
    real = enc.cands != PAD
    return float(((enc.cands == UNK) & real).sum()) / max(1, int(real.sum()))


