"""Tune the colour-commitment weights of the ratings / heuristic engines on 17lands picks; prints the grid.

    .venv/bin/python bench/tune_colour_weights.py --engine ratings \
        --picks ../shared/data/picks/DSK/dsk_picks.dev.jsonl.gz \
        --ratings ../shared/data/ratings/derived_gih_28d/DSK_gih_28d.csv

The drafts are split in two halves by md5(draft_id) parity: the grid is scored on half 0, the best weights are then
scored on half 1 (held out from the choice) and on all picks. Top-1 = the engine's first card is the human's pick.
Each card's base value (GIH WR or heuristic card value) is computed once; only the colour term varies.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import time
from pathlib import Path

from copilot.cards.catalog import default_catalog
from copilot.datasets import iter_contexts
from copilot.picking.colors import ColorParams, color_bonus, commitment, main_colors, pool_color_weights


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--picks", required=True, type=Path)
    ap.add_argument("--engine", choices=("ratings", "heuristic"), default="ratings")
    ap.add_argument("--ratings", type=Path)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--on", default="1.5,3,5,8", help="on_bonus values (comma list)")
    ap.add_argument("--off", default="1.5,3,5,8", help="off_penalty values")
    ap.add_argument("--ramp", default="6,12,20", help="ramp values (picks to full commitment)")
    ap.add_argument("--colorless", default="0,0.5", help="colourless share values")
    args = ap.parse_args()

    if args.engine == "ratings":
        from copilot.picking.ratings_engine import RatingsEngine

        eng = RatingsEngine.from_options({"ratings": str(args.ratings)} if args.ratings else {})
        ratings_cache: dict = {}

        def base(card, set_code):
            r = ratings_cache.get(set_code) or ratings_cache.setdefault(set_code, eng.ratings_for(set_code))
            if r is None:
                raise SystemExit(f"no ratings for set {set_code}: pass --ratings")
            return eng.base_score(card, r)
    else:
        from copilot.picking.heuristic_engine import card_value

        def base(card, set_code):
            return card_value(card)

    t0 = time.perf_counter()
    catalog = default_catalog()
    pre = []
    for row, ctx in iter_contexts(args.picks, catalog, limit=args.limit):
        targets = {row.pick}
        tgt = next((i for i, c in enumerate(ctx.pack) if c.name in targets), None)
        if tgt is None:
            continue
        half = int(hashlib.md5(row.draft_id.encode()).hexdigest(), 16) % 2
        pre.append((ctx.pack, [base(c, ctx.set_code) for c in ctx.pack], tgt, pool_color_weights(ctx.pool),
                    len(ctx.pool), half))
    print(f"{len(pre)} picks prepared in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    def top1(p: ColorParams, half: int | None) -> float:
        hit = n = 0
        for pack, values, tgt, weights, npool, h in pre:
            if half is not None and h != half:
                continue
            main, s = main_colors(weights, p.n_main), commitment(npool, p.ramp)
            scores = [v + color_bonus(c, main, s, p) for c, v in zip(pack, values)]
            hit += max(range(len(scores)), key=scores.__getitem__) == tgt
            n += 1
        return hit / n if n else 0.0

    floats = lambda s: [float(x) for x in s.split(",")]  # noqa: E731
    print(f"no colour term: top-1 {top1(ColorParams(on_bonus=0, off_penalty=0), None):.4f} (all picks)")
    results = []
    for on, off, ramp, cl in itertools.product(floats(args.on), floats(args.off), floats(args.ramp),
                                               floats(args.colorless)):
        p = ColorParams(on_bonus=on, off_penalty=off, ramp=ramp, colorless=cl)
        acc = top1(p, 0)
        results.append((acc, p))
        print(f"half0 top-1 {acc:.4f}  on={on} off={off} ramp={ramp} colorless={cl}", flush=True)
    acc, best = max(results, key=lambda r: r[0])
    print(f"best on half 0: {acc:.4f} {best}")
    print(f"same weights on half 1 (held out): {top1(best, 1):.4f}; all picks: {top1(best, None):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
