"""Property test: the table invariants hold for any seed, set, pick size and seating; personalities do what they say."""
from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _simhelpers import check_draft_invariants, set_cards
from copilot.sim.boosters import make_generator
from copilot.picking.personality import PersonalityEngine, parse_seat
from copilot.sim.simstats import card_pool_stats
from copilot.sim.table import DraftTable, HumanSeat
from copilot.picking.random_engine import RandomEngine

_GENS = {}


def _gen(shared_data, set_code, kind):
    key = (set_code, kind)
    if key not in _GENS:
        _GENS[key] = make_generator(set_code, set_cards(shared_data), shared_data, kind=kind)
    return _GENS[key]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), set_kind=st.sampled_from([("DSK", None), ("OTJ", None), ("VOW", None),
                                                             ("VOW", "draft-paper"), ("FDN", None)]),
       pick_two=st.booleans(), seating=st.lists(st.integers(0, 3), min_size=8, max_size=8))
def test_invariants_hold_for_any_seeded_draft(shared_data, seed, set_kind, pick_two, seating):
    set_code, kind = set_kind
    shared_engines = [RandomEngine(seed=1), RandomEngine(seed=2)]
    seats = []
    for s in seating:
        if s < 2:
            seats.append(shared_engines[s])  # shared object: ranked with rank_many
        elif s == 2:
            seats.append(RandomEngine(seed=seed % 97))
        else:
            seats.append(HumanSeat(lambda ctx: list(range(ctx.cards_to_pick))))
    k = 2 if pick_two else 1
    gen = _gen(shared_data, set_code, kind)
    a = DraftTable.deal(gen, seats, seed, set_code=set_code, cards_to_pick=k).run()
    check_draft_invariants(a, cards_to_pick=k)
    b = DraftTable.deal(gen, seats, seed, set_code=set_code, cards_to_pick=k).run()
    assert a.to_dict() == b.to_dict()


def test_personalities_prefer_colour_and_rares_first(shared_data):
    gen = _gen(shared_data, "DSK", None)
    plain = RandomEngine(seed=5)
    green = PersonalityEngine.from_options(plain, parse_seat("random:prefer=G,strength=20").personality)
    rares = PersonalityEngine.from_options(plain, parse_seat("random:rares=1").personality)
    assert green.label == "random[prefer=G]" and rares.label == "random[rares]"
    g_plain = g_pref = 0
    for seed in range(3):
        # every card ends in some pool, so compare one seat with and without the preference
        r_plain = DraftTable.deal(gen, [plain] * 8, seed, set_code="DSK").run()
        r_pref = DraftTable.deal(gen, [green] + [plain] * 7, seed, set_code="DSK").run()
        g_plain += card_pool_stats(r_plain.seats[0].pool).counts["G"]
        g_pref += card_pool_stats(r_pref.seats[0].pool).counts["G"]
        r_rare = DraftTable.deal(gen, [rares] * 8, seed, set_code="DSK").run()
        for s in r_rare.seats:
            for e in s.picks:
                if any(c.rarity in ("rare", "mythic") for c in e.pack_cards):
                    assert e.picked[0].rarity in ("rare", "mythic")
    assert g_pref > 1.5 * g_plain
    spec = parse_seat("gguf:model=/m.gguf,n_ctx=4096,prefer=WU")
    assert spec.engine == "gguf" and spec.options == {"model": "/m.gguf", "n_ctx": "4096"}
    assert spec.personality == {"prefer": "WU"} and spec.text == "gguf:model=/m.gguf,n_ctx=4096,prefer=WU"
    assert Counter(parse_seat("human").options) == Counter()


def test_identical_specs_share_one_engine_unless_share_0():
    from copilot.sim.simulation import build_seats

    seats, labels = build_seats(["random", "random", "random:seed=2", "random:share=0", "random:share=0",
                                 "random:prefer=G", "random:prefer=G", "human"], "DSK")
    assert seats[0] is seats[1] and seats[0] is not seats[2]
    assert seats[3] is not seats[4] and seats[3] is not seats[0]
    assert seats[5] is seats[6] and seats[5].inner is seats[0]  # the personality wraps the shared engine
    assert isinstance(seats[7], HumanSeat) and labels[7] == "human"
    assert labels[:3] == ["random", "random", "random:seed=2"] and labels[3] == "random:share=0"
    full, _ = build_seats(["random"], "DSK")
    assert len(full) == 8
