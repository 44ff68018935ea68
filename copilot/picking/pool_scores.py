"""Scores for the deck builder from a pick engine: where the engines meet copilot.draft.deckbuild."""
from __future__ import annotations

from typing import Sequence

from copilot.cards.model import Card
from copilot.picking.engine import PickContext, safe_rank


def engine_scores(engine, pool: Sequence[Card], set_code: str | None = None) -> dict[str, float] | None:
    """Scores for the deck builder: the engine ranks the whole pool as if it were one pack with nothing picked
    yet (so a ratings engine gives plain card quality). None when the engine fails."""
    if engine is None or not pool:
        return None
    ctx = PickContext(pack=tuple(pool), pool=(), pack_number=1, pick_number=1, set_code=set_code,
                      picks_per_pack=len(pool), draft_key=None)
    rec = safe_rank(engine, ctx)
    if not rec.ok:
        return None
    out: dict[str, float] = {}
    for cs in rec.ranked:
        out.setdefault(cs.card.key, float(cs.score))
    return out
