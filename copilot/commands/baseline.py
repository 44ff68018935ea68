"""`copilot train-baseline`: the learned non-LLM pick model (card embeddings + MLP), CPU, minutes."""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train-baseline", help="train the small neural pick model (no LLM) on a dataset folder",
        description="Train the card-embedding MLP pick model on DATASET/train.jsonl (the examples' meta: pack, "
                    "pool, pick), report top-1/top-3 on DATASET/val.jsonl, and save a self-describing model file "
                    "usable as `--engine mlp --model PATH`.")
    p.add_argument("--dataset", required=True, metavar="DIR", help="folder from `copilot dataset build`")
    p.add_argument("--out", required=True, metavar="PATH", help="model file to write (e.g. models/dsk-mlp.pt)")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--emb-dim", type=int, default=48)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: fastest for this small model; more threads cost more CPU)")
    p.add_argument("--force", action="store_true", help="overwrite --out")
    p.add_argument("--json", action="store_true", help="print the final figures as JSON")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from copilot.training.dataset import DatasetError

    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"error: {out} exists; choose another --out or pass --force", file=sys.stderr)
        return 2
    if args.epochs < 1:
        print("error: --epochs must be at least 1", file=sys.stderr)
        return 2
    from copilot.backends import missing

    if missing("torch"):
        print("error: train-baseline needs torch; pip install 'magic-copilot[train]'", file=sys.stderr)
        return 2
    from copilot.picking.mlp_model import MLPConfig
    from copilot.training.mlp_train import train

    cfg = MLPConfig(emb_dim=args.emb_dim, hidden=args.hidden, epochs=args.epochs, batch_size=args.batch_size,
                    lr=args.lr, seed=args.seed, threads=args.threads)

    def log(row: dict) -> None:
        if not args.json:
            val = (f"  val top1 {row['val_top1']:.3f} top3 {row['val_top3']:.3f}" if "val_top1" in row else "")
            print(f"epoch {row['epoch']}/{cfg.epochs}: loss {row['train_loss']:.4f}{val}  ({row['seconds']:.1f} s)",
                  file=sys.stderr)

    try:
        result = train(args.dataset, out, cfg, log=log)
    except (DatasetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = result.metrics
    if args.json:
        print(json.dumps({"model": str(result.path), **m}, indent=2))
        return 0
    print(f"saved {result.path} (+ {result.path.name}.json) in {m['train_seconds']:.1f} s, "
          f"{m['train_examples']:,} training picks")
    if "val_top1" in m:
        print(f"validation ({m['val_drafts']} drafts, {m['val_decisions']:,} picks): top-1 {m['val_top1']:.3f}, "
              f"top-3 {m['val_top3']:.3f}  (random: {m['val_random_top1']:.3f} / {m['val_random_top3']:.3f})")
    print(f"use it: copilot eval --engine mlp --model {result.path} --picks FILE")
    return 0
