"""Colour statistics definitions and the 40-card deck suggestion on real drafted pools."""
from __future__ import annotations

import random
from collections import Counter

from _simhelpers import set_cards
from copilot.cards.model import Card
from copilot.sim.boosters import make_generator
from copilot.draft.deckbuild import suggest_deck
from copilot.sim.simstats import MONO_THRESHOLD, draft_stats, pool_stats, summarize
from copilot.sim.table import DraftTable
from copilot.picking.random_engine import RandomEngine


def test_pool_stats_definitions():
    # 6 W, 3 U, 1 WU (counts W and U), 2 colourless
    ps = pool_stats([("W",)] * 6 + [("U",)] * 3 + [("W", "U")] + [()] * 2)
    assert ps.counts["W"] == 7 and ps.counts["U"] == 4 and ps.n_cards == 12
    assert ps.main == ("W", "U") and ps.pair == "WU"
    assert ps.top2_share == 1.0 and abs(ps.top1_share - 7 / 11) < 1e-9
    assert ps.mono == (7 / 11 >= MONO_THRESHOLD)
    even = pool_stats([("W",), ("U",), ("B",), ("R",), ("G",)])
    assert even.top2_share == 0.4 and not even.mono and even.main == ("W", "U")  # ties in WUBRG order
    assert pool_stats([]).top2_share == 0.0


def test_summary_and_contested_counts():
    t1 = [pool_stats([("W",)] * 5 + [("U",)] * 4)] * 4 + [pool_stats([("B",)] * 5 + [("R",)] * 4)] * 4
    s = summarize(t1, [t1])
    assert s["pools"] == 8
    assert s["seats_per_colour_at_8"] == {"W": 4.0, "U": 4.0, "B": 4.0, "R": 4.0, "G": 0.0}
    assert s["contested"]["mean_max_seats_sharing_a_colour"] == 4
    assert s["contested"]["mean_colours_nobody_drafts"] == 1
    assert s["top_pairs"][0][1] == 0.5


def _drafted_pools(shared_data, set_code="DSK", seed=1):
    gen = make_generator(set_code, set_cards(shared_data), shared_data)
    return DraftTable.deal(gen, [RandomEngine(seed=s) for s in range(8)], seed, set_code=set_code).run()


def test_deck_suggestion_is_a_legal_40_card_deck_even_from_random_pools(shared_data):
    """Random drafters spread their pools over five colours: the builder finds 23 castable spells (a third colour
    when no pair has enough) and never plays a card no land can cast."""
    result = _drafted_pools(shared_data)
    stats = draft_stats([s.pool for s in result.seats])
    assert len(stats["seats"]) == 8
    for seat in result.seats:
        deck = suggest_deck(seat.pool)
        assert deck.size == 40 and deck.mana_problems() == []
        assert 1 <= len(deck.colours) <= 3 and len(deck.colours) + len(deck.splash) <= 3
        assert len(deck.spells) >= 20 and deck.lands == 40 - len(deck.spells)
        assert not Counter(deck.spells + deck.nonbasic_lands) - Counter(seat.pool)  # only cards from the pool
        assert Counter(deck.spells + deck.nonbasic_lands + deck.sideboard) == Counter(
            c for c in seat.pool if not c.is_basic_land)  # every other card is in the sideboard
        assert set(deck.basics) <= {"Plains", "Island", "Swamp", "Mountain", "Forest"}
        text = deck.to_arena()
        lines = text.splitlines()
        assert lines[0] == "Deck"
        main = lines[1:lines.index("")] if "" in lines else lines[1:]
        assert sum(int(line.split(" ", 1)[0]) for line in main) == 40


def test_deck_uses_engine_scores_and_collector_numbers():
    def card(name, ci, mv=2, t="Creature — Test"):
        return Card(name=name, color_identity=ci, colors=ci, mana_value=mv, type_line=t, rarity="common")

    pool = ([card(f"G{i}", ("G",)) for i in range(14)] + [card(f"B{i}", ("B",)) for i in range(14)]
            + [card(f"W{i}", ("W",)) for i in range(14)])
    scores = {c.key: (10.0 if c.name[0] in "GW" else 1.0) for c in pool}
    deck = suggest_deck(pool, scores)
    assert deck.colours == ("W", "G")
    assert all(c.name[0] in "GW" for c in deck.spells)
    assert set(deck.basics) == {"Plains", "Forest"} and sum(deck.basics.values()) == 17
    text = deck.to_arena({"G0": ("TST", "12")})
    assert "1 G0 (TST) 12" in text.splitlines()
    random.Random(0).shuffle(pool)
    assert suggest_deck(pool, scores).colours == ("W", "G")


def test_deck_is_built_from_the_engines_scores(shared_data):
    from copilot.picking.pool_scores import engine_scores

    result = _drafted_pools(shared_data, seed=3)
    engine = RandomEngine(seed=9)
    for seat in result.seats[:4]:
        scores = engine_scores(engine, seat.pool, "DSK")
        assert scores and set(scores) == {c.key for c in seat.pool}
        deck = suggest_deck(seat.pool, scores)
        assert deck.size == 40
        inside = set(deck.colours)
        chosen = [scores[c.key] for c in deck.spells if set(c.color_identity) <= inside]
        left = [scores[c.key] for c in deck.sideboard if not c.is_land and set(c.color_identity) <= inside]
        if left:
            assert sum(chosen) / len(chosen) > sum(left) / len(left)


def test_main_colours_only_of_colours_present():
    from copilot.sim.simstats import pool_stats

    assert pool_stats([]).main == () and pool_stats([]).pair == ""  # was "WU": ties broken in WUBRG order
    assert pool_stats([(), ()]).main == ()
    assert pool_stats([("G",), ("G",)]).pair == "G"
    assert pool_stats([("G",), ("R",), ("R",)]).pair == "RG"
