"""Every real fixture log replayed; counts are those documented in shared/fixtures/arena-logs/SOURCES.md."""
from __future__ import annotations

from collections import Counter

import pytest

from copilot.arena.parser import ArenaLogParser
from copilot.draft.replay import iter_file_lines, replay_lines, replay_paths
from copilot.draft.reducer import DETAILED_LOGS_WARNING, reduce
from copilot.draft.state import ArenaState

QUICK = ["quick-draft-2026-ECL.part1.log", "quick-draft-2026-ECL.part2.log", "quick-draft-2026-ECL.part3.log"]
SEALED = ["sealed-2026-SOS-join-pool.log", "sealed-2026-SOS-deckbuild.log"]


def replay(arena_logs, *names):
    parser = ArenaLogParser()
    state = replay_paths([arena_logs / n for n in names], parser=parser)
    assert parser.stats.errors == 0, parser.stats
    assert parser.stats.unknown == 0, parser.stats  # every draft-looking message of every era is understood
    return state, parser.stats


def only_draft(state):
    assert len(state.drafts) == 1, [d.event_name for d in state.drafts]
    assert state.active == 0
    return state.drafts[0]


def assert_numbering(d, picks_per_pack, packs=3):
    assert [(r.pack, r.pick) for r in d.picks] == [(p, k) for p in range(1, packs + 1)
                                                   for k in range(1, picks_per_pack + 1)]


def assert_pool_is_picks(d):
    assert d.pool == [c for r in d.picks for c in r.picked]


def assert_pool_in_deck(d, not_in_deck=()):
    """Every pool card is in the submitted deck (main or side); the extra deck cards are basic lands."""
    deck = Counter(d.deck.main) + Counter(d.deck.side)
    assert Counter(d.pool) - deck == Counter(not_in_deck)
    extra = deck - Counter(d.pool)
    assert all(gid not in d.pool for gid in extra)


def test_premier_draft_2026_ecl(arena_logs):
    state, stats = replay(arena_logs, "premier-draft-2026-ECL.log")
    assert state.client_version == "2026.56.10.11392"
    assert state.detailed_logs is True and state.warnings == []
    assert state.install_dir == "C:/Program Files/Wizards of the Coast/MTGA"
    d = only_draft(state)
    assert (d.event_name, d.set_code, d.format, d.kind) == ("PremierDraft_ECL_20260120", "ECL", "PremierDraft",
                                                           "draft")
    assert d.draft_id == "cd585253-1852-46db-8d3a-2747c63866ff"
    assert len(d.picks) == 39
    assert_numbering(d, 13)
    assert all(len(r.picked) == 1 for r in d.picks)
    # no P1P1 pack in 2026 human drafts; 38 Draft.Notify = every other pick, packs 2 and 3 from pick 1
    assert d.picks[0].pack_cards is None
    assert sum(r.pack_cards is not None for r in d.picks) == 38
    assert d.picks[13].pack_cards is not None and d.picks[26].pack_cards is not None
    assert [len(r.pack_cards) for r in d.picks[1:13]] == list(range(12, 0, -1))
    assert d.picks[0].picked == [98535]
    assert all(r.picked[0] in r.pack_cards for r in d.picks[1:])
    assert len(d.pool) == 39
    assert_pool_is_picks(d)
    assert d.complete and d.finished and (d.wins, d.losses) == (1, 3)
    assert d.current_pack is None
    assert (len(d.deck.main), len(d.deck.side)) == (40, 15)
    assert_pool_in_deck(d)
    assert stats.malformed == 0


def test_quick_draft_2026_ecl_parts_concatenated(arena_logs):
    state, stats = replay(arena_logs, *QUICK)
    d = only_draft(state)  # the unrelated open PremierDraft_TMT course is not a draft
    assert (d.event_name, d.set_code, d.format) == ("QuickDraft_ECL_20260223", "ECL", "QuickDraft")
    assert len(d.picks) == 39
    assert_numbering(d, 13)  # 0-based PackNumber/PickNumber converted
    assert d.picks[0].pack_cards == [98361, 98498, 98358, 98403, 98404, 98548, 98412, 98500, 98541, 98434,
                                     98347, 98501, 98546]
    assert d.picks[0].picked == [98546]
    assert all(r.pack_cards is not None and len(r.pack_cards) == 13 - (r.pick - 1) for r in d.picks)
    assert all(r.picked[0] in r.pack_cards for r in d.picks)
    assert len(d.pool) == 39
    assert_pool_is_picks(d)
    # the last response has an empty DraftPack: it completes the draft and does not clear the last pack shown
    assert d.complete and d.picks[-1].pack_cards == [d.picks[-1].picked[0]]
    assert not d.finished
    assert (len(d.deck.main), len(d.deck.side)) == (40, 15)
    assert_pool_in_deck(d)
    assert stats.malformed == 0


