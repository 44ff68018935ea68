"""One conversation per LLM seat: the table hands each seat its own draft history, and LLM engines whose prompt
format is a conversation get one engine object (one KV cache) per seat."""
from __future__ import annotations

import pytest

from _simhelpers import set_cards
from copilot.picking.prompts import get_format
from copilot.sim.boosters import make_generator
from copilot.sim.simulation import build_seats
from copilot.sim.table import DraftTable


def test_each_seat_sees_its_own_history(shared_data):
    gen = make_generator("DSK", set_cards(shared_data), shared_data)
    seats, _ = build_seats(["heuristic"] * 8, "DSK")
    table = DraftTable.deal(gen, seats, 3, set_code="DSK")
    for _ in range(10):
        table.step()
    for s in (0, 5):
        ctx = table.context(s)
        st = table.state[s]
        assert [(h.pack_number, h.pick_number, h.pack, h.picked) for h in ctx.history] == \
            [(e.pack, e.pick, e.pack_cards, e.picked) for e in st.picks]
        # the seat's conversation: its packs and its own picks, and a wheel at pick 9
        msgs = get_format("conversation").messages(ctx)
        assert [m["content"] for m in msgs if m["role"] == "assistant"] == [c.name for c in st.pool]
        nine = [m["content"] for m in msgs if m["role"] == "user"][8]
        assert nine.startswith("Pack 1 pick 9 (back from pick 1; taken since: ")


def test_conversation_llm_seats_get_their_own_engines(tmp_path):
    model = tmp_path / "m.gguf"  # engines are only created here, never loaded
    conv = f"gguf:model={model},format=conversation"
    v1 = f"gguf:model={model},format=v1"
    seats, _ = build_seats([conv, conv, conv, v1, v1], "DSK")
    assert len({id(s) for s in seats[:3]}) == 3
    assert seats[3] is seats[4]
    assert all(s.conversational for s in seats[:3]) and not seats[3].conversational


@pytest.mark.slow
@pytest.mark.requires("llama_cpp")
def test_conversation_seats_draft_with_the_real_model(shared_data, smollm_gguf):
    gen = make_generator("DSK", set_cards(shared_data), shared_data)
    spec = f"gguf:model={smollm_gguf},n_threads=1,format=conversation"
    seats, _ = build_seats([spec, spec] + ["heuristic"] * 6, "DSK")
    table = DraftTable.deal(gen, seats, 1, set_code="DSK")
    lengths: dict[int, list[int]] = {0: [], 1: []}
    for _ in range(4):
        ctxs = {s: table.context(s) for s in (0, 1)}
        events = table.step()
        for s in (0, 1):
            rec = events[s].recommendation
            assert events[s].note is None and rec.ok and rec.best == events[s].picked[0]
            n = len(seats[s].prompt_tokens(ctxs[s])[0])
            if lengths[s]:  # only the seat's new turn was evaluated: its conversation stayed in its own cache
                assert seats[s].last_split[0] == n - lengths[s][-1]
            lengths[s].append(n)
    assert seats[0].loads == 1 and seats[1].loads == 1
    for s in seats[:2]:
        s.close()


@pytest.mark.slow
@pytest.mark.requires("llama_cpp")
def test_llm_seats_with_a_temperature_draw_their_picks_and_keep_their_conversations(shared_data, smollm_gguf):
    """`gguf:...,temperature=T` (the simulator panel's LLM bots): each seat draws its pick from the model's
    probabilities instead of always taking its top card, the draw repeats with the seed, and the seat's conversation
    goes on from the card it drew (only the new turn is evaluated at the next pick)."""
    def run():
        gen = make_generator("DSK", set_cards(shared_data), shared_data)
        spec = f"gguf:model={smollm_gguf},n_threads=1,format=conversation,temperature=1000"
        seats, _ = build_seats([spec, spec] + ["heuristic"] * 6, "DSK")
        assert seats[0] is not seats[1] and seats[0].inner is not seats[1].inner
        table = DraftTable.deal(gen, seats, 1, set_code="DSK")
        picks, off_top, lengths = [], 0, {0: [], 1: []}
        for _ in range(4):
            ctxs = {s: table.context(s) for s in (0, 1)}
            events = table.step()
            for s in (0, 1):
                rec = events[s].recommendation
                assert rec.ok and rec.best == events[s].picked[0] and "temperature=1000" in rec.note
                assert all(cs.probability is not None for cs in rec.ranked)  # else the draw stays greedy
                off_top += rec.best != max(rec.ranked, key=lambda cs: cs.probability).card
                picks.append(events[s].picked[0].name)
                n = len(seats[s].inner.prompt_tokens(ctxs[s])[0])
                if lengths[s]:  # the drawn pick is the conversation's answer: the cache still holds all before it
                    assert seats[s].inner.last_split[0] == n - lengths[s][-1]
                lengths[s].append(n)
        for s in seats[:2]:
            s.close()
        return picks, off_top

    picks, off_top = run()
    assert off_top > 0  # nearly uniform draws: 8 picks all on the model's top card would be (1/14)^8 luck
    assert run()[0] == picks  # seeded by the table's draft key, pack and pick
