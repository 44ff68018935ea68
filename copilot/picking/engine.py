"""The PickEngine protocol and the Recommendation every engine returns.

Engines see a `PickContext` (cards, not log ids), so the live path, the evaluation on 17lands picks and the
simulator all drive them the same way. Engines never raise into callers: a failure is a Recommendation with
`error` set (see `safe_rank`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from copilot.cards.model import COLOR_ORDER, Card


@dataclass(frozen=True)
class PastPick:
    """One earlier decision of the same draft: the pack the player saw and the card(s) taken from it."""

    pack_number: int  # 1-based
    pick_number: int  # 1-based
    pack: tuple[Card, ...]
    picked: tuple[Card, ...]  # one card (two in Pick-Two)


@dataclass(frozen=True)
class PickContext:
    pack: tuple[Card, ...]  # the cards in front of the player (duplicates allowed)
    pool: tuple[Card, ...]  # cards taken so far, in pick order
    pack_number: int  # 1-based
    pick_number: int  # 1-based
    set_code: str | None = None
    seen: tuple[tuple[Card, ...], ...] = ()  # contents of the last packs seen (most recent last), for signals
    picks_per_pack: int = 14
    cards_to_pick: int = 1  # 2 in Pick-Two
    draft_key: str | None = None  # stable id of the draft (lets engines reuse caches across consecutive picks)
    # every earlier decision of this draft that is known, in pick order (the conversation prompt format replays
    # them); empty when unknown. `pool` may hold cards taken at picks missing here (a log that began mid-draft).
    history: tuple[PastPick, ...] = ()

    def seen_color_counts(self) -> dict[str, int]:
        """Colour-identity counts over the cards in `seen` (colourless counted as 'C')."""
        counts = {c: 0 for c in COLOR_ORDER + "C"}
        for pack in self.seen:
            for card in pack:
                if card.color_identity:
                    for c in card.color_identity:
                        counts[c] += 1
                else:
                    counts["C"] += 1
        return counts


@dataclass(frozen=True)
class CardScore:
    card: Card
    score: float  # higher is better; a log-probability for LLM engines
    probability: float | None = None  # normalised over the pack where the engine has one


@dataclass
class Recommendation:
    engine: str
    ranked: list[CardScore] = field(default_factory=list)  # best first; every card of the pack
    model: str | None = None
    latency_ms: float = 0.0
    tokens_evaluated: int = 0
    error: str | None = None  # set when the engine failed; `ranked` may then be empty
    note: str | None = None  # e.g. "fallback from gguf: model missing"

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.ranked)

    @property
    def best(self) -> Card | None:
        return self.ranked[0].card if self.ranked else None

    def top(self, n: int) -> list[CardScore]:
        return self.ranked[:n]

    def to_dict(self) -> dict:
        return {
            "engine": self.engine, "model": self.model, "latency_ms": round(self.latency_ms, 3),
            "tokens_evaluated": self.tokens_evaluated, "error": self.error, "note": self.note,
            "ranked": [{"name": s.card.name, "arena_id": s.card.arena_id, "score": s.score,
                        "probability": s.probability} for s in self.ranked],
        }


@runtime_checkable
class PickEngine(Protocol):
    name: str

    def available(self) -> tuple[bool, str]:
        """(True, "") or (False, "why not"), cheap, without loading models."""

    def rank(self, ctx: PickContext) -> Recommendation:
        """Rank every card of ctx.pack. May raise; callers use `safe_rank`."""

    def rank_many(self, ctxs: Sequence[PickContext]) -> list[Recommendation]:
        """Several independent decisions at once (simulator seats). Engines that batch override this."""


class EngineBase:
    """Convenience base: default rank_many loops over rank."""

    name = "base"

    def available(self) -> tuple[bool, str]:
        return True, ""

    def rank(self, ctx: PickContext) -> Recommendation:  # pragma: no cover - abstract
        raise NotImplementedError

    def rank_many(self, ctxs: Sequence[PickContext]) -> list[Recommendation]:
        return [safe_rank(self, c) for c in ctxs]

    def close(self) -> None:
        pass


def safe_rank(engine: PickEngine, ctx: PickContext) -> Recommendation:
    """Run an engine and turn any exception into a visible error state."""
    start = time.perf_counter()
    try:
        rec = engine.rank(ctx)
    except Exception as exc:  # noqa: BLE001 - engines must never raise into the UI
        rec = Recommendation(engine=getattr(engine, "name", type(engine).__name__),
                             error=f"{type(exc).__name__}: {exc}")
    if not rec.latency_ms:
        rec.latency_ms = (time.perf_counter() - start) * 1000.0
    return rec
