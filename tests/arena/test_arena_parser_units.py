"""Parser units: framing (line endings, 3-line responses, interleaving) and message shapes no fixture covers.

Lines marked "documented shape" follow arena-log-format.md §5 (shapes reported by other tools) because no real
log of that era is in the fixtures; every other line is copied from a real fixture.
"""
from __future__ import annotations

import json

from copilot.arena.decode import canonical_method, deck_counts, request_payload
from copilot.arena.events import (CourseUpdated, CoursesListed, DeckSubmitted, EventJoined, PackShown, PickMade,
                                  PoolSnapshot)
from copilot.arena.framing import install_dir_from_mono
from copilot.arena.parser import ArenaLogParser
from copilot.draft.replay import replay_lines

P = "[UnityCrossThreadLogger]"
ECL_PICK = (P + '==> EventPlayerDraftMakePick {"id":"2ddb2417-0ad8-4d97-b47d-7f9dc0c74a09","request":"{\\"DraftId\\":'
            '\\"cd585253-1852-46db-8d3a-2747c63866ff\\",\\"GrpIds\\":[98535],\\"Pack\\":1,\\"Pick\\":1}"}')
ECL_NOTIFY = (P + 'Draft.Notify {"draftId":"cd585253-1852-46db-8d3a-2747c63866ff","SelfPick":2,"SelfPack":1,'
              '"PackCards":"98498,98370,98408,98545,98397,98494,98439,98454,98559,98381,98441,98455"}')


def feed_all(lines, parser=None):
    parser = parser or ArenaLogParser()
    out = []
    for line in lines:
        out.extend(parser.feed(line))
    out.extend(parser.flush())
    return out, parser


def test_canonical_method_names_across_eras():
    assert canonical_method("Event_Join") == canonical_method("EventJoin") == canonical_method("Event.Join")
    assert canonical_method("EventSetDeckV3") == canonical_method("Event_SetDeck") == "EventSetDeck"
    assert canonical_method("BotDraft_DraftPick") == canonical_method("BotDraftDraftPick")
    assert canonical_method("Event.GetPlayerCoursesV2") == "EventGetPlayerCourses"


def test_install_dir_from_mono_path():
    assert install_dir_from_mono("C:/Program Files/Wizards of the Coast/MTGA/MTGA_Data/Managed") == \
        "C:/Program Files/Wizards of the Coast/MTGA"
    assert install_dir_from_mono("/Applications/MTGA.app/Contents/Resources/Data/Managed") == \
        "/Applications/MTGA.app/Contents/Resources"


def test_line_endings_crlf_lf_double_cr_and_no_ending():
    for ending in ("\r\n", "\n", "\r\r\n", "", "\r"):
        events, parser = feed_all([ECL_PICK + ending, ECL_NOTIFY + ending])
        assert [type(e) for e in events] == [PickMade, PackShown], repr(ending)
        assert events[0].cards == (98535,) and (events[0].pack, events[0].pick) == (1, 1)
        assert events[1].cards[0] == 98498 and len(events[1].cards) == 12
        assert parser.stats.malformed == 0


def test_several_lines_in_one_feed_call():
    events, _ = feed_all([ECL_PICK + "\r\n" + ECL_NOTIFY + "\r\n"])
    assert [type(e) for e in events] == [PickMade, PackShown]


def test_three_line_response_with_interleaved_entries_and_blank_lines():
    join_req = (P + '==> EventJoin {"id":"5214c926","request":"{\\"EventName\\":\\"PremierDraft_ECL_20260120\\",'
                '\\"EntryCurrencyType\\":\\"Gem\\"}"}')
    body = ('{"Course":{"CourseId":"15f9","InternalEventName":"PremierDraft_ECL_20260120","CurrentModule":'
            '"PlayerDraft","CardPool":[],"CardStyles":[]},"InventoryInfo":{"SeqId":1}}')
    lines = [join_req, "", P + "2/22/2026 1:33:03 PM", "", "<== EventJoin(5214c926)",
             "Unloading 4 Unused Serialized files (Serialized files now loaded: 529)", body, ECL_NOTIFY]
    events, parser = feed_all(lines)
    assert [type(e) for e in events] == [EventJoined, CourseUpdated, PackShown]
    assert events[1].course.module == "PlayerDraft" and events[1].course.pool == ()
    # the parser named the draft uuid after the human-draft event just joined
    assert events[2].event_name == "PremierDraft_ECL_20260120"
    assert parser.stats.malformed == 0


