"""What a drafter passed, what others took at the wheel, and how the drafter has picked so far (draft_signals)."""
from __future__ import annotations

from copilot.picking.card_features import FEATURE_NAMES, N_CARD_FEATURES
from copilot.picking.draft_signals import N_STYLE, STYLE_NAMES, draft_histories, drafter_style, seen_cards


def _row(colour: str, z: float, rarity: str = "common") -> list[float]:
    row = [0.0] * N_CARD_FEATURES
    row[FEATURE_NAMES.index(f"colour_{colour}")] = 1.0
    row[FEATURE_NAMES.index(f"rarity_{rarity}")] = 1.0
    row[FEATURE_NAMES.index("gih_z")], row[FEATURE_NAMES.index("has_gih")] = z, 1.0
    return row


def test_passed_cards_split_by_round_and_the_wheel_shows_what_others_took():
    first = tuple(f"c{i}" for i in range(10))  # pick 1 of pack 2: ten cards, the drafter takes c0
    history = [
        (1, 1, ("a", "b", "b"), ("a",)),  # pack 1: passes b, b
        (2, 1, first, ("c0",)),
        (2, 2, ("x", "y"), ("y",)),
    ]
    wheel = ("c3", "c7")  # pick 9 of pack 2: the pick-1 pack came back with two cards
    seen = seen_cards(history, 2, 9, wheel)
    assert seen.earlier == ("b", "b")
    assert sorted(seen.round) == sorted([f"c{i}" for i in range(1, 10)] + ["x"])
    assert seen.taken == ("c1", "c2", "c4", "c5", "c6", "c8", "c9")  # seven other seats
    assert seen.style is None  # no card features given
    early = seen_cards(history, 2, 2, ("x", "y"))  # later decisions of the history are ignored
    assert early.round == tuple(f"c{i}" for i in range(1, 10)) and early.taken == ()


def test_drafter_style_tells_a_rare_drafter_from_a_ratings_follower():
    rows = {"good": _row("W", 2.0), "rare": _row("U", -1.0, "rare"), "meh": _row("W", 0.0)}
    packs = [(1, k, ("good", "rare", "meh")) for k in range(1, 9)]
    follower = [(p, k, pack, ("good",)) for p, k, pack in packs]
    collector = [(p, k, pack, ("rare",)) for p, k, pack in packs]
    f = dict(zip(STYLE_NAMES, drafter_style(follower, 1, 9, rows.get)))
    c = dict(zip(STYLE_NAMES, drafter_style(collector, 1, 9, rows.get)))
    assert len(f) == N_STYLE
    assert f["took_best_rated"] > 0.8 > 0.2 > c["took_best_rated"]
    assert c["took_rare"] > 0.8 > 0.2 > f["took_rare"]
    assert f["rating_gap"] > -0.2 > -2.0 > c["rating_gap"]
    assert f["in_colours"] > 0.8  # stays in white after its first picks
    assert f["picks_seen"] == c["picks_seen"] == 8 / 42
    # with no history the style is the prior, the same for everyone
    assert drafter_style([], 1, 1, rows.get) == drafter_style(collector, 1, 1, rows.get)


def test_draft_histories_attach_each_decision_its_own_past():
    decisions = [(("a", "b"), [], 1, 1, "a"), (("c", "d"), [], 1, 1, "d"), (("b",), ["a"], 1, 2, "b")]
    out = draft_histories(decisions, ["x", "y", "x"])
    assert [d[:5] for d in out] == decisions
    assert out[0][5].round == () and out[2][5].round == ("b",) and out[1][5].round == ()
