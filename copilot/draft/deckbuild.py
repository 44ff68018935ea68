"""A suggested 40-card deck from a drafted pool, and the Arena import text.

Rules (simple and stated, not a solver):
- main colours: the two colours with the most score-weighted cards (each card adds its rank weight to every colour
  of its identity; lands do not vote);
- spells: non-land cards whose colour identity is empty or inside the main colours, best engine score first, with a
  curve guard (at most MAX_TOP_END cards of mana value >= 5 and MAX_ONE_DROPS of mana value <= 1 before the rest
  is used up); when fewer than 23 fit, the best remaining cards fill the gap;
- lands: 17 in all: on-colour non-basic lands from the pool (identity inside the main colours, up to MAX_NONBASIC),
  then basics split by the colour weight of the chosen spells (mana symbols when the cost is known, else colour
  identity), largest remainder, at least MIN_SPLASH_BASICS of a colour that has any weight.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from copilot.cards.model import COLOR_ORDER, Card

DECK_SIZE = 40
LANDS = 17
SPELLS = DECK_SIZE - LANDS
MAX_TOP_END = 5
MAX_ONE_DROPS = 4
MAX_NONBASIC = 3
MIN_SPLASH_BASICS = 3
BASIC_NAMES = {"W": "Plains", "U": "Island", "B": "Swamp", "R": "Mountain", "G": "Forest"}


@dataclass
class DeckSuggestion:
    colours: tuple[str, ...]
    spells: list[Card]
    nonbasic_lands: list[Card]
    basics: dict[str, int]  # basic land name -> count
    sideboard: list[Card] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.spells) + len(self.nonbasic_lands) + sum(self.basics.values())

    def main_lines(self) -> list[tuple[int, Card | str]]:
        counts = Counter(c.name for c in self.spells + self.nonbasic_lands)
        first = {c.name: c for c in self.spells + self.nonbasic_lands}
        out: list[tuple[int, Card | str]] = [(n, first[name]) for name, n in counts.items()]
        out += [(n, name) for name, n in self.basics.items() if n]
        return out

    def to_arena(self, numbers: Mapping[str, tuple[str, str]] | None = None) -> str:
        """Arena import text. `numbers` maps a card name to (set code, collector number) where known, giving
        "1 Name (SET) 123"; otherwise the line is "1 Name" (Arena resolves names)."""
        def line(n, card):
            name = card if isinstance(card, str) else card.name
            if numbers and name in numbers:
                s, num = numbers[name]
                return f"{n} {name} ({s}) {num}"
            return f"{n} {name}"

        lines = ["Deck"] + [line(n, c) for n, c in self.main_lines()]
        if self.sideboard:
            side = Counter(c.name for c in self.sideboard)
            lines += ["", "Sideboard"] + [line(n, name) for name, n in side.items()]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {"colours": "".join(self.colours), "size": self.size,
                "main": [{"count": n, "name": c if isinstance(c, str) else c.name} for n, c in self.main_lines()],
                "sideboard": [c.name for c in self.sideboard]}


def _pips(card: Card) -> Counter:
    if card.mana_cost:
        return Counter(ch for ch in card.mana_cost.upper() if ch in COLOR_ORDER)
    return Counter(card.color_identity)


def suggest_deck(pool: Sequence[Card], scores: Mapping[str, float] | None = None) -> DeckSuggestion:
    """`scores` maps Card.key to an engine score (higher is better); without it, earlier picks rank higher."""
    n = len(pool)
    if scores is None:
        rank_score = {id(c): float(n - i) for i, c in enumerate(pool)}
    else:
        rank_score = {id(c): float(scores.get(c.key, float("-inf"))) for c in pool}
    by_score = sorted(pool, key=lambda c: -rank_score[id(c)])
    weight = {id(c): float(n - i) for i, c in enumerate(by_score)}  # rank weight, scale-free

    votes = Counter()
    for c in pool:
        if not c.is_land:
            for col in c.color_identity:
                votes[col] += weight[id(c)]
    colours = tuple(sorted((c for c, _ in votes.most_common(2)), key=COLOR_ORDER.index))
    inside = set(colours)

    spells_pool = [c for c in by_score if not c.is_land]
    playable = [c for c in spells_pool if set(c.color_identity) <= inside]
    chosen: list[Card] = []
    top_end = one_drops = 0
    deferred = []
    for c in playable:
        mv = c.mana_value or 0
        if mv >= 5 and top_end >= MAX_TOP_END or mv <= 1 and one_drops >= MAX_ONE_DROPS:
            deferred.append(c)
            continue
        chosen.append(c)
        top_end += mv >= 5
        one_drops += mv <= 1
        if len(chosen) == SPELLS:
            break
    for c in deferred + [c for c in spells_pool if c not in playable]:
        if len(chosen) >= SPELLS:
            break
        chosen.append(c)
    chosen_ids = {id(c) for c in chosen}

    nonbasic = [c for c in by_score if c.is_land and not c.is_basic_land and c.color_identity
                and set(c.color_identity) <= inside][:MAX_NONBASIC]
    basics_needed = DECK_SIZE - len(chosen) - len(nonbasic)
    pips = Counter()
    for c in chosen:
        pips.update(_pips(c))
    basics = _split_basics(pips, colours, basics_needed)
    used = chosen_ids | {id(c) for c in nonbasic}
    sideboard = [c for c in pool if id(c) not in used and not c.is_basic_land]
    return DeckSuggestion(colours=colours, spells=chosen, nonbasic_lands=nonbasic, basics=basics,
                          sideboard=sideboard)


def _split_basics(pips: Counter, colours: Sequence[str], total: int) -> dict[str, int]:
    if total <= 0:
        return {}
    cols = [c for c in COLOR_ORDER if pips[c] > 0] or list(colours) or ["W"]
    weight = sum(pips[c] for c in cols) or len(cols)
    raw = {c: total * (pips[c] or 1) / weight for c in cols}
    counts = {c: int(raw[c]) for c in cols}
    for c in sorted(cols, key=lambda c: -(raw[c] - counts[c]))[: total - sum(counts.values())]:
        counts[c] += 1
    for c in cols:  # a colour in the deck gets enough sources to be castable at all
        short = MIN_SPLASH_BASICS - counts[c]
        while short > 0 and counts[c] < total:
            donor = max(cols, key=lambda d: counts[d])
            if donor == c or counts[donor] <= MIN_SPLASH_BASICS:
                break
            counts[donor] -= 1
            counts[c] += 1
            short -= 1
    return {BASIC_NAMES[c]: counts[c] for c in cols if counts[c]}