def test_response_header_without_body_is_counted_not_fatal():
    events, parser = feed_all(["<== EventJoin(abc)", ECL_NOTIFY])
    assert [type(e) for e in events] == [PackShown]
    assert parser.stats.malformed == 1


def test_bare_word_body_and_business_events_without_pick_are_ignored():
    lines = [P + '==> LogBusinessEvents {"id":"d389","request":"{\\"Type\\":1909,\\"TransId\\":\\"d389\\",'
                 '\\"Payload\\":\\"{\\\\\\"ClientSessionId\\\\\\":\\\\\\"x\\\\\\",\\\\\\"EventType\\\\\\":10}\\"}"}',
             P + "12/14/2021 11:06:58 AM", "<== LogBusinessEvents(d389)", "Success"]
    events, parser = feed_all(lines)
    assert events == [] and parser.stats.malformed == 0 and parser.stats.ignored >= 2


def test_2021_wrapper_three_levels_deep():
    line = (P + '==> Event_PlayerDraftMakePick {"id":"25b5","request":"{\\"Type\\":620,\\"TransId\\":\\"25b5\\",'
            '\\"Payload\\":\\"{\\\\\\"DraftId\\\\\\":\\\\\\"04ee\\\\\\",\\\\\\"GrpId\\\\\\":78844,\\\\\\"Pack\\\\\\":1,'
            '\\\\\\"Pick\\\\\\":1}\\"}"}')
    assert request_payload(line.split(" ", 2)[2]) == {"DraftId": "04ee", "GrpId": 78844, "Pack": 1, "Pick": 1}
    events, _ = feed_all([line])
    assert events == [PickMade(1, 1, (78844,), "04ee", None, None, "human")]


def test_business_event_json_on_the_line_after_its_request():
    payload = {"DraftId": "d1", "EventId": "TradDraft_VOW_20211111", "PackNumber": 1, "PickNumber": 1,
               "PickGrpId": 78844, "CardsInPack": [78998, 78844]}
    lines = [P + "==> LogBusinessEvents",
             json.dumps({"id": "x1", "request": json.dumps({"Type": 1909, "TransId": "x1",
                                                              "Payload": json.dumps(payload)})})]
    events, _ = feed_all(lines)
    assert events == [PickMade(1, 1, (78844,), "d1", "TradDraft_VOW_20211111", (78998, 78844), "business")]


def test_pick_two_grpids_and_num_cards_to_pick():
    pick = (P + '==> EventPlayerDraftMakePick {"id":"p2","request":"{\\"DraftId\\":\\"tmt1\\",\\"GrpIds\\":'
            '[100,200],\\"Pack\\":1,\\"Pick\\":1}"}')
    notify = P + 'Draft.Notify {"draftId":"tmt1","SelfPick":1,"SelfPack":1,"PackCards":"100,200,300,400"}'
    state = replay_lines([notify, pick])
    d = state.drafts[0]
    assert d.cards_per_pick == 2 and d.picks[0].picked == [100, 200] and d.pool == [100, 200]


