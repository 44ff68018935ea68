"""MTG Arena's own card database, `Raw_CardDatabase_<hash>.mtga` (SQLite), opened read-only.

Two localisation schemas exist (the table list is read first):
- before ~2025-06: one `Localizations` table, one column per language (`LocId`, `Formatted`, `enUS`, ...);
- after: one table per language, `Localizations_enUS(LocId, Formatted, Loc)`.
Where a LocId has several `Formatted` variants the smallest is taken (as MTGA_Draft_17Lands does).

`Cards` columns used when present (missing ones are simply not read): GrpId, TitleId, ExpansionCode, Rarity,
IsToken, IsPrimaryCard, LinkedFaceGrpIds, LinkedFaceType, OldSchoolManaText, Cmc, Colors, ColorIdentity, Types,
Subtypes, Supertypes, Power, Toughness, AbilityIds. Enum ints become words through `Enums(Type, Value, LocId)`;
rules text comes from `AbilityIds` ("abilityId:textLocId,..." — the LocId after the colon — or a bare abilityId
looked up in `Abilities(Id, TextId)`), as community Arena-database tools read it. Planeswalker loyalty costs
(`Abilities.LoyaltyCost`) are not added to the text. Tokens and secondary faces (IsPrimaryCard = 0) are not
returned as cards; a primary card's linked faces contribute their text (joined with "\\n//\\n").
Rarity ints: 2 common, 3 uncommon, 4 rare, 5 mythic; 1 is the basic-land rarity (only kept when the card
really is a Basic land, otherwise left unknown).
"""
from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

from copilot.cards.mana import arena_mana_text, mana_value
from copilot.cards.model import Card
from copilot.cards.sources import (CardSourceError, SQLITE_MAGIC, build_type_line, norm_name, norm_set_code,
                                   text_or_none, to_float, to_int)

log = logging.getLogger(__name__)
RARITY = {2: "common", 3: "uncommon", 4: "rare", 5: "mythic"}
COLOR_WORDS = {"white": "W", "blue": "U", "black": "B", "red": "R", "green": "G"}
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_OSYM = re.compile(r"\{o([^}]+)\}")


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open the database without ever writing to it (a running Arena keeps using it)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as e:
        raise CardSourceError(f"{path}: cannot read Arena card database ({e.strerror or e})") from e
    if head != SQLITE_MAGIC:
        raise CardSourceError(
            f"{path}: not an SQLite database, so not a usable Arena Raw_CardDatabase file (it may be damaged or "
            "still downloading; restart Arena to let it repair its files, or point the app at another copy)")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        con.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error as e:
        raise CardSourceError(f"{path}: cannot open the Arena card database read-only ({e})") from e
    return con


def _tables(con) -> dict[str, str]:
    return {r[0].lower(): r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}


def _columns(con, table: str) -> dict[str, str]:
    return {r[1].lower(): r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}


class _Localizer:
    """LocId -> English text, for either schema; fetches only the ids asked for."""

    def __init__(self, con, tables: dict[str, str], path: Path):
        self.con = con
        if "localizations_enus" in tables:
            t = tables["localizations_enus"]
            cols = _columns(con, t)
            text_col = cols.get("loc") or cols.get("enus")
        elif "localizations" in tables:
            t = tables["localizations"]
            cols = _columns(con, t)
            text_col = cols.get("enus") or cols.get("loc")
        else:
            raise CardSourceError(
                f"{path}: Arena card database without an English localisation table (neither Localizations_enUS "
                f"nor Localizations); tables: {sorted(tables.values())}")
        if "locid" not in cols or text_col is None:
            raise CardSourceError(f"{path}: localisation table {t} lacks LocId or the English text column "
                                  f"(columns: {sorted(cols.values())})")
        self.table, self.text_col = t, text_col
        self.fmt_col = cols.get("formatted")
        self.cache: dict[int, str] = {}

    def fetch(self, ids) -> None:
        want = sorted({i for i in ids if i is not None and i not in self.cache})
        order = f'"{self.fmt_col}" DESC' if self.fmt_col else "rowid DESC"
        for start in range(0, len(want), 900):
            chunk = want[start:start + 900]
            q = (f'SELECT LocId, "{self.text_col}" FROM "{self.table}" WHERE LocId IN ({",".join("?" * len(chunk))}) '
                 f"ORDER BY {order}")
            for loc_id, text in self.con.execute(q, chunk):
                if text is not None:
                    self.cache[int(loc_id)] = str(text)  # rows come largest variant first: smallest wins

    def get(self, loc_id) -> str | None:
        return self.cache.get(loc_id) if loc_id is not None else None


