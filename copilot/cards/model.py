"""The Card model shared by every part of the app.

A Card is one Arena printing when `arena_id` is known, otherwise a card known by name only (17lands picks
name cards, not printings). Fields a source does not provide stay ``None``: nothing is invented.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable

COLOR_ORDER = "WUBRG"
RARITIES = ("basic", "common", "uncommon", "rare", "mythic", "special", "token")


def normalize_colors(value) -> tuple[str, ...]:
    """'UW', ['W', 'U'], 'W,U' or {'U','W'} -> ('W', 'U') in WUBRG order. Unknown letters are dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        letters = value.upper()
    else:
        letters = "".join(str(v).upper() for v in value)
    return tuple(c for c in COLOR_ORDER if c in letters)


def front_face(name: str) -> str:
    """'Delver of Secrets // Insectile Aberration' -> 'Delver of Secrets'."""
    return name.split(" // ")[0].strip()


def name_key(name: str) -> str:
    """Case- and punctuation-insensitive key for joining card names across sources."""
    keep = []
    for ch in name.casefold().replace("’", "'"):
        if ch.isalnum() or ch in "/":
            keep.append(ch)
    return "".join(keep)


@dataclass(frozen=True)
class Card:
    name: str
    arena_id: int | None = None
    set_code: str | None = None
    mana_cost: str | None = None  # "{2}{W}{W}" (front face for double-faced cards)
    mana_value: float | None = None
    colors: tuple[str, ...] = ()
    color_identity: tuple[str, ...] = ()
    type_line: str | None = None
    rarity: str | None = None  # one of RARITIES, lower case
    text: str | None = None  # rules text; faces joined with "\n//\n"
    power: str | None = None
    toughness: str | None = None
    is_booster: bool | None = None
    sources: tuple[str, ...] = field(default=(), compare=False)
    collector_number: str | None = field(default=None, compare=False)  # of this printing, for Arena import text

    @property
    def front_name(self) -> str:
        return front_face(self.name)

    @property
    def key(self) -> str:
        return name_key(self.front_name)

    @property
    def is_land(self) -> bool:
        return bool(self.type_line) and "Land" in self.type_line.split("—")[0].split(" - ")[0]

    @property
    def is_basic_land(self) -> bool:
        return self.rarity == "basic" or (bool(self.type_line) and self.type_line.startswith("Basic Land"))

    @property
    def is_creature(self) -> bool:
        return bool(self.type_line) and "Creature" in self.type_line

    def merged(self, other: "Card") -> "Card":
        """Fill this card's missing fields from `other` (this card's values win)."""
        updates = {}
        for f in ("arena_id", "set_code", "mana_cost", "mana_value", "type_line", "rarity", "text", "power",
                  "toughness", "is_booster", "collector_number"):
            if getattr(self, f) is None and getattr(other, f) is not None:
                updates[f] = getattr(other, f)
        if not self.colors and other.colors:
            updates["colors"] = other.colors
        if not self.color_identity and other.color_identity:
            updates["color_identity"] = other.color_identity
        if " // " not in self.name and " // " in other.name and front_face(other.name) == self.name:
            updates["name"] = other.name
        updates["sources"] = tuple(dict.fromkeys(self.sources + other.sources))
        return replace(self, **updates)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "arena_id": self.arena_id, "set": self.set_code, "mana_cost": self.mana_cost,
            "mana_value": self.mana_value, "colors": "".join(self.colors),
            "color_identity": "".join(self.color_identity), "type_line": self.type_line, "rarity": self.rarity,
            "text": self.text, "power": self.power, "toughness": self.toughness, "is_booster": self.is_booster,
            "collector_number": self.collector_number,
        }


def unknown_card(arena_id: int) -> Card:
    """Placeholder for a grpId no catalog knows: visibly unknown, never a guessed name."""
    return Card(name=f"Unknown card #{arena_id}", arena_id=arena_id, sources=("unknown",))


def main_set(cards: Iterable[Card | None]) -> str | None:
    """The set most of these cards belong to, upper case (None when no card says). Basic lands do not count, and
    bonus-sheet cards are the minority, so neither decides it. A log that names its event late, or never, still
    gets its set's ratings and models this way."""
    counts = Counter(c.set_code.upper() for c in cards if c is not None and c.set_code and not c.is_basic_land)
    return counts.most_common(1)[0][0] if counts else None