def test_2021_bot_draft_single_card_id_and_numeric_module():
    # documented shape (2021-2022 captures): PickInfo.CardId string inside the Type 1801 wrapper
    req = {"EventName": "QuickDraft_VOW_20211201", "PickInfo": {"EventName": "QuickDraft_VOW_20211201",
                                                               "CardId": "81770", "PackNumber": 0, "PickNumber": 3}}
    line = P + "==> BotDraft_DraftPick " + json.dumps(
        {"id": "b1", "request": json.dumps({"Type": 1801, "TransId": "b1", "Payload": json.dumps(req)})})
    status = {"Result": "Success", "EventName": "QuickDraft_VOW_20211201", "DraftStatus": "PickNext",
              "PackNumber": 0, "PickNumber": 4, "DraftPack": ["1", "2", "3"], "PickedCards": ["81770"]}
    body = json.dumps({"CurrentModule": 14, "Payload": json.dumps(status)})
    events, parser = feed_all([line, P + "12/1/2021 1:00:00 PM", "<== BotDraft_DraftPick(b1)", body])
    assert events == [PickMade(1, 4, (81770,), None, "QuickDraft_VOW_20211201", None, "bot"),
                      PoolSnapshot((81770,), "QuickDraft_VOW_20211201", None, False),
                      PackShown(1, 5, (1, 2, 3), None, "QuickDraft_VOW_20211201", None, "bot")]


def test_2020_bot_draft_draft_id_loses_its_player_part():
    # documented shape (2019-2021 JSON-RPC bot drafts): DraftId "<playerId>:<EventName>:Draft", 0-based numbers
    status = {"DraftId": "PLAYERID123:QuickDraft_M21_20200801:Draft", "DraftStatus": "Draft.PickNext",
              "PackNumber": 0, "PickNumber": 3, "DraftPack": ["71001", "71002"], "PickedCards": ["70001", "70002",
                                                                                               "70003"]}
    resp = P + "<== Draft.DraftStatus " + json.dumps({"id": 12, "payload": status})
    rpc = {"jsonrpc": "2.0", "method": "Draft.MakePick", "params": {
        "draftId": "PLAYERID123:QuickDraft_M21_20200801:Draft", "cardId": "71002", "packNumber": "0",
        "pickNumber": "3"}, "id": "13"}
    req = P + "==> Draft.MakePick " + json.dumps({"id": 13, "request": json.dumps(rpc, indent=2)})
    events, _ = feed_all([resp, req])
    assert events[0] == PoolSnapshot((70001, 70002, 70003), "QuickDraft_M21_20200801", None, False)
    assert events[1] == PackShown(1, 4, (71001, 71002), None, "QuickDraft_M21_20200801", None, "bot")
    assert events[2] == PickMade(1, 4, (71002,), None, "QuickDraft_M21_20200801", None, "bot2020")
    assert "PLAYERID123" not in repr(events)
    state = replay_lines([resp, req])
    assert "PLAYERID123" not in state.to_json()
    d = state.drafts[0]
    assert d.event_name == "QuickDraft_M21_20200801" and d.pool == [71002, 70001, 70002, 70003]


def test_final_empty_bot_pack_completes_without_clearing_the_last_pack():
    status = {"Result": "Success", "EventName": "QuickDraft_ECL_20260223", "DraftStatus": "Completed",
              "PackNumber": 2, "PickNumber": 12, "DraftPack": [], "PickedCards": ["5", "6"]}
    events, _ = feed_all(['{"x":1}', P + "3/11/2026 6:50:00 PM", "<== BotDraftDraftPick(q)",
                          json.dumps({"CurrentModule": "DeckSelect", "Payload": json.dumps(status)})])
    assert events == [PoolSnapshot((5, 6), "QuickDraft_ECL_20260223", None, True)]


def test_course_list_does_not_start_tracking_but_updates_tracked_events():
    courses = {"Courses": [
        {"InternalEventName": "PremierDraft_TMT_20260303", "CurrentModule": "PlayerDraft", "CardPool": []},
        {"InternalEventName": "Sealed_SOS_20260421", "CurrentModule": "DeckSelect", "CardPool": [1, 2, 3]},
        {"InternalEventName": "Ladder", "CurrentModule": "CreateMatch", "CardPool": []}]}
    lines = [P + '==> EventGetCoursesV2 {"id":"c1","request":"{}"}', P + "5/1/2026 5:15:00 PM",
             "<== EventGetCoursesV2(c1)", json.dumps(courses)]
    events, _ = feed_all(lines)
    assert [type(e) for e in events] == [CoursesListed]
    assert replay_lines(lines).drafts == []
    deck = {"EventName": "Sealed_SOS_20260421", "Deck": {"MainDeck": [{"cardId": 1, "quantity": 1}],
                                                         "Sideboard": [{"cardId": 2, "quantity": 1}]}}
    submit = P + "==> EventSetDeckV3 " + json.dumps({"id": "s1", "request": json.dumps(deck)})
    state = replay_lines(lines + [submit] + lines)  # the deck submission starts tracking; the list then updates
    assert [d.event_name for d in state.drafts] == ["Sealed_SOS_20260421"]
    assert state.drafts[0].pool == [1, 2, 3] and state.drafts[0].deck.main == [1]


