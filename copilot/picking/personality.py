"""Bot personalities: a wrapper that re-orders any engine's ranking, and the `ENGINE[:k=v,...]` seat spec.

Personalities are rank-based so they work on any engine's score scale (win rates, log-probabilities):
- `prefer=G` (or `prefer=WU`): a card whose colour identity is non-empty and inside the preferred colours moves up
  `strength` places (default 3);
- `rares=1` (rares-first): rares and mythics go to the front, in the engine's order.
Batching is kept: `rank_many` calls the inner engine's `rank_many` once and re-orders each result.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from copilot.cards.model import normalize_colors
from copilot.picking.engine import CardScore, EngineBase, PickContext, PickEngine, Recommendation, safe_rank

PERSONALITY_KEYS = ("prefer", "strength", "rares")
SEAT_KEYS = PERSONALITY_KEYS + ("share",)  # share=0: this seat gets its own engine object (see simulation)


@dataclass(frozen=True)
class SeatSpec:
    engine: str
    options: dict = field(default_factory=dict)
    personality: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        opts = {**self.options, **self.personality}
        return self.engine + (":" + ",".join(f"{k}={v}" for k, v in opts.items()) if opts else "")


def parse_seat(spec: str) -> SeatSpec:
    """'ratings', 'ratings:prefer=G', 'gguf:model=/m.gguf,n_ctx=4096', 'human'."""
    name, _, rest = spec.strip().partition(":")
    if not name:
        raise ValueError(f"empty engine name in seat spec {spec!r}")
    options, personality = {}, {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        if not eq:
            raise ValueError(f"seat option {part!r} in {spec!r} is not key=value")
        (personality if key.strip() in SEAT_KEYS else options)[key.strip()] = value.strip()
    return SeatSpec(name.lower(), options, personality)


class PersonalityEngine(EngineBase):
    def __init__(self, inner: PickEngine, prefer: str | None = None, strength: float = 3, rares: bool = False):
        self.inner = inner
        self.prefer = set(normalize_colors(prefer))
        self.strength = float(strength)
        self.rares = bool(rares)
        bits = ([f"prefer={''.join(normalize_colors(prefer))}"] if self.prefer else []) + (["rares"] if rares else [])
        self.name = f"{getattr(inner, 'name', 'engine')}"
        self.label = f"{self.name}[{','.join(bits)}]" if bits else self.name

    @classmethod
    def from_options(cls, inner: PickEngine, personality: dict) -> PickEngine:
        personality = {k: v for k, v in personality.items() if k in PERSONALITY_KEYS}
        if not personality:
            return inner
        rares = str(personality.get("rares", "0")).lower() in ("1", "true", "yes", "on")
        return cls(inner, prefer=personality.get("prefer"), strength=float(personality.get("strength", 3)),
                   rares=rares)

    def available(self, set_code: str | None = None) -> tuple[bool, str]:
        try:
            return self.inner.available(set_code)  # type: ignore[call-arg]
        except TypeError:
            return self.inner.available()

    def rank(self, ctx: PickContext) -> Recommendation:
        return self._adjust(safe_rank(self.inner, ctx))

    def rank_many(self, ctxs: Sequence[PickContext]) -> list[Recommendation]:
        many = getattr(self.inner, "rank_many", None)
        recs = list(many(ctxs)) if many else [safe_rank(self.inner, c) for c in ctxs]
        return [self._adjust(r) for r in recs]

    def _adjust(self, rec: Recommendation) -> Recommendation:
        if not rec.ranked:
            return rec

        def key(item):
            pos, cs = item
            ci = set(cs.card.color_identity)
            shift = self.strength if (self.prefer and ci and ci <= self.prefer) else 0.0
            rare = cs.card.rarity in ("rare", "mythic") if self.rares else False
            return (not rare, pos - shift, pos)

        order = sorted(enumerate(rec.ranked), key=key)
        ranked = [CardScore(cs.card, cs.score, cs.probability) for _, cs in order]
        note = (rec.note + "; " if rec.note else "") + f"personality {self.label}"
        return replace(rec, ranked=ranked, note=note, engine=self.label)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close:
            close()
