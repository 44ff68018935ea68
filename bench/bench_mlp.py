"""MLP engine latency: one decision at a time (live path) and batched (`rank_many`, simulator seats).

    .venv/bin/python bench/bench_mlp.py --model dsk-mlp.pt --picks DATASET/val.picks.jsonl [--n 300]

Prints wall and CPU milliseconds per pick with the process's torch thread count at 1 and 2 (the engine runs its
forward pass on its own thread setting, default 1, and restores the global one).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--picks", required=True, help="a picks JSONL/CSV, e.g. a dataset's val.picks.jsonl")
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import torch

    from copilot.datasets.picks import context_from_row, iter_pick_rows
    from copilot.picking.mlp_engine import MLPEngine

    hist: dict[str, list] = {}
    ctxs = []
    for r in iter_pick_rows(args.picks, limit=args.n):
        past = hist.setdefault(r.draft_id, [])
        ctxs.append(context_from_row(r, None, past))
        past.append(r)
    w = time.perf_counter()
    engine = MLPEngine(args.model)
    engine.load()
    print(f"load {args.model}: {time.perf_counter() - w:.2f} s (torch already imported)")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        engine.rank(ctxs[0])
        w, c = time.perf_counter(), time.process_time()
        for ctx in ctxs:
            engine.rank(ctx)
        per = 1000 / len(ctxs)
        print(f"global torch threads {threads}: rank()      {per * (time.perf_counter() - w):7.3f} ms wall "
              f"{per * (time.process_time() - c):7.3f} ms cpu per pick")
        w, c = time.perf_counter(), time.process_time()
        engine.rank_many(ctxs)
        print(f"global torch threads {threads}: rank_many() {per * (time.perf_counter() - w):7.3f} ms wall "
              f"{per * (time.process_time() - c):7.3f} ms cpu per pick ({len(ctxs)} decisions in one batch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
