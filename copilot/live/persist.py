"""Saving the live session (ArenaState + where the tailer was) so a restart of the app resumes where it stopped.

The file is `user_data_dir()/live_state.json`, written atomically (temp file in the same folder, fsync,
`os.replace`) and readable by the user only (0600): it holds draft uuids and the card pool, nothing secret, but
it is the user's data. A corrupt file is moved aside (never silently overwritten) and the session starts afresh.
"""
from __future__ import annotations

from copilot.fileio import atomic_write_text

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from copilot.arena.tail import TailPosition
from copilot.draft.state import ArenaState
from copilot.paths import user_data_dir

STATE_FILE = "live_state.json"
FORMAT_VERSION = 1


@dataclass
class SavedSession:
    state: ArenaState
    position: TailPosition | None  # None: the state is kept but the log must be read from its start
    log_path: str | None = None
    saved_at: float = 0.0


def default_state_file() -> Path:
    return user_data_dir() / STATE_FILE


def write_private(path: Path, text: str) -> None:
    """Atomically replace `path` with `text`, mode 0600."""
    atomic_write_text(path, text, private=True)


def save_session(path: Path, saved: SavedSession) -> None:
    doc = {
        "format": FORMAT_VERSION,
        "saved_at": saved.saved_at or time.time(),
        "log_path": saved.log_path,
        "position": saved.position.to_dict() if saved.position else None,
        "state": json.loads(saved.state.to_json()),
    }
    write_private(path, json.dumps(doc, separators=(",", ":")))


class CorruptStateFile(Exception):
    def __init__(self, path: Path, moved_to: Path | None, why: str):
        self.path, self.moved_to, self.why = path, moved_to, why
        where = f"; it was kept as {moved_to}" if moved_to else ""
        super().__init__(f"could not read the saved live state {path} ({why}){where}; starting from the log alone")


def load_session(path: Path) -> SavedSession | None:
    """The saved session, or None when there is none. Raises CorruptStateFile (after moving the file aside)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CorruptStateFile(path, None, str(e)) from e
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_VERSION:
            raise ValueError(f"unknown format {doc.get('format') if isinstance(doc, dict) else type(doc)}")
        state = ArenaState.from_json(json.dumps(doc["state"]))
        pos = TailPosition.from_dict(doc["position"]) if doc.get("position") else None
        return SavedSession(state, pos, doc.get("log_path"), float(doc.get("saved_at", 0.0)))
    except (ValueError, KeyError, TypeError, IndexError) as e:
        moved = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        try:
            os.replace(path, moved)
        except OSError:
            moved = None
        raise CorruptStateFile(path, moved, f"{type(e).__name__}: {e}") from e
