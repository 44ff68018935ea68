"""How the conversation format orders a pack (`order=pick`, `order=picknet`): by decision, in an engine's ranking.

A decision is one pick of the conversation: its pack, the pool before it, its pack and pick numbers and the picks
before it (`decision`), so that a turn is ordered the same way at training time, live and for its letters.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from copilot.cards.model import Card
from copilot.picking.engine import CardScore, EngineBase, PastPick, PickContext, Recommendation, safe_rank


class PickModelOrder:
    """The pick model that orders packs: a pinned file, else the model store's newest for the set (as the
    `picknet` engine with no model file finds it); for a set with neither a pick model nor ratings (its first days),
    the newest stored pick model of another set that learned to rank without ratings (`day_one_engine`)."""

    def __init__(self, path: Path | None = None):
        from copilot.picking.picknet_engine import PickNetEngine

        self.engine = PickNetEngine(path)
        self._day_one: dict[str | None, tuple[int, object]] = {}

    def engine_for(self, set_code: str | None, rated: bool = True):
        """The picknet engine for `set_code`'s packs, or None (no pick model for it, or no torch; when the set is
        not `rated` either, a day-one model of another set)."""
        if self.engine.path is not None:
            return self.engine
        if self.engine.available(set_code)[0]:
            return self.engine.for_set(set_code)
        return None if rated else self.day_one_engine(set_code)

    def day_one_engine(self, set_code: str | None):
        """The newest stored PickNet of another set trained with rating dropout: it ranks cards it never saw from
        their card data alone (colours, cost, rarity, types), as a set's first days require; None without one."""
        from copilot.picking.pick_model_files import read_sidecar
        from copilot.store.pick_models import pick_model_path, pick_models

        store = self.engine._store()
        try:
            stamp = store.root.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._day_one.get(set_code)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        engine = None
        for entry in pick_models(store):
            try:
                config = read_sidecar(pick_model_path(entry)).get("config") or {}
            except (OSError, ValueError):
                continue
            if config.get("features") and float(config.get("rating_dropout") or 0) > 0:
                engine = type(self.engine)(pick_model_path(entry), threads=self.engine.threads)
                break
        self._day_one[set_code] = (stamp, engine)
        return engine

    def note(self, set_code: str | None, rated: bool, engine) -> str | None:
        """What a gguf engine's Recommendation says when `engine`, the one `engine_for` chose for the set's packs, is
        not the set's own pick model (another set's day-one model, or None: the ratings engine's order or none)."""
        where = set_code or "this set"
        day_one = self._day_one.get(set_code, (None, None))[1]
        if engine is not None and engine is not day_one:
            return None
        if engine is not None:
            return (f"packs listed in {engine.path.parent.name}'s order, from card data: {where} has neither a pick "
                    "model nor 17lands ratings yet")
        if rated:
            return (f"packs listed in the ratings engine's order: no pick model for {where} in the model store "
                    "(this model learned a pick model's order: train the quick model for the set)")
        return (f"packs listed as they come: {where} has neither a pick model nor 17lands ratings yet (this "
                "model learned a pick model's order: train a quick model on any set to order a new set's packs)")


class ListedOrder(EngineBase):
    """The pack in the order a prompt format lists it, first card ("A)") first: beside an LLM trained on that format,
    how often the LLM's pick is just the first card listed (`copilot export --eval`, `same_top_as_first`)."""

    name = "listed-first"

    def __init__(self, fmt):
        self.fmt = fmt

    def rank(self, ctx: PickContext) -> Recommendation:
        ranked = [CardScore(card=c, score=float(-i)) for i, c in enumerate(self.fmt.pack_order(ctx))]
        return Recommendation(engine=self.name, ranked=ranked)


def ranking_positions(engine, ctx: PickContext) -> list[int] | None:
    """Positions of the pack's cards in `engine`'s ranking of `ctx`, or None when it failed."""
    rec = safe_rank(engine, ctx)
    if not rec.ok:
        return None
    place: dict[str, int] = {}
    for i, s in enumerate(rec.ranked):
        place.setdefault(s.card.name, i)
    return sorted(range(len(ctx.pack)), key=lambda i: place.get(ctx.pack[i].name, len(place)))


def decision(turn, earlier: Sequence, pool: Sequence[Card], set_code: str | None) -> PickContext:
    """The decision of a conversation turn (a `conversation.Turn`): its pack, the pool before it, its pack and pick
    numbers and the turns before it."""
    return PickContext(pack=turn.pack, pool=tuple(pool), pack_number=turn.pack_number, pick_number=turn.pick_number,
                       set_code=set_code, cards_to_pick=turn.to_pick,
                       history=tuple(PastPick(t.pack_number, t.pick_number, t.pack, t.picked) for t in earlier))
