"""Pick records and the pool: multiset helpers the reducer uses to keep `pool` equal to the picks in pick order
plus what an authoritative server pool adds (pure functions on a DraftState the reducer has already copied)."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from copilot.draft.state import DraftState, PickRecord

POD_SIZE = 8  # seats at an Arena draft table (human pods and Quick Draft bots alike)


def minus(seq: Iterable[int], remove: Iterable[int]) -> list[int]:
    """`seq` without the cards of `remove` (as multisets), keeping the order of `seq`."""
    left = Counter(remove)
    out = []
    for c in seq:
        if left[c] > 0:
            left[c] -= 1
        else:
            out.append(c)
    return out


def picked_in_order(d: DraftState) -> list[int]:
    return [c for r in d.picks for c in r.picked]


def extras(d: DraftState) -> list[int]:
    """Pool cards that no pick record accounts for (known only from CardPool/PickedCards)."""
    return minus(d.pool, picked_in_order(d))


def record(d: DraftState, pack: int, pick: int) -> PickRecord | None:
    for r in d.picks:
        if r.pack == pack and r.pick == pick:
            return r
    return None


def insert_record(d: DraftState, rec: PickRecord) -> PickRecord:
    key = (rec.pack, rec.pick)
    at = len(d.picks)
    while at > 0 and (d.picks[at - 1].pack, d.picks[at - 1].pick) > key:
        at -= 1
    d.picks.insert(at, rec)
    return rec


def missing(d: DraftState, pack: int, pick: int, cards: list[int]) -> list[int]:
    """Cards taken by the others since this pack was last in front of us (POD_SIZE picks earlier)."""
    earlier = record(d, pack, pick - POD_SIZE)
    if earlier is None or earlier.pack_cards is None or not earlier.picked:
        return []
    rest = minus(earlier.pack_cards, earlier.picked)
    if minus(cards, rest):
        return []  # not the same pack (another pod size, or a gap in the log): say nothing
    return minus(rest, cards)


def _kept(picked: list[int], pool: list[int], authoritative: bool) -> list[int]:
    """The picked cards the pool keeps: all of them (cumulative pool), or those the final pool contains."""
    if not authoritative:
        return picked
    budget = Counter(pool)
    kept = []
    for c in picked:
        if budget[c] > 0:
            budget[c] -= 1
            kept.append(c)
    return kept


def reconcile_pool(d: DraftState, pool: list[int], authoritative: bool) -> None:
    """Merge a pool reported by the server. Authoritative (final CardPool): the pool is exactly `pool`; picks it
    contradicts stay in `picks` but not in the pool. Cumulative (PickedCards): picks missing from it are kept."""
    kept = _kept(picked_in_order(d), pool, authoritative)
    extras = minus(pool, kept)
    fill_unlogged_picks(d, extras, authoritative)
    kept = _kept(picked_in_order(d), pool, authoritative)
    d.pool = kept + minus(pool, kept)


def fill_unlogged_picks(d: DraftState, extras: list[int], final: bool) -> None:
    """A shown pack whose pick was not logged, when the pool says which of its cards we took (exactly
    `cards_per_pick` pool cards are in that pack): record the pick. The pack on the table now is left alone
    unless the draft is over."""
    if not extras:
        return
    current = (d.pack_number, d.pick_number)
    for r in d.picks:
        if r.picked or r.pack_cards is None:
            continue
        if not final and (r.pack, r.pick) >= current:
            continue
        in_pack = Counter(r.pack_cards)
        candidates = []
        for c in extras:
            if in_pack[c] > 0:
                in_pack[c] -= 1
                candidates.append(c)
        if len(candidates) == d.cards_per_pick:
            r.picked = candidates
            extras = minus(extras, candidates)
