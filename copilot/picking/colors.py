"""Colour commitment from the pool: which colours the drafter is in, and how strongly, as a pick bonus.

Shared by the ratings and heuristic engines. The pool's colour weights count each pool card once, split over its
colour identity (a WU card gives W and U half each); the main colours are the two heaviest. The commitment grows
linearly with the number of cards picked (0 at the first pick, full after `ramp` picks), so early picks follow card
quality and later picks stay in the lane.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from copilot.cards.model import COLOR_ORDER, Card


@dataclass(frozen=True)
class ColorParams:
    on_bonus: float = 3.0  # added (at full commitment) to a card entirely within the main colours
    off_penalty: float = 3.0  # subtracted per colour of the card outside the main colours
    colorless: float = 0.5  # share of on_bonus a colourless card gets (playable in any deck)
    ramp: float = 12.0  # picks until full commitment
    n_main: int = 2


def pool_color_weights(pool: Sequence[Card], weight: Callable[[Card], float] | None = None) -> dict[str, float]:
    w = {c: 0.0 for c in COLOR_ORDER}
    for card in pool:
        ci = card.color_identity or card.colors
        if not ci or card.is_basic_land:
            continue
        share = (weight(card) if weight else 1.0) / len(ci)
        for c in ci:
            w[c] += share
    return w


def main_colors(weights: dict[str, float], n: int = 2) -> tuple[str, ...]:
    ranked = sorted((c for c in COLOR_ORDER if weights.get(c, 0) > 0), key=lambda c: (-weights[c], COLOR_ORDER.index(c)))
    return tuple(sorted(ranked[:n], key=COLOR_ORDER.index))


def commitment(n_pool: int, ramp: float) -> float:
    return 1.0 if ramp <= 0 else min(1.0, n_pool / ramp)


def color_bonus(card: Card, main: tuple[str, ...], strength: float, p: ColorParams) -> float:
    if strength <= 0 or not main:
        return 0.0
    ci = card.color_identity or card.colors
    if not ci:
        return 0.0 if card.is_basic_land else p.on_bonus * p.colorless * strength
    off = sum(1 for c in ci if c not in main)
    return p.on_bonus * strength if off == 0 else -p.off_penalty * off * strength


class ColorModel:
    """Per-context helper: computes the pool's main colours once, then the bonus per pack card."""

    def __init__(self, pool: Sequence[Card], params: ColorParams, weight: Callable[[Card], float] | None = None):
        self.params = params
        self.weights = pool_color_weights(pool, weight)
        self.main = main_colors(self.weights, params.n_main)
        self.strength = commitment(len(pool), params.ramp)

    def bonus(self, card: Card) -> float:
        return color_bonus(card, self.main, self.strength, self.params)

    def describe(self) -> str:
        return f"main colours {''.join(self.main) or '-'}, commitment {self.strength:.2f}"
