"""Scryfall card data for a set: the search API, paged, merged into the app's card catalog.

``<scryfall>/cards/search?q=set:SET&unique=prints&order=set`` answers ``{"object": "list", "total_cards",
"has_more", "next_page", "data": [card objects]}`` (175 cards a page). Pages are asked for one at a time, at least
100 ms apart (Scryfall's rule of thumb is 50-100 ms), with a User-Agent naming the app. A search that matches
nothing is a 404 with ``{"object": "error"}``.

The card objects are stored as one list document in ``<user data>/cards/<SET>_scryfall.json.gz``, a folder the
catalog reads (copilot.cards.catalog.user_card_files), so costs, types, rules text, rarity and Arena ids of the set
join the catalog on its next load. The file is checked with the catalog's own Scryfall reader before it is renamed
into place. Images are fetched only with ``images=True`` (`copilot.fetch.images`).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

from copilot.fetch.config import BaseUrls
from copilot.fetch.http import FetchError, HttpClient, HttpOptions
from copilot.fetch.store import LocalData, check_set_code, utc_now

PAGE_INTERVAL_S = 0.1
MAX_PAGES = 200
Progress = Callable[[str, int, "int | None"], None]  # (message, done, total)


@dataclass
class CardsResult:
    set_code: str
    path: Path
    url: str
    cards: int
    pages: int
    arena_ids: int
    with_text: int
    manifest_path: Path | None = None
    images: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"set": self.set_code, "status": "fetched", "path": str(self.path), "url": self.url,
                "cards": self.cards, "pages": self.pages, "arena_ids": self.arena_ids, "with_text": self.with_text,
                "manifest": str(self.manifest_path) if self.manifest_path else None, "images": self.images}


def search_url(base: str, set_code: str) -> str:
    return f"{base}/cards/search?" + urlencode({"q": f"set:{set_code.lower()}", "unique": "prints",
                                                 "order": "set"})


def scryfall_client(cancel=None, log=None) -> HttpClient:
    return HttpClient(HttpOptions(min_interval_s=PAGE_INTERVAL_S), cancel=cancel, log=log)


def search_pages(client: HttpClient, url: str, progress: Progress | None = None) -> tuple[list[dict], int]:
    """Every card object of a search, following `next_page` while `has_more`; (cards, pages)."""
    cards: list[dict] = []
    pages = 0
    total = None
    first = url
    while url:
        if pages >= MAX_PAGES:
            raise FetchError(f"{first}: more than {MAX_PAGES} pages; stopped", first, "invalid")
        try:
            resp, doc = client.get_json(url)
        except FetchError as exc:
            if exc.status == 404 and pages == 0:
                raise FetchError(f"{url}: Scryfall has no cards for this search (HTTP 404): is the set code "
                                 "right?", url, "http", 404) from None
            raise
        if not isinstance(doc, dict) or doc.get("object") != "list" or not isinstance(doc.get("data"), list):
            what = doc.get("object") if isinstance(doc, dict) else type(doc).__name__
            raise FetchError(f"{resp.url}: expected a Scryfall list page (object: list), got {what!r}", resp.url,
                             "invalid")
        pages += 1
        cards += [c for c in doc["data"] if isinstance(c, dict)]
        total = doc.get("total_cards") if isinstance(doc.get("total_cards"), int) else total
        if progress:
            progress(f"Scryfall page {pages}: {len(cards)} of {total or '?'} cards", len(cards), total)
        if doc.get("has_more"):
            nxt = doc.get("next_page")
            if not isinstance(nxt, str) or not nxt.startswith(("http://", "https://")):
                raise FetchError(f"{resp.url}: has_more is true but next_page is missing", resp.url, "invalid")
            url = nxt
        else:
            url = None
    return cards, pages


def fetch_cards(set_code: str, images: bool = False, client: HttpClient | None = None,
                store: LocalData | None = None, urls: BaseUrls | None = None,
                progress: Progress | None = None) -> CardsResult:
    from copilot.cards.sources import scryfall

    code = check_set_code(set_code)
    client = client or scryfall_client()
    client.options.min_interval_s = max(client.options.min_interval_s, PAGE_INTERVAL_S)
    store = store or LocalData.default()
    url = search_url((urls or BaseUrls.load()).scryfall, code)
    objects, pages = search_pages(client, url, progress)
    if not objects:
        raise FetchError(f"{url}: Scryfall answered with no cards", url, "invalid")
    doc = {"object": "list", "total_cards": len(objects), "has_more": False, "data": objects}
    raw = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    dest = store.cards_path(code)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(gzip.compress(raw, 6, mtime=0))
            fh.flush()
            os.fsync(fh.fileno())
        cards = scryfall.from_objects(doc, dest)
        if not cards:
            raise FetchError(f"{url}: {len(objects)} objects, but none is a card the catalog can use", url,
                             "invalid")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    result = CardsResult(code, dest, url, len(cards), pages, sum(c.arena_id is not None for c in cards),
                         sum(c.text is not None for c in cards))
    if images:
        from copilot.fetch.images import fetch_images

        result.images = fetch_images(objects, client, store, progress)
    manifest = {"source": "scryfall", "url": url, "fetched": utc_now(), "path": str(dest), "pages": pages,
                "objects": len(objects), "cards": result.cards, "arena_ids": result.arena_ids,
                "with_text": result.with_text, "bytes": dest.stat().st_size,
                "sha256": hashlib.sha256(raw).hexdigest(), "images": result.images or None}
    result.manifest_path = store.write_manifest("cards", code, manifest)
    return result
