"""A suggested deck beside the deck the player registered: which non-land main-deck cards they share.

Cards are compared by name, one count per copy (two copies in both decks share two). Lands (basic or not) are left
out of the comparison, as the spells are what a builder chooses. A registered main deck that holds nearly the whole
pool (Arena accepts it; the 2026 Sealed capture registered 95 cards) is flagged `whole_pool`: it is not a built deck,
so a share against it says nothing about the builder.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from copilot.cards.model import Card

WHOLE_POOL_SHARE = 0.9  # registered non-basic cards / pool non-basic cards at or above this: the whole pool


@dataclass(frozen=True)
class DeckComparison:
    shared: int  # non-land cards in both main decks
    registered_spells: int  # non-land cards in the registered main deck
    suggested_spells: int
    registered_size: int  # every card of the registered main deck, lands included
    only_suggested: list[str] = field(default_factory=list)
    only_registered: list[str] = field(default_factory=list)
    whole_pool: bool = False

    @property
    def share(self) -> float:
        return self.shared / self.registered_spells if self.registered_spells else 0.0

    def to_dict(self) -> dict:
        return {"shared": self.shared, "registered_spells": self.registered_spells,
                "suggested_spells": self.suggested_spells, "registered_size": self.registered_size,
                "only_suggested": list(self.only_suggested), "only_registered": list(self.only_registered),
                "whole_pool": self.whole_pool}


def spell_counts(cards: Sequence[Card]) -> Counter:
    return Counter(c.name for c in cards if not c.is_land)


def compare_decks(suggested: Sequence[Card], registered: Sequence[Card], pool: Sequence[Card] = ()) \
        -> DeckComparison:
    """`suggested` and `registered` are main decks (one Card per copy; basics may be left out of `suggested`)."""
    s, r = spell_counts(suggested), spell_counts(registered)
    shared = s & r
    pool_n = sum(1 for c in pool if not c.is_basic_land)
    reg_n = sum(1 for c in registered if not c.is_basic_land)
    return DeckComparison(shared=sum(shared.values()), registered_spells=sum(r.values()),
                          suggested_spells=sum(s.values()), registered_size=len(registered),
                          only_suggested=sorted((s - r).elements()), only_registered=sorted((r - s).elements()),
                          whole_pool=bool(pool_n) and reg_n >= WHOLE_POOL_SHARE * pool_n)
