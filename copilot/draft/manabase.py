"""Mana for deck building: what a card needs to be cast, what a land (or rock) produces, and the basic-land split.

- A card's requirement is read from the mana symbols of its front face ("{1}{W} // {3}{W}" -> {1}{W}): {W} needs W,
  hybrid {W/U} needs W or U, Phyrexian {W/P} and two-brid {2/W} need nothing (life or generic mana pays them).
  When the cost is unknown (some card files have none), the colour identity stands in: every colour of it is needed.
- A land produces the colours its rules text adds ("Add {W} or {B}", "any color"), else those of its colour identity;
  a land that searches for a basic land (Evolving Wilds) produces every colour. Non-land cards that add "one mana of
  any color" are fixing too.
- Basics: a splash colour gets enough basics for SPLASH_SOURCES sources counting the pool's fixing; the other basics
  are split between the main colours by the mana symbols of the chosen spells (largest remainder), each main colour
  with at least MIN_MAIN_BASICS.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from copilot.cards.mana import symbols
from copilot.cards.model import COLOR_ORDER, Card

BASIC_NAMES = {"W": "Plains", "U": "Island", "B": "Swamp", "R": "Mountain", "G": "Forest"}
BASIC_COLOUR = {v: k for k, v in BASIC_NAMES.items()}
SPLASH_SOURCES = 3  # sources of a splash colour in a 17-land deck (basics + fixing)
MIN_MAIN_BASICS = 3
_ADD = re.compile(r"add ([^.]*)", re.I)
_ANY = re.compile(r"mana of any (one )?colou?r", re.I)
_FETCH = re.compile(r"search your library for an? basic land", re.I)


def front_cost(card: Card) -> str | None:
    return card.mana_cost.split(" // ")[0] if card.mana_cost else None


def requirement(card: Card) -> list[frozenset[str]] | None:
    """One entry per coloured symbol of the front face: the colours that can pay it. None when the cost is unknown."""
    cost = front_cost(card)
    if cost is None:
        return None
    out = []
    for sym in symbols(cost):
        parts = sym.split("/")
        if "P" in parts or any(p.isdigit() for p in parts):
            continue  # Phyrexian or two-brid: payable without the colour
        colours = frozenset(p for p in parts if p in COLOR_ORDER)
        if colours:
            out.append(colours)
    return out


def needs(card: Card, colours: Iterable[str]) -> set[str]:
    """The colours outside `colours` that casting this card needs (empty: castable with those colours)."""
    have = set(colours)
    req = requirement(card)
    if req is None:
        return set(card.color_identity) - have
    missing = [options for options in req if not options & have]
    return set().union(*missing) if missing else set()


def castable(card: Card, colours: Iterable[str]) -> bool:
    return not needs(card, colours)


def off_pips(card: Card, colours: Iterable[str]) -> int:
    """How many of the card's symbols the colours cannot pay (unknown cost: 2 per missing colour, i.e. assume the
    worst and never treat it as a single-pip splash)."""
    have = set(colours)
    req = requirement(card)
    if req is None:
        return 2 * len(set(card.color_identity) - have)
    return sum(1 for options in req if not options & have)


def pip_weights(cards: Sequence[Card], colours: Iterable[str]) -> Counter:
    """Mana symbols of the chosen spells per colour (a hybrid symbol split between the deck's colours that pay it)."""
    have = set(colours)
    out: Counter = Counter()
    for card in cards:
        req = requirement(card)
        if req is None:
            req = [frozenset((c,)) for c in card.color_identity]
        for options in req:
            payers = [c for c in options if c in have] or list(options)
            for c in payers:
                out[c] += 1.0 / len(payers)
    return out


def produces(card: Card) -> set[str]:
    """Coloured mana a land or mana source gives (a fetch land: every colour). Empty for other cards."""
    text = card.text or ""
    if _FETCH.search(text) or _ANY.search(text):
        return set(COLOR_ORDER)
    found = set()
    for m in _ADD.finditer(text):
        found |= {c for c in COLOR_ORDER if "{" + c + "}" in m.group(1)}
    if found:
        return found
    if card.is_land and not card.is_basic_land:
        return set(card.color_identity)
    if card.is_basic_land:
        return {BASIC_COLOUR[card.front_name]} if card.front_name in BASIC_COLOUR else set(card.color_identity)
    return set()


def is_fetch(card: Card) -> bool:
    return bool(card.text and _FETCH.search(card.text))


def fixing_sources(cards: Iterable[Card], colour: str, fetches: bool = True) -> int:
    """How many of these cards (lands, mana rocks) give `colour` (fetch lands too unless `fetches` is False)."""
    return sum(1 for c in cards if colour in produces(c) and (fetches or not is_fetch(c)))


@dataclass(frozen=True)
class LandPlan:
    nonbasic: tuple[Card, ...]
    basics: dict[str, int]  # basic land name -> count


def split_basics(pips: Counter, main: Sequence[str], splash: Sequence[str], total: int,
                 fixing: Sequence[Card] = ()) -> dict[str, int]:
    """Basic land counts (by name) for `total` basic slots."""
    if total <= 0:
        return {}
    counts: dict[str, int] = {}
    left = total
    for c in splash:  # a fetch land needs a basic of the colour to find
        n = max(0 if fixing_sources(fixing, c, fetches=False) else 1, SPLASH_SOURCES - fixing_sources(fixing, c))
        counts[c] = min(n, left)
        left -= counts[c]
    cols = [c for c in COLOR_ORDER if c in main] or ["W"]
    weight = {c: max(pips.get(c, 0.0), 0.5) for c in cols}  # a main colour without symbols still gets a share
    total_w = sum(weight.values())
    raw = {c: left * weight[c] / total_w for c in cols}
    base = {c: int(raw[c]) for c in cols}
    for c in sorted(cols, key=lambda c: -(raw[c] - base[c]))[: left - sum(base.values())]:
        base[c] += 1
    for c in cols:  # every main colour castable at all
        while base[c] < min(MIN_MAIN_BASICS, left // len(cols)):
            donor = max(cols, key=lambda d: base[d])
            if donor == c or base[donor] <= MIN_MAIN_BASICS:
                break
            base[donor] -= 1
            base[c] += 1
    counts.update(base)
    return {BASIC_NAMES[c]: counts[c] for c in COLOR_ORDER if counts.get(c)}


def mana_problems(spells: Sequence[Card], lands: Sequence[Card], basics: dict[str, int], deck_size: int = 40) \
        -> list[str]:
    """Why a deck's mana is not legal/castable (empty list: fine): size, unknown basics, basics of colours no spell
    needs, spells needing a colour no land gives."""
    problems = []
    size = len(spells) + len(lands) + sum(basics.values())
    if size != deck_size:
        problems.append(f"{size} cards, not {deck_size}")
    unknown = [b for b in basics if b not in BASIC_COLOUR]
    if unknown:
        problems.append(f"not basic lands: {', '.join(unknown)}")
    sources = {BASIC_COLOUR[b] for b, n in basics.items() if n and b in BASIC_COLOUR}
    sources |= {c for land in lands if not is_fetch(land) for c in produces(land)}  # a fetch finds those basics
    rocks = {c for s in spells for c in produces(s)}
    for card in spells:
        missing = needs(card, sources | rocks)
        if missing:
            problems.append(f"{card.name} needs {''.join(sorted(missing, key=COLOR_ORDER.index))}, which no land "
                            f"gives")
    wanted = set(pip_weights(spells, sources | rocks))
    idle = [b for b, n in basics.items() if n and b in BASIC_COLOUR and BASIC_COLOUR[b] not in wanted]
    if idle:
        problems.append(f"basics of a colour no spell needs: {', '.join(idle)}")
    return problems
