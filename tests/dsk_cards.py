"""Test helper: Cards for DSK straight from shared/data/picks/DSK/dsk_card_index.csv (real 17lands card data).

Used by the picking/dataset tests so they do not depend on the full catalog loader.
"""
from __future__ import annotations

import csv
from pathlib import Path

from copilot.cards.model import Card, normalize_colors


def load_dsk_cards(shared_data: Path) -> dict[str, Card]:
    cards: dict[str, Card] = {}
    with open(shared_data / "picks" / "DSK" / "dsk_card_index.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            colors = normalize_colors(row["color_identity"])
            cards[row["name"]] = Card(
                name=row["name"], arena_id=int(row["arena_id"]) if row["arena_id"] else None,
                set_code=row["printing_set"], mana_value=float(row["mana_value"]) if row["mana_value"] else None,
                colors=colors, color_identity=colors, type_line=row["types"] or None,
                rarity=row["rarity"] or None, is_booster=True, sources=("dsk_card_index",))
    return cards


class NameCatalog:
    """The slice of CardCatalog's API the dataset code uses (by_name), over the DSK index."""

    def __init__(self, cards: dict[str, Card]):
        self._cards = cards

    def by_name(self, name: str, set_code: str | None = None) -> Card | None:
        return self._cards.get(name)
