"""The hybrid engine with real parts (ratings, heuristic, random; the LLM parts in tests/training/test_hybrid_fit.py
and the slow end-to-end test) on real DSK packs: normalisation, weights, the agreement note, failing parts."""
from __future__ import annotations

import json
import math

import pytest

from copilot.datasets import iter_contexts
from copilot.picking.engine import Recommendation, safe_rank
from copilot.picking.hybrid_engine import WEIGHTS_KIND, HybridEngine, HybridError, HybridWeights, part_logprobs
from copilot.picking.registry import EngineUnavailable, create_engine

from dsk_cards import NameCatalog, load_dsk_cards


@pytest.fixture(scope="module")
def contexts(shared_data):
    path = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    return [c for _, c in iter_contexts(path, NameCatalog(load_dsk_cards(shared_data)), limit=42)]


def _weights_file(tmp_path, weights, part_options=None, name="w.json"):
    p = tmp_path / name
    p.write_text(json.dumps({"kind": WEIGHTS_KIND, "version": 1, "weights": weights,
                             "part_options": part_options or {}}))
    return p


def test_part_logprobs_are_normalised_over_the_distinct_cards(contexts):
    ctx = contexts[3]
    names = list(dict.fromkeys(c.name for c in ctx.pack))
    rec = safe_rank(create_engine("ratings"), ctx)
    lp = part_logprobs(rec, names)
    assert set(lp) == set(names)
    assert math.log(sum(math.exp(v) for v in lp.values())) == pytest.approx(0.0, abs=1e-9)
    best = max(lp, key=lp.get)
    assert best == rec.ranked[0].card.name
    assert part_logprobs(Recommendation(engine="x", error="boom"), names) is None
    assert part_logprobs(Recommendation(engine="x", ranked=rec.ranked[:2]), names) is None  # not every card


def test_ranks_the_pack_and_says_who_agreed(contexts):
    e = HybridEngine.from_options({"parts": "ratings,heuristic"})
    agreed = disagreed = 0
    for ctx in contexts[:14]:
        rec = e.rank(ctx)
        assert rec.ok and rec.engine == "hybrid"
        assert {s.card.name for s in rec.ranked} == {c.name for c in ctx.pack}
        assert sum(s.probability for s in rec.ranked) == pytest.approx(1.0)
        assert "not fitted" in rec.note and "ratings 1.00" in rec.note
        r = safe_rank(create_engine("ratings"), ctx).ranked[0].card.name
        h = safe_rank(create_engine("heuristic"), ctx).ranked[0].card.name
        if r == h:
            assert rec.note.startswith(f"ratings and heuristic agree on {r}")
            agreed += 1
        else:
            assert f"ratings: {r}" in rec.note and f"heuristic: {h}" in rec.note
            disagreed += 1
    assert agreed and disagreed  # both cases occur on this real draft


def test_weights_decide(contexts, tmp_path):
    only_ratings = HybridEngine.from_options({"weights": _weights_file(tmp_path, {"ratings": 1.0, "heuristic": 0.0})})
    for ctx in contexts[:6]:
        want = list(dict.fromkeys(s.card.name for s in safe_rank(create_engine("ratings"), ctx).ranked))
        got = [s.card.name for s in only_ratings.rank(ctx).ranked]
        assert got == want
    assert only_ratings.weights.fitted and only_ratings.model_label == "ratings:1+heuristic:0"


def test_a_failing_part_is_left_out_and_named(contexts, tmp_path):
    e = HybridEngine.from_options({"parts": "ratings,mlp", "mlp.model": str(tmp_path / "missing.pt")})
    assert e.available() == (True, "")
    rec = e.rank(contexts[0])
    assert rec.ok
    assert "mlp failed" in rec.note and "missing.pt" in rec.note
    broken = HybridEngine.from_options({"parts": "mlp", "mlp.model": str(tmp_path / "missing.pt")})
    ok, why = broken.available()
    assert not ok and "no part of the hybrid is available" in why
    assert broken.rank(contexts[0]).error.startswith("every part of the hybrid failed")


def test_weights_file_errors(tmp_path):
    with pytest.raises(HybridError, match="not found"):
        HybridWeights.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"weights": {"ratings": 1}}')
    with pytest.raises(HybridError, match="not a hybrid weights file"):
        HybridWeights.load(bad)
    w = _weights_file(tmp_path, {"ratings": 1.0})
    with pytest.raises(HybridError, match="no weight for part.*heuristic"):
        HybridEngine.from_options({"weights": w, "parts": "ratings,heuristic"})
    with pytest.raises(EngineUnavailable, match="hybrid"):
        create_engine("hybrid", {"weights": str(bad)})
    with pytest.raises(HybridError, match="part of itself"):
        HybridEngine.from_options({"parts": "ratings,hybrid"})
    with pytest.raises(EngineUnavailable, match="engine 'hybrid': part mlp: .*needs a model file.*hybrid.mlp.KEY"):
        create_engine("hybrid", {"parts": "ratings,mlp"})


def test_part_options_come_from_the_file_and_can_be_overridden(tmp_path, shared_data, contexts):
    gih = shared_data / "ratings" / "derived_gih_28d" / "DSK_gih_28d.csv"
    w = _weights_file(tmp_path, {"ratings": 1.0, "random": 0.5}, {"ratings": {"ratings": str(gih)},
                                                                    "random": {"seed": 7}})
    e = HybridEngine.from_options({"weights": w})
    assert e.parts["ratings"]._path == gih and e.parts["random"].seed == 7
    e2 = HybridEngine.from_options({"weights": w, "random.seed": "9"})
    assert e2.parts["random"].seed == 9
    assert e2.rank(contexts[0]).ok
