"""17lands card ratings for a set: fetched on request, stored where the ratings engine looks, with a manifest.

Endpoints (data-formats.md §5a; both reported, neither documented by 17lands):
- new: ``<17lands>/api/card_data?expansion=SET&event_type=FORMAT&time_period=ALL_TIME[&user_group=top]``
  (``start_date``/``end_date`` instead of the time period when a date window is asked for). The body is
  ``{"data": [card objects], ...}`` or a bare list. MTGA_Draft_17Lands moved to it when the older endpoint began to
  answer with the latest day only.
- old: ``<17lands>/card_ratings/data?expansion=SET&format=FORMAT&start_date=...&end_date=...[&user_group=top]``,
  a bare list. Used when the new one fails (HTTP 4xx, a body of another shape, no rated card).

Card objects carry ``name``, ``ever_drawn_win_rate`` (GIH WR, a fraction), ``ever_drawn_game_count``,
``avg_seen`` (ALSA), ``avg_pick`` (ATA), ``game_count`` and more. They are stored as a bare list, the
``card_ratings/data`` shape that `copilot.picking.ratings.load_ratings` reads, in
``<user data>/ratings/<SET>_<FORMAT>[_<group>]_17lands.json``, so the ratings engine uses them with no flag.
The file is checked with that same reader before it is renamed into place.

The card objects also name each card's Arena id, colour, rarity and types. Those are saved beside, as a 17lands
cards.csv in ``<user data>/cards/<SET>_<FORMAT>_17lands_cards.csv`` (a folder the card catalog reads), so cards that a
Scryfall ``set:`` search does not return, such as a set's bonus sheet (DSK's Special Guests), still have colours.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from copilot.fetch.config import BaseUrls
from copilot.fetch.http import FetchError, HttpClient, Validators
from copilot.fetch.store import LocalData, check_set_code, utc_now

GROUPS = ("all", "top", "middle", "bottom")
FORMAT_RE = re.compile(r"^[A-Za-z0-9]{3,40}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OLD_START = "2019-01-01"  # 17lands' own "all data" start, as MTGA_Draft_17Lands sends it


@dataclass(frozen=True)
class RatingsRequest:
    set_code: str
    fmt: str = "PremierDraft"
    start: str | None = None  # YYYY-MM-DD
    end: str | None = None
    group: str = "all"

    def checked(self) -> "RatingsRequest":
        if not FORMAT_RE.match(self.fmt or ""):
            raise FetchError(f"not an event format: {self.fmt!r} (e.g. PremierDraft, TradDraft, QuickDraft)")
        for d in (self.start, self.end):
            if d is not None and not DATE_RE.match(d):
                raise FetchError(f"not a date: {d!r} (expected YYYY-MM-DD)")
        if self.group not in GROUPS:
            raise FetchError(f"--group must be one of {', '.join(GROUPS)}")
        return RatingsRequest(check_set_code(self.set_code), self.fmt, self.start, self.end, self.group)

    def urls(self, base: str) -> list[tuple[str, str]]:
        """[(endpoint name, URL)] in the order they are tried."""
        group = {"user_group": self.group} if self.group != "all" else {}
        if self.start or self.end:
            window = {k: v for k, v in (("start_date", self.start), ("end_date", self.end)) if v}
        else:
            window = {"time_period": "ALL_TIME"}
        new = {"expansion": self.set_code, "event_type": self.fmt, **window, **group}
        old = {"expansion": self.set_code, "format": self.fmt, "start_date": self.start or OLD_START,
               "end_date": self.end or date.today().isoformat(), **group}
        return [("card_data", f"{base}/api/card_data?{urlencode(new)}"),
                ("card_ratings", f"{base}/card_ratings/data?{urlencode(old)}")]


@dataclass
class RatingsResult:
    set_code: str
    fmt: str
    status: str  # "fetched" or "not-modified"
    path: Path
    url: str
    endpoint: str
    cards: int = 0
    rated_cards: int = 0
    manifest_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"set": self.set_code, "format": self.fmt, "status": self.status, "path": str(self.path),
                "url": self.url, "endpoint": self.endpoint, "cards": self.cards, "rated_cards": self.rated_cards,
                "manifest": str(self.manifest_path) if self.manifest_path else None, "notes": self.notes}


def card_objects(doc, url: str) -> list[dict]:
    """The card objects of an answer ({"data": [...]} or a bare list); FetchError for any other shape."""
    data = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(data, list):
        keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
        raise FetchError(f"{url}: expected a list of card ratings (or {{\"data\": [...]}}), got {keys}", url,
                         "invalid")
    cards = [c for c in data if isinstance(c, dict) and c.get("name")]
    if not cards:
        raise FetchError(f"{url}: no card ratings in the answer ({len(data)} entries, none with a name): 17lands "
                         "may have no data for this set and format yet", url, "invalid")
    if not any(isinstance(c.get("ever_drawn_win_rate"), (int, float)) and c["ever_drawn_win_rate"] > 0
               for c in cards):
        raise FetchError(f"{url}: {len(cards)} cards but none has a GIH win rate (ever_drawn_win_rate)", url,
                         "invalid")
    return cards


def _games(cards: list[dict]) -> dict:
    def ints(key):
        return [int(c[key]) for c in cards if isinstance(c.get(key), (int, float))]

    gp, gih = ints("game_count"), ints("ever_drawn_game_count")
    return {"max_game_count": max(gp, default=None), "sum_game_count": sum(gp) if gp else None,
            "max_gih_games": max(gih, default=None), "sum_gih_games": sum(gih) if gih else None}


def fetch_ratings(req: RatingsRequest, client: HttpClient | None = None, store: LocalData | None = None,
                  urls: BaseUrls | None = None, refresh: bool = False,
                  progress: Callable[[str], None] | None = None) -> RatingsResult:
    """Fetch, check and store the ratings of `req` (see the module docstring). `refresh`: ask the endpoint that
    answered last time whether they changed (ETag / Last-Modified); a 304 keeps the file."""
    from copilot.picking.ratings import RatingsError, load_ratings

    req = req.checked()
    client = client or HttpClient()
    store = store or LocalData.default()
    base = (urls or BaseUrls.load()).seventeenlands
    say = progress or (lambda _m: None)
    dest = store.ratings_path(req.set_code, req.fmt, req.group)
    old = store.read_manifest("ratings", req.set_code, req.fmt, req.group) if dest.exists() else None
    notes: list[str] = []
    candidates = req.urls(base)
    if refresh and old and old.get("endpoint"):  # ask the endpoint that answered last time first
        candidates.sort(key=lambda eu: eu[0] != old["endpoint"])
    failures = []
    for endpoint, url in candidates:
        validators = Validators(old.get("etag"), old.get("last_modified")) \
            if refresh and old and old.get("url") == url else None
        say(f"asking 17lands ({endpoint}) for {req.set_code} {req.fmt} ratings")
        try:
            resp, doc = client.get_json(url, validators)
            if resp.status == 304:
                manifest = dict(old, checked=utc_now())
                mpath = store.write_manifest("ratings", req.set_code, _strip(manifest), req.fmt, req.group)
                return RatingsResult(req.set_code, req.fmt, "not-modified", dest, url, endpoint, old.get("cards", 0),
                                     old.get("rated_cards", 0), mpath, ["not modified since the last fetch"])
            cards = card_objects(doc, resp.url)
        except FetchError as exc:
            if exc.kind in ("offline", "timeout", "cancelled") or exc.status == 429 or (exc.status or 0) >= 500:
                raise  # the other endpoint is on the same server: no point in asking it now
            failures.append(f"{endpoint}: {exc}")
            continue
        if failures:
            notes.append("fell back to the older endpoint: " + failures[0])
        text = json.dumps(cards, ensure_ascii=False, indent=0)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp.json")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.write_text(text, encoding="utf-8")
            try:
                ratings = load_ratings(tmp, req.set_code)
            except RatingsError as exc:
                raise FetchError(f"{resp.url}: the ratings engine cannot use the answer ({exc})", resp.url,
                                 "invalid") from None
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        now = utc_now()
        manifest = {"source": "17lands", "endpoint": endpoint, "url": resp.url, "format": req.fmt,
                    "group": req.group, "window": {"start": req.start, "end": req.end,
                                                   "time_period": None if (req.start or req.end) else "ALL_TIME"},
                    "fetched": now, "checked": now, "path": str(dest), "bytes": len(text.encode("utf-8")),
                    "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "cards": len(cards),
                    "rated_cards": len(ratings.rated_values()), "games": _games(cards),
                    "etag": resp.headers.get("etag"), "last_modified": resp.headers.get("last-modified"),
                    "notes": notes}
        cards_csv = _write_cards_csv(cards, store.cards_dir / f"{req.set_code}_{req.fmt}_17lands_cards.csv")
        manifest["card_file"] = str(cards_csv) if cards_csv else None
        mpath = store.write_manifest("ratings", req.set_code, manifest, req.fmt, req.group)
        return RatingsResult(req.set_code, req.fmt, "fetched", dest, resp.url, endpoint, len(cards),
                             len(ratings.rated_values()), mpath, notes)
    raise FetchError(f"no 17lands ratings for {req.set_code} {req.fmt}: " + "; ".join(failures),
                     candidates[0][1], "http")


def _write_cards_csv(cards: list[dict], dest: Path) -> Path | None:
    """The cards' own attributes as a 17lands cards.csv (only those with an Arena id); None when there are none."""
    import csv
    import io

    from copilot.fileio import atomic_write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "expansion", "name", "rarity", "color_identity", "mana_value", "types", "is_booster"])
    n = 0
    for c in cards:
        grp = c.get("mtga_id")
        if isinstance(grp, int) and grp > 0:
            w.writerow([grp, "", c["name"], c.get("rarity") or "", c.get("color") or "", "", c.get("types") or "",
                        ""])
            n += 1
    return atomic_write_text(dest, buf.getvalue()) if n else None


def _strip(manifest: dict) -> dict:
    return {k: v for k, v in manifest.items() if k not in ("kind", "set", "manifest_path")}


def needs_daily_refresh(set_code: str, fmt: str = "PremierDraft", store: LocalData | None = None,
                        max_age_s: float = 86400.0) -> bool:
    """For the opt-in daily refresh: fetched ratings of this set whose last check is a day old or more."""
    from copilot.fetch.store import age_seconds

    store = store or LocalData.default()
    try:
        m = store.read_manifest("ratings", set_code, fmt)
    except Exception:  # noqa: BLE001 - a bad set code simply has nothing to refresh
        return False
    if not m:
        return False
    age = age_seconds(m.get("checked") or m.get("fetched"))
    return age is None or age >= max_age_s