def test_quick_draft_parts_one_and_two_only_is_in_progress(arena_logs):
    state, _ = replay(arena_logs, *QUICK[:2])
    d = only_draft(state)
    assert len(d.picks) == 27 and sum(bool(r.picked) for r in d.picks) == 26
    assert (d.pack_number, d.pick_number) == (3, 1) and not d.complete
    assert d.current_pack == d.picks[-1].pack_cards and len(d.current_pack) == 13
    assert d.awaiting_pick and len(d.pool) == 26


def test_sealed_join_then_later_session_resumes_from_courses(arena_logs):
    state, stats = replay(arena_logs, *SEALED)
    d = only_draft(state)
    assert (d.event_name, d.set_code, d.format, d.kind) == ("Sealed_SOS_20260421", "SOS", "Sealed", "sealed")
    assert d.picks == [] and len(d.pool) == 85
    assert (len(d.deck.main), len(d.deck.side)) == (95, 0)
    assert stats.malformed == 0


def test_sealed_join_only_has_the_pool_and_no_deck(arena_logs):
    d = only_draft(replay(arena_logs, SEALED[0])[0])
    assert d.kind == "sealed" and len(d.pool) == 85 and d.deck is None


def test_sealed_later_session_alone_is_recognised_by_its_deck_submission(arena_logs):
    d = only_draft(replay(arena_logs, SEALED[1])[0])
    assert d.event_name == "Sealed_SOS_20260421" and len(d.pool) == 85 and len(d.deck.main) == 95


def test_dsk_grepped_p1p1_duplicates_and_event_name_from_deck(arena_logs):
    state, stats = replay(arena_logs, "premier-draft-2026-DSK-grepped.log")
    d = only_draft(state)
    assert (d.event_name, d.set_code, d.format) == ("PremierDraft_DSK_20260721", "DSK", "PremierDraft")
    assert d.draft_id == "22d4d8a4-7965-4a5c-8707-9b43274d7272"
    assert len(d.picks) == 42  # 84 notifications, each logged twice: deduplicated on (draft, pack, pick)
    assert_numbering(d, 14)
    assert all(r.pack_cards is not None and len(r.pack_cards) == 14 - (r.pick - 1) for r in d.picks)
    assert d.picks[0].pack_cards[:3] == [92266, 92098, 92114] and d.picks[0].picked == [92098]
    assert all(r.picked[0] in r.pack_cards for r in d.picks)
    assert len(d.pool) == 42
    assert_pool_is_picks(d)
    assert d.complete  # a deck was submitted
    assert d.deck is not None and (len(d.deck.main), len(d.deck.side)) == (40, 16)
    # the P1p14 pick (a one-card pack) is in none of the seven submissions, as logged
    assert d.picks[13].picked == [92380]
    assert_pool_in_deck(d, not_in_deck=[92380])
    assert stats.malformed == 0


def test_dsk_seven_deck_submissions_last_wins(arena_logs):
    path = arena_logs / "premier-draft-2026-DSK-grepped.log"
    lines = list(iter_file_lines(path))
    submissions = [i for i, line in enumerate(lines) if "EventSetDeckV3" in line]
    assert len(submissions) == 7
    decks = []
    state = ArenaState()
    parser = ArenaLogParser()
    for line in lines:
        for ev in parser.feed(line):
            state = reduce(state, ev)
            if type(ev).__name__ == "DeckSubmitted":
                decks.append((list(ev.deck.main), list(ev.deck.side)))
    assert len(decks) == 7
    assert (state.drafts[0].deck.main, state.drafts[0].deck.side) == decks[-1]


