"""What a drafter's earlier decisions in this draft say about them (no torch here).

The pool shows what they took; the packs they were shown show what they passed. Two summaries of the earlier
decisions (pack shown, card(s) taken) of the same draft:
- passed: how many times each card was passed (shown and not taken), a bag the model embeds ("cards this drafter
  does not want": colours they avoid, rares they leave);
- style (N_STYLE numbers): how often they took a rare or mythic when one was on offer (smoothed), how often they took
  the pack's best-rated card (17lands GIH z-score), the mean rating gap of their picks to the pack's best, how often
  their pick was in their pool's two main colours once they had five cards, and how many decisions these rest on.
Everything here is known at pick time: the live log, the simulator and 17lands files all give earlier packs and picks.
"""
from __future__ import annotations

from typing import Callable, Sequence

from copilot.picking.card_features import COLOUR_SLICE, FEATURE_NAMES

N_STYLE = 6
_RARE = (FEATURE_NAMES.index("rarity_rare"), FEATURE_NAMES.index("rarity_mythic"))
_GIH, _HAS_GIH = FEATURE_NAMES.index("gih_z"), FEATURE_NAMES.index("has_gih")

Earlier = Sequence[tuple[Sequence[str], Sequence[str]]]  # (pack shown, picked) per earlier decision, oldest first


def neutral_style() -> list[float]:
    """The style of a drafter with no earlier decisions (the priors the smoothing starts from)."""
    return Tracker(lambda n: ()).style()


class Tracker:
    """Folds earlier decisions in one at a time (oldest first): `passed` counts and `style()` so far."""

    def __init__(self, features: Callable[[str], Sequence[float]]):
        self.features = features
        self.passed: dict[str, int] = {}
        self.decisions = self.rare_offered = self.rare_taken = self.rated = self.best_taken = 0
        self.gap_sum = 0.0
        self.colour_checked = self.colour_in = self.taken = 0
        self.colours = [0] * 5

    def add(self, pack: Sequence[str], picked: Sequence[str]) -> None:
        self.decisions += 1
        names = list(dict.fromkeys(pack))
        chosen = set(picked)
        for n in names:
            if n not in chosen:
                self.passed[n] = self.passed.get(n, 0) + 1
        rows = {n: self.features(n) for n in set(names) | chosen}
        if len(names) >= 2 and chosen:
            if any(rows[n][_RARE[0]] or rows[n][_RARE[1]] for n in names):
                self.rare_offered += 1
                self.rare_taken += any(rows[n][_RARE[0]] or rows[n][_RARE[1]] for n in chosen)
            rated = [n for n in names if rows[n][_HAS_GIH]]
            if len(rated) >= 2 and any(n in chosen for n in rated):
                best = max(rows[n][_GIH] for n in rated)
                mine = max(rows[n][_GIH] for n in rated if n in chosen)
                self.rated += 1
                self.best_taken += mine >= best
                self.gap_sum += mine - best
        for n in picked:
            card_colours = [i for i, v in enumerate(rows[n][COLOUR_SLICE]) if v]
            if self.taken >= 5 and card_colours:
                top2 = sorted(range(5), key=lambda i: -self.colours[i])[:2]
                self.colour_checked += 1
                self.colour_in += all(i in top2 for i in card_colours)
            for i in card_colours:
                self.colours[i] += 1
            self.taken += 1

    def style(self) -> list[float]:
        """The N_STYLE numbers so far (neutral_style() before any decision)."""
        return [(self.rare_taken + 0.5) / (self.rare_offered + 1.0), (self.best_taken + 0.5) / (self.rated + 1.0),
                self.gap_sum / self.rated if self.rated else 0.0,
                (self.colour_in + 0.75) / (self.colour_checked + 1.0), min(self.decisions, 42) / 42.0,
                min(self.rare_offered, 10) / 10.0]


def summarize(earlier: Earlier, features: Callable[[str], Sequence[float]]) -> Tracker:
    """A Tracker fed with the earlier decisions (`features(name)`: a card_features row): `.passed`, `.style()`."""
    t = Tracker(features)
    for pack, picked in earlier:
        t.add(pack, picked)
    return t
