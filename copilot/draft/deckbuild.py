"""A suggested 40-card deck from a drafted or Sealed pool, alternatives with their scores, and the Arena import text.

Rules (stated, not a solver):
- card values: the engine's scores (a mapping Card.key/name -> score, or a callable card -> score; without scores,
  earlier picks rank higher) standardised over the pool's spells, so the rules work on any engine's scale;
- every colour pair is built (`deckselect`: the best 23 castable spells bent towards a curve: creatures, early plays,
  top end), and so is each pair with a splash: a third colour for at most 3 cards that need exactly one symbol of it,
  each either strong (value >= SPLASH_MIN_Z) or backed by fixing in the pool (a land or rock that gives the colour,
  then value >= SPLASH_FIXED_MIN_Z); a splash costs SPLASH_COST (less with fixing) plus SPLASH_CARD_COST per card.
  A full third colour (any number of its cards, for pools whose pairs lack playables) costs THIRD_COST (less with
  fixing) plus THIRD_CARD_COST per card. So the pair is chosen by the depth of its playables as well as its best
  cards: the objective is the sum of the 23 values less the curve penalties and those costs;
- a build short of spells (a small pool) plays extra basics, FILL_COST each, never an off-colour card;
- lands: 17 (plus the missing spells): the pool's non-basic lands that give only the deck's colours (a fetch land
  only for a splash or when the engine rates it above the pool's average), then basics split by the mana symbols of
  the chosen spells (`manabase.split_basics`);
- the best build is the suggestion; the alternatives are, first, the same pair with its best splash (or, when the
  suggestion splashes, without it) where the pool supports one, then the next best builds of other colours, leaving
  out builds with fewer spells than the suggestion (less one).
A build's score is in the engine's units: the pool's mean score plus its standard deviation times the objective per
spell slot (for ratings: an "effective GIH win rate" of the 23 spells).
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Mapping, Sequence, Union

from copilot.cards.model import COLOR_ORDER, Card, name_key
from copilot.draft.deckselect import DEFAULT_TARGETS, Candidate, Targets, curve_value, objective, select
from copilot.draft.manabase import (BASIC_NAMES, castable, fixing_sources, is_fetch, mana_problems, off_pips,
                                    pip_weights, produces, split_basics)

DECK_SIZE = 40
LANDS = 17
SPELLS = DECK_SIZE - LANDS
MAX_NONBASIC = 5
SPLASH_MIN_Z = 1.5
SPLASH_FIXED_MIN_Z = 1.0
SPLASH_COST = 1.0
SPLASH_FIXING_CREDIT = 0.35  # per fixing source of the splash colour, up to SPLASH_COST
SPLASH_CARD_COST = 0.4
THIRD_COST = 3.0
THIRD_CARD_COST = 1.0
FILL_COST = 1.5

Scores = Union[Mapping[str, float], Callable[[Card], float], None]


@dataclass
class DeckSuggestion:
    colours: tuple[str, ...]  # the pair the build is based on (one colour when the spells need only one)
    spells: list[Card]
    nonbasic_lands: list[Card]
    basics: dict[str, int]  # basic land name -> count
    sideboard: list[Card] = field(default_factory=list)
    splash: tuple[str, ...] = ()
    score: float | None = None  # engine units, see the module docstring
    notes: list[str] = field(default_factory=list)
    alternatives: list["DeckSuggestion"] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.spells) + len(self.nonbasic_lands) + sum(self.basics.values())

    @property
    def label(self) -> str:
        return "".join(self.colours) + ("".join(f" + {c.lower()}" for c in self.splash))

    @property
    def creatures(self) -> int:
        return sum(c.is_creature for c in self.spells)

    @property
    def lands(self) -> int:
        return len(self.nonbasic_lands) + sum(self.basics.values())

    def curve(self) -> dict[str, int]:
        out = {k: 0 for k in ("0-1", "2", "3", "4", "5", "6+")}
        for c in self.spells:
            mv = int(curve_value(c))
            out["0-1" if mv <= 1 else "6+" if mv >= 6 else str(mv)] += 1
        return out

    def mana_problems(self) -> list[str]:
        return mana_problems(self.spells, self.nonbasic_lands, self.basics, DECK_SIZE)

    def main_cards(self) -> list[Card]:
        return list(self.spells) + list(self.nonbasic_lands)

    def main_names(self) -> list[str]:
        """The main deck as card names, one per copy (basics included)."""
        return [c.name for c in self.main_cards()] + [b for b, n in self.basics.items() for _ in range(n)]

    def main_lines(self) -> list[tuple[int, Card | str]]:
        counts = Counter(c.name for c in self.main_cards())
        first = {c.name: c for c in self.main_cards()}
        out: list[tuple[int, Card | str]] = [(n, first[name]) for name, n in counts.items()]
        out += [(n, name) for name, n in self.basics.items() if n]
        return out

    def to_arena(self, numbers: Mapping[str, tuple[str, str]] | None = None) -> str:
        """Arena import text: "Deck", "N Name (SET) 123" where the printing is known (the card's collector number,
        or `numbers`: name -> (set code, collector number)), else "N Name"; then a blank line and "Sideboard"."""
        lines = ["Deck"] + [arena_line(n, c, numbers) for n, c in self.main_lines()]
        if self.sideboard:
            side = Counter(c.name for c in self.sideboard)
            first = {c.name: c for c in self.sideboard}
            lines += ["", "Sideboard"] + [arena_line(n, first[name], numbers) for name, n in side.items()]
        return "\n".join(lines) + "\n"

    def to_dict(self, alternatives: bool = True) -> dict:
        out = {"colours": "".join(self.colours), "splash": "".join(self.splash), "label": self.label,
               "score": None if self.score is None else round(self.score, 2), "size": self.size,
               "spells": len(self.spells), "creatures": self.creatures, "lands": self.lands,
               "basics": dict(self.basics), "curve": self.curve(), "notes": list(self.notes),
               "main": [{"count": n, "name": c if isinstance(c, str) else c.name} for n, c in self.main_lines()],
               "sideboard": [c.name for c in self.sideboard]}
        if alternatives:
            out["alternatives"] = [a.to_dict(alternatives=False) for a in self.alternatives]
        return out


ARENA_SET_CODES = {"DOM": "DAR", "CON": "CONF"}  # Arena's own codes where they differ


def arena_line(n: int, card: Card | str, numbers: Mapping[str, tuple[str, str]] | None = None) -> str:
    name = card if isinstance(card, str) else card.name
    shown = name
    if isinstance(card, Card) and " // " in name:
        # Arena imports multi-face cards by the front name, except the Ravnica split cards (both halves)
        set_code = (card.set_code or "").upper()
        shown = name.replace(" // ", " /// ") if set_code == "AKR" else name if set_code in ("GRN", "RNA") \
            else card.front_name
    if numbers and name in numbers:
        s, num = numbers[name]
        return f"{n} {shown} ({s}) {num}"
    if isinstance(card, Card) and card.set_code and card.collector_number:
        code = card.set_code.upper()
        return f"{n} {shown} ({ARENA_SET_CODES.get(code, code)}) {card.collector_number.removeprefix('A-')}"
    return f"{n} {shown}"


def _score_of(scores: Scores, pool: Sequence[Card]) -> Callable[[Card], float | None]:
    if scores is None:
        order = {id(c): float(len(pool) - i) for i, c in enumerate(pool)}
        return lambda c: order.get(id(c))
    if callable(scores) and not isinstance(scores, Mapping):
        return scores
    by_key = {name_key(k): v for k, v in scores.items()}
    return lambda c: scores.get(c.key, scores.get(c.name, by_key.get(c.key)))


def _finite(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@dataclass
class _Build:
    pair: tuple[str, ...]
    splash: tuple[str, ...]
    chosen: list[Candidate]
    objective: float
    third: bool = False  # x is a full third colour, not a splash


class _Pool:
    """The pool with standardised values, shared by every build."""

    def __init__(self, pool: Sequence[Card], scores: Scores):
        self.cards = list(pool)
        score = _score_of(scores, self.cards)
        self.spells = [c for c in self.cards if not c.is_land]
        self.lands = [c for c in self.cards if c.is_land and not c.is_basic_land]
        raw = {id(c): _finite(score(c)) for c in self.spells + self.lands}
        known = [v for c in self.spells if (v := raw[id(c)]) is not None] or [0.0]
        floor = min(known) - (statistics.pstdev(known) if len(known) > 1 else 1.0)
        self.raw = {k: (floor if v is None else float(v)) for k, v in raw.items()}
        vals = [self.raw[id(c)] for c in self.spells] or [0.0]
        self.mean = statistics.fmean(vals)
        self.std = statistics.pstdev(vals) or 1.0
        self.z = {k: (v - self.mean) / self.std for k, v in self.raw.items()}
        self.rocks = [c for c in self.spells if produces(c)]

    def fixers(self, colours: Sequence[str]) -> list[Card]:
        """Lands, and the mana rocks/dorks castable with `colours`."""
        return self.lands + [c for c in self.rocks if castable(c, colours)]

    def display(self, obj: float) -> float:
        return self.mean + self.std * obj / SPELLS


def _builds(p: _Pool, t: Targets) -> list[_Build]:
    builds = []
    for pair in combinations(COLOR_ORDER, 2):
        base = [Candidate(c, p.z[id(c)], order=i) for i, c in enumerate(p.spells) if castable(c, pair)]
        chosen = select(base, t)
        builds.append(_Build(pair, (), chosen, _score(chosen, t, 0.0)))
        for x in (c for c in COLOR_ORDER if c not in pair):
            fixing = fixing_sources(p.fixers(pair), x)
            outside = [(i, c) for i, c in enumerate(p.spells) if not castable(c, pair) and castable(c, pair + (x,))]
            floor = SPLASH_FIXED_MIN_Z if fixing else SPLASH_MIN_Z
            extra = [Candidate(c, p.z[id(c)] - SPLASH_CARD_COST, splash=True, order=i) for i, c in outside
                     if off_pips(c, pair) == 1 and p.z[id(c)] >= floor]
            chosen = select(base + extra, t) if extra else []
            if any(c.splash for c in chosen):
                cost = max(0.0, SPLASH_COST - SPLASH_FIXING_CREDIT * fixing)
                builds.append(_Build(pair, (x,), chosen, _score(chosen, t, cost)))
            third = [Candidate(c, p.z[id(c)] - THIRD_CARD_COST, splash=True, order=i) for i, c in outside]
            chosen = select(base + third, t, max_splash=t.spells) if third else []
            if sum(c.splash for c in chosen) > t.max_splash_cards:  # fewer cards: the splash build covers it
                cost = max(0.0, THIRD_COST - SPLASH_FIXING_CREDIT * fixing)
                builds.append(_Build(pair, (x,), chosen, _score(chosen, t, cost), third=True))
    return builds


def _score(chosen: list[Candidate], t: Targets, cost: float) -> float:
    return objective(chosen, t) - cost - FILL_COST * max(0, t.spells - len(chosen))


def _colours_needed(cards: Sequence[Card], colours: Sequence[str]) -> set[str]:
    return {c for c, w in pip_weights(cards, colours).items() if w > 0 and c in colours}


def _lands(p: _Pool, colours: set[str], splash: bool) -> list[Card]:
    picked = []
    for land in sorted(p.lands, key=lambda c: (-p.z[id(c)], c.name)):
        gives = produces(land)
        if is_fetch(land):
            if splash or p.z[id(land)] >= 0:
                picked.append(land)
        elif gives & colours and gives <= colours:
            picked.append(land)
    return picked[:MAX_NONBASIC]


def _deck(p: _Pool, b: _Build, t: Targets) -> DeckSuggestion:
    spells = [c.card for c in b.chosen]
    used_splash = tuple(x for x in b.splash if any(c.splash for c in b.chosen))
    if b.third:
        used_splash, pair = (), b.pair + b.splash
    else:
        pair = b.pair
    main = tuple(c for c in pair if c in _colours_needed(spells, pair + used_splash)) or pair[:1]
    colours = set(main) | set(used_splash)
    nonbasic = _lands(p, colours, bool(used_splash) or b.third)
    notes = []
    missing = t.spells - len(spells)
    if missing > 0:
        notes.append(f"only {len(spells)} playable spells in these colours: {LANDS + missing} lands")
    total_basics = DECK_SIZE - len(spells) - len(nonbasic)
    fixing = nonbasic + [c for c in spells if produces(c)]
    basics = split_basics(pip_weights(spells, colours), main, used_splash, total_basics, fixing)
    in_main = Counter(id(c) for c in spells + nonbasic)  # copies of a card may be one object
    side = []
    for c in p.cards:
        if in_main[id(c)] > 0:
            in_main[id(c)] -= 1
        elif not c.is_basic_land:
            side.append(c)
    side.sort(key=lambda c: (-p.z.get(id(c), -99.0), c.name))
    return DeckSuggestion(colours=tuple(c for c in COLOR_ORDER if c in main), spells=spells, nonbasic_lands=nonbasic,
                          basics=basics, sideboard=side, splash=used_splash, score=p.display(b.objective),
                          notes=notes)


def suggest_deck(pool: Sequence[Card], scores: Scores = None, targets: Targets = DEFAULT_TARGETS,
                 alternatives: int = 3) -> DeckSuggestion:
    """The best build, with up to `alternatives` other builds in `.alternatives` (best first)."""
    p = _Pool(pool, scores)
    if not p.spells:
        basics = {BASIC_NAMES["W"]: DECK_SIZE}
        return DeckSuggestion(colours=("W",), spells=[], nonbasic_lands=[], basics=basics,
                              sideboard=[c for c in pool if not c.is_basic_land], notes=["no spells in the pool"])
    builds = sorted(_builds(p, targets), key=lambda b: -b.objective)
    best = builds[0]
    deck = _deck(p, best, targets)
    seen = {(frozenset(deck.colours), deck.splash)}
    counterpart = [b for b in builds if b.pair == best.pair and bool(b.splash) != bool(best.splash) and not b.third]
    for b in counterpart[:1] + [b for b in builds[1:] if b not in counterpart[:1]]:
        if len(deck.alternatives) >= alternatives:
            break
        d = _deck(p, b, targets)
        key = (frozenset(d.colours), d.splash)
        if key in seen or len(d.spells) < len(deck.spells) - 1:  # a build short of spells is no alternative
            continue
        seen.add(key)
        deck.alternatives.append(d)
    deck.alternatives.sort(key=lambda d: -(d.score or 0.0))
    return deck
