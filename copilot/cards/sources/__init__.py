"""Card data sources. Each module turns one file format into a list of `Card`s; `load_file` picks the module
from the file's *content* (gzip, SQLite header, CSV header, JSON shape), not only from its name.

Kinds: arena_db (Raw_CardDatabase SQLite), 17lands_csv (cards.csv), scryfall (card objects / bulk / API list),
scryfall_cache (MTGA_Draft_17Lands name-keyed cache), mtgjson (set file or AllPrintings), ratings
(MTGA_Draft_17Lands set file), arena_json (MTGA_Draft_17Lands flattened `arena_card_data` / temp_card_data).
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from copilot.cards.model import Card

SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"

# Sources are merged in this order; earlier sources win a field, later ones only fill what is missing.
KIND_PRIORITY = ("17lands_csv", "mtgjson", "scryfall", "scryfall_cache", "ratings", "arena_db", "arena_json")


class CardSourceError(ValueError):
    """A card file could not be read. The message names the file and says what was expected."""


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip (by content)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise CardSourceError(f"{path}: cannot read card file ({e.strerror or e})") from e
    if raw[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise CardSourceError(f"{path}: looks gzip-compressed but is damaged ({e})") from e
    return raw


def read_text(path: Path) -> str:
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CardSourceError(f"{path}: not UTF-8 text ({e})") from e


def load_json(path: Path):
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CardSourceError(f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from e


def norm_name(name: str | None) -> str | None:
    """Arena writes split cards "A /// B"; everyone else "A // B"."""
    if name is None:
        return None
    name = " ".join(str(name).split())
    return name.replace(" /// ", " // ")


# Arena's own set codes where 17lands/Scryfall/MTGJSON spell them differently (seen in arena_card_data: DAR holds
# DOM's grpIds, CONF holds CON's); Alchemy DigitalReleaseSet keys look like "Y24-OTJ" where 17lands says "Y24".
ARENA_SET_ALIASES = {"DAR": "DOM", "CONF": "CON"}


def norm_set_code(code) -> str | None:
    """One spelling for set codes: upper case, Arena aliases mapped, "Y24-OTJ" -> "Y24"."""
    if code is None:
        return None
    c = str(code).strip().upper()
    if not c:
        return None
    if len(c) > 4 and c[0] == "Y" and c[1:3].isdigit() and c[3] in "-_":
        c = c[:3]
    return ARENA_SET_ALIASES.get(c, c)


def norm_type_line(line: str | None) -> str | None:
    """One spelling for type lines across sources: 17lands' "Creature - Human Survivor" (ASCII hyphen)."""
    if not line:
        return None
    faces = [f.strip() for f in str(line).split(" // ")]
    out = []
    for f in faces:
        f = f.replace(" — ", " - ").replace("—", " - ").replace(" – ", " - ")
        out.append(" ".join(f.split()))
    return " // ".join(out)


def build_type_line(supertypes=(), types=(), subtypes=()) -> str | None:
    left = " ".join([*(s for s in supertypes if s), *(t for t in types if t)])
    if not left:
        return None
    subs = " ".join(s for s in subtypes if s)
    return f"{left} - {subs}" if subs else left


_TYPE_ORDER = ("Kindred", "Tribal", "Artifact", "Enchantment", "Land", "Planeswalker", "Battle", "Creature",
               "Instant", "Sorcery")


def ordered_types(types) -> list[str]:
    """Card types in printed order (Artifact before Creature, …); unknown words keep their place at the end."""
    uniq = list(dict.fromkeys(str(t) for t in types if t))
    known = [t for t in _TYPE_ORDER if t in uniq]
    return known + [t for t in uniq if t not in _TYPE_ORDER]


def norm_rarity(value) -> str | None:
    if value is None:
        return None
    r = str(value).strip().lower()
    if not r:
        return None
    return {"mythic rare": "mythic", "bonus": "special", "land": "basic"}.get(r, r)


