"""MTGJSON set files (`{"meta", "data": {code, cards[], tokens[], booster}}`) and AllPrintings
(`{"data": {SET: {...}}}`). `data.cards[]` holds one entry per face; faces of one card share `uuid`-siblings via
`otherFaceIds` and the same `number`, and the full name "A // B". Tokens are not read.

The Arena id is `identifiers.mtgArenaId` (a string). Entries without one still give name-keyed cards (set + name)
that the catalog merges into the Arena printings of the same name.
"""
from __future__ import annotations

from pathlib import Path

from copilot.cards.model import Card, normalize_colors
from copilot.cards.sources import (norm_name, norm_rarity, norm_set_code, norm_type_line, text_or_none, to_float,
                                   to_int)

FRONT_ONLY_LAYOUTS = {"transform", "flip", "meld", "modal_dfc", "reversible_card"}


def _sets(doc: dict) -> list[dict]:
    data = doc.get("data")
    if isinstance(data, dict) and isinstance(data.get("cards"), list):
        return [data]
    if isinstance(data, dict):
        return [v for v in data.values() if isinstance(v, dict) and isinstance(v.get("cards"), list)]
    return []


def _card_from_faces(faces: list[dict], set_code: str | None, source: str) -> Card:
    faces = sorted(faces, key=lambda f: f.get("side") or "a")
    front = faces[0]
    layout = front.get("layout")
    texts = [text_or_none(f.get("text")) or "" for f in faces]
    text = "\n//\n".join(texts) if any(texts) else None
    if len(faces) > 1 and layout not in FRONT_ONLY_LAYOUTS:
        colors = [c for f in faces for c in (f.get("colors") or ())]
    else:
        colors = front.get("colors") or ()
    arena_id = None
    for f in faces:
        arena_id = to_int((f.get("identifiers") or {}).get("mtgArenaId"))
        if arena_id is not None:
            break
    booster_types = front.get("boosterTypes")
    is_booster = None
    if isinstance(booster_types, list):
        is_booster = any(b in ("play", "draft", "default") for b in booster_types)
    return Card(
        name=norm_name(front.get("name")),
        arena_id=arena_id,
        set_code=norm_set_code(front.get("setCode") or set_code),
        mana_cost=text_or_none(front.get("manaCost")),
        mana_value=to_float(front.get("manaValue", front.get("convertedManaCost"))),
        colors=normalize_colors(colors),
        color_identity=normalize_colors(front.get("colorIdentity") or ()),
        type_line=norm_type_line(front.get("type")),
        rarity=norm_rarity(front.get("rarity")),
        text=text,
        power=text_or_none(front.get("power")),
        toughness=text_or_none(front.get("toughness")),
        is_booster=is_booster,
        sources=(source,),
        collector_number=text_or_none(front.get("number")),
    )


def from_document(doc: dict, path: Path) -> list[Card]:
    out = []
    for s in _sets(doc):
        code = norm_set_code(s.get("code"))
        source = f"mtgjson:{code or Path(path).name}"
        groups: dict[tuple, list[dict]] = {}
        for entry in s.get("cards") or []:
            if not isinstance(entry, dict) or not entry.get("name"):
                continue
            key = (entry.get("name"), entry.get("number"), entry.get("setCode"))
            groups.setdefault(key, []).append(entry)
        for faces in groups.values():
            out.append(_card_from_faces(faces, code, source))
    return out
