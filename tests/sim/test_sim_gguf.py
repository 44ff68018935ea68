"""The table with the real SmolLM2 GGUF engine: shared engine objects are ranked together, the picks are the
model's own choices (no fallback), and per-seat engines (share=0) reuse their seat's KV prefix."""
from __future__ import annotations

import pytest

from _simhelpers import set_cards
from copilot.sim.boosters import make_generator
from copilot.sim.simulation import build_seats
from copilot.sim.table import DraftTable


@pytest.mark.slow
@pytest.mark.requires("llama_cpp")
def test_gguf_seats_draft_with_the_real_model(shared_data, smollm_gguf):
    gen = make_generator("DSK", set_cards(shared_data), shared_data)
    spec = f"gguf:model={smollm_gguf},n_threads=2"
    seats, labels = build_seats([spec, spec, f"{spec},share=0"] + ["heuristic"] * 5, "DSK")
    assert seats[0] is seats[1] and seats[2] is not seats[0]
    table = DraftTable.deal(gen, seats, 1, set_code="DSK")
    for _ in range(3):
        events = table.step()
        for ev in events[:3]:
            rec = ev.recommendation
            assert ev.note is None and rec.ok and rec.engine == "gguf" and rec.tokens_evaluated > 0
            assert rec.best == ev.picked[0] and len(rec.ranked) == len(set(c.name for c in ev.pack_cards))
    own = [e.recommendation.tokens_evaluated for e in table.state[2].picks]
    assert own[2] < own[0]  # the seat's own engine re-evaluates only what changed since its last pick
    assert seats[0].loads == 1 and seats[2].loads == 1
    for s in {id(s): s for s in seats}.values():
        s.close()
