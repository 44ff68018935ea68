"""Bot personalities: a wrapper that re-orders any engine's ranking, and the `ENGINE[:k=v,...]` seat spec.

Personalities are rank-based so they work on any engine's score scale (win rates, log-probabilities):
- `prefer=G` (or `prefer=WU`): a card whose colour identity is non-empty and inside the preferred colours moves up
  `strength` places (default 3);
- `rares=1` (rares-first): rares and mythics go to the front, in the engine's order;
- `temperature=T` (draft like a person): instead of always the engine's best card, the ranking is drawn card by card
  from the engine's probabilities sharpened by 1/T (a Plackett-Luce draw: T=1 picks each card as often as the engine
  thinks a person would, smaller T is greedier). Always taking the most likely card compounds over 42 picks into
  more single-colour pools than people draft: the most likely card is usually one of the pool's main colour, even
  when people often take the second colour or a better off-colour card. The draw is seeded by `seed` (default 0)
  and the decision (draft key, pack, pick), so a seeded simulation repeats exactly. Engines without probabilities
  (e.g. ratings) are left greedy.
Batching is kept: `rank_many` calls the inner engine's `rank_many` once and re-orders each result.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Sequence

from copilot.cards.model import normalize_colors
from copilot.picking.engine import CardScore, EngineBase, PickContext, PickEngine, Recommendation, safe_rank

PERSONALITY_KEYS = ("prefer", "strength", "rares", "temperature", "seed")
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
    def __init__(self, inner: PickEngine, prefer: str | None = None, strength: float = 3, rares: bool = False,
                 temperature: float | None = None, seed: int = 0):
        self.inner = inner
        self.prefer = set(normalize_colors(prefer))
        self.strength = float(strength)
        self.rares = bool(rares)
        if temperature is not None and not temperature > 0:
            raise ValueError(f"temperature must be > 0, not {temperature}")
        self.temperature = float(temperature) if temperature is not None else None
        self.seed = int(seed)
        bits = ([f"prefer={''.join(normalize_colors(prefer))}"] if self.prefer else []) + (["rares"] if rares else []) \
            + ([f"temperature={self.temperature:g}"] if self.temperature is not None else [])
        self.name = f"{getattr(inner, 'name', 'engine')}"
        self.label = f"{self.name}[{','.join(bits)}]" if bits else self.name

    @classmethod
    def from_options(cls, inner: PickEngine, personality: dict) -> PickEngine:
        personality = {k: v for k, v in personality.items() if k in PERSONALITY_KEYS}
        if not personality:
            return inner
        rares = str(personality.get("rares", "0")).lower() in ("1", "true", "yes", "on")
        temperature = personality.get("temperature")
        return cls(inner, prefer=personality.get("prefer"), strength=float(personality.get("strength", 3)),
                   rares=rares, temperature=float(temperature) if temperature not in (None, "") else None,
                   seed=int(personality.get("seed", 0)))

    def available(self, set_code: str | None = None) -> tuple[bool, str]:
        try:
            return self.inner.available(set_code)  # type: ignore[call-arg]
        except TypeError:
            return self.inner.available()

    def rank(self, ctx: PickContext) -> Recommendation:
        return self._adjust(safe_rank(self.inner, ctx), ctx)

    def rank_many(self, ctxs: Sequence[PickContext]) -> list[Recommendation]:
        many = getattr(self.inner, "rank_many", None)
        recs = list(many(ctxs)) if many else [safe_rank(self.inner, c) for c in ctxs]
        return [self._adjust(r, c) for r, c in zip(recs, ctxs)]

    def _draw(self, rec: Recommendation, ctx: PickContext) -> list[CardScore]:
        """The engine's ranking redrawn from its probabilities ** (1 / temperature), without replacement."""
        probs = [cs.probability for cs in rec.ranked]
        if any(p is None for p in probs):
            return list(rec.ranked)
        rng = random.Random(f"{self.seed}:{ctx.draft_key}:{ctx.pack_number}:{ctx.pick_number}")
        copies: dict[str, int] = {}
        for cs in rec.ranked:
            copies[cs.card.name] = copies.get(cs.card.name, 0) + 1
        # a card's probability is shared by its copies in the pack (the engine gives each copy the card's)
        weights = [max(float(p), 0.0) ** (1.0 / self.temperature) / copies[cs.card.name]
                   for p, cs in zip(probs, rec.ranked)]
        left = list(range(len(probs)))
        order = []
        while left:
            total = sum(weights[i] for i in left)
            if total <= 0.0:
                order.extend(left)  # the rest has no probability: keep the engine's order
                break
            x, acc = rng.random() * total, 0.0
            chosen = left[-1]
            for i in left:
                acc += weights[i]
                if x < acc:
                    chosen = i
                    break
            order.append(chosen)
            left.remove(chosen)
        return [rec.ranked[i] for i in order]

    def _adjust(self, rec: Recommendation, ctx: PickContext) -> Recommendation:
        if not rec.ranked:
            return rec
        if self.temperature is not None:
            rec = replace(rec, ranked=self._draw(rec, ctx))

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
