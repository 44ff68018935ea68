"""Shared helpers for the simulator tests (real card data from ../shared)."""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

from copilot.sim.boosters import SetCards


@lru_cache(maxsize=2)
def set_cards(shared_data: Path) -> SetCards:
    return SetCards.from_file(shared_data / "cards" / "17lands_cards.csv.gz")


def multiset_le(a, b) -> bool:
    """Every card of a is in b, counting copies."""
    ca, cb = Counter(a), Counter(b)
    return all(cb[k] >= n for k, n in ca.items())


def check_draft_invariants(table_result, directions=(1, -1, 1), cards_to_pick=1):
    """The invariants of a finished draft; raises AssertionError with the first violation."""
    seats = table_result.seats
    n = len(seats)
    opened = table_result.opened
    pack_size = len(opened[0][0])
    turns = -(-pack_size // cards_to_pick)
    for s in seats:
        assert len(s.picks) == 3 * turns, (s.index, len(s.picks))
        assert len(s.pool) == 3 * pack_size
        assert [c for e in s.picks for c in e.picked] == s.pool
        for e in s.picks:
            assert multiset_le(e.picked, e.pack_cards), f"seat {s.index} took a card not in its pack"
            assert len(e.picked) == min(cards_to_pick, len(e.pack_cards))
    for r in range(3):
        d = directions[r]
        for i in range(n):
            first = seats[i].picks[r * turns]
            assert (first.pack, first.pick) == (r + 1, 1)
            assert Counter(first.pack_cards) == Counter(opened[r][i]), "a round starts with the seat's own booster"
        for t in range(1, turns):
            for i in range(n):
                now = seats[i].picks[r * turns + t]
                before = seats[(i - d) % n].picks[r * turns + t - 1]  # the neighbour who passed to seat i
                expected = Counter(before.pack_cards)
                expected.subtract(before.picked)
                assert Counter(now.pack_cards) == +expected, f"pass direction/shrink broken at round {r + 1}"
                assert len(now.pack_cards) == len(before.pack_cards) - len(before.picked)
                assert now.pick == before.pick + cards_to_pick
    all_opened = Counter(c for rnd in opened for p in rnd for c in p)
    assert Counter(c for s in seats for c in s.pool) == all_opened, "every opened card ends in exactly one pool"
