"""What data is local for each set, from where, and how old: fetched data (manifests) and the files the app
finds on its own (ratings in the user and shared folders, card files, draft files)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from copilot.fetch.store import LocalData, age_seconds, describe_age

_SET_PREFIX = re.compile(r"^([A-Za-z0-9]{2,6})[_.\-]")
_DRAFT_FILE = re.compile(r"^draft_data_public\.([A-Za-z0-9]{2,6})\.([A-Za-z0-9]+)\.csv(\.gz)?$")


@dataclass
class SetData:
    set_code: str
    ratings: dict | None = None  # {"path", "source", "fetched", "age_s", "cards", "games"...}
    cards: dict | None = None
    drafts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"set": self.set_code, "ratings": self.ratings, "cards": self.cards, "drafts": self.drafts}


def _origin(path: Path, store: LocalData) -> str:
    from copilot.paths import shared_dir

    sd = shared_dir()
    if sd is not None and str(path).startswith(str(sd)):
        return "shared data"
    if str(path).startswith(str(store.root)):
        return "user data (not fetched by the app)"
    return "settings folder"


def _file_info(path: Path) -> dict:
    st = path.stat()
    from datetime import datetime, timezone

    mtime = datetime.fromtimestamp(st.st_mtime, timezone.utc).replace(microsecond=0)
    return {"path": str(path), "bytes": st.st_size, "modified": mtime.isoformat().replace("+00:00", "Z")}


def data_status(store: LocalData | None = None) -> list[SetData]:
    """One entry per set that has anything local, sorted by set code."""
    from copilot.picking.ratings import RATINGS_SUFFIXES, find_ratings, ratings_dirs

    store = store or LocalData.default()
    sets: dict[str, SetData] = {}

    def entry(code: str) -> SetData:
        return sets.setdefault(code.upper(), SetData(code.upper()))

    manifests = store.manifests()
    for m in manifests:
        e = entry(m["set"])
        info = {k: m.get(k) for k in ("path", "url", "fetched", "checked", "format", "endpoint", "cards",
                                      "rated_cards", "games", "window", "bytes", "pages", "arena_ids", "with_text",
                                      "images", "resumed_from")
                if m.get(k) is not None}
        info["source"] = m.get("source")
        info["age_s"] = age_seconds(m.get("fetched"))
        info["age"] = describe_age(info["age_s"])
        info["present"] = bool(m.get("path")) and Path(m["path"]).exists()
        if m["kind"] == "ratings":
            e.ratings = info
        elif m["kind"] == "cards":
            e.cards = info
        elif m["kind"] == "drafts":
            e.drafts.append(info)
    for d in ratings_dirs():  # ratings the engine would find without a fetch (shared data, files put by hand)
        if not d.is_dir():
            continue
        for p in d.iterdir():
            m = _SET_PREFIX.match(p.name)
            if p.is_file() and m and p.name.lower().endswith(RATINGS_SUFFIXES):
                entry(m.group(1))
    drafts_dir = store.drafts_dir()
    if drafts_dir.is_dir():
        for p in sorted(drafts_dir.iterdir()):
            m = _DRAFT_FILE.match(p.name)
            if m and not any(x.get("path") == str(p) for x in entry(m.group(1)).drafts):
                entry(m.group(1)).drafts.append(dict(_file_info(p), source=_origin(p, store), format=m.group(2)))
    for code, e in sets.items():
        used = find_ratings(code)  # what the ratings engine uses now for this set
        if used is None:
            continue
        if e.ratings is None or Path(e.ratings.get("path", "")) != used:
            fetched = e.ratings
            e.ratings = dict(_file_info(used), source=_origin(used, store))
            if fetched:
                e.ratings["fetched_copy"] = fetched
        e.ratings["used_by_engine"] = True
    return [sets[k] for k in sorted(sets)]


def format_status(entries: list[SetData]) -> str:
    if not entries:
        return "No local data yet. Fetch some: copilot data ratings --set SET, copilot data cards --set SET"
    rows = [("set", "ratings", "cards", "draft files")]
    for e in entries:
        r = e.ratings
        if r is None:
            ratings = "-"
        elif r.get("url"):
            ratings = f"17lands {r.get('format', '')}, {r.get('rated_cards', '?')} rated, fetched {r.get('age')}"
        else:
            ratings = f"{r.get('source')}: {Path(r['path']).name}"
        c = e.cards
        cards = f"Scryfall {c.get('cards', '?')} cards, fetched {c.get('age')}" if c else "-"
        drafts = "; ".join(f"{d.get('format', '?')} {d.get('bytes', 0) / 2 ** 20:.1f} MiB"
                           + (f", fetched {d['age']}" if d.get("age") else f" ({d.get('source')})")
                           for d in e.drafts) or "-"
        rows.append((e.set_code, ratings, cards, drafts))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
