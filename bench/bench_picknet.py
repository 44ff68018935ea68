"""Pick latency of the PickNet engine against today's MLP engine, in the same process, one core.

    .venv/bin/python bench/bench_picknet.py --model picknet.pt --baseline mlp.pt --picks DATASET/val.picks.jsonl \
        [--n 500] [--repeat 3]

Both engines rank the same real picks one at a time (the live path: `rank(ctx)`, whole pack, card data resolved
from the catalog as in `copilot eval`) with torch limited to one thread; prints p50/p95/mean wall milliseconds
per pick for each and the ratio to the MLP, the same for the calling thread's CPU time (on a busy machine the wall
tail is mostly time spent waiting for a core), then the batched simulator path (`rank_many` of 8 decisions).
The order of the engines alternates between repeats so neither always runs warm or second.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def pct(values, q):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="PickNet model file")
    ap.add_argument("--baseline", required=True, help="MLP model file (today's engine)")
    ap.add_argument("--picks", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import torch

    from copilot.cards.catalog import default_catalog
    from copilot.datasets.picks import CardResolver, iter_contexts
    from copilot.picking.mlp_engine import MLPEngine
    from copilot.picking.picknet_engine import PickNetEngine

    torch.set_num_threads(1)
    resolver = CardResolver(default_catalog())
    ctxs = [ctx for _, ctx in iter_contexts(args.picks, resolver, limit=args.n)]
    engines = {"mlp (today)": MLPEngine(args.baseline), "picknet": PickNetEngine(args.model)}
    for e in engines.values():
        e.load()
        e.rank(ctxs[0])
    times: dict[str, list[float]] = {k: [] for k in engines}
    cpu: dict[str, list[float]] = {k: [] for k in engines}
    batched: dict[str, list[float]] = {k: [] for k in engines}
    for r in range(args.repeat):
        order = list(engines) if r % 2 == 0 else list(reversed(engines))
        for name in order:
            e = engines[name]
            for ctx in ctxs:
                t, c = time.perf_counter(), time.thread_time()
                e.rank(ctx)
                times[name].append((time.perf_counter() - t) * 1000)
                cpu[name].append((time.thread_time() - c) * 1000)
            for i in range(0, len(ctxs) - 7, 8):
                t = time.perf_counter()
                e.rank_many(ctxs[i:i + 8])
                batched[name].append((time.perf_counter() - t) * 1000 / 8)
    print(f"{len(ctxs)} real picks of {Path(args.picks).name} x {args.repeat}, torch threads 1")
    base = statistics.median(times["mlp (today)"])
    print(f"{'engine':<14} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'p50 vs mlp':>11} {'cpu p50':>8} "
          f"{'cpu p95':>8} {'batched-8 p50':>14}")
    for name in engines:
        v = times[name]
        print(f"{name:<14} {pct(v, 50):>8.3f} {pct(v, 95):>8.3f} {statistics.mean(v):>8.3f} "
              f"{pct(v, 50) / base:>10.2f}x {pct(cpu[name], 50):>8.3f} {pct(cpu[name], 95):>8.3f} "
              f"{pct(batched[name], 50):>13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
