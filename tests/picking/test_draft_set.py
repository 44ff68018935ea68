"""The set of a draft whose log names the event late: one inference (cards.main_set / context.draft_set) for the
recommender, the live header, the ratings offer, `copilot replay` and `copilot deck`."""
from __future__ import annotations

import pytest

from copilot.cards.model import Card, main_set
from copilot.draft.replay import iter_file_lines, replay_lines
from copilot.picking.context import draft_set


@pytest.fixture(scope="module")
def catalog(shared_data):
    from copilot.cards.catalog import load_catalog

    return load_catalog([shared_data / "cards" / "17lands_cards.csv.gz"])


@pytest.fixture(scope="module")
def dsk_lines(arena_logs):
    return list(iter_file_lines(arena_logs / "premier-draft-2026-DSK-grepped.log"))


def test_main_set_counts_the_cards_not_basics_or_bonus_sheets():
    dsk = [Card(name=f"c{i}", set_code="dsk") for i in range(3)]
    basics = [Card(name="Forest", set_code="FDN", type_line="Basic Land — Forest") for _ in range(5)]
    guest = Card(name="guest", set_code="SPG")
    assert main_set(dsk + basics + [guest, None]) == "DSK"
    assert main_set(basics) is None and main_set([]) is None


def test_a_draft_named_only_at_its_deck_submission_gets_its_set_from_the_cards(dsk_lines, catalog):
    mid = replay_lines(dsk_lines[:40]).current
    assert mid.set_code is None and mid.pool  # picking, the event not named yet
    assert draft_set(mid, catalog) == "DSK"
    assert draft_set(mid, None) is None  # no card data: nothing is guessed
    done = replay_lines(dsk_lines).current
    assert done.set_code == "DSK" and draft_set(done, None) == "DSK"  # the log's own name wins


def test_the_live_header_says_where_the_set_came_from(dsk_lines, catalog):
    from copilot.gui.panels.live_panel import event_header

    mid = replay_lines(dsk_lines[:40]).current
    done = replay_lines(dsk_lines).current
    assert event_header(mid, draft_set(mid, catalog)) == "DSK (from the cards)"
    assert event_header(mid, draft_set(mid, None)) == "Event not named in the log yet"
    assert "DSK" in event_header(done, draft_set(done, catalog)).split(" · ")


def test_replay_json_names_the_set_of_a_late_named_draft(dsk_lines, catalog):
    from copilot.commands.replay import state_to_json

    doc = state_to_json(replay_lines(dsk_lines[:40]), catalog)
    assert doc["drafts"][-1]["set"] == "DSK"
