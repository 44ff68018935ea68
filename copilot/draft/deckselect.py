"""Choosing the spells of one build: the best cards by value, bent towards a playable curve.

Values are the engine's scores standardised over the pool (z-scores), so every rule below is in "standard
deviations of card quality" whatever the engine's scale. The objective of a set of spells is the sum of their
values less a penalty for each unit outside the targets (stated in `Targets`, the usual Limited guidance for a
17-land deck: at least 14 creatures, at least 6 plays of mana value 2 or less, at most 5 of mana value 5 or more).
The set is found by local search: start from the best cards, then make the single swap (a card in for a card out)
that raises the objective most, until no swap does. Deterministic: equal values break by `order` (the card's
position in the pool: pick order in a draft, so the drafter's own preference decides between cards the engine
rates the same), then by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from copilot.cards.mana import mana_value
from copilot.cards.model import Card
from copilot.draft.manabase import front_cost

UNKNOWN_MV = 3.0


@dataclass(frozen=True)
class Targets:
    spells: int = 23
    min_creatures: int = 14
    min_early: int = 6  # plays of mana value <= 2
    max_top_end: int = 5  # cards of mana value >= 5
    creature_weight: float = 0.5  # per creature short of min_creatures
    early_weight: float = 0.3  # per early play short of min_early
    top_weight: float = 0.5  # per card over max_top_end
    max_splash_cards: int = 3


DEFAULT_TARGETS = Targets()


def curve_value(card: Card) -> float:
    """Mana value of the face that is cast first (rooms, adventures, modal faces: the front)."""
    cost = front_cost(card)
    if cost and " // " in (card.mana_cost or ""):
        mv = mana_value(cost)
        if mv is not None:
            return mv
    if card.mana_value is not None:
        return float(card.mana_value)
    mv = mana_value(cost)
    return mv if mv is not None else UNKNOWN_MV


@dataclass(frozen=True)
class Candidate:
    card: Card
    value: float  # z-score, less any splash cost
    splash: bool = False
    order: int = 0  # position in the pool (tie-break)

    @property
    def creature(self) -> bool:
        return self.card.is_creature

    @property
    def early(self) -> bool:
        return curve_value(self.card) <= 2

    @property
    def top(self) -> bool:
        return curve_value(self.card) >= 5


def _counts(chosen: Sequence[Candidate]) -> tuple[int, int, int, int]:
    return (sum(c.creature for c in chosen), sum(c.early for c in chosen), sum(c.top for c in chosen),
            sum(c.splash for c in chosen))


def penalty(creatures: int, early: int, top: int, t: Targets) -> float:
    return (t.creature_weight * max(0, t.min_creatures - creatures) + t.early_weight * max(0, t.min_early - early)
            + t.top_weight * max(0, top - t.max_top_end))


def objective(chosen: Sequence[Candidate], t: Targets) -> float:
    creatures, early, top, _ = _counts(chosen)
    return sum(c.value for c in chosen) - penalty(creatures, early, top, t)


def select(candidates: Sequence[Candidate], t: Targets = DEFAULT_TARGETS, max_splash: int | None = None) \
        -> list[Candidate]:
    """The spells of the build (at most t.spells; fewer only when there are not enough candidates), with at most
    `max_splash` (default t.max_splash_cards) candidates flagged `splash`."""
    limit = t.max_splash_cards if max_splash is None else max_splash
    order = sorted(candidates, key=lambda c: (-c.value, c.order, c.card.name))
    chosen: list[Candidate] = []
    rest: list[Candidate] = []
    splash = 0
    for c in order:
        if len(chosen) < t.spells and (not c.splash or splash < limit):
            chosen.append(c)
            splash += c.splash
        else:
            rest.append(c)
    for _ in range(4 * t.spells):  # each step strictly improves; the bound only guards against float noise
        creatures, early, top, splash = _counts(chosen)
        base = penalty(creatures, early, top, t)
        best_gain, best = 1e-9, None
        for i, out in enumerate(chosen):
            for j, inn in enumerate(rest):
                if inn.splash and not out.splash and splash >= limit:
                    continue
                p = penalty(creatures - out.creature + inn.creature, early - out.early + inn.early,
                            top - out.top + inn.top, t)
                gain = inn.value - out.value - (p - base)
                if gain > best_gain:
                    best_gain, best = gain, (i, j)
        if best is None:
            break
        i, j = best
        chosen[i], rest[j] = rest[j], chosen[i]
    return sorted(chosen, key=lambda c: (curve_value(c.card), -c.value, c.order, c.card.name))
