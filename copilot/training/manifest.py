"""Small helpers every self-describing artifact uses: hashes, atomic JSON writes, tool identity.

Standard library only, so the dataset builder and the model store work without the training extras.
"""
from __future__ import annotations

from copilot.fileio import atomic_write_text as _atomic_write_text

import hashlib
import json
import os
from datetime import datetime, timezone

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (bounded memory for multi-GB inputs)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_now() -> str:
    """'2026-11-21T06:40:00Z' (second precision, UTC)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def tool_info() -> dict:
    from copilot import __version__

    return {"name": "magic-copilot", "version": __version__}


def dump_json(obj) -> str:
    """The canonical JSON text of a manifest: sorted keys, 2-space indent, UTF-8, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` atomically (see copilot.fileio)."""
    _atomic_write_text(path, text)


def atomic_write_json(path: str | os.PathLike, obj) -> None:
    atomic_write_text(path, dump_json(obj))


def read_json(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
