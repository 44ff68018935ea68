"""Files that a crash or a reader never sees half of, and the helpers every self-describing artifact uses:
hashes, canonical JSON, UTC time stamps, tool identity. Standard library only."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

CHUNK = 1 << 20


def atomic_write_text(path: str | os.PathLike, text: str, private: bool = False) -> Path:
    """Replace `path` with `text` through a temporary file in the same folder and an atomic rename.

    A reader sees the old file or the new one, never a half-written one (also on Windows: os.replace).
    `private=True` makes the file readable by its owner only (0600) from the moment it exists.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if private:
            os.fchmod(fd, 0o600) if hasattr(os, "fchmod") else os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if not private:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_json(path: str | os.PathLike, obj, private: bool = False) -> Path:
    return atomic_write_text(path, dump_json(obj), private=private)


def dump_json(obj) -> str:
    """The canonical JSON text of a manifest: sorted keys, 2-space indent, UTF-8, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_json(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


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
