"""PickNet variants against the MLP on the same held-out drafts of a dataset folder (validation top-1/top-3, time).

    .venv/bin/python bench/picknet_sweep.py --dataset DIR [--cache FILE.pt] [--runs-dir DIR] \
        --variant name:key=value,key=value ...

Every variant is a PickNetConfig with the given fields changed (e.g. `att:attention=1`, `e3:ensemble=3`). The MLP
to compare with is `copilot train-baseline --arch mlp` on the same folder. Prints one row per variant: validation
top-1, top-3, top-1 by pick bucket (1-3, 4-8, 9+), training wall seconds. `--runs-dir` writes each run's config,
seed and figures as JSON. The decoded decisions can be cached (`--cache`) so repeated sweeps skip reading the
dataset. `--extra-dataset DIR` adds another set's training picks (figures stay those of --dataset's validation).
`--train-fraction F` (repeatable) trains every variant on that share of the training drafts: a learning curve.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parse_variant(text: str):
    from copilot.picking.picknet_model import PickNetConfig

    name, _, rest = text.partition(":")
    kinds = {f.name: f.type for f in fields(PickNetConfig)}
    over = {}
    for part in filter(None, rest.split(",")):
        k, _, v = part.partition("=")
        if k not in kinds:
            raise SystemExit(f"unknown PickNetConfig field {k!r}")
        t = str(kinds[k])
        over[k] = (v.lower() in ("1", "true", "yes")) if "bool" in t else (float(v) if "float" in t else int(v))
    return name, over


def buckets(logp, batch) -> dict:
    """Top-1 by pick bucket from the position one-hot."""
    pick = batch.pos[:, 3:18].argmax(1) + 1
    valid = batch.target >= 0
    best = logp.argmax(1)
    out = {}
    for label, lo, hi in (("1-3", 1, 3), ("4-8", 4, 8), ("9+", 9, 99)):
        sel = valid & (pick >= lo) & (pick <= hi)
        out[label] = round(float((best[sel] == batch.target[sel]).float().mean()), 4) if int(sel.sum()) else None
    return out


def cluster_se(logp, target, drafts) -> tuple[float, float]:
    """Standard errors of top-1 and top-3 with the draft as the cluster (picks of one draft are not independent)."""
    import torch

    valid = (target >= 0).tolist()
    top3 = logp.topk(3, dim=1).indices
    hit1 = (top3[:, 0] == target).tolist()
    hit3 = (top3 == target.unsqueeze(1)).any(1).tolist()
    out = []
    for hits in (hit1, hit3):
        per: dict[str, list[float]] = {}
        for h, ok, d in zip(hits, valid, drafts):
            if ok:
                per.setdefault(d, []).append(float(h))
        n = torch.tensor([len(v) for v in per.values()], dtype=torch.float64)
        s = torch.tensor([sum(v) for v in per.values()], dtype=torch.float64)
        mean = s.sum() / n.sum()
        k = len(per)  # ratio-estimator cluster SE
        var = ((s - mean * n) ** 2).sum() / (k - 1) * k / n.sum() ** 2 if k > 1 else torch.tensor(0.0)
        out.append(float(var.sqrt()))
    return out[0], out[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--cache", help="torch file caching the decoded decisions + feature table")
    ap.add_argument("--variant", action="append", default=[], help="NAME:field=value,... (repeatable)")
    ap.add_argument("--runs-dir", help="write each run's config, seed and figures here as JSON")
    ap.add_argument("--no-ratings", action="store_true", help="leave the 17lands rating out of the card features")
    ap.add_argument("--extra-dataset", help="also train on this dataset folder's train split (another set); the "
                    "figures stay those of --dataset's validation drafts")
    ap.add_argument("--train-fraction", type=float, action="append", default=[],
                    help="a learning curve: train each variant again on this share of the training drafts (whole "
                         "drafts, chosen by a hash of the id; repeatable, e.g. 0.25 0.5 1)")
    args = ap.parse_args()
    import torch

    from copilot.picking.mlp_model import Vocab
    from copilot.picking.picknet_model import PickNet, PickNetConfig, encode
    from copilot.training.dataset import load_manifest
    from copilot.training.mlp_train import topk_accuracy
    from copilot.training.picknet_train import CardDescriber, fit, read_split

    t0 = time.perf_counter()
    cache = Path(args.cache) if args.cache else None
    blob = torch.load(cache, weights_only=False) if cache and cache.is_file() else {}
    if "train_drafts" in blob:
        vocab = Vocab(blob["vocab"])
    else:
        manifest = load_manifest(args.dataset)
        train_dec, train_drafts = read_split(args.dataset, "train")
        val_dec, val_drafts = read_split(args.dataset, "val")
        vocab = Vocab.from_names(n for c, p, *_ in train_dec for n in list(c) + list(p))
        describe = CardDescriber.for_sets(manifest["set_codes"], use_ratings=not args.no_ratings)
        blob = {"train": train_dec, "val": val_dec, "train_drafts": train_drafts, "val_drafts": val_drafts,
                "vocab": vocab.names, "table": describe.table(vocab),
                "val_extra": {n: describe(n) for c, p, *_ in val_dec for n in list(c) + list(p) if vocab.id(n) == 0}}
        print(f"card data: {describe.coverage(vocab)}", flush=True)
        if cache:
            torch.save(blob, cache)
    train_dec, val_dec, table, val_extra = blob["train"], blob["val"], blob["table"], blob["val_extra"]
    print(f"loaded {len(train_dec):,} train / {len(val_dec):,} val decisions in {time.perf_counter() - t0:.1f} s",
          flush=True)
    if args.extra_dataset:  # a second set: its cards join the vocabulary, its picks the training data
        extra_dec, _ = read_split(args.extra_dataset, "train")
        codes = load_manifest(args.extra_dataset)["set_codes"]
        extra_vocab = Vocab.from_names(n for c, p, *_ in extra_dec for n in list(c) + list(p))
        added = [n for n in extra_vocab.names[2:] if vocab.id(n) == 0]
        describe2 = CardDescriber.for_sets(codes, use_ratings=not args.no_ratings)
        vocab = Vocab(vocab.names + added)
        table = list(table) + [describe2(n) for n in added]
        train_dec = list(train_dec) + extra_dec
        print(f"+ {len(extra_dec):,} training decisions and {len(added)} cards from {args.extra_dataset}", flush=True)
    ftable = torch.tensor(table, dtype=torch.float32)
    if any(over.get("signals") or over.get("style") for _, over in [parse_variant(v) for v in args.variant]):
        from copilot.picking.draft_signals import draft_histories

        if args.extra_dataset:
            raise SystemExit("signals/style variants need the draft ids of every training pick: no --extra-dataset")

        def feats(name):
            i = vocab.id(name)
            return table[i] if i > 1 else val_extra.get(name)
        t1 = time.perf_counter()
        train_dec = draft_histories(train_dec, blob["train_drafts"], feats)
        val_dec = draft_histories(val_dec, blob["val_drafts"], feats)
        print(f"draft histories in {time.perf_counter() - t1:.1f} s", flush=True)
    va = encode(val_dec, vocab, val_extra.get)
    val_drafts = blob["val_drafts"]
    variants = [parse_variant(v) for v in (args.variant or ["default:"])]
    if args.train_fraction:
        if args.extra_dataset:
            raise SystemExit("--train-fraction needs the draft id of every training pick: no --extra-dataset")
        from copilot.training.split import draft_hash

        kept = {f: [d for d, did in zip(train_dec, blob["train_drafts"]) if draft_hash(did, 7) < f]
                for f in args.train_fraction}
        runs = [(f"{name}@{f:g}", over, kept[f]) for name, over in variants for f in args.train_fraction]
    else:
        runs = [(name, over, train_dec) for name, over in variants]
    encoded: dict[int, object] = {}
    rows = []
    for name, over, decisions in runs:
        if id(decisions) not in encoded:
            encoded[id(decisions)] = encode(decisions, vocab)
        tr = encoded[id(decisions)]
        print(f"{name}: {int((tr.target >= 0).sum()):,} training picks", flush=True)
        cfg = PickNetConfig(**over)
        res = fit(tr, va, len(vocab), ftable, cfg,
                  log=lambda r: print("   ", r, flush=True) if r.get("event") in ("epoch", "member") else None)
        logp = PickNet(res.net.members, ftable, cfg).logprobs(va)
        acc = topk_accuracy(logp, va.target)
        acc["se_top1"], acc["se_top3"] = cluster_se(logp, va.target, val_drafts)
        rows.append((name, acc, buckets(logp, va), res.seconds, asdict(cfg)))
        print(rows[-1][:4], flush=True)
        if args.runs_dir:
            out = Path(args.runs_dir)
            out.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            (out / f"{stamp}-{Path(args.dataset).name}-{name}.json").write_text(json.dumps(
                {"dataset": str(args.dataset), "variant": name, "config": asdict(cfg), "val": acc,
                 "by_pick": rows[-1][2], "train_seconds": round(res.seconds, 1), "history": res.history,
                 "ratings": not args.no_ratings, "command": " ".join(sys.argv)}, indent=1))
    print(f"\n{'variant':<18} {'top1':>6} {'se':>5} {'top3':>6} {'se':>5} {'p1-3':>6} {'p4-8':>6} {'p9+':>6} "
          f"{'train s':>8}")
    for name, acc, b, secs, _ in rows:
        print(f"{name:<18} {acc['top1']:>6.1%} {acc['se_top1']:>5.1%} {acc['top3']:>6.1%} {acc['se_top3']:>5.1%} "
              f"{b['1-3']:>6.1%} {b['4-8']:>6.1%} {b['9+']:>6.1%} {secs:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
