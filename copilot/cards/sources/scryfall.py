"""Scryfall card JSON: a list of card objects (bulk `default_cards`/`oracle_cards`, a saved search), an API
`{"object": "list", "data": [...]}` page, one card object, and the MTGA_Draft_17Lands `scryfall_cache/<SET>_cards.json`
shape ({name: {arena_id, name, cmc, mana_cost, types, subtypes, colors, color_identity, rarity, oracle_text}}).

Multi-face cards (`card_faces`): the name is the full "Front // Back"; mana cost, type line, P/T and colours come
from the front face when the top level lacks them; rules text is every face's text joined with "\\n//\\n".
"""
from __future__ import annotations

import re
from pathlib import Path

from copilot.cards.model import Card, normalize_colors
from copilot.cards.sources import (build_type_line, norm_name, norm_rarity, norm_set_code, norm_type_line,
                                   ordered_types, text_or_none, to_float, to_int)

SKIP_LAYOUTS = {"token", "double_faced_token", "emblem", "art_series", "vanguard", "scheme", "planar"}
FRONT_ONLY_LAYOUTS = {"transform", "flip", "meld", "modal_dfc", "reversible_card"}  # back face not castable from hand
_CACHE_NAME = re.compile(r"^([A-Za-z0-9]{2,6})_cards\.json", re.I)


def _join_text(faces: list[dict]) -> str | None:
    texts = [text_or_none(f.get("oracle_text")) for f in faces]
    texts = [t if t is not None else "" for t in texts]
    if not any(texts):
        return None
    return "\n//\n".join(texts)


def card_from_object(obj: dict, source: str) -> Card | None:
    if obj.get("layout") in SKIP_LAYOUTS or obj.get("object") not in (None, "card") or not obj.get("name"):
        return None
    faces = [f for f in (obj.get("card_faces") or []) if isinstance(f, dict)]
    front = faces[0] if faces else {}
    text = text_or_none(obj.get("oracle_text"))
    if text is None and faces:
        text = _join_text(faces)
    colors = obj.get("colors")
    if colors is None and faces:
        if obj.get("layout") in FRONT_ONLY_LAYOUTS:
            colors = front.get("colors") or ()
        else:
            colors = [c for f in faces for c in (f.get("colors") or ())]
    mana_cost = text_or_none(front.get("mana_cost") if faces else obj.get("mana_cost"))  # front face's cost
    type_line = front.get("type_line") if faces else obj.get("type_line")
    booster = obj.get("booster")
    return Card(
        name=norm_name(obj["name"]),
        arena_id=to_int(obj.get("arena_id")),
        set_code=norm_set_code(obj.get("set")),
        mana_cost=mana_cost,
        mana_value=to_float(obj.get("cmc")),
        colors=normalize_colors(colors or ()),
        color_identity=normalize_colors(obj.get("color_identity") or ()),
        type_line=norm_type_line(type_line or obj.get("type_line")),
        rarity=norm_rarity(obj.get("rarity")),
        text=text,
        power=text_or_none(obj.get("power", front.get("power"))),
        toughness=text_or_none(obj.get("toughness", front.get("toughness"))),
        is_booster=booster if isinstance(booster, bool) else None,
        sources=(source,),
        collector_number=text_or_none(obj.get("collector_number")),
    )


def from_objects(doc, path: Path) -> list[Card]:
    if isinstance(doc, dict):
        doc = doc.get("data") if doc.get("object") == "list" else [doc]
    source = f"scryfall:{Path(path).name}"
    out = []
    for obj in doc or []:
        if isinstance(obj, dict):
            card = card_from_object(obj, source)
            if card is not None:
                out.append(card)
    return out


def from_cache(doc: dict, path: Path) -> list[Card]:
    """MTGA_Draft_17Lands' name-keyed Scryfall cache. The set comes from the file name ("BLB_cards.json")."""
    m = _CACHE_NAME.match(Path(path).name)
    set_code = norm_set_code(m.group(1)) if m else None
    source = f"scryfall_cache:{Path(path).name}"
    out = []
    for key, entry in doc.items():
        if not isinstance(entry, dict):
            continue
        name = norm_name(entry.get("name") or key)
        types = entry.get("types") or []
        out.append(Card(
            name=name,
            arena_id=to_int(entry.get("arena_id")),
            set_code=set_code,
            mana_cost=text_or_none(entry.get("mana_cost")),
            mana_value=to_float(entry.get("cmc")),
            colors=normalize_colors(entry.get("colors") or ()),
            color_identity=normalize_colors(entry.get("color_identity") or ()),
            # the cache keeps card types and subtypes but no supertypes (no "Legendary", "Basic")
            type_line=build_type_line((), ordered_types(types), entry.get("subtypes") or ()) if types else None,
            rarity=norm_rarity(entry.get("rarity")),
            text=text_or_none(entry.get("oracle_text")),
            sources=(source,),
        ))
    return out
