"""The public 17lands draft file of a set: ``<17lands-data>/draft_data_public.<SET>.<FORMAT>.csv.gz``.

Streamed to disk under a temporary name with a progress callback, resumed with HTTP Range after a dropped
connection, checked (size, gzip integrity end to end, a 17lands draft_data header) and renamed into place only
when whole (`copilot.fetch.download`). A refresh asks with the last ETag / Last-Modified and keeps the file on 304.
The result is ready for `copilot dataset build --picks FILE` and the training panel.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from copilot.fetch.config import BaseUrls
from copilot.fetch.http import FetchError, HttpClient, Progress, Validators
from copilot.fetch.ratings import FORMAT_RE
from copilot.fetch.store import LocalData, check_set_code, utc_now

REQUIRED_COLUMNS = ("draft_id", "pack_number", "pick_number", "pick")


@dataclass
class DraftsResult:
    set_code: str
    fmt: str
    status: str  # "downloaded" or "not-modified"
    path: Path
    url: str
    bytes: int
    uncompressed_bytes: int | None = None
    resumed_from: list[int] = field(default_factory=list)
    columns: int = 0
    manifest_path: Path | None = None

    def to_dict(self) -> dict:
        return {"set": self.set_code, "format": self.fmt, "status": self.status, "path": str(self.path),
                "url": self.url, "bytes": self.bytes, "uncompressed_bytes": self.uncompressed_bytes,
                "resumed_from": self.resumed_from, "columns": self.columns,
                "manifest": str(self.manifest_path) if self.manifest_path else None}


def drafts_url(base: str, set_code: str, fmt: str) -> str:
    return f"{base}/draft_data_public.{set_code}.{fmt}.csv.gz"


def check_header(path: Path, url: str) -> int:
    """The file must start with a 17lands draft_data header; returns its column count."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            header = fh.readline(1 << 20)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise FetchError(f"{url}: cannot read the file's first line ({exc})", url, "corrupt") from None
    cols = [c.strip().strip('"') for c in header.rstrip("\r\n").split(",")]
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing or not any(c.startswith("pack_card_") for c in cols):
        raise FetchError(f"{url}: not a 17lands draft_data file (missing columns: "
                         f"{', '.join(missing or ['pack_card_*'])}; first line begins {header[:80]!r})", url,
                         "invalid")
    return len(cols)


def fetch_drafts(set_code: str, fmt: str = "PremierDraft", client: HttpClient | None = None,
                 store: LocalData | None = None, urls: BaseUrls | None = None, progress: Progress | None = None,
                 refresh: bool = True) -> DraftsResult:
    code = check_set_code(set_code)
    if not FORMAT_RE.match(fmt or ""):
        raise FetchError(f"not an event format: {fmt!r} (e.g. PremierDraft, TradDraft)")
    client = client or HttpClient()
    store = store or LocalData.default()
    url = drafts_url((urls or BaseUrls.load()).seventeenlands_data, code, fmt)
    dest = store.drafts_path(code, fmt)
    old = store.read_manifest("drafts", code, fmt)
    validators = Validators(old.get("etag"), old.get("last_modified")) \
        if refresh and old and old.get("url") == url and dest.exists() else None
    columns = [0]

    def verify(part: Path) -> None:
        columns[0] = check_header(part, url)

    res = client.download(url, dest, progress=progress, validators=validators, verify=verify)
    if res.status == "not-modified":
        store.write_manifest("drafts", code, {k: v for k, v in old.items() if k not in ("kind", "set")}
                             | {"checked": utc_now()}, fmt)
        return DraftsResult(code, fmt, "not-modified", dest, url, res.bytes, old.get("uncompressed_bytes"),
                            [], old.get("columns", 0), store.manifest_path("drafts", code, fmt))
    h = hashlib.sha256()
    with open(dest, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    now = utc_now()
    manifest = {"source": "17lands public datasets (CC BY 4.0)", "url": url, "format": fmt, "fetched": now,
                "checked": now, "path": str(dest), "bytes": res.bytes, "uncompressed_bytes": res.uncompressed_bytes,
                "sha256": h.hexdigest(), "columns": columns[0], "resumed_from": res.resumed_from,
                "etag": res.validators.etag, "last_modified": res.validators.last_modified}
    mpath = store.write_manifest("drafts", code, manifest, fmt)
    return DraftsResult(code, fmt, "downloaded", dest, url, res.bytes, res.uncompressed_bytes, res.resumed_from,
                        columns[0], mpath)
