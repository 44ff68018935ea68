"""The reducer is pure (never mutates its input), serialisable, and recovers gaps from authoritative pools."""
from __future__ import annotations

import copy

from copilot.arena.events import (CourseInfo, CourseUpdated, DeckInfo, DeckSubmitted, EventJoined, PackShown,
                                  PickMade, PoolSnapshot, PrizeClaimed)
from copilot.arena.parser import ArenaLogParser
from copilot.draft.replay import iter_file_lines
from copilot.draft.reducer import reduce
from copilot.draft.state import ArenaState

FIXTURES = ["premier-draft-2026-ECL.log", "trad-draft-2021-VOW.log", "premier-draft-2026-DSK-grepped.log"]


def test_reduce_never_mutates_its_input_on_real_logs(arena_logs):
    for name in FIXTURES + ["quick-draft-2026-ECL.part1.log"]:
        parser, state = ArenaLogParser(), ArenaState()
        for line in iter_file_lines(arena_logs / name):
            for ev in parser.feed(line):
                before = copy.deepcopy(state)
                before_json = state.to_json()
                new = reduce(state, ev)
                assert state == before and state.to_json() == before_json, (name, ev)
                if new is not state:  # a changed state shares no mutable draft with the old one
                    for old_d, new_d in zip(state.drafts, new.drafts):
                        assert old_d is new_d or (old_d.picks is not new_d.picks and old_d.pool is not new_d.pool)
                state = new
        assert ArenaState.from_json(state.to_json()).to_json() == state.to_json()


def test_p1p1_pick_filled_from_the_final_card_pool():
    """Only the P1P1 pack is known (no pick logged); the final CardPool says which card was taken."""
    ev = "PremierDraft_ECL_20260120"
    s = ArenaState()
    for e in (EventJoined(ev), PackShown(1, 1, (10, 11, 12), "d", ev), PackShown(1, 2, (20, 21), "d", ev),
              PickMade(1, 2, (21,), "d", ev)):
        s = reduce(s, e)
    d = s.drafts[0]
    assert d.picks[0].picked == [] and d.pool == [21] and d.current_pack is None
    s = reduce(s, CourseUpdated(CourseInfo(ev, "DeckSelect", (11, 21), None, None, None, None), "complete_draft"))
    d = s.drafts[0]
    assert d.picks[0].picked == [11] and d.pool == [11, 21] and d.complete


def test_card_pool_keeps_cards_whose_pick_was_never_logged():
    ev = "PremierDraft_ECL_20260120"
    s = reduce(ArenaState(), PickMade(1, 2, (21,), "d", ev))
    s = reduce(s, CourseUpdated(CourseInfo(ev, "DeckSelect", (5, 21, 6), None, None, None, None), "complete_draft"))
    assert s.drafts[0].pool == [21, 5, 6]


def test_bot_cumulative_pool_and_completion():
    ev = "QuickDraft_ECL_20260223"
    s = ArenaState()
    for e in (PackShown(1, 1, (1, 2, 3), None, ev, 1, "bot"), PickMade(1, 1, (2,), None, ev, None, "bot"),
              PoolSnapshot((2,), ev), PackShown(1, 2, (4, 5), None, ev, 1, "bot"),
              PickMade(1, 2, (5,), None, ev, None, "bot"), PoolSnapshot((5, 2), ev, final=True)):
        s = reduce(s, e)
    d = s.drafts[0]
    assert d.pool == [2, 5] and d.complete and d.picks[-1].pack_cards == [4, 5]


def test_a_new_entry_into_a_finished_event_is_a_new_draft():
    ev = "QuickDraft_ECL_20260223"
    s = ArenaState()
    for e in (EventJoined(ev), PackShown(1, 1, (1, 2, 3), None, ev), PickMade(1, 1, (2,), None, ev),
              DeckSubmitted(ev, DeckInfo((2,), ())), PrizeClaimed(ev), EventJoined(ev),
              PackShown(1, 1, (7, 8, 9), None, ev), PickMade(1, 1, (2,), None, ev)):
        s = reduce(s, e)
    assert len(s.drafts) == 2 and s.active == 1
    assert s.drafts[0].finished and s.drafts[0].pool == [2]
    assert not s.drafts[1].finished and s.drafts[1].picks[0].pack_cards == [7, 8, 9] and s.drafts[1].pool == [2]


def test_constructed_events_are_not_tracked():
    s = ArenaState()
    for e in (EventJoined("Ladder"), DeckSubmitted("Play", DeckInfo((1,), ())),
              CourseUpdated(CourseInfo("Historic_Ladder", "CreateMatch", (), None, 1, 0, None), "set_deck")):
        s = reduce(s, e)
    assert s.drafts == [] and s.active is None


def test_an_event_that_changes_nothing_returns_the_same_state(arena_logs):
    lines = list(iter_file_lines(arena_logs / "premier-draft-2026-DSK-grepped.log"))
    parser, state = ArenaLogParser(), ArenaState()
    same = changed = 0
    last_deck = None
    for line in lines:
        for ev in parser.feed(line):
            new = reduce(state, ev)
            if type(ev).__name__ == "DeckSubmitted":
                assert (new is state) == (ev.deck == last_deck)  # 2 of the 7 submissions repeat the previous one
                last_deck = ev.deck
            if new is state:
                same += 1
            else:
                changed += 1
                assert new.to_json() != state.to_json()
            state = new
    assert same == 42 + 2  # the second copy of each of the 42 doubled Draft.Notify lines + 2 repeated decks
    assert changed == 133 - 44
