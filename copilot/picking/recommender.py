"""The one recommender: a draft state in, a Recommendation out, with the fallback chain and its notes.

Used by the GUI's live panel, `copilot live` and `copilot replay`, so all three say the same thing about the same
pack. Qt-free; engines are created once, lazily, and kept.

Pick-Two (the event takes two cards a pick): the recommendation also ranks pairs. The second card of a pair is
ranked by the same engine with the first one already in the pool (so colour commitment and synergy count), and
a pair's score is the product of the two cards' probabilities (each normalised over what was left in the pack).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from copilot.draft.state import DraftState
from copilot.picking.context import context_from_draft
from copilot.picking.engine import CardScore, PickContext, Recommendation
from copilot.picking.registry import FALLBACK_ORDER, EngineUnavailable, create_engine, rank_with_fallback

PAIR_FIRSTS = 3  # first cards tried when ranking Pick-Two pairs


@dataclass(frozen=True)
class PickPair:
    first: CardScore
    second: CardScore
    score: float  # log of the pair's probability (higher is better)

    def names(self) -> tuple[str, str]:
        return self.first.card.name, self.second.card.name


@dataclass
class Advice:
    """What the recommender says about one pack: the ranking, and for Pick-Two the best pairs."""

    context: PickContext
    recommendation: Recommendation
    pairs: list[PickPair] = field(default_factory=list)

    @property
    def best_cards(self) -> list:
        """The card(s) to take: both cards of the best pair in Pick-Two, else the best card."""
        if self.pairs:
            return [self.pairs[0].first.card, self.pairs[0].second.card]
        best = self.recommendation.best
        return [best] if best is not None else []

    def to_dict(self) -> dict:
        data = self.recommendation.to_dict()
        if self.pairs:
            data["pairs"] = [{"cards": list(p.names()), "score": round(p.score, 6)} for p in self.pairs]
        return data


class Recommender:
    def __init__(self, engine: str | None, catalog, options: dict[str, dict] | None = None):
        self.engine_name = engine or FALLBACK_ORDER[0]
        self.catalog = catalog
        self.options = options or {}
        self._chain: list | None = None
        self._unavailable: list[str] = []
        self._lock = threading.Lock()

    def chain(self) -> list:
        """The chosen engine, then the fallbacks (created once; creation failures are remembered as notes)."""
        with self._lock:
            if self._chain is None:
                self._chain = []
                for name in [self.engine_name] + [n for n in FALLBACK_ORDER if n != self.engine_name]:
                    try:
                        self._chain.append(create_engine(name, self.options.get(name)))
                    except EngineUnavailable as exc:
                        self._unavailable.append(f"{name} unavailable: {exc}")
            return self._chain

    def rank(self, ctx: PickContext) -> Recommendation:
        rec = rank_with_fallback(self.chain(), ctx)
        missing = [u for u in self._unavailable if not u.startswith(f"{rec.engine} ")]
        if missing and rec.engine != self.engine_name:
            rec.note = "; ".join(missing + ([rec.note] if rec.note else []))
        return rec

    def advise(self, draft: DraftState | None) -> Advice | None:
        """The advice for the pack in front of the player, or None when there is no pack to pick from."""
        ctx = context_from_draft(draft, self.catalog) if draft is not None else None
        if ctx is None:
            return None
        rec = self.rank(ctx)
        pairs = self._pairs(ctx, rec) if ctx.cards_to_pick >= 2 and rec.ok and len(ctx.pack) >= 2 else []
        return Advice(ctx, rec, pairs)

    def _pairs(self, ctx: PickContext, rec: Recommendation) -> list[PickPair]:
        first_probs = _probabilities(rec.ranked)
        pairs: list[PickPair] = []
        for i, first in enumerate(rec.ranked[:PAIR_FIRSTS]):
            rest = list(ctx.pack)
            rest.remove(first.card)
            after = PickContext(pack=tuple(rest), pool=ctx.pool + (first.card,), pack_number=ctx.pack_number,
                                pick_number=ctx.pick_number, set_code=ctx.set_code, seen=ctx.seen,
                                picks_per_pack=ctx.picks_per_pack, cards_to_pick=1, draft_key=None)
            second_rec = self.rank(after)
            if not second_rec.ok:
                continue
            second_probs = _probabilities(second_rec.ranked)
            second = second_rec.ranked[0]
            score = math.log(max(first_probs[i], 1e-12)) + math.log(max(second_probs[0], 1e-12))
            pairs.append(PickPair(first, second, score))
        unique: dict[frozenset, PickPair] = {}
        for p in sorted(pairs, key=lambda p: -p.score):
            unique.setdefault(frozenset(p.names()), p)  # (A, B) and (B, A) are one pair
        return sorted(unique.values(), key=lambda p: -p.score)


def _probabilities(ranked: list[CardScore]) -> list[float]:
    """The engine's probabilities, or a softmax of its scores where it gives none."""
    if ranked and all(s.probability is not None for s in ranked):
        total = sum(s.probability for s in ranked) or 1.0
        return [s.probability / total for s in ranked]
    top = max(s.score for s in ranked)
    exps = [math.exp(s.score - top) for s in ranked]
    total = sum(exps)
    return [e / total for e in exps]
