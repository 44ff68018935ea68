"""MTGA_Draft_17Lands files: per-set ratings files and the flattened Arena card data.

Ratings set file: {"meta": {...}, "color_ratings": {...}, "card_ratings": {"<grpId>": {name, cmc, mana_cost,
types [list], subtypes, colors, color_identity, rarity, set, oracle_text, isprimarycard, linkedfacetype,
deck_colors ...}}}. Only the card metadata is read here (the statistics belong to the ratings engine).
Caveat seen in the real files: a set file also lists reprints from other sets (BLB's has 45 ANA, 40 JMP, ...
grpIds) and stamps them all with the file's own `set`, so that field is NOT the printing's set: set_code is left
None and comes from a printing source (cards.csv, Arena DB) on merge.

Flattened Arena data (`arena_card_data_*.json`, the app's Temp/temp_card_data.json):
{"<SET>": {"<grpId>": {name, cmc, mana_cost, isprimarycard, linkedfacetype, types [card types only], rarity,
colors}}}. The set keys are Arena's ExpansionCode (DigitalReleaseSet for Alchemy). No text, no P/T, no subtypes.
"""
from __future__ import annotations

from pathlib import Path

from copilot.cards.model import Card, normalize_colors
from copilot.cards.sources import (build_type_line, norm_name, norm_rarity, norm_set_code, ordered_types, text_or_none,
                                   to_float, to_int)


def _mana_cost(value) -> str | None:
    v = text_or_none(value)
    return v if v and "{" in v else None


def _is_secondary_face(entry: dict) -> bool:
    """Adventure halves and back faces have their own grpId with isprimarycard 0; they are never drafted."""
    return entry.get("isprimarycard") in (0, "0", False)


def from_ratings(doc: dict, path: Path) -> list[Card]:
    path = Path(path)
    set_label = (doc.get("meta") or {}).get("set") or path.name.split("_")[0].upper()
    source = f"ratings:{set_label}"
    cards = []
    for key, entry in (doc.get("card_ratings") or {}).items():
        grp = to_int(key)
        if grp is None or not isinstance(entry, dict) or not entry.get("name") or _is_secondary_face(entry):
            continue
        types = entry.get("types") or []
        cards.append(Card(
            name=norm_name(entry["name"]),
            arena_id=grp,
            set_code=None,  # see module docstring: the file's `set` is not the printing's set
            mana_cost=_mana_cost(entry.get("mana_cost")),
            mana_value=to_float(entry.get("cmc")),
            colors=normalize_colors(entry.get("colors") or ()),
            color_identity=normalize_colors(entry.get("color_identity") or ()),
            type_line=build_type_line((), ordered_types(types), entry.get("subtypes") or ()) if types else None,
            rarity=norm_rarity(entry.get("rarity")),
            text=text_or_none(entry.get("oracle_text")),
            sources=(source,),
        ))
    return cards


def from_arena_json(doc: dict, path: Path) -> list[Card]:
    source = f"arena_json:{Path(path).name}"
    cards = []
    for set_code, entries in doc.items():
        if not isinstance(entries, dict):
            continue
        for key, entry in entries.items():
            grp = to_int(key)
            if grp is None or not isinstance(entry, dict) or not entry.get("name") or _is_secondary_face(entry):
                continue
            types = entry.get("types") or []
            cards.append(Card(
                name=norm_name(entry["name"]),
                arena_id=grp,
                set_code=norm_set_code(set_code),
                mana_cost=_mana_cost(entry.get("mana_cost")),
                mana_value=to_float(entry.get("cmc")),
                colors=normalize_colors(entry.get("colors") or ()),
                type_line=" ".join(ordered_types(types)) or None,
                rarity=norm_rarity(entry.get("rarity")),
                sources=(source,),
            ))
    return cards
