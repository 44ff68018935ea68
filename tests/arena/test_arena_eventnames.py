"""Event name -> (set, format), including the irregular names of arena-log-format.md §6."""
import pytest

from copilot.arena.eventnames import is_bot_draft, is_limited, is_pick_two, is_sealed, parse_event_name


@pytest.mark.parametrize("name, expected", [
    ("PremierDraft_ECL_20260120", ("ECL", "PremierDraft")),
    ("QuickDraft_ECL_20260223", ("ECL", "QuickDraft")),
    ("TradDraft_VOW_20211111", ("VOW", "TradDraft")),
    ("PickTwoDraft_TMT_20260303", ("TMT", "PickTwoDraft")),
    ("Sealed_SOS_20260421", ("SOS", "Sealed")),
    ("PremierDraft_DSK_20260721", ("DSK", "PremierDraft")),
    ("PremierDraft_ZNR_20200917", ("ZNR", "PremierDraft")),
    ("QuickDraft_IKO_20200918", ("IKO", "QuickDraft")),
    ("TradSealed_OTJ_20240416", ("OTJ", "TradSealed")),
    # irregular names
    ("MWM_DMU_BotDraft_20220906", ("DMU", "BotDraft")),
    ("ArenaDirect_OTJ_Sealed_20240726", ("OTJ", "Sealed")),  # was detected as MH3 by another tool
    ("ArenaOpen_Day2_DraftOne_20240623", (None, "DraftOne")),
    ("CubeDraft_Powered_20251028", (None, "CubeDraft")),
    ("MWM_OmniscienceDraft_20251223", (None, "OmniscienceDraft")),
    ("CompDraft_RNA_20190117", ("RNA", "CompDraft")),
    # a set released after the list was written, in the common shape
    ("PremierDraft_ZZQ_20300101", ("ZZQ", "PremierDraft")),
    # not limited
    ("Ladder", (None, None)),
    ("Play", (None, None)),
    ("Traditional_Ladder", (None, None)),
    ("SparkyStarterDeckDuel", (None, None)),
    ("ColorChallenge_Node5_R", (None, None)),
    ("", (None, None)),
    (None, (None, None)),
])
def test_parse_event_name(name, expected):
    assert parse_event_name(name) == expected


def test_predicates():
    assert is_limited("PremierDraft_ECL_20260120") and not is_limited("Alchemy_Ladder")
    assert is_sealed("Sealed_SOS_20260421") and is_sealed("ArenaDirect_OTJ_Sealed_20240726")
    assert not is_sealed("PremierDraft_ECL_20260120")
    assert is_bot_draft("QuickDraft_ECL_20260223") and is_bot_draft("MWM_DMU_BotDraft_20220906")
    assert not is_bot_draft("TradDraft_VOW_20211111")
    assert is_pick_two("PickTwoDraft_TMT_20260303") and is_pick_two("PickTwoQuickDraft_TMT_20260310")
    assert not is_pick_two("PremierDraft_TMT_20260303")


def test_unknown_shape_is_not_a_set():
    # "Day2"/"Powered" are not set codes; a lower-case or long middle token is not taken as one
    assert parse_event_name("PremierDraft_cube_20260101")[0] is None
    assert parse_event_name("PremierDraft_LONGNAME_20260101")[0] is None