def _ints(value) -> list[int]:
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    out = []
    for part in str(value).replace(";", ",").split(","):
        n = to_int(part.strip())
        if n is not None:
            out.append(n)
    return out


def _ability_refs(value) -> list[tuple[int | None, int | None]]:
    """'1005:2345,1006' -> [(1005, 2345), (1006, None)] (abilityId, text LocId)."""
    refs = []
    for part in str(value or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        a, _, t = part.partition(":")
        refs.append((to_int(a), to_int(t)))
    return refs


def clean_text(text: str, card_name: str | None) -> str:
    """Arena markup to plain rules text: {oT} -> {T}, CARDNAME -> the name, tags removed."""
    text = _OSYM.sub(lambda m: "{" + m.group(1) + "}", text)
    text = _TAG.sub("", text)
    if card_name:
        text = text.replace("CARDNAME", card_name)
    return text.strip()


def load(path: Path) -> list[Card]:
    path = Path(path)
    con = open_readonly(path)
    try:
        return _read(con, path)
    except sqlite3.Error as e:
        raise CardSourceError(f"{path}: error reading the Arena card database ({e})") from e
    finally:
        con.close()


def _read(con, path: Path) -> list[Card]:
    tables = _tables(con)
    if "cards" not in tables:
        raise CardSourceError(f"{path}: SQLite file without a Cards table, not an Arena card database "
                              f"(tables: {sorted(tables.values())})")
    loc = _Localizer(con, tables, path)
    cols = _columns(con, tables["cards"])
    if "grpid" not in cols or "titleid" not in cols:
        raise CardSourceError(f"{path}: Cards table lacks GrpId or TitleId (columns: {sorted(cols.values())})")
    con.row_factory = sqlite3.Row
    rows = [{k.lower(): r[k] for k in r.keys()} for r in con.execute(f'SELECT * FROM "{tables["cards"]}"')]

    enums: dict[tuple[str, int], int] = {}
    if "enums" in tables:
        ecols = _columns(con, tables["enums"])
        if {"type", "value", "locid"} <= set(ecols):
            for t, v, lid in con.execute(f'SELECT Type, Value, LocId FROM "{tables["enums"]}"'):
                if v is not None and lid is not None:
                    enums[(str(t).lower(), int(v))] = int(lid)

    ability_text_ids: dict[int, int] = {}
    if "abilities" in tables:
        acols = _columns(con, tables["abilities"])
        id_col = acols.get("id") or acols.get("abilityid")
        text_col = acols.get("textid") or acols.get("text")
        if id_col and text_col:
            for aid, tid in con.execute(f'SELECT "{id_col}", "{text_col}" FROM "{tables["abilities"]}"'):
                if aid is not None and to_int(tid) is not None:
                    ability_text_ids[int(aid)] = to_int(tid)

    wanted = set(enums.values())
    for r in rows:
        wanted.add(to_int(r.get("titleid")))
        for aid, tid in _ability_refs(r.get("abilityids")):
            wanted.add(tid)
            wanted.add(ability_text_ids.get(aid))
    loc.fetch(wanted)

    def words(kind: str, value) -> list[str]:
        out = []
        for n in _ints(value):
            w = loc.get(enums.get((kind, n)))
            if w:
                out.append(w)
        return out

    def colors(value) -> tuple[str, ...]:
        letters = {COLOR_WORDS.get(w.lower()) for w in words("color", value)}
        return tuple(c for c in "WUBRG" if c in letters)

    def rules_text(r, name) -> str | None:
        parts = []
        for aid, tid in _ability_refs(r.get("abilityids")):
            text = loc.get(tid)  # "abilityId:textLocId": the card's own wording
            if text is None and aid is not None:
                text = loc.get(ability_text_ids.get(aid))
            if text:
                parts.append(clean_text(text, name))
        return "\n".join(parts) or None

    by_id = {to_int(r.get("grpid")): r for r in rows}
    source = f"arena_db:{path.name}"
    cards = []
    for r in rows:
        grp = to_int(r.get("grpid"))
        if grp is None or r.get("istoken") in (1, "1", True):
            continue
        if r.get("isprimarycard") in (0, "0", False):
            continue
        name = norm_name(loc.get(to_int(r.get("titleid"))))
        if not name:
            continue  # no English title: nothing honest to call it
        supers = words("supertype", r.get("supertypes"))
        type_line = build_type_line(supers, words("cardtype", r.get("types")), words("subtype", r.get("subtypes")))
        cost = arena_mana_text(r.get("oldschoolmanatext")) if r.get("oldschoolmanatext") else None
        mv = to_float(r.get("cmc")) if "cmc" in r else None
        if mv is None and cost:
            mv = mana_value(cost)
        rarity = RARITY.get(to_int(r.get("rarity")))
        if rarity is None and to_int(r.get("rarity")) == 1 and "Basic" in supers:
            rarity = "basic"
        text = rules_text(r, name)
        linked = [by_id[i] for i in _ints(r.get("linkedfacegrpids")) if i in by_id and i != grp]
        face_texts = [rules_text(f, norm_name(loc.get(to_int(f.get("titleid"))))) for f in linked]
        if any(face_texts):
            text = "\n//\n".join(t for t in [text, *face_texts] if t)
        power = toughness = None
        if type_line and ("Creature" in type_line or "Vehicle" in type_line):
            power = str(r["power"]) if r.get("power") not in (None, "") else None
            toughness = str(r["toughness"]) if r.get("toughness") not in (None, "") else None
        cards.append(Card(
            name=name,
            arena_id=grp,
            set_code=norm_set_code(r.get("expansioncode")),
            mana_cost=cost,
            mana_value=mv,
            colors=colors(r.get("colors")),
            color_identity=colors(r.get("coloridentity")),
            type_line=type_line,
            rarity=rarity,
            text=text,
            power=power,
            toughness=toughness,
            sources=(source,),
            collector_number=text_or_none(r.get("collectornumber")),
        ))
    return cards


def find_card_database(install_dir: Path | None) -> Path | None:
    """The newest Raw_CardDatabase_*.mtga under an Arena install (or data) folder, else None. With
    install_dir None, the platform's usual Arena folders are searched (via `copilot.arena.locate`).

    Prefers `copilot.arena.locate.find_card_database` when that module provides it.
    """
    try:
        from copilot.arena.locate import find_card_database as _find  # type: ignore[attr-defined]
        found = _find(install_dir)
        if found:
            return Path(found)
    except (ImportError, AttributeError):
        pass
    except OSError as e:  # an unreadable folder is "not found", never a crash
        log.info("searching for the Arena card database failed: %s", e)
    if install_dir is None:
        return None
    base = Path(install_dir)
    candidates = []
    for sub in ("", "Downloads/Raw", "MTGA_Data/Downloads/Raw", "Raw"):
        d = base / sub if sub else base
        if d.is_dir():
            candidates += list(d.glob("Raw_CardDatabase_*.mtga"))
    if not candidates:
        return None
    return max(candidates, key=lambda p: p.stat().st_mtime)