def test_vow_2021_p1p1_pack_recovered_from_business_events(arena_logs):
    state, stats = replay(arena_logs, "trad-draft-2021-VOW.log")
    assert state.client_version == "2021.12.0.3961"
    d = only_draft(state)
    assert (d.event_name, d.set_code, d.format) == ("TradDraft_VOW_20211111", "VOW", "TradDraft")
    assert d.draft_id == "04eeb3a8-2eee-49e6-ba78-226c7af15223"
    assert len(d.picks) == 42
    assert_numbering(d, 14)
    assert d.picks[0].pack_cards == [78998, 79038, 79081, 78872, 78786, 78909, 79023, 78817, 79004, 78979, 79026,
                                     78921, 78838, 78844]
    assert d.picks[0].picked == [78844]
    assert all(r.pack_cards is not None for r in d.picks)
    assert all(r.picked[0] in r.pack_cards for r in d.picks)
    assert len(d.pool) == 42
    assert_pool_is_picks(d)
    assert d.complete and not d.finished and (d.wins, d.losses) == (0, 0)
    assert (len(d.deck.main), len(d.deck.side)) == (40, 19)  # last of three Event_SetDeck
    assert_pool_in_deck(d)
    assert stats.malformed == 0


def test_znr_2020_json_rpc(arena_logs):
    state, stats = replay(arena_logs, "premier-draft-2020-ZNR.log")
    assert state.client_version == "1.1200.4.3152"
    d = only_draft(state)
    assert (d.event_name, d.set_code, d.format) == ("PremierDraft_ZNR_20200917", "ZNR", "PremierDraft")
    assert d.draft_id == "0a06a0bd-84a6-420f-ab68-3fcd960f133c"
    assert len(d.picks) == 42
    assert_numbering(d, 14)
    assert d.picks[0].pack_cards is None and d.picks[0].picked == [73399]  # no P1P1 in 2020
    assert sum(r.pack_cards is not None for r in d.picks) == 41
    assert d.picks[1].pack_cards == [73389, 73296, 73240, 73222, 73298, 73411, 73190, 73391, 73239, 73367, 73227,
                                     73413, 73449]
    assert all(r.picked[0] in r.pack_cards for r in d.picks[1:])
    assert len(d.pool) == 42
    assert_pool_is_picks(d)
    assert d.complete
    # Event.DeckSubmitV3: flat alternating id,count arrays, zero counts dropped
    assert (len(d.deck.main), len(d.deck.side)) == (46, 13)
    assert d.deck.main.count(75553) == 9 and d.deck.main.count(75555) == 8 and 73308 in d.deck.side
    assert_pool_in_deck(d)
    assert stats.malformed == 0


def test_detailed_logs_disabled_warns(arena_logs):
    state, stats = replay(arena_logs, "detailed-logs-disabled-2026.log")
    assert state.detailed_logs is False and state.drafts == []
    assert state.warnings == [DETAILED_LOGS_WARNING]
    w = state.warnings[0]
    assert "Options -> Account -> Detailed Logs (Plugin Support)" in w and "restart Arena" in w


def test_disabled_warning_cleared_by_a_later_enabled_session(arena_logs):
    state, _ = replay(arena_logs, "detailed-logs-disabled-2026.log", "premier-draft-2026-ECL.log")
    assert state.detailed_logs is True and state.warnings == []
    assert len(state.drafts) == 1


def test_several_events_in_one_stream_are_separate_drafts(arena_logs):
    state, _ = replay(arena_logs, "premier-draft-2020-ZNR.log", "trad-draft-2021-VOW.log",
                      "premier-draft-2026-ECL.log", *QUICK, *SEALED, "premier-draft-2026-DSK-grepped.log")
    names = [d.event_name for d in state.drafts]
    assert names == ["PremierDraft_ZNR_20200917", "TradDraft_VOW_20211111", "PremierDraft_ECL_20260120",
                     "QuickDraft_ECL_20260223", "Sealed_SOS_20260421", "PremierDraft_DSK_20260721"]
    assert [len(d.picks) for d in state.drafts] == [42, 42, 39, 39, 0, 42]
    assert [len(d.pool) for d in state.drafts] == [42, 42, 39, 39, 85, 42]
    assert state.active == 5


def test_duplicated_lines_do_not_double_count(arena_logs):
    for names in (["premier-draft-2026-ECL.log"], QUICK, ["trad-draft-2021-VOW.log"], SEALED):
        lines = [line for n in names for line in iter_file_lines(arena_logs / n)]
        once = replay_lines(lines)
        twice = replay_lines(line for line in lines for _ in range(2))
        assert twice.to_json() == once.to_json(), names


def test_rereading_a_truncated_log_from_the_start_does_not_double_count(arena_logs):
    lines = list(iter_file_lines(arena_logs / "premier-draft-2026-ECL.log"))
    once = replay_lines(lines)
    again = replay_lines(lines[:400] + lines)  # a tailer that re-reads the file from 0 after a truncation
    assert again.to_json() == once.to_json()


