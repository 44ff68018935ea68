"""`copilot train-baseline`: the learned non-LLM pick model (PickNet by default, `--arch mlp` for the older MLP).

With `--json-progress` (copilot/progress.py) it prints `started`, `progress` ({"fraction": 0..1, "member", "epoch"}
or {"message": stage}), `metrics` (one per epoch: train_loss, val_top1, val_top3, val_loss; with an ensemble one per
member: ensemble_val_top1/3), then `result` (the model file, its figures, the store entry) or `error`. The Training
panel's quick model runs this command that way.
"""
from __future__ import annotations

import argparse
import json
import sys

from copilot.progress import EventKind, ProgressWriter, add_flag

ARCH_DEFAULTS = {"picknet": {"epochs": 6, "dim": 64, "hidden": 192, "batch_size": 256, "lr": 3e-3},
                 "mlp": {"epochs": 6, "dim": 48, "hidden": 128, "batch_size": 256, "lr": 3e-3}}
_EVENTS = {"start": EventKind.PROGRESS, "progress": EventKind.PROGRESS, "epoch": EventKind.METRICS,
           "member": EventKind.METRICS}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train-baseline", help="train the small neural pick model (no LLM) on a dataset folder",
        description="Train a learned pick model on DATASET/train.jsonl (the examples' meta: pack, pool, pick), "
                    "report top-1/top-3 on DATASET/val.jsonl, and save a self-describing model file usable as "
                    "`--engine picknet --model PATH` (or `--engine mlp --model PATH`).")
    p.add_argument("--dataset", required=True, metavar="DIR", help="folder from `copilot dataset build`")
    p.add_argument("--out", required=True, metavar="PATH", help="model file to write (e.g. models/dsk-picknet.pt)")
    p.add_argument("--arch", choices=sorted(ARCH_DEFAULTS), default="picknet",
                   help="picknet (default: card features incl. the set's 17lands rating, pool MLP) or mlp (the "
                        "older card-embedding MLP)")
    p.add_argument("--epochs", type=int, help="passes over the training picks (default 6)")
    p.add_argument("--emb-dim", "--dim", dest="dim", type=int, help="card vector size (picknet 64, mlp 48)")
    p.add_argument("--hidden", type=int, help="hidden layer width (picknet 192, mlp 128)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--ensemble", type=int, default=1, help="picknet: members trained with different seeds "
                   "(their log-probabilities are averaged; each costs one more training run and forward pass)")
    p.add_argument("--dropout", type=float, help="picknet: dropout in the scoring MLP (default 0.1)")
    p.add_argument("--rating-dropout", type=float, metavar="P",
                   help="picknet: share of training batches that see no 17lands ratings, so the model also ranks "
                        "a new set's cards before it has ratings (default 0.3)")
    p.add_argument("--no-ratings", action="store_true",
                   help="picknet: leave the set's 17lands GIH win rate out of the card features")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: fastest for these small models; more threads cost more CPU)")
    p.add_argument("--register", metavar="NAME", help="also add the model to the model store under NAME (the "
                   "picknet/mlp engines then use it for its set when given no --model)")
    p.add_argument("--force", action="store_true", help="overwrite --out")
    p.add_argument("--json", action="store_true", help="print the final figures as JSON")
    add_flag(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    progress = ProgressWriter(args.json_progress)

    def fail(msg: str) -> int:
        progress.error(msg)
        print(f"error: {msg}", file=sys.stderr)
        return 2

    out = Path(args.out)
    if out.exists() and not args.force:
        return fail(f"{out} exists; choose another --out or pass --force")
    d = ARCH_DEFAULTS[args.arch]
    epochs = args.epochs if args.epochs is not None else d["epochs"]
    if epochs < 1 or args.ensemble < 1:
        return fail("--epochs and --ensemble must be at least 1")
    from copilot.backends import missing

    if missing("torch"):
        return fail("train-baseline needs torch; pip install 'magic-copilot[train]'")
    from copilot.training.dataset import DatasetError

    common = dict(epochs=epochs, hidden=args.hidden or d["hidden"], batch_size=args.batch_size or d["batch_size"],
                  lr=args.lr or d["lr"], seed=args.seed, threads=args.threads)

    def log(row: dict) -> None:
        if progress:
            progress.emit(_EVENTS.get(row.get("event"), EventKind.PROGRESS),
                          **{("message" if k == "stage" else k): v for k, v in row.items() if k != "event"})
        elif not args.json and "train_loss" in row:
            val = (f"  val top1 {row['val_top1']:.3f} top3 {row['val_top3']:.3f}" if "val_top1" in row else "")
            who = f"member {row['member']}, " if row.get("member") and args.ensemble > 1 else ""
            print(f"{who}epoch {row['epoch']}/{epochs}: loss {row['train_loss']:.4f}{val}  ({row['seconds']:.1f} s)",
                  file=sys.stderr)

    try:
        if args.arch == "mlp":
            from copilot.picking.mlp_model import MLPConfig
            from copilot.training.mlp_train import train as train_mlp

            cfg = MLPConfig(emb_dim=args.dim or d["dim"], **common)
            progress.emit(EventKind.STARTED, arch="mlp", dataset=str(args.dataset), out=str(out), config=vars(cfg))
            result = train_mlp(args.dataset, out, cfg,
                               log=lambda r: log(dict(r, event="epoch", fraction=round(r["epoch"] / epochs, 4))))
        else:
            from copilot.picking.picknet_model import PickNetConfig
            from copilot.training.picknet_train import train as train_picknet

            extra = {k: v for k, v in (("dropout", args.dropout), ("rating_dropout", args.rating_dropout))
                     if v is not None}
            cfg = PickNetConfig(dim=args.dim or d["dim"], ensemble=args.ensemble, **common, **extra)
            progress.emit(EventKind.STARTED, arch="picknet", dataset=str(args.dataset), out=str(out),
                          config=vars(cfg))
            result = train_picknet(args.dataset, out, cfg, log=log, use_ratings=not args.no_ratings)
    except (DatasetError, ValueError, OSError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted: no model was written")
    m = result.metrics
    registered = None
    if args.register:
        from copilot.store.model_store import ModelStore, StoreError
        from copilot.store.pick_models import register_pick_model

        try:
            registered = register_pick_model(ModelStore(), result.path, args.register)
        except StoreError as exc:
            return fail(f"the model was saved to {result.path} but not registered: {exc}")
    done = {"model": str(result.path), "arch": args.arch, **m,
            **({"registered": registered.name, "store": str(registered.folder)} if registered else {})}
    if progress:
        progress.emit(EventKind.RESULT, **done)
        return 0
    if args.json:
        print(json.dumps(done, indent=2))
        return 0
    print(f"saved {result.path} (+ {result.path.name}.json) in {m['train_seconds']:.1f} s, "
          f"{m['train_examples']:,} training picks")
    if "val_top1" in m:
        print(f"validation ({m['val_drafts']} drafts, {m['val_decisions']:,} picks): top-1 {m['val_top1']:.3f}, "
              f"top-3 {m['val_top3']:.3f}  (random: {m['val_random_top1']:.3f} / {m['val_random_top3']:.3f})")
    if registered:
        print(f"registered in the model store as {registered.name} ({registered.folder})")
    engine = "picknet" if args.arch == "picknet" else "mlp"
    print(f"use it: copilot eval --engine {engine} --model {result.path} --picks FILE")
    return 0
