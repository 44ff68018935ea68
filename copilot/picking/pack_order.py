"""How the conversation format orders a pack (`order=pick`, `order=picknet`): by decision, in an engine's ranking.

A decision is one pick of the conversation: its pack, the pool before it, its pack and pick numbers and the picks
before it (`decision`), so that a turn is ordered the same way at training time, live and for its letters.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from copilot.cards.model import Card
from copilot.picking.engine import PastPick, PickContext, safe_rank


class PickModelOrder:
    """The pick model that orders packs: a pinned file, else the model store's newest for the set (as the
    `picknet` engine with no model file finds it)."""

    def __init__(self, path: Path | None = None):
        from copilot.picking.picknet_engine import PickNetEngine

        self.engine = PickNetEngine(path)

    def engine_for(self, set_code: str | None):
        """The picknet engine for `set_code`'s packs, or None (no pick model for it, or no torch)."""
        if self.engine.path is not None:
            return self.engine
        return self.engine.for_set(set_code) if self.engine.available(set_code)[0] else None


def ranking_positions(engine, ctx: PickContext) -> list[int] | None:
    """Positions of the pack's cards in `engine`'s ranking of `ctx`, or None when it failed."""
    rec = safe_rank(engine, ctx)
    if not rec.ok:
        return None
    place: dict[str, int] = {}
    for i, s in enumerate(rec.ranked):
        place.setdefault(s.card.name, i)
    return sorted(range(len(ctx.pack)), key=lambda i: place.get(ctx.pack[i].name, len(place)))


def ratings_positions(engine, ratings, ctx: PickContext) -> list[int]:
    """Positions of the pack's cards in the ratings engine's ranking for the pool (GIH WR and colour bonus); the
    pack as given without ratings."""
    from copilot.picking.colors import ColorModel

    pack = ctx.pack
    if ratings is None:
        return list(range(len(pack)))
    colours = ColorModel(ctx.pool, engine.params)
    return sorted(range(len(pack)), key=lambda i: -(engine.base_score(pack[i], ratings) + colours.bonus(pack[i])))


def decision(turn, earlier: Sequence, pool: Sequence[Card], set_code: str | None) -> PickContext:
    """The decision of a conversation turn (a `conversation.Turn`): its pack, the pool before it, its pack and pick
    numbers and the turns before it."""
    return PickContext(pack=turn.pack, pool=tuple(pool), pack_number=turn.pack_number, pick_number=turn.pick_number,
                       set_code=set_code, cards_to_pick=turn.to_pick,
                       history=tuple(PastPick(t.pack_number, t.pick_number, t.pack, t.picked) for t in earlier))
