"""Replay saved logs into an ArenaState: lines -> ArenaLogParser -> reduce.

    state = replay_paths([prev_log, current_log])     # chronological order
    state = replay_lines(open(path, encoding="utf-8"))

Files are read as bytes and split on ``\\n`` only (a stray ``\\r`` inside a line stays there; ``\\r\\n`` and
``\\r\\r\\n`` endings are stripped by the parser), then decoded as UTF-8 with replacement, so any file can be
replayed.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from copilot.arena.parser import ArenaLogParser
from copilot.draft.reducer import reduce
from copilot.draft.state import ArenaState

CHUNK = 1 << 20


def iter_file_lines(path: str | os.PathLike) -> Iterator[str]:
    """Physical lines of a file (endings kept), decoded as UTF-8 with replacement. Raises OSError."""
    with open(path, "rb") as f:
        for raw in f:
            yield raw.decode("utf-8", "replace")


def replay_lines(lines: Iterable[str], state: ArenaState | None = None,
                 parser: ArenaLogParser | None = None) -> ArenaState:
    """Feed physical lines (str, any ending or none) through a parser and the reducer; flush at the end."""
    parser = parser or ArenaLogParser()
    state = state if state is not None else ArenaState()
    for line in lines:
        for ev in parser.feed(line):
            state = reduce(state, ev)
    for ev in parser.end_of_input():
        state = reduce(state, ev)
    return state


def replay_paths(paths: Iterable[str | os.PathLike], state: ArenaState | None = None,
                 parser: ArenaLogParser | None = None) -> ArenaState:
    """Replay files in the order given (e.g. Player-prev.log then Player.log, or a log split in parts).

    One parser reads all files, as if they were one stream. Raises OSError for a missing/unreadable file."""
    parser = parser or ArenaLogParser()
    state = state if state is not None else ArenaState()
    for p in paths:
        for line in iter_file_lines(Path(p)):
            for ev in parser.feed(line):
                state = reduce(state, ev)
        for ev in parser.flush():
            state = reduce(state, ev)
    for ev in parser.end_of_input():
        state = reduce(state, ev)
    return state
