"""The 8-seat table: invariants over many seeded drafts with real boosters and real engines."""
from __future__ import annotations

import pytest

from _simhelpers import check_draft_invariants, set_cards
from copilot.cards.model import Card
from copilot.sim.boosters import make_generator
from copilot.sim.table import LEFT, RIGHT, DraftTable, HumanSeat
from copilot.picking.engine import CardScore, EngineBase, Recommendation
from copilot.picking.random_engine import RandomEngine


class CountingEngine(EngineBase):
    """Real rule-based engine: prefers cards of the colour it holds most of, then rarity. Counts rank_many calls."""

    name = "colour-greedy"
    ORDER = {"mythic": 4, "rare": 3, "uncommon": 2, "common": 1}

    def __init__(self):
        self.batches = []

    def rank(self, ctx):
        held = {}
        for c in ctx.pool:
            for col in c.color_identity:
                held[col] = held.get(col, 0) + 1

        def score(c: Card):
            return sum(held.get(col, 0) for col in c.color_identity) + 3 * self.ORDER.get(c.rarity or "", 0)

        ranked = sorted(ctx.pack, key=lambda c: -score(c))
        return Recommendation(engine=self.name, ranked=[CardScore(c, float(score(c))) for c in ranked])

    def rank_many(self, ctxs):
        self.batches.append(len(ctxs))
        return [self.rank(c) for c in ctxs]


class BrokenEngine(EngineBase):
    name = "broken"

    def rank(self, ctx):
        raise RuntimeError("model file missing")


@pytest.fixture(scope="module")
def dsk(shared_data):
    return make_generator("DSK", set_cards(shared_data), shared_data)


@pytest.mark.parametrize("set_code", ["DSK", "OTJ", "VOW", "BLB"])
def test_invariants_over_many_seeded_drafts(shared_data, set_code):
    gen = make_generator(set_code, set_cards(shared_data), shared_data)
    greedy = CountingEngine()
    seats = [RandomEngine(seed=1), greedy, greedy, RandomEngine(seed=2), greedy, RandomEngine(seed=3), greedy,
             greedy]
    for seed in range(6):
        result = DraftTable.deal(gen, seats, seed, set_code=set_code).run()
        check_draft_invariants(result)
        assert all(len(s.pool) == 42 for s in result.seats)
    # the five seats sharing one engine object were ranked together, once per turn
    assert set(greedy.batches) == {5} and len(greedy.batches) == 6 * 42


def test_same_seed_same_draft_and_different_seed_differs(dsk):
    def draft(seed):
        seats = [RandomEngine(seed=7)] * 4 + [CountingEngine()] * 4
        return DraftTable.deal(dsk, seats, seed, set_code="DSK").run().to_dict()

    a, b, c = draft(11), draft(11), draft(12)
    assert a == b
    assert a != c


def test_pass_directions_left_right_left(dsk):
    """Follow one physical pack: the seat it reaches at pick p is opener + p-1 (left) or opener - (p-1) (right)."""
    seats = [RandomEngine(seed=s) for s in range(8)]
    result = DraftTable.deal(dsk, seats, 3, set_code="DSK").run()
    for rnd, d in enumerate((LEFT, RIGHT, LEFT)):
        assert d == (1, -1, 1)[rnd]
        for opener in range(8):
            remaining = list(result.opened[rnd][opener])
            for p in range(14):
                seat = (opener + d * p) % 8
                ev = result.seats[seat].picks[rnd * 14 + p]
                assert sorted(c.name for c in ev.pack_cards) == sorted(c.name for c in remaining)
                for c in ev.picked:
                    remaining.remove(c)
            assert remaining == []


def test_pick_two_takes_two_per_turn(dsk):
    seats = [CountingEngine()] * 8
    result = DraftTable.deal(dsk, seats, 5, set_code="DSK", cards_to_pick=2).run()
    check_draft_invariants(result, cards_to_pick=2)
    assert [e.pick for e in result.seats[0].picks[:7]] == [1, 3, 5, 7, 9, 11, 13]
    assert all(len(e.picked) == 2 for s in result.seats for e in s.picks)


def test_fifteen_card_paper_draft_boosters(shared_data):
    gen = make_generator("VOW", set_cards(shared_data), shared_data, kind="draft-paper")
    result = DraftTable.deal(gen, [RandomEngine(seed=1)] * 8, 1, set_code="VOW").run()
    check_draft_invariants(result)
    assert all(len(s.pool) == 45 for s in result.seats)


def test_human_seat_by_callback_and_by_choices(dsk):
    asked = []

    def last_card(ctx):
        asked.append((ctx.pack_number, ctx.pick_number, len(ctx.pack)))
        return [len(ctx.pack) - 1]

    seats = [HumanSeat(last_card)] + [RandomEngine(seed=4)] * 7
    result = DraftTable.deal(dsk, seats, 9, set_code="DSK").run()
    check_draft_invariants(result)
    assert len(asked) == 42 and asked[0] == (1, 1, 14) and asked[-1] == (3, 14, 1)
    assert all(e.picked[0] == e.pack_cards[-1] for e in result.seats[0].picks)

    # step-wise, no callback: the GUI passes the choice of seat 0
    table = DraftTable.deal(dsk, [HumanSeat()] + [RandomEngine(seed=4)] * 7, 9, set_code="DSK")
    with pytest.raises(ValueError):
        table.step()
    steps = 0
    while not table.done:
        pending = dict(table.pending())
        assert pending[0].pack == tuple(table.current[0])
        events = table.step({0: [len(pending[0].pack) - 1]})
        assert len(events) == 8 and events[0].seat == 0
        steps += 1
    assert steps == 42
    assert [c.name for c in table.result().seats[0].pool] == [c.name for c in result.seats[0].pool]
    with pytest.raises(ValueError):
        DraftTable.deal(dsk, [HumanSeat(lambda ctx: [99])] + [RandomEngine()] * 7, 1).step()


def test_failing_engine_falls_back_to_a_visible_random_pick(dsk):
    seats = [BrokenEngine()] + [RandomEngine(seed=1)] * 7
    result = DraftTable.deal(dsk, seats, 2, set_code="DSK").run()
    check_draft_invariants(result)
    notes = [e.note for e in result.seats[0].picks]
    assert all(n and "model file missing" in n for n in notes)
    assert all(e.note is None for s in result.seats[1:] for e in s.picks)


def test_seat_state_converts_to_grpid_draft_state(dsk):
    result = DraftTable.deal(dsk, [RandomEngine(seed=1)] * 8, 4, set_code="DSK").run()
    st = result.seats[2].to_draft_state("DSK")
    assert len(st.pool) == 42 and len(st.picks) == 42
    assert st.picks[0].pack_cards == [c.arena_id for c in result.seats[2].picks[0].pack_cards]


def test_contexts_carry_pool_and_the_live_signal_window(dsk):
    table = DraftTable.deal(dsk, [RandomEngine(seed=1)] * 8, 6, set_code="DSK")
    for turn in range(8):
        ctx = dict(table.pending())[3]
        assert ctx.seen[-1] == ctx.pack and len(ctx.seen) == min(turn + 1, 5)
        assert len(ctx.pool) == turn and ctx.pick_number == turn + 1 and ctx.picks_per_pack == 14
        assert ctx.draft_key.endswith("seat3") and ctx.set_code == "DSK"
        table.step()
