"""17lands `cards.csv` (plain or .gz): one row per Arena printing.

Columns: id (grpId), expansion, name, rarity, color_identity, mana_value, types (full type line, "-" before
subtypes), is_booster. It has no mana cost, colours, rules text or P/T: those stay None here.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from copilot.cards.model import Card, normalize_colors
from copilot.cards.sources import (CardSourceError, norm_name, norm_rarity, norm_set_code, norm_type_line,
                                   read_text, to_float, to_int)

REQUIRED = ("id", "name")


def _bool(value) -> bool | None:
    v = str(value or "").strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    return None


def load(path: Path) -> list[Card]:
    path = Path(path)
    reader = csv.DictReader(io.StringIO(read_text(path)))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in fields]
    if missing:
        raise CardSourceError(f"{path}: 17lands cards.csv without column(s) {', '.join(missing)} (has {fields})")
    source = f"17lands:{path.name}"
    cards = []
    for lineno, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): v for k, v in raw.items()}
        grp = to_int(row.get("id"))
        name = norm_name(row.get("name"))
        if grp is None or not name:
            raise CardSourceError(f"{path}:{lineno}: row without a numeric id or a name: {raw}")
        rarity = norm_rarity(row.get("rarity"))
        cards.append(Card(
            name=name,
            arena_id=grp,
            set_code=norm_set_code(row.get("expansion")),
            mana_value=to_float(row.get("mana_value")),
            color_identity=normalize_colors(row.get("color_identity") or ""),
            type_line=norm_type_line(row.get("types")),
            rarity=rarity,
            is_booster=_bool(row.get("is_booster")),
            sources=(source,),
        ))
    return cards
