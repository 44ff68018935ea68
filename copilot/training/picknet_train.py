"""Training of PickNet (`copilot train-baseline`, the default architecture): the model is copilot.picking.picknet_model.

`train(dataset, out, cfg, log)` reads a dataset folder from `copilot dataset build` (only the examples' `meta`),
describes every card from the card data (and the set's 17lands ratings, where a file exists), fits
`cfg.ensemble` members with different seeds, reports top-1/top-3 on the validation drafts and saves the model
atomically with a JSON sidecar. `log` gets one dict per event: {"event": "start"|"progress"|"epoch"|"member"}.
`fit()` is the same on decisions already in memory (benchmarks and sweeps).
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

from copilot.picking.card_features import card_features, rating_zscores
from copilot.picking.mlp_model import PAD, UNK, Vocab
from copilot.picking.picknet_model import (GIH_Z, HAS_GIH, MODEL_KIND, MODEL_VERSION, Batch, PickNet, PickNetConfig,
                                          build_member, encode, save)
from copilot.training.pick_training import (TrainResult, dataset_summary, drop_cards, epoch_figures, model_info,
                                            optimiser_step, read_decisions, run_metrics, shuffled_batches,
                                            topk_accuracy, val_metrics, val_row)

Log = Callable[[dict], None]


def read_split(folder: str | os.PathLike, split: str) -> tuple[list[tuple], list[str]]:
    """(candidates, pool, pack, pick, picked) for every example of a dataset split, and each one's draft id
    (reads only the examples' `meta`)."""
    return read_decisions(folder, split, "PickNet")


@dataclass
class CardDescriber:
    """Features of cards by name for one set: card data from the catalog, GIH z-scores from the set's ratings."""

    set_codes: list[str]
    catalog: object | None = None
    zscores: dict | None = None
    ratings_source: str | None = None

    @classmethod
    def for_sets(cls, set_codes: Sequence[str], use_ratings: bool = True) -> "CardDescriber":
        from copilot.cards.catalog import default_catalog
        from copilot.picking.ratings import RatingsError, find_ratings, load_ratings

        zs: dict[str, float] = {}
        sources = []
        if use_ratings:
            for code in set_codes:
                path = find_ratings(code)
                if path is None:
                    continue
                try:
                    ratings = load_ratings(path, code)
                except RatingsError:
                    continue
                zs.update(rating_zscores({k: r.gih_wr for k, r in ratings.cards.items()}))
                sources.append(str(path))
        return cls(list(set_codes), default_catalog(), zs, "; ".join(sources) or None)

    def card(self, name: str):
        for code in self.set_codes + [None]:
            found = self.catalog.by_name(name, code) if self.catalog is not None else None
            if found is not None:
                return found
        return None

    def __call__(self, name: str) -> list[float]:
        from copilot.picking.ratings import Ratings

        return card_features(self.card(name), (self.zscores or {}).get(Ratings.key(name)))

    def table(self, vocab: Vocab) -> list[list[float]]:
        """One feature row per vocabulary entry (the special tokens get zeros)."""
        return [card_features(None) if i in (UNK, PAD) else self(n) for i, n in enumerate(vocab.names)]

    def coverage(self, vocab: Vocab) -> dict:
        names = vocab.names[2:]
        return {"cards": len(names), "with_card_data": sum(self.card(n) is not None for n in names),
                "with_rating": sum((self.zscores or {}).get(_key(n)) is not None for n in names),
                "ratings": self.ratings_source}


def _key(name: str) -> str:
    from copilot.picking.ratings import Ratings

    return Ratings.key(name)


def nll(logp, target) -> float:
    """Mean negative log-likelihood of the targets (decisions with an unknown target are skipped)."""
    valid = target >= 0
    if not int(valid.sum()):
        return 0.0
    return float(-logp[valid].gather(1, target[valid].unsqueeze(1)).mean())


@dataclass
class FitResult:
    net: PickNet
    history: list[dict]
    seconds: float


def without_ratings(ftable):
    """The feature table as a set without 17lands ratings gives it: no GIH z-score, the has-rating flag off."""
    table = ftable.clone()
    table[:, GIH_Z] = 0.0
    table[:, HAS_GIH] = 0.0
    return table


def fit(train_b: Batch, val_b: Batch | None, vocab_size: int, ftable, cfg: PickNetConfig,
        log: Log | None = None) -> FitResult:
    """Train cfg.ensemble members on encoded decisions (targets >= 0 only) and return the ensemble."""
    import torch

    started = time.perf_counter()
    torch.set_num_threads(max(1, cfg.threads))
    keep = train_b.target >= 0
    tr = train_b.select(keep)
    n = tr.cands.shape[0]
    steps_per_epoch = (n + cfg.batch_size - 1) // cfg.batch_size
    total_steps = max(1, cfg.ensemble * cfg.epochs * steps_per_epoch)

    def loss_fn(logits, target):
        logp = logits.log_softmax(-1)
        loss = -logp.gather(1, target.unsqueeze(1)).squeeze(1)
        if cfg.label_smoothing > 0:  # spread over the pack's real candidates only (padding is -inf)
            real = torch.isfinite(logits)
            uniform = -logp.masked_fill(~real, 0.0).sum(-1) / real.sum(-1)
            loss = (1 - cfg.label_smoothing) * loss + cfg.label_smoothing * uniform
        return loss.mean()
    unrated = without_ratings(ftable) if cfg.rating_dropout > 0 else None
    members, history = [], []
    done_steps, last_report = 0, time.perf_counter()
    for k in range(cfg.ensemble):
        seed = cfg.seed + 1000 * k
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        model = build_member(vocab_size, cfg)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch,
                                                    pct_start=0.15)
        ema = torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(cfg.ema)) if cfg.ema > 0 else None
        for epoch in range(1, cfg.epochs + 1):
            t0 = time.perf_counter()
            model.train()
            total = 0.0
            for idx in shuffled_batches(n, cfg.batch_size, gen):
                b = tr.select(idx)
                if cfg.card_dropout > 0:
                    b.cands = drop_cards(b.cands, cfg.card_dropout, gen)
                    b.pool = drop_cards(b.pool, cfg.card_dropout, gen)
                table = ftable
                if unrated is not None and float(torch.rand(1, generator=gen)) < cfg.rating_dropout:
                    table = unrated  # this batch drafts a set without ratings
                total += optimiser_step(opt, sched, loss_fn(model(b, table), b.target)) * b.cands.shape[0]
                if ema is not None:
                    ema.update_parameters(model)
                done_steps += 1
                if log is not None and time.perf_counter() - last_report >= 1.0:
                    last_report = time.perf_counter()
                    log({"event": "progress", "fraction": round(done_steps / total_steps, 4), "member": k + 1,
                         "epoch": epoch, "seconds": round(last_report - started, 1)})
            row = {"event": "epoch", "member": k + 1, "epoch": epoch, **epoch_figures(total, n, t0),
                   "fraction": round(done_steps / total_steps, 4)}
            if val_b is not None and val_b.cands.shape[0]:
                single = PickNet([ema.module if ema is not None else model], ftable, cfg).logprobs(val_b)
                row.update(val_row(single, val_b.target))
                row["val_loss"] = round(nll(single, val_b.target), 4)
            history.append(row)
            if log is not None:
                log(row)
        if ema is not None:
            model = ema.module
        model.eval()
        members.append(model)
        if log is not None and cfg.ensemble > 1 and val_b is not None and val_b.cands.shape[0]:
            acc = topk_accuracy(PickNet(members, ftable, cfg).logprobs(val_b), val_b.target)
            log({"event": "member", "member": k + 1, "ensemble_val_top1": round(acc["top1"], 4),
                 "ensemble_val_top3": round(acc["top3"], 4)})
    return FitResult(PickNet(members, ftable, cfg), history, time.perf_counter() - started)


