"""The deck suggestion for a finished draft or Sealed pool, beside the deck the player registered.

One function for `copilot deck` and the live panel: the pool's cards scored by the active engine (`pool_scores`),
built by `copilot.draft.deckbuild`, and compared with the registered main deck where the log holds one
(`copilot.draft.deckcompare`).
"""
from __future__ import annotations

from dataclasses import dataclass

from copilot.cards.model import Card, main_set
from copilot.draft.deckbuild import DeckSuggestion, suggest_deck
from copilot.draft.deckcompare import DeckComparison, compare_decks
from copilot.draft.state import DraftState
from copilot.picking.pool_scores import PoolScores, score_pool
from copilot.picking.recommender import Recommender


@dataclass
class DeckReport:
    event: str | None
    set_code: str | None
    kind: str  # "draft" or "sealed"
    format: str | None
    pool: list[Card]
    scores: PoolScores
    deck: DeckSuggestion
    registered: list[Card] | None = None  # the registered main deck, one Card per copy
    comparison: DeckComparison | None = None

    def to_dict(self) -> dict:
        out = {"event": self.event, "set": self.set_code, "kind": self.kind, "format": self.format,
               "pool_size": len(self.pool), "engine": self.scores.engine, "engine_note": self.scores.note,
               "engine_error": self.scores.error, "colours": self.deck.label, "suggested": self.deck.main_names(),
               "deck": self.deck.to_dict(), "mana_problems": self.deck.mana_problems(),
               "arena": self.deck.to_arena(),
               "registered": [c.name for c in self.registered] if self.registered is not None else None,
               "shared": None, "registered_spells": None}
        if self.comparison is not None:
            out.update(self.comparison.to_dict())
        return out


def deck_ready(draft: DraftState | None) -> bool:
    """A deck can be built: picking is over (or it is a Sealed pool) and the pool is known."""
    return draft is not None and bool(draft.pool) and (draft.complete or draft.kind == "sealed")


def deck_report(draft: DraftState, catalog, engine_name: str | None = "ratings",
                options: dict[str, dict] | None = None, recommender: Recommender | None = None,
                set_code: str | None = None) -> DeckReport:
    """`catalog` needs `card(arena_id) -> Card`. Blocking (engines, a model): call off the UI thread."""
    pool = [catalog.card(g) for g in draft.pool]
    set_code = set_code or draft.set_code or main_set(pool)
    scored = score_pool(pool, set_code, engine_name, options, recommender)
    deck = suggest_deck(pool, scored.scores if scored.ok else None)
    report = DeckReport(event=draft.event_name, set_code=set_code, kind=draft.kind, format=draft.format, pool=pool,
                        scores=scored, deck=deck)
    if draft.deck is not None and draft.deck.main:
        report.registered = [catalog.card(g) for g in draft.deck.main]
        report.comparison = compare_decks(deck.main_cards(), report.registered, pool)
    return report
