"""Training of the MLP pick model (`copilot train-baseline`): the model itself lives in copilot.picking.mlp_model;
what it shares with PickNet's trainer is in copilot.training.pick_training."""
from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from copilot.picking.mlp_model import (MODEL_KIND, MODEL_VERSION, PAD, UNK, Encoded, MLPConfig, Vocab, build_model,
                                      encode, predict, save)
from copilot.training.pick_training import (TrainResult, dataset_summary, drop_cards, epoch_figures, model_info,
                                            optimiser_step, random_baseline, read_decisions, run_metrics,
                                            shuffled_batches, topk_accuracy, val_metrics, val_row)

__all__ = ["TrainResult", "decisions_from_dataset", "random_baseline", "topk_accuracy", "train"]


def decisions_from_dataset(folder: str | os.PathLike, split: str) -> list[tuple]:
    """(candidates, pool, pack, pick, picked) for every example of a dataset split (reads only `meta`)."""
    return read_decisions(folder, split, "the baseline")[0]


def train(dataset: str | os.PathLike, out: str | os.PathLike, cfg: MLPConfig | None = None,
          log: Callable[[dict], None] | None = None) -> TrainResult:
    """Train on `dataset`/train.jsonl, evaluate on val.jsonl, save to `out` (atomically) with a JSON sidecar."""
    import torch

    from copilot.training.dataset import load_manifest

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
        total = 0.0
        for idx in shuffled_batches(n, cfg.batch_size, gen):
            cands, pool = tr.cands[idx], tr.pool[idx]
            if cfg.card_dropout > 0:
                cands = drop_cards(cands, cfg.card_dropout, gen)
                pool = drop_cards(pool, cfg.card_dropout, gen)
            loss = loss_fn(model(cands, pool, tr.feats[idx]), tr.target[idx])
            total += optimiser_step(opt, sched, loss) * idx.shape[0]
        row = {"epoch": epoch, **epoch_figures(total, n, t0)}
        if va.cands.shape[0]:
            row.update(val_row(predict(model, va), va.target))
        history.append(row)
        if log is not None:
            log(row)
    seconds = time.perf_counter() - started
    metrics = run_metrics(n, seconds, cpu_started, cfg.threads)
    if va.cands.shape[0]:
        metrics.update(val_metrics(predict(model, va), va, manifest), val_unknown_card_share=_unknown_share(va))
    info = model_info(MODEL_KIND, MODEL_VERSION, asdict(cfg), len(vocab), dataset_summary(dataset, manifest), metrics,
                      history, architecture="score = bias[card] + MLP([e(card), mean pool emb, product, "
                                            "pack one-hot, pick/15, pool/45])")
    out = Path(out)
    save(out, model, vocab, info)
    return TrainResult(out, metrics, seconds, history)


def _unknown_share(enc: Encoded) -> float:
    real = enc.cands != PAD
    return float(((enc.cands == UNK) & real).sum()) / max(1, int(real.sum()))
