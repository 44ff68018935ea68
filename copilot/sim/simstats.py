"""Colour statistics of drafted pools, for simulated seats and real human drafts alike.

Definitions (applied identically to bots and humans):
- colour counts: n[c] = number of picked cards whose colour identity (17lands `color_identity`) contains c; a
  two-colour card counts once for each of its colours, colourless cards count for none;
- main colours: the two colours with the largest n[c] (ties broken in WUBRG order);
- top-two share: (n[c1] + n[c2]) / sum(n); with this definition the DSK human drafts give 78.4%, the figure quoted
  for them (SOURCES.md);
- top-one share: n[c1] / sum(n); a pool is **mono-colour** when its top-one share is >= MONO_THRESHOLD (0.6:
  at least three colour counts in five go to one colour);
- contested (tables only): how many seats of a table have each colour among their main colours; the table's
  "max seats sharing a colour" and "colours nobody drafts" tell how evenly the seats split the colours.
Humans in the 17lands data are not seated at one table with each other, so the contested figures compare against
the human share of drafters with each colour among their main colours (x 8 gives "seats at an 8-seat table").
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Iterable, Sequence

from copilot.cards.model import COLOR_ORDER, Card, name_key

MONO_THRESHOLD = 0.6
SEATS = 8


@dataclass(frozen=True)
class PoolStats:
    n_cards: int
    counts: dict[str, int]
    main: tuple[str, ...]  # the (up to) two main colours, in WUBRG order; () when no card has a colour
    top2_share: float
    top1_share: float

    @property
    def mono(self) -> bool:
        return self.top1_share >= MONO_THRESHOLD

    @property
    def pair(self) -> str:
        return "".join(c for c in COLOR_ORDER if c in self.main)

    def to_dict(self) -> dict:
        return {"n_cards": self.n_cards, "counts": self.counts, "main": self.pair,
                "top2_share": round(self.top2_share, 4), "top1_share": round(self.top1_share, 4),
                "mono": self.mono}


def pool_stats(identities: Iterable[Sequence[str]]) -> PoolStats:
    """Statistics of one pool given each picked card's colour identity."""
    counts = {c: 0 for c in COLOR_ORDER}
    n = 0
    for ci in identities:
        n += 1
        for c in set(ci):
            if c in counts:
                counts[c] += 1
    order = sorted(COLOR_ORDER, key=lambda c: (-counts[c], COLOR_ORDER.index(c)))
    total = sum(counts.values())
    main = tuple(c for c in COLOR_ORDER if c in order[:2] and counts[c] > 0)  # none for a colourless pool
    top2 = (counts[order[0]] + counts[order[1]]) / total if total else 0.0
    top1 = counts[order[0]] / total if total else 0.0
    return PoolStats(n, counts, main, top2, top1)


def card_pool_stats(cards: Iterable[Card]) -> PoolStats:
    return pool_stats(c.color_identity for c in cards)


def summarize(pools: Sequence[PoolStats], tables: Sequence[Sequence[PoolStats]] = ()) -> dict:
    """Aggregate over many pools; `tables` groups the same kind of pools by table for the contested figures."""
    if not pools:
        return {"pools": 0}
    colour_main = Counter(c for p in pools for c in p.main)
    pairs = Counter(p.pair for p in pools)
    out = {
        "pools": len(pools),
        "mean_cards": round(mean(p.n_cards for p in pools), 2),
        "top2_share": round(mean(p.top2_share for p in pools), 4),
        "top1_share": round(mean(p.top1_share for p in pools), 4),
        "mono_rate": round(sum(p.mono for p in pools) / len(pools), 4),
        "main_colour_share": {c: round(colour_main[c] / len(pools), 4) for c in COLOR_ORDER},
        "seats_per_colour_at_8": {c: round(SEATS * colour_main[c] / len(pools), 2) for c in COLOR_ORDER},
        "top_pairs": [[p, round(n / len(pools), 4)] for p, n in pairs.most_common(5)],
    }
    if tables:
        per_colour = defaultdict(list)
        maxes, empties = [], []
        for t in tables:
            cnt = Counter(c for p in t for c in p.main)
            for c in COLOR_ORDER:
                per_colour[c].append(cnt[c])
            maxes.append(max(cnt[c] for c in COLOR_ORDER))
            empties.append(sum(1 for c in COLOR_ORDER if cnt[c] == 0))
        out["contested"] = {
            "tables": len(tables),
            "mean_seats_per_colour": {c: round(mean(per_colour[c]), 2) for c in COLOR_ORDER},
            "mean_max_seats_sharing_a_colour": round(mean(maxes), 2),
            "mean_colours_nobody_drafts": round(mean(empties), 2),
        }
    return out


def draft_stats(seat_pools: Sequence[Sequence[Card]]) -> dict:
    """Per-seat statistics of one simulated draft."""
    per = [card_pool_stats(p) for p in seat_pools]
    return {"seats": [p.to_dict() for p in per], "summary": summarize(per, [per])}


# ---------------------------------------------------------------------------------------------------- humans
def human_pools(picks_path: Path, colour_of: dict[str, tuple[str, ...]], limit: int | None = None
                ) -> tuple[list[PoolStats], Counter]:
    """Final pools of the real drafts in a 17lands picks file (JSONL or draft_data CSV), one PoolStats each, and
    the names `colour_of` (name_key -> colour identity) does not know (counted as colourless; should be empty)."""
    from copilot.datasets.picks import iter_pick_rows

    pools: dict[str, list[str]] = defaultdict(list)
    for row in iter_pick_rows(picks_path, limit=limit):
        pools[row.draft_id].append(row.pick)
    unknown: Counter = Counter()
    out = []
    for picks in pools.values():
        ids = []
        for n in picks:
            k = name_key(n.split(" // ")[0])
            if k not in colour_of:
                unknown[n] += 1
            ids.append(colour_of.get(k, ()))
        out.append(pool_stats(ids))
    return out, unknown


def colour_map(cards: Iterable[Card]) -> dict[str, tuple[str, ...]]:
    return {c.key: tuple(c.color_identity) for c in cards}


def format_table(rows: Sequence[tuple[str, dict]]) -> str:
    """A plain-text comparison table: one row per population (bots of an engine, humans)."""
    head = (f"{'drafters':<34} {'pools':>6} {'top2':>6} {'top1':>6} {'mono':>6}  "
            + " ".join(f"{c:>5}" for c in COLOR_ORDER) + "   top pairs")
    lines = [head, "-" * len(head)]
    for label, s in rows:
        if not s.get("pools"):
            lines.append(f"{label:<34} {0:>6}")
            continue
        spc = s["seats_per_colour_at_8"]
        pairs = " ".join(f"{p}:{v:.0%}" for p, v in s["top_pairs"][:3])
        lines.append(f"{label:<34} {s['pools']:>6} {s['top2_share']:>6.1%} {s['top1_share']:>6.1%} "
                     f"{s['mono_rate']:>6.1%}  " + " ".join(f"{spc[c]:>5.2f}" for c in COLOR_ORDER) + f"   {pairs}")
    lines.append("top2/top1 = mean share of colour counts in the two/one main colours; mono = top1 >= "
                 f"{MONO_THRESHOLD:.0%}; W..G = seats per 8 with the colour among their two main colours")
    return "\n".join(lines)