def to_float(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_int(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def text_or_none(value) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def detect_kind(path: Path) -> str | None:
    """The source kind of a file by its content, or None when it is no card format we know."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as e:
        raise CardSourceError(f"{path}: cannot read card file ({e.strerror or e})") from e
    if head.startswith(SQLITE_MAGIC):
        return "arena_db"
    if head[:2] == GZIP_MAGIC:
        with gzip.open(path, "rb") as fh:
            try:
                head = fh.read(4096)
            except (OSError, EOFError) as e:
                raise CardSourceError(f"{path}: looks gzip-compressed but is damaged ({e})") from e
    else:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"  # refined by json_kind once parsed
    first_line = stripped.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    cols = [c.strip().strip('"') for c in first_line.split(",")]
    if {"id", "name"} <= set(cols) and ("expansion" in cols or "types" in cols):
        return "17lands_csv"
    return None


def json_kind(obj) -> str | None:
    """Which JSON card format a parsed document is."""
    if isinstance(obj, list):
        sample = [x for x in obj[:20] if isinstance(x, dict)]
        if sample and all(("type_line" in x or "card_faces" in x or x.get("object") == "card") for x in sample):
            return "scryfall"
        return None
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("card_ratings"), dict):
        return "ratings"
    if obj.get("object") == "list" and isinstance(obj.get("data"), list):
        return "scryfall"
    if obj.get("object") == "card":
        return "scryfall"
    data = obj.get("data")
    if isinstance(data, dict) and ("cards" in data or any(isinstance(v, dict) and "cards" in v
                                                         for v in list(data.values())[:5])):
        return "mtgjson"
    values = [v for v in list(obj.values())[:20]]
    if values and all(isinstance(v, dict) for v in values):
        if all("oracle_text" in v or ("arena_id" in v and "name" in v) for v in values):
            return "scryfall_cache"
        inner = [iv for v in values for iv in list(v.values())[:3]]
        if inner and all(isinstance(iv, dict) and "name" in iv for iv in inner) and all(
                str(k).isdigit() for v in values for k in list(v)[:3]):
            return "arena_json"
    return None


def load_file(path: Path) -> tuple[str, list[Card]]:
    """Read one card file of any supported kind -> (kind, cards). Raises CardSourceError with the file name."""
    path = Path(path)
    if path.is_dir():
        raise CardSourceError(f"{path}: is a folder; give the card files in it (or load the folder into a catalog)")
    if not path.is_file():
        raise CardSourceError(f"{path}: no such card file")
    kind = detect_kind(path)
    if kind == "arena_db":
        from copilot.cards.sources import arena_db
        return kind, arena_db.load(path)
    if kind == "17lands_csv":
        from copilot.cards.sources import seventeenlands_csv
        return kind, seventeenlands_csv.load(path)
    if kind == "json":
        obj = load_json(path)
        kind = json_kind(obj)
        if kind in ("scryfall", "scryfall_cache"):
            from copilot.cards.sources import scryfall
            return kind, (scryfall.from_objects(obj, path) if kind == "scryfall" else scryfall.from_cache(obj, path))
        if kind == "mtgjson":
            from copilot.cards.sources import mtgjson
            return kind, mtgjson.from_document(obj, path)
        if kind == "ratings":
            from copilot.cards.sources import ratings_files
            return kind, ratings_files.from_ratings(obj, path)
        if kind == "arena_json":
            from copilot.cards.sources import ratings_files
            return kind, ratings_files.from_arena_json(obj, path)
        raise CardSourceError(
            f"{path}: JSON, but not a card format this app reads (expected Scryfall card objects, an MTGJSON set "
            "file, a 17lands/MTGA_Draft_17Lands set file or arena_card_data JSON)")
    lines = read_bytes(path)[:200].decode("utf-8", "replace").splitlines()
    if not lines:
        raise CardSourceError(f"{path}: empty file, not a card file")
    raise CardSourceError(
        f"{path}: not a card file this app reads (first line: {lines[0][:80]!r}). Expected Arena's "
        "Raw_CardDatabase_*.mtga (SQLite), 17lands cards.csv(.gz), Scryfall or MTGJSON JSON, or a "
        "MTGA_Draft_17Lands set file")