def test_missing_from_pack_when_the_pack_comes_back(arena_logs):
    """Quick Draft, 8 seats: at picks 9-13 of each pack exactly 7 cards went to the 7 other seats."""
    parser, state = ArenaLogParser(), ArenaState()
    seen = {}
    for name in QUICK:
        for line in iter_file_lines(arena_logs / name):
            for ev in parser.feed(line):
                state = reduce(state, ev)
                d = state.current
                if d is not None and d.current_pack:
                    seen[(d.pack_number, d.pick_number)] = list(d.missing_from_pack)
    assert all(seen[(p, k)] == [] for p in (1, 2, 3) for k in range(1, 9))
    assert all(len(seen[(p, k)]) == 7 for p in (1, 2, 3) for k in range(9, 14))
    # P1p9 against P1p1: the pack had 13 cards, we took 98546, 5 came back
    assert sorted(seen[(1, 9)]) == sorted([98498, 98358, 98404, 98412, 98541, 98347, 98501])


@pytest.mark.parametrize("name", ["premier-draft-2026-ECL.log", "trad-draft-2021-VOW.log"])
def test_missing_from_pack_human_pods(arena_logs, name):
    parser, state = ArenaLogParser(), ArenaState()
    counts = {}
    for line in iter_file_lines(arena_logs / name):
        for ev in parser.feed(line):
            state = reduce(state, ev)
            d = state.current
            if d is not None and d.current_pack:
                counts[(d.pack_number, d.pick_number)] = len(d.missing_from_pack)
    for (pack, pick), n in counts.items():
        earlier = state.drafts[0].picks[(pack - 1) * 14 + pick - 9] if pick > 8 and "VOW" in name else None
        if pick <= 8:
            assert n == 0
        elif earlier is not None:
            assert n == 7
    if "ECL" in name:  # P1p9 needs the P1P1 pack, which 2026 never logs; P1p10 compares with P1p2
        assert counts[(1, 9)] == 0 and counts[(1, 10)] == 7 and counts[(2, 9)] == 7


CLAIM_SEALED = ('[UnityCrossThreadLogger]==> EventClaimPrize {"id":"c0ffee00-0000-4000-8000-000000000001",'
                '"request":"{\\"EventName\\":\\"Sealed_SOS_20260421\\"}"}')  # documented shape (§5.9)


@pytest.mark.parametrize("group", [["premier-draft-2026-ECL.log"], QUICK, SEALED, ["trad-draft-2021-VOW.log"],
                                   ["premier-draft-2020-ZNR.log"], ["premier-draft-2026-DSK-grepped.log"],
                                   "sealed+claim", "quick+claim"])
def test_replaying_the_same_logs_on_top_of_a_saved_state_changes_nothing(arena_logs, group):
    """What the live session does after an app restart: replay Player-prev.log + Player.log onto the saved
    state. Finished events (ECL: prize claimed) must not come back as new drafts."""
    if group == "sealed+claim":
        lines = [line for n in SEALED for line in iter_file_lines(arena_logs / n)] + [CLAIM_SEALED]
    elif group == "quick+claim":
        lines = [line for n in QUICK for line in iter_file_lines(arena_logs / n)]
        lines.append(CLAIM_SEALED.replace("Sealed_SOS_20260421", "QuickDraft_ECL_20260223"))
    else:
        lines = [line for n in group for line in iter_file_lines(arena_logs / n)]
    saved = ArenaState.from_json(replay_lines(lines).to_json())
    again = replay_lines(lines, state=saved)
    assert again.to_json() == saved.to_json()
    if group == "sealed+claim":
        assert saved.drafts[0].finished and len(saved.drafts[0].pool) == 85
    if group == "quick+claim":
        assert saved.drafts[0].finished and len(saved.drafts[0].picks) == 39 and len(again.drafts) == 1


@pytest.mark.parametrize("group, cut", [(["premier-draft-2026-ECL.log"], 200), (QUICK, None),
                                        (["trad-draft-2021-VOW.log"], 700)])
def test_a_draft_split_across_two_sessions_is_one_draft(arena_logs, group, cut):
    """A draft spanning a client restart: the second part is read by a new parser (new session)."""
    if cut is None:
        first = list(iter_file_lines(arena_logs / group[0]))
        second = [line for n in group[1:] for line in iter_file_lines(arena_logs / n)]
    else:
        lines = list(iter_file_lines(arena_logs / group[0]))
        first, second = lines[:cut], lines[cut:]
    whole = replay_lines(first + second)
    split = replay_lines(second, state=replay_lines(first))
    assert len(split.drafts) == 1
    assert split.to_json() == whole.to_json()
