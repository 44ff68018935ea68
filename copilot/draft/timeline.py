"""Step-by-step replay of saved logs: the state after each change a drafter would notice.

A step is recorded whenever the active draft shows a new pack, records a pick, changes its pool or deck, or a
different event becomes active. Used by the GUI's replay slider and by tests; pure core, no Qt.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from copilot.draft.state import ArenaState, DraftState


@dataclass(frozen=True)
class TimelineStep:
    label: str
    state: ArenaState


def _fingerprint(state: ArenaState) -> tuple:
    d = state.current
    if d is None:
        return (state.active, len(state.drafts), state.detailed_logs)
    return (state.active, d.event_name, d.pack_number, d.pick_number, tuple(d.current_pack or ()), len(d.picks),
            len(d.pool), d.deck is not None and (len(d.deck.main), len(d.deck.side)), d.complete, d.finished)


def describe(draft: DraftState | None) -> str:
    if draft is None:
        return "no draft"
    event = draft.event_name or "unknown event"
    if draft.kind == "sealed":
        return f"{event}: sealed pool of {len(draft.pool)}"
    if draft.complete:
        tail = f", deck {len(draft.deck.main)} cards" if draft.deck else ""
        return f"{event}: draft complete, pool {len(draft.pool)}{tail}"
    if draft.current_pack:
        return f"{event}: pack {draft.pack_number} pick {draft.pick_number} ({len(draft.current_pack)} cards)"
    if draft.picks:
        last = draft.picks[-1]
        return f"{event}: picked P{last.pack}p{last.pick}"
    return f"{event}: joined"


def timeline_from_lines(lines: Iterable[str]) -> list[TimelineStep]:
    from copilot.arena.parser import ArenaLogParser
    from copilot.draft.reducer import reduce

    parser = ArenaLogParser()
    state = ArenaState()
    steps: list[TimelineStep] = []
    last = None

    def consume(events) -> None:
        nonlocal state, last
        for event in events:
            state = reduce(state, event)
            fp = _fingerprint(state)
            if fp != last and state.current is not None:
                last = fp
                steps.append(TimelineStep(describe(state.current), copy.deepcopy(state)))

    for line in lines:
        consume(parser.feed(line))
    consume(parser.flush())
    if not steps or _fingerprint(steps[-1].state) != _fingerprint(state) or steps[-1].state.warnings != state.warnings:
        steps.append(TimelineStep(describe(state.current), copy.deepcopy(state)))
    return steps


def timeline_from_paths(paths: Iterable[Path | str]) -> list[TimelineStep]:
    def lines():
        for path in paths:
            with open(path, "r", encoding="utf-8", errors="replace", newline="") as fh:
                yield from fh

    return timeline_from_lines(lines())
