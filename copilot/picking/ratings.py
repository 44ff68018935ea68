"""17lands card ratings: load them from the formats people have, and find the ones for a set automatically.

Formats read (auto-detected):
- the JSON the 17lands ``card_ratings/data`` endpoint returns: a list of objects with ``name``,
  ``ever_drawn_win_rate`` (GIH WR, a fraction), ``ever_drawn_game_count``, ``avg_seen`` (ALSA), ``avg_pick`` (ATA);
- MTGA_Draft_17Lands set files ``{"meta", "color_ratings", "card_ratings": {grpId: {name, deck_colors: {"All Decks":
  {gihwr (percent), alsa, ata, ...}, "WU": {...}}}}}`` (.json or .json.gz); a rate of 0.0 there means "below the
  sample threshold", so it is read as missing, not as 0%;
- a simple CSV with a name column (``name``/``card_name``/``Name``) and a GIH WR column (``gih_wr``, ``gihwr``,
  ``GIH WR``, ``gih_wr_pct``...), fraction or percent (e.g. shared/data/ratings/derived_gih_28d/DSK_gih_28d.csv).

All win rates are held in **percent**. Cards are matched by front-face name key (17lands names DFCs by the front
face; Rooms and split cards as "A // B", whose key is the first half as well).
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from copilot.cards.model import Card, front_face, name_key

RATINGS_SUFFIXES = (".csv", ".csv.gz", ".json", ".json.gz")


class RatingsError(ValueError):
    """A ratings file could not be read (the message says which and why)."""


@dataclass(frozen=True)
class CardRating:
    name: str
    gih_wr: float | None  # percent; None below the sample threshold / unknown
    games: int | None = None
    alsa: float | None = None  # average last seen at
    ata: float | None = None  # average taken at
    by_colors: dict = field(default_factory=dict, compare=False)  # deck colours ("WU") -> GIH WR percent


@dataclass
class Ratings:
    set_code: str | None
    source: str
    cards: dict[str, CardRating]  # name key -> rating
    color_ratings: dict[str, float] = field(default_factory=dict)  # deck colours -> win rate percent

    def __len__(self) -> int:
        return len(self.cards)

    @staticmethod
    def key(name: str) -> str:
        return name_key(front_face(name))

    def get(self, card: Card | str) -> CardRating | None:
        name = card if isinstance(card, str) else card.name
        return self.cards.get(self.key(name))

    def gih(self, card: Card | str) -> float | None:
        r = self.get(card)
        return r.gih_wr if r else None

    def rated_values(self) -> list[float]:
        return sorted(r.gih_wr for r in self.cards.values() if r.gih_wr is not None)


def _pct(value) -> float | None:
    """Fraction or percent (or a numeric string) -> percent; 0 / None / '' -> None (below threshold)."""
    if value is None or value == "":
        return None
    try:
        v = float(str(value).strip().rstrip("%"))
    except ValueError:
        return None
    if v <= 0:
        return None
    return v * 100.0 if v <= 1.0 else v


def _num(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _read_text(path: Path) -> str:
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


def guess_set_code(path: Path) -> str | None:
    m = re.match(r"([A-Za-z0-9]{2,5})[_.\-]", Path(path).name)
    return m.group(1).upper() if m else None


def _merge(cards: dict[str, CardRating], rating: CardRating) -> None:
    """Several grpIds share a name (alt art, SPG): keep the entry with the most games / a rate."""
    key = Ratings.key(rating.name)
    old = cards.get(key)
    if old is None or (old.gih_wr is None and rating.gih_wr is not None) or (
            rating.gih_wr is not None and (rating.games or 0) > (old.games or 0)):
        cards[key] = rating


def _from_endpoint(data: list, path: Path, set_code: str | None) -> Ratings:
    cards: dict[str, CardRating] = {}
    for obj in data:
        if not isinstance(obj, dict) or not obj.get("name"):
            continue
        _merge(cards, CardRating(
            name=str(obj["name"]), gih_wr=_pct(obj.get("ever_drawn_win_rate")),
            games=int(obj["ever_drawn_game_count"]) if obj.get("ever_drawn_game_count") else None,
            alsa=_num(obj.get("avg_seen")), ata=_num(obj.get("avg_pick"))))
    return Ratings(set_code, str(path), cards)


def _from_mtga_draft_17lands(data: dict, path: Path, set_code: str | None) -> Ratings:
    cards: dict[str, CardRating] = {}
    for grp, obj in (data.get("card_ratings") or {}).items():
        if not isinstance(obj, dict) or not obj.get("name"):
            continue
        dc = obj.get("deck_colors") or {}
        alld = dc.get("All Decks") or {}
        games = alld.get("game_count") or alld.get("gih") or alld.get("samples")
        by_colors = {k: v for k, v in ((k, _pct((e or {}).get("gihwr"))) for k, e in dc.items() if k != "All Decks")
                     if v is not None}
        _merge(cards, CardRating(name=str(obj["name"]), gih_wr=_pct(alld.get("gihwr")),
                                 games=int(games) if games else None, alsa=_num(alld.get("alsa")) or None,
                                 ata=_num(alld.get("ata")) or None, by_colors=by_colors))
        if set_code is None and obj.get("set"):
            set_code = str(obj["set"]).upper()
    colors = {k: p for k, p in ((k, _pct(v)) for k, v in (data.get("color_ratings") or {}).items()) if p is not None}
    return Ratings(set_code, str(path), cards, colors)


_NAME_COLS = ("name", "card_name", "card", "Name", "Card Name", "card name")
_GIH_COLS = ("gih_wr", "gihwr", "GIH WR", "gih wr", "ever_drawn_win_rate", "GIHWR", "gih_wr_pct")


def _from_csv(text: str, path: Path, set_code: str | None) -> Ratings:
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    name_col = next((c for c in _NAME_COLS if c in fields), None)
    gih_col = next((c for c in _GIH_COLS if c in fields), None)
    if not name_col or not gih_col:
        raise RatingsError(f"{path}: a ratings CSV needs a name column ({', '.join(_NAME_COLS[:3])}) and a GIH WR "
                           f"column ({', '.join(_GIH_COLS[:4])}); found: {', '.join(fields) or 'no header'}")
    games_col = next((c for c in ("gih_games", "games", "ever_drawn_game_count", "# GIH") if c in fields), None)
    cards: dict[str, CardRating] = {}
    for row in reader:
        name = (row.get(name_col) or "").strip()
        if not name:
            continue
        games = _num(row.get(games_col)) if games_col else None
        _merge(cards, CardRating(name=name, gih_wr=_pct(row.get(gih_col)), games=int(games) if games else None,
                                 alsa=_num(row.get("alsa") or row.get("ALSA")),
                                 ata=_num(row.get("ata") or row.get("ATA"))))
        if set_code is None and row.get("set"):
            set_code = row["set"].strip().upper()
    return Ratings(set_code, str(path), cards)


def load_ratings(path: Path | str, set_code: str | None = None) -> Ratings:
    """Read any supported ratings file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise RatingsError(f"ratings file not found: {path}")
    try:
        text = _read_text(path)
    except (OSError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise RatingsError(f"{path}: cannot read ratings ({exc})") from exc
    set_code = set_code.upper() if set_code else None
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RatingsError(f"{path}: invalid JSON ({exc})") from exc
        if isinstance(data, list):
            ratings = _from_endpoint(data, path, set_code)
        elif isinstance(data, dict) and "card_ratings" in data:
            ratings = _from_mtga_draft_17lands(data, path, set_code)
        else:
            raise RatingsError(f"{path}: JSON is neither a 17lands card_ratings list nor a MTGA_Draft_17Lands "
                               f"set file (no 'card_ratings' key)")
    else:
        ratings = _from_csv(text, path, set_code)
    if ratings.set_code is None:
        ratings.set_code = guess_set_code(path)
    if not ratings.rated_values():
        raise RatingsError(f"{path}: no card has a GIH win rate")
    return ratings


def ratings_dirs() -> list[Path]:
    """Where ratings are looked for, first match wins: user data `ratings/`, then the shared data ratings."""
    from copilot.paths import shared_dir, user_data_dir

    dirs = [user_data_dir() / "ratings"]
    sd = shared_dir()
    if sd is not None:
        base = sd / "data" / "ratings"
        dirs += [base, base / "derived_gih_28d", base / "mtga_draft_17lands_format"]
    return dirs


_WITHHELD: set[str] = set()


def withhold_ratings(set_codes) -> None:
    """From now on, in this process, `find_ratings` finds nothing for these sets: every engine and prompt sees them
    as on their first days, before 17lands has data (`copilot eval --hide-ratings SET`, the day-one measurement)."""
    _WITHHELD.update(code.upper() for code in set_codes)


def find_ratings(set_code: str | None, dirs: list[Path] | None = None) -> Path | None:
    """The ratings file for `set_code` (file names start with the set code, e.g. DSK_gih_28d.csv,
    BLB_PremierDraft_All_Data.json.gz); PremierDraft files are preferred. None when there is none, or when the
    set's ratings are withheld (`withhold_ratings`)."""
    if not set_code or set_code.upper() in _WITHHELD:
        return None
    prefix = set_code.upper() + "_"
    for d in dirs if dirs is not None else ratings_dirs():
        if not d.is_dir():
            continue
        hits = sorted(p for p in d.iterdir() if p.is_file() and p.name.upper().startswith(prefix)
                      and p.name.lower().endswith(RATINGS_SUFFIXES))
        if hits:
            hits.sort(key=lambda p: ("premierdraft" not in p.name.lower(), p.name))
            return hits[0]
    return None