def train(dataset: str | os.PathLike, out: str | os.PathLike, cfg: PickNetConfig | None = None,
          log: Log | None = None, use_ratings: bool = True) -> TrainResult:
    """Train on `dataset`/train.jsonl, evaluate on val.jsonl, save to `out` (atomically) with a JSON sidecar."""
    import torch

    from copilot.training.dataset import load_manifest

    cfg = cfg or PickNetConfig()
    started, cpu_started = time.perf_counter(), time.process_time()
    torch.set_num_threads(max(1, cfg.threads))
    manifest = load_manifest(dataset)
    if log is not None:
        log({"event": "start", "stage": "reading the dataset", "dataset": str(dataset)})
    train_dec, train_drafts = read_split(dataset, "train")
    val_dec, val_drafts = read_split(dataset, "val")
    if not train_dec:
        raise ValueError(f"{dataset}: the train split is empty")
    vocab = Vocab.from_names(n for c, p, *_ in train_dec for n in list(c) + list(p))
    describe = CardDescriber.for_sets(manifest.get("set_codes") or [], use_ratings=use_ratings and cfg.features)
    table = describe.table(vocab)
    ftable = torch.tensor(table, dtype=torch.float32)
    if cfg.signals or cfg.style:  # each decision gets what the drafter passed / took before it in the draft
        from copilot.picking.draft_signals import draft_histories

        def features_of(name: str) -> list[float]:
            i = vocab.id(name)
            return table[i] if i not in (UNK, PAD) else describe(name)
        train_dec = draft_histories(train_dec, train_drafts, features_of)
        val_dec = draft_histories(val_dec, val_drafts, features_of)
    tr = encode(train_dec, vocab)
    va = encode(val_dec, vocab, describe if cfg.features else None)
    if log is not None:
        log({"event": "start", "stage": "training", "train_picks": len(train_dec), "val_picks": len(val_dec),
             "cards": len(vocab) - 2, "members": cfg.ensemble, "epochs": cfg.epochs})
    result = fit(tr, va, len(vocab), ftable, cfg, log)
    seconds = time.perf_counter() - started
    metrics = run_metrics(int((tr.target >= 0).sum()), seconds, cpu_started, cfg.threads)
    if va.cands.shape[0]:
        metrics.update(val_metrics(result.net.logprobs(va), va, manifest))
    info = model_info(MODEL_KIND, MODEL_VERSION, asdict(cfg), len(vocab), dataset_summary(dataset, manifest), metrics,
                      result.history, card_data=describe.coverage(vocab),
                      architecture="PickNet: id embedding + card features; pool MLP + attention over the pool + "
                                   "pack context; ensemble of members (mean log-probability)")
    out = Path(out)
    save(out, result.net, vocab, info)
    return TrainResult(out, metrics, seconds, result.history)
