"""Mixing two learned pick models (e.g. a PickNet and the older MLP: different inductive biases) on held-out picks.

    .venv/bin/python bench/picknet_mix.py --picks DS/val.picks.jsonl --model a.pt --model b.pt [--weight 0.5 ...]

Ranks every pick with each model (through the `picknet` engine, which reads both kinds of file), then mixes the
log-probabilities: w * first + (1 - w) * second, for each --weight. Prints top-1/top-3 with the draft as the
cluster for the standard error.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def cluster_rate(hits: list[tuple[str, bool]]) -> tuple[float, float]:
    per: dict[str, list[int]] = {}
    for draft, h in hits:
        per.setdefault(draft, []).append(int(h))
    n = sum(len(v) for v in per.values())
    mean = sum(sum(v) for v in per.values()) / n
    k = len(per)
    var = sum((sum(v) - mean * len(v)) ** 2 for v in per.values()) / (k - 1) * k / n ** 2 if k > 1 else 0.0
    return mean, math.sqrt(var)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--picks", required=True)
    ap.add_argument("--model", action="append", required=True, help="two model files")
    ap.add_argument("--weight", action="append", type=float, default=[], help="weight of the first model")
    args = ap.parse_args()
    if len(args.model) != 2:
        raise SystemExit("give exactly two --model files")
    from copilot.cards.catalog import default_catalog
    from copilot.datasets.picks import iter_contexts
    from copilot.picking.picknet_engine import PickNetEngine

    rows = list(iter_contexts(args.picks, default_catalog()))
    scores = []
    for path in args.model:
        engine = PickNetEngine(path)
        out = []
        for i in range(0, len(rows), 512):
            recs = engine._rank_batch([ctx for _, ctx in rows[i:i + 512]])
            out.extend({s.card.name: s.score for s in r.ranked} for r in recs)
        scores.append(out)
    print(f"{len(rows)} picks of {len({r.draft_id for r, _ in rows})} drafts from {args.picks}")
    print(f"{'weight':>6} {'top1':>6} {'se':>5} {'top3':>6} {'se':>5}")
    for w in args.weight or [1.0, 0.0, 0.5]:
        hit1, hit3 = [], []
        for (row, _), a, b in zip(rows, *scores):
            mixed = {n: w * a[n] + (1 - w) * b.get(n, -1e9) for n in a}
            order = sorted(mixed, key=lambda n: -mixed[n])
            hit1.append((row.draft_id, order[0] == row.pick))
            hit3.append((row.draft_id, row.pick in order[:3]))
        (t1, s1), (t3, s3) = cluster_rate(hit1), cluster_rate(hit3)
        print(f"{w:>6.2f} {t1:>6.1%} {s1:>5.1%} {t3:>6.1%} {s3:>5.1%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
