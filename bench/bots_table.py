"""Colour focus of simulated bots against the human drafts, from one or more `copilot simulate --json` files.

    .venv/bin/python bench/bots_table.py SIM.json [SIM.json ...] [--agreement ENGINE]

A long run is done in chunks (`--drafts 5 --seed 0`, `--seed 5`, ...): this merges them and prints one row per seat
engine (pools, top-2 share, top-1 share, mono-colour rate, seats per colour) and the humans' row, with the table
figures (most seats sharing a colour, colours nobody drafts). `--agreement ratings` also replays every recorded pick
of every seat through that engine (same pack, same pool before the pick) and prints how often the seat took the
engine's top card: how much of a bot's drafting is its own.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def seat_label(seat: dict) -> str:
    label = seat.get("engine") or "?"
    return label.split(":")[0]


def main() -> int:
    from copilot.sim.simstats import PoolStats, format_table, summarize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--agreement", metavar="ENGINE", help="replay each seat's picks through this engine")
    args = ap.parse_args()
    pools: dict[str, list[PoolStats]] = defaultdict(list)
    tables: dict[str, list[list[PoolStats]]] = defaultdict(list)
    humans, seeds, set_code, drafts = None, [], None, []
    for path in args.files:
        doc = json.loads(path.read_text())
        set_code = set_code or doc["set"]
        humans = humans or doc["stats"].get("humans")
        for draft, per in zip(doc["drafts"], doc["stats"]["per_draft"]):
            seeds.append(draft["seed"])
            drafts.append(draft)
            by: dict[str, list[PoolStats]] = defaultdict(list)
            for seat, s in zip(draft["seats"], per):
                p = PoolStats(s["n_cards"], s["counts"], tuple(s["main"]), s["top2_share"], s["top1_share"])
                by[seat_label(seat)].append(p)
            for label, ps in by.items():
                pools[label].extend(ps)
                if len(ps) == len(per):  # a whole table of one engine: its contested figures mean something
                    tables[label].append(ps)
    if len(set(seeds)) != len(seeds):
        raise SystemExit(f"the files repeat draft seeds: {sorted(seeds)}")
    rows = [(f"{label} bots ({len(tables[label])} whole tables)", summarize(ps, tables[label]))
            for label, ps in sorted(pools.items())]
    if humans:
        rows.append(("humans (17lands)", humans))
    print(f"{set_code}: {len(seeds)} drafts, seeds {min(seeds)}-{max(seeds)}")
    print(format_table(rows))
    for label, s in rows:
        if "contested" in s:
            c = s["contested"]
            print(f"{label}: most seats sharing a colour {c['mean_max_seats_sharing_a_colour']:.2f}, "
                  f"colours nobody drafts {c['mean_colours_nobody_drafts']:.2f} (mean over {c['tables']} tables)")
    if args.agreement:
        print(agreement(drafts, args.agreement, set_code))
    return 0


def agreement(drafts: list[dict], engine_name: str, set_code: str) -> str:
    """How often each seat engine's pick is `engine_name`'s top card for the same pack and pool."""
    from copilot.cards.catalog import default_catalog
    from copilot.picking.engine import PickContext
    from copilot.picking.registry import create_engine

    catalog = default_catalog()
    engine = create_engine(engine_name, {})

    def card(name: str):
        return catalog.by_name(name, set_code) or catalog.by_name(name)
    same: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for draft in drafts:
        for seat in draft["seats"]:
            pool = []
            for p in seat["picks"]:
                pack = tuple(card(n) for n in p["pack_cards"])
                if len(pack) > 1 and all(pack):
                    rec = engine.rank(PickContext(pack=pack, pool=tuple(pool), pack_number=p["pack"],
                                                  pick_number=p["pick"], set_code=set_code))
                    tally = same[seat_label(seat)]
                    tally[1] += 1
                    tally[0] += bool(rec.ok and rec.best.name == p["picked"][0])
                pool.extend(card(n) for n in p["picked"])
    return "\n".join(f"{label} seats took the {engine_name} engine's top card at {a / n:.1%} of {n:,} picks "
                     f"(packs of 2+ cards)" for label, (a, n) in sorted(same.items()))


if __name__ == "__main__":
    sys.exit(main())
