"""Where a pick engine meets the deck builder: one score per card of a finished pool.

The deck builder (`copilot.draft.deckbuild`) is below the engines in the layer order, so it takes scores as a
mapping (Card.key -> score); this module computes them with the active engine. Engines rank a pack, so the whole
pool is ranked as one pack with nothing picked yet: for the ratings engine that is the plain 17lands GIH win rate
(the colour-commitment term is zero with an empty pool), for the learned engines their first-pick preference.
When the chosen engine cannot answer (no ratings for the set, no model), the next one in the fallback order does,
and `PoolScores.engine` / `note` say which.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from copilot.cards.model import Card, main_set
from copilot.picking.engine import PickContext, PickEngine, safe_rank
from copilot.picking.recommender import Recommender


@dataclass
class PoolScores:
    engine: str  # the engine that scored the pool ("none" when nothing could)
    scores: dict[str, float] = field(default_factory=dict)  # Card.key -> score, higher is better
    note: str | None = None  # fallback explanation, engine note
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.scores)


def pool_context(pool: Sequence[Card], set_code: str | None = None) -> PickContext:
    """The pool as one pack in front of a player who has picked nothing yet."""
    return PickContext(pack=tuple(pool), pool=(), pack_number=1, pick_number=1, set_code=set_code,
                       picks_per_pack=max(1, len(pool)), draft_key=None)


def _collect(rec) -> dict[str, float]:
    out: dict[str, float] = {}
    for cs in rec.ranked:
        out.setdefault(cs.card.key, float(cs.score))
    return out


def engine_scores(engine: PickEngine | None, pool: Sequence[Card], set_code: str | None = None) \
        -> dict[str, float] | None:
    """Scores from one engine instance (the simulator's seat engines); None when it fails."""
    if engine is None or not pool:
        return None
    rec = safe_rank(engine, pool_context(pool, set_code))
    return _collect(rec) if rec.ok else None


def score_pool(pool: Sequence[Card], set_code: str | None = None, engine_name: str | None = "ratings",
               options: dict[str, dict] | None = None, recommender: Recommender | None = None) -> PoolScores:
    """Scores from the named engine with the usual fallback chain (ratings -> heuristic -> random), or from a
    Recommender the caller keeps (the GUI's, whose engines are already loaded)."""
    if not pool:
        return PoolScores(engine="none", error="empty pool")
    recommender = recommender or Recommender(engine_name, None, options)
    rec = recommender.rank(pool_context(pool, set_code or main_set(pool)))
    if not rec.ok:
        return PoolScores(engine=rec.engine, note=rec.note, error=rec.error or "no engine could score the pool")
    return PoolScores(engine=rec.engine, scores=_collect(rec), note=rec.note)