def test_2020_flat_deck_arrays():
    assert deck_counts([73399, 1, 73413, 2, 73308, 0]) == [73399, 73413, 73413]
    assert deck_counts([{"cardId": 5, "quantity": 2}, {"cardId": "bad", "quantity": 1}]) == [5, 5]
    assert deck_counts("nope") is None


def test_wrong_types_inside_payloads_are_malformed_not_fatal():
    bad = [
        P + '==> EventPlayerDraftMakePick {"id":"1","request":"{\\"DraftId\\":5,\\"GrpIds\\":\\"x\\",\\"Pack\\":[],'
            '\\"Pick\\":null}"}',
        P + 'Draft.Notify {"draftId":["a"],"SelfPick":"two","SelfPack":1,"PackCards":{"a":1}}',
        P + 'Draft.Notify [1,2,3]',
        P + '==> EventJoin {"id":"2","request":"[1,2]"}',
        P + '==> EventSetDeckV3 {"id":"3","request":"{\\"EventName\\":\\"Sealed_SOS_20260421\\",\\"Deck\\":7}"}',
        P + '==> BotDraftDraftPick {"id":"4","request":"{\\"PickInfo\\":\\"{not json\\"}"}',
        P + '==> EventJoin {"id":"5","request":"{\\"EventName\\":',
        "<== EventGetCoursesV2(6)", '{"Courses": 7}',
        "<== DraftCompleteDraft(7)", '{"CardPool": "1,2,x"}',
    ]
    events, parser = feed_all(bad)
    assert events == []
    assert parser.stats.errors == 0 and parser.stats.malformed == 9


def test_secrets_in_account_lines_never_reach_events():
    lines = ["[Accounts - AccountClient] Updated account. DisplayName:Someone#12345, AccountID:ABCDEF, "
             "Token:SECRETTOKEN",
             '[UnityCrossThreadLogger]{ "authenticateResponse": { "clientId": "CLIENTX", "sessionId": "SESSX", '
             '"screenName": "Someone#12345" } }', ECL_PICK]
    events, _ = feed_all(lines)
    text = repr(events) + replay_lines(lines).to_json()
    for secret in ("Someone", "ABCDEF", "SECRETTOKEN", "CLIENTX", "SESSX"):
        assert secret not in text


def test_renamed_draft_messages_are_counted_as_unknown():
    lines = [P + '==> EventHumanDraftPeek {"id":"x","request":"{}"}',
             P + '==> GraphGetGraphState {"id":"y","request":"{}"}', "<== BotDraftDraftPeek(z)", "{}"]
    events, parser = feed_all(lines)
    assert events == [] and parser.stats.unknown == 2 and parser.stats.ignored == 1


def test_a_response_header_cut_by_a_new_session_does_not_swallow_its_lines():
    lines = ["<== EventJoin(abc)", "Mono path[0] = 'C:/Program Files/Wizards of the Coast/MTGA/MTGA_Data/Managed'",
             "DETAILED LOGS: ENABLED", ECL_NOTIFY]
    events, parser = feed_all(lines)
    assert [type(e).__name__ for e in events] == ["SessionStarted", "DetailedLogs", "PackShown"]
    assert parser.stats.malformed == 1


def test_noise_lines_before_a_body_are_bounded():
    lines = ["<== EventJoin(abc)"] + ["Unloading 4 Unused Serialized files (now loaded: 529)"] * 20 + \
            ['{"Course":{"InternalEventName":"PremierDraft_ECL_20260120","CurrentModule":"PlayerDraft"}}']
    events, parser = feed_all(lines)
    assert events == [] and parser.stats.malformed == 1
