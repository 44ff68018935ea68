"""Where fetched data lives (all under the user data folder, `copilot.paths.user_data_dir()`), and its manifests.

    ratings/<SET>_<FORMAT>[_<group>]_17lands.json   17lands card ratings, a bare list of card objects (the
                                                     `card_ratings/data` shape): the ratings engine finds it with no
                                                     flag (copilot.picking.ratings.find_ratings looks here first)
    cards/<SET>_scryfall.json.gz                    Scryfall card objects ({"object": "list", "data": [...]}):
                                                     merged into the app's catalog (copilot.cards.catalog reads
                                                     this folder)
    card-images/<arena id or name key>.<ext>        card images, only when asked for (--images)
    17lands/draft_data_public.<SET>.<FORMAT>.csv.gz  the public draft file (Settings.data_dir when set)
    manifests/<kind>-<SET>[-<FORMAT>[-<group>]].json  one per fetch: URL, time, validators, counts, date window

Manifests are written atomically, after the data file they describe is in place.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from copilot.fileio import atomic_write_text
from copilot.paths import user_data_dir

KINDS = ("ratings", "cards", "drafts", "images")
SET_CODE = re.compile(r"^[A-Z0-9]{2,6}$")


class StoreError(ValueError):
    pass


def check_set_code(code: str) -> str:
    """Upper-case set code; a clear error for anything that is not one (it becomes part of file names)."""
    c = (code or "").strip().upper()
    if not SET_CODE.match(c):
        raise StoreError(f"not a set code: {code!r} (expected 2-6 letters or digits, e.g. DSK)")
    return c


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def age_seconds(text: str | None, now: datetime | None = None) -> float | None:
    t = parse_time(text)
    if t is None:
        return None
    return ((now or datetime.now(timezone.utc)) - t).total_seconds()


def describe_age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


@dataclass(frozen=True)
class LocalData:
    """The fetched-data folders of one user data folder (default: the current one)."""

    root: Path

    @classmethod
    def default(cls) -> "LocalData":
        return cls(user_data_dir())

    @property
    def ratings_dir(self) -> Path:
        return self.root / "ratings"

    @property
    def cards_dir(self) -> Path:
        return self.root / "cards"

    @property
    def images_dir(self) -> Path:
        return self.root / "card-images"

    @property
    def manifests_dir(self) -> Path:
        return self.root / "manifests"

    def drafts_dir(self) -> Path:
        """Settings.data_dir (the training panel's '17lands files' folder) when set, else <user data>/17lands."""
        from copilot.settings import Settings

        configured = Settings.load().data_dir
        return Path(configured).expanduser() if configured else self.root / "17lands"

    def ratings_path(self, set_code: str, fmt: str, group: str | None = None) -> Path:
        tag = f"_{group}" if group and group != "all" else ""
        return self.ratings_dir / f"{check_set_code(set_code)}_{fmt}{tag}_17lands.json"

    def cards_path(self, set_code: str) -> Path:
        return self.cards_dir / f"{check_set_code(set_code)}_scryfall.json.gz"

    def drafts_path(self, set_code: str, fmt: str) -> Path:
        return self.drafts_dir() / f"draft_data_public.{check_set_code(set_code)}.{fmt}.csv.gz"

    # ---- manifests ----------------------------------------------------------------------------------------
    def manifest_path(self, kind: str, set_code: str, *parts: str | None) -> Path:
        if kind not in KINDS:
            raise StoreError(f"unknown data kind {kind!r}")
        tail = "".join(f"-{p}" for p in parts if p and p != "all")
        return self.manifests_dir / f"{kind}-{check_set_code(set_code)}{tail}.json"

    def write_manifest(self, kind: str, set_code: str, manifest: dict, *parts: str | None) -> Path:
        doc = {"kind": kind, "set": check_set_code(set_code), **manifest}
        return atomic_write_text(self.manifest_path(kind, set_code, *parts),
                                 json.dumps(doc, indent=2, sort_keys=True) + "\n")

    def read_manifest(self, kind: str, set_code: str, *parts: str | None) -> dict | None:
        return _read_json(self.manifest_path(kind, set_code, *parts))

    def manifests(self) -> list[dict]:
        """Every readable manifest, with `manifest_path` added; unreadable ones are skipped."""
        out = []
        if self.manifests_dir.is_dir():
            for p in sorted(self.manifests_dir.glob("*.json")):
                doc = _read_json(p)
                if doc and doc.get("kind") in KINDS and doc.get("set"):
                    out.append(dict(doc, manifest_path=str(p)))
        return out


def _read_json(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
