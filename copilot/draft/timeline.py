"""Step-by-step replay of saved logs: the state after each change a drafter would notice.

A step is recorded whenever `changes()` says the active draft changed (a new pack, a pick, the pool, the deck,
progress, or another event became active). The states come from the one replay (`copilot.draft.replay`), so the
last step is exactly the state `copilot replay` ends with. Used by the GUI's replay slider and by tests; no Qt.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from copilot.draft.changes import changes
from copilot.draft.replay import Transition, iter_line_states, iter_states
from copilot.draft.state import ArenaState, DraftState


@dataclass(frozen=True)
class TimelineStep:
    label: str
    state: ArenaState


def describe(draft: DraftState | None) -> str:
    if draft is None:
        return "no draft"
    event = draft.event_name or "unknown event"
    if draft.kind == "sealed":
        tail = f", deck {len(draft.deck.main)} cards" if draft.deck else ""
        return f"{event}: sealed pool of {len(draft.pool)}{tail}"
    if draft.complete:
        tail = f", deck {len(draft.deck.main)} cards" if draft.deck else ""
        return f"{event}: draft complete, pool {len(draft.pool)}{tail}"
    if draft.current_pack:
        return f"{event}: pack {draft.pack_number} pick {draft.pick_number} ({len(draft.current_pack)} cards)"
    if draft.picks:
        last = draft.picks[-1]
        return f"{event}: picked P{last.pack}p{last.pick}"
    return f"{event}: joined"


def timeline(transitions: Iterable[Transition]) -> list[TimelineStep]:
    steps: list[TimelineStep] = []
    final = ArenaState()
    for t in transitions:
        final = t.after
        shown = steps[-1].state if steps else None
        if final.current is not None and changes(shown, final).draft:
            steps.append(TimelineStep(describe(final.current), final))
    if not steps:
        steps.append(TimelineStep(describe(final.current), final))
    elif steps[-1].state is not final:  # later changes nobody would see as a step: the last step ends on them
        steps[-1] = TimelineStep(describe(final.current), final)
    return steps


def timeline_from_paths(paths: Iterable[str | os.PathLike]) -> list[TimelineStep]:
    return timeline(iter_states(paths))


def timeline_from_lines(lines: Iterable[str]) -> list[TimelineStep]:
    return timeline(iter_line_states(lines))
