"""What a hybrid's parts know that the others do not, from the scores `copilot hybrid fit --scores S.jsonl` saved.

    .venv/bin/python bench/hybrid_scores.py S.jsonl [--parts gguf,picknet,ratings]

Prints, on every saved pick (both halves): each part's top-1/top-3 with the draft as the cluster for the standard
error, and for each pair of parts how often their top cards agree and, where they disagree, how often each one is
right. A part whose top card always agrees with another's cannot change a weighted hybrid's top-1: a weighted sum
of two scores that peak on the same card peaks there too (for positive weights), so only the other parts can.
Each part's calibration too: the scale `a` that maximizes the mean log-likelihood of the human pick under
softmax(a * scores), and that log-likelihood at 1 and at `a`. `a` < 1: the part is over-confident. A bot that draws
its picks from a part at temperature T (seat option `temperature=T`: softmax(scores / T)) draws as a calibrated
model would at temperature T * a, so two parts draw equally sharply when T1 * a1 = T2 * a2. Runs no engine.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from picknet_mix import cluster_rate  # noqa: E402  (bench/ is on sys.path when run as a script)


def top_index(scores: list[float]) -> int:
    """The top card's index; ties keep pack order, as the engines rank."""
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def main() -> int:
    from copilot.training.hybrid_fit import fit_weights, load_scores, usable

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scores", type=Path)
    ap.add_argument("--parts", help="parts to compare (default: every part in the file)")
    args = ap.parse_args()
    data = load_scores(args.scores)
    parts = args.parts.split(",") if args.parts else sorted({p for d in data for p in d.parts})
    rows = usable(data, parts)
    drafts = len({d.draft_id for d in rows})
    print(f"{args.scores.name}: {len(rows)} picks of {drafts} drafts where every part answered "
          f"({len(data) - len(rows)} left out)")
    tops = {p: [top_index(d.parts[p]) for d in rows] for p in parts}
    print(f"{'part':12s}{'top-1':>16s}{'top-3':>16s}{'scale':>8s}{'loglik at 1':>13s}{'at scale':>10s}")
    for p in parts:
        t1 = cluster_rate([(d.draft_id, t == d.target) for d, t in zip(rows, tops[p])])
        top3 = [(d.draft_id, d.target in sorted(range(len(d.names)), key=lambda i: (-d.parts[p][i], i))[:3])
                for d in rows]
        t3 = cluster_rate(top3)
        scale, fit = fit_weights(rows, [p], l2=0.0)  # one part's maximum-likelihood weight is its calibration
        print(f"{p:12s}{100 * t1[0]:9.1f}% ±{100 * t1[1]:.1f}{100 * t3[0]:9.1f}% ±{100 * t3[1]:.1f}{scale[p]:8.2f}"
              f"{-fit['nll_per_pick_equal_weights']:13.3f}{-fit['nll_per_pick']:10.3f}")
    print(f"\n{'pair':24s}{'same top':>10s}{'differ':>8s}{'first right':>13s}{'second right':>14s}")
    for a, b in itertools.combinations(parts, 2):
        differ = [i for i in range(len(rows)) if tops[a][i] != tops[b][i]]
        right_a = sum(tops[a][i] == rows[i].target for i in differ)
        right_b = sum(tops[b][i] == rows[i].target for i in differ)
        same = 1 - len(differ) / len(rows)
        print(f"{a + ' / ' + b:24s}{100 * same:9.1f}%{len(differ):8d}{right_a:13d}{right_b:14d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
