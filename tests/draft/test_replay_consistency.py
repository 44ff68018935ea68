"""One replay: the GUI's step-through timeline ends on exactly the state `copilot replay --json` prints."""
from __future__ import annotations

import json

import pytest

from copilot.cli import main
from copilot.commands.replay import state_to_json
from copilot.draft.replay import replay_paths
from copilot.draft.timeline import timeline_from_paths

GROUPS = [
    ["premier-draft-2026-ECL.log"],
    ["quick-draft-2026-ECL.part1.log", "quick-draft-2026-ECL.part2.log", "quick-draft-2026-ECL.part3.log"],
    ["sealed-2026-SOS-join-pool.log", "sealed-2026-SOS-deckbuild.log"],
    ["premier-draft-2026-DSK-grepped.log"],
    ["trad-draft-2021-VOW.log"],
    ["premier-draft-2020-ZNR.log"],
    ["detailed-logs-disabled-2026.log"],
]


def _without_inferred_sets(doc: dict) -> dict:
    return {**doc, "drafts": [{k: v for k, v in d.items() if k != "set"} for d in doc["drafts"]]}


@pytest.mark.parametrize("names", GROUPS, ids=lambda g: g[0])
def test_timeline_last_state_is_the_replay_state(arena_logs, names, capsys):
    paths = [arena_logs / n for n in names]
    steps = timeline_from_paths(paths)
    last = steps[-1].state
    assert last.to_json() == replay_paths(paths).to_json()  # the whole state, decks included
    assert main(["replay", *map(str, paths), "--json", "--no-recommend"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert _without_inferred_sets(printed) == _without_inferred_sets(state_to_json(last))


def test_the_grepped_dsk_log_ends_on_its_last_deck_submission(arena_logs):
    """The timeline used to fingerprint decks by their size only and kept a stale deck of the same size."""
    path = arena_logs / "premier-draft-2026-DSK-grepped.log"
    steps = timeline_from_paths([path])
    final = replay_paths([path]).current
    assert steps[-1].state.current.deck == final.deck and final.deck is not None
    decks = []
    for step in steps:
        deck = step.state.current.deck
        if deck is not None and (not decks or decks[-1] != deck):
            decks.append(deck)
    assert len(decks) >= 2 and decks[-1] == final.deck  # every submission is a step, the last one last


def test_every_step_is_a_visible_change(arena_logs):
    from copilot.draft.changes import changes

    steps = timeline_from_paths([arena_logs / "premier-draft-2026-ECL.log"])
    assert len(steps) > 39  # at least one step per pick
    for before, after in zip(steps, steps[1:]):
        assert changes(before.state, after.state).draft, after.label
