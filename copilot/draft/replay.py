"""The one way log lines become draft states: ArenaLogParser -> reduce, for `copilot replay`, the GUI's
step-through timeline and the live session alike.

    state = replay_paths([prev_log, current_log])       # chronological order: the final state
    for step in iter_states(paths): ...                  # every state change, with the event that made it

Files are read as bytes and split on ``\\n`` only (a stray ``\\r`` inside a line stays there; ``\\r\\n`` and
``\\r\\r\\n`` endings are stripped by the parser), then decoded as UTF-8 with replacement, so any file can be
replayed. Between files the parser is flushed (the entry it holds is closed), as the live tailer does when Arena
rotates `Player.log` to `Player-prev.log`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from copilot.arena.parser import ArenaLogParser
from copilot.draft.reducer import reduce
from copilot.draft.state import ArenaState


@dataclass(frozen=True)
class Transition:
    """One event that changed the state: the state before and after it."""

    event: object
    before: ArenaState
    after: ArenaState


class Replay:
    """A parser and the state it has reduced so far. Feed physical lines; each call returns the transitions (events
    that changed the state) in order. States are never modified in place (the reducer copies on write), so a caller
    may keep any of them."""

    def __init__(self, state: ArenaState | None = None, parser: ArenaLogParser | None = None):
        self.parser = parser or ArenaLogParser()
        self.state = state if state is not None else ArenaState()

    def feed(self, line: str) -> list[Transition]:
        return self._apply(self.parser.feed(line))

    def end_of_file(self) -> list[Transition]:
        """A file boundary (or the log went idle): close the entry the parser holds."""
        return self._apply(self.parser.flush())

    def end_of_input(self) -> list[Transition]:
        """No more input will come (a one-shot replay)."""
        return self._apply(self.parser.end_of_input())

    def _apply(self, events) -> list[Transition]:
        out = []
        for ev in events:
            before = self.state
            self.state = reduce(before, ev)
            if self.state is not before:
                out.append(Transition(ev, before, self.state))
        return out


def iter_file_lines(path: str | os.PathLike) -> Iterator[str]:
    """Physical lines of a file (endings kept), decoded as UTF-8 with replacement. Raises OSError."""
    with open(path, "rb") as f:
        for raw in f:
            yield raw.decode("utf-8", "replace")


def iter_states(paths: Iterable[str | os.PathLike], state: ArenaState | None = None,
                parser: ArenaLogParser | None = None) -> Iterator[Transition]:
    """Every state change while replaying files in the order given (e.g. Player-prev.log then Player.log, or a log
    split in parts): one parser reads all files, as if they were one stream. Raises OSError for a missing file."""
    replay = Replay(state, parser)
    for p in paths:
        for line in iter_file_lines(Path(p)):
            yield from replay.feed(line)
        yield from replay.end_of_file()
    yield from replay.end_of_input()


def iter_line_states(lines: Iterable[str], state: ArenaState | None = None,
                     parser: ArenaLogParser | None = None) -> Iterator[Transition]:
    """Every state change while replaying physical lines (str, any ending or none) as one file."""
    replay = Replay(state, parser)
    for line in lines:
        yield from replay.feed(line)
    yield from replay.end_of_file()
    yield from replay.end_of_input()


def _last(transitions: Iterable[Transition], state: ArenaState | None) -> ArenaState:
    final = state if state is not None else ArenaState()
    for t in transitions:
        final = t.after
    return final


def replay_paths(paths: Iterable[str | os.PathLike], state: ArenaState | None = None,
                 parser: ArenaLogParser | None = None) -> ArenaState:
    """The final state after replaying files in the order given."""
    return _last(iter_states(paths, state, parser), state)


def replay_lines(lines: Iterable[str], state: ArenaState | None = None,
                 parser: ArenaLogParser | None = None) -> ArenaState:
    """The final state after replaying physical lines as one file."""
    return _last(iter_line_states(lines, state, parser), state)
