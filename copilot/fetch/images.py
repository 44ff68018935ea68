"""Card images from Scryfall, fetched only on request and cached on disk; found again by Arena id or name.

Each card object's ``image_uris.normal`` (or its first face's, for double-faced cards) is saved as
``<user data>/card-images/<arena id>.<ext>`` (``n-<name key>.<ext>`` for cards without an Arena id). Files already
there are not fetched again. The pack view shows the image in a card's tooltip when the file exists.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from copilot.cards.model import Card, front_face, name_key
from copilot.fetch.http import FetchError, HttpClient
from copilot.fetch.store import LocalData

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
_SAFE = re.compile(r"[^a-z0-9]+")


def image_stem(arena_id: int | None, name: str) -> str:
    if arena_id:
        return str(int(arena_id))
    return "n-" + (_SAFE.sub("", name_key(front_face(name))) or "card")[:80]


def image_url(obj: dict) -> str | None:
    uris = obj.get("image_uris")
    if not isinstance(uris, dict):
        faces = obj.get("card_faces") or []
        uris = faces[0].get("image_uris") if faces and isinstance(faces[0], dict) else None
    if not isinstance(uris, dict):
        return None
    url = uris.get("normal") or uris.get("large") or uris.get("small")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def find_image(card: Card, store: LocalData | None = None) -> Path | None:
    """The cached image of a card (by Arena id, then by name), or None."""
    folder = (store or LocalData.default()).images_dir
    if not folder.is_dir():
        return None
    stems = ([image_stem(card.arena_id, card.name)] if card.arena_id else []) + [image_stem(None, card.name)]
    for stem in stems:
        for suffix in IMAGE_SUFFIXES:
            p = folder / f"{stem}{suffix}"
            if p.is_file():
                return p
    return None


def fetch_images(objects: list[dict], client: HttpClient, store: LocalData,
                 progress: Callable[[str, int, "int | None"], None] | None = None) -> dict:
    """Download the missing images of `objects`; {"fetched", "cached", "without_image", "failed", "folder"}."""
    folder = store.images_dir
    folder.mkdir(parents=True, exist_ok=True)
    todo = []
    counts = {"fetched": 0, "cached": 0, "without_image": 0, "failed": 0, "folder": str(folder)}
    seen: set[str] = set()
    for obj in objects:
        url = image_url(obj)
        if url is None:
            counts["without_image"] += 1
            continue
        stem = image_stem(obj.get("arena_id") if isinstance(obj.get("arena_id"), int) else None,
                          str(obj.get("name") or ""))
        if stem in seen:
            continue
        seen.add(stem)
        suffix = Path(urlsplit(url).path).suffix.lower()
        suffix = suffix if suffix in IMAGE_SUFFIXES else ".jpg"
        if any((folder / f"{stem}{s}").is_file() for s in IMAGE_SUFFIXES):
            counts["cached"] += 1
            continue
        todo.append((url, folder / f"{stem}{suffix}"))
    errors: list[str] = []
    for i, (url, dest) in enumerate(todo, 1):
        try:
            client.download(url, dest, gzip_check=False)
            counts["fetched"] += 1
        except FetchError as exc:
            if exc.kind in ("offline", "cancelled"):
                raise
            counts["failed"] += 1
            errors.append(str(exc))
        if progress:
            progress(f"images: {i} of {len(todo)}", i, len(todo))
    if errors:
        counts["errors"] = errors[:5]
    return counts
