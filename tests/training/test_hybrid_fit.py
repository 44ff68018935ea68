"""Fitting the hybrid engine on real DSK picks with real parts (ratings, heuristic, random): the maximum-likelihood
weights, the held-out report, the weights file the engine reads, `copilot hybrid fit` and `copilot eval --half`."""
from __future__ import annotations

import json

import pytest

from copilot.cli import main as cli_main
from copilot.training import hybrid_fit as hf

PARTS = ["ratings", "heuristic", "random"]


@pytest.fixture(scope="module")
def picks(shared_data, tmp_path_factory):
    """The first 24 real DSK dev drafts (reading the whole 77k-pick file would dominate these tests)."""
    import gzip
    from itertools import islice

    out = tmp_path_factory.mktemp("picks") / "dsk24.jsonl"
    with gzip.open(shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz", "rt") as fh:
        out.write_text("".join(islice(fh, 24 * 42)))
    return out


@pytest.fixture(scope="module")
def data(picks):
    from copilot.cards.catalog import default_catalog
    from copilot.picking.registry import create_engine

    engines = {p: create_engine(p, {"seed": 1} if p == "random" else {}) for p in PARTS}
    return hf.collect(picks, engines, default_catalog(), sample=16, seed=3)


def test_collected_scores(data):
    assert len(data) == 16 * 42 and {d.half for d in data} == {0, 1}
    for d in data[:50]:
        assert d.target is not None and all(len(d.parts[p]) == len(d.names) for p in PARTS)


def test_maximum_likelihood_weights(data):
    fit = [d for d in data if d.half == 0]
    w, info = hf.fit_weights(fit, PARTS)
    assert info["picks"] == len(fit) and info["newton_steps"] >= 2
    # the informative parts weigh; random noise gets (almost) nothing
    assert w["ratings"] > 0.05 and w["heuristic"] > 0.05
    assert abs(w["random"]) < 0.2 * max(w["ratings"], w["heuristic"])
    assert info["nll_per_pick"] < info["nll_per_pick_equal_weights"]
    # an optimum: nudging any weight lowers the penalised likelihood
    import numpy as np

    z, mask, target = hf._arrays(hf.usable(fit, PARTS), PARTS)
    base = np.array([w[p] for p in PARTS])
    best = hf._nll(base, z, mask, target, hf.L2)[0]
    for j in range(len(PARTS)):
        for eps in (-0.02, 0.02):
            nudged = base.copy()
            nudged[j] += eps
            assert hf._nll(nudged, z, mask, target, hf.L2)[0] >= best - 1e-6


def test_report_on_the_other_half(data):
    w, _ = hf.fit_weights([d for d in data if d.half == 0], PARTS)
    rows = {r["engine"]: r for r in hf.report(data, PARTS, w, half=1)}
    n = sum(1 for d in data if d.half == 1)
    assert all(r["n"] == n for r in rows.values())
    assert rows["hybrid (fitted)"]["loglik_per_pick"] >= rows["hybrid (equal weights)"]["loglik_per_pick"]
    assert rows["hybrid (fitted)"]["top1"] >= rows["random"]["top1"]
    # a part alone ranks as that engine does: its top-1 over these picks is the engine's own answer
    held = [d for d in data if d.half == 1]
    hits = sum(max(range(len(d.names)), key=lambda i: (d.parts["ratings"][i], -i)) == d.target for d in held)
    assert rows["ratings"]["top1"] == round(hits / len(held), 4)


def test_cli_fit_then_eval_on_the_other_half(picks, tmp_path, capsys):
    out = tmp_path / "w.json"
    scores = tmp_path / "scores.jsonl"
    rc = cli_main(["hybrid", "fit", "--picks", str(picks), "--out", str(out), "--parts", "ratings,heuristic,random",
                   "--opt", "random.seed=1", "--sample", "8", "--seed", "3", "--scores", str(scores), "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "held-out half 1" in text and "hybrid (fitted)" in text and "ratings" in text
    doc = json.loads(out.read_text())
    assert doc["kind"] == "magic-copilot.hybrid-weights" and set(doc["weights"]) == set(PARTS)
    assert doc["part_options"]["random"] == {"seed": "1"} and doc["fitted_on"]["half"] == 0
    # refit from the saved scores: no engine runs, the same weights
    again = tmp_path / "w2.json"
    assert cli_main(["hybrid", "fit", "--picks", str(picks), "--out", str(again), "--from-scores", str(scores),
                     "--parts", "ratings,heuristic,random", "--quiet"]) == 0
    assert json.loads(again.read_text())["weights"] == doc["weights"]
    capsys.readouterr()
    # the engine reads the file; `copilot eval --half 1` measures it on drafts it was not fitted on
    rc = cli_main(["eval", "--picks", str(picks), "--engine", "hybrid", "--engine", "ratings", "--opt",
                   f"hybrid.weights={out}", "--sample", "2", "--seed", "5", "--half", "1", "--json", "--quiet"])
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["half"] == 1 and rep["picks"] == 84
    hyb = next(e for e in rep["engines"] if e["engine"] == "hybrid")
    assert hyb["valid"] == 1.0 and hyb["top1"] is not None
    from copilot.datasets.evaluate import draft_half, sample_drafts

    chosen = sample_drafts(picks, 2, 5, half=1)
    assert len(chosen) == 2 and all(draft_half(d) == 1 for d in chosen)


def test_cli_refuses_bad_input(picks, tmp_path, capsys):
    assert cli_main(["hybrid", "fit", "--picks", str(picks), "--out", str(tmp_path / "w.json"),
                     "--opt", "gguf-model=x", "--parts", "ratings"]) == 2
    assert "expected PART.KEY=VALUE" in capsys.readouterr().err
    assert cli_main(["hybrid", "fit", "--picks", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "w.json"),
                     "--parts", "ratings"]) == 2
    assert "not found" in capsys.readouterr().err
    assert cli_main(["hybrid", "fit", "--picks", str(picks), "--out", str(tmp_path / "w.json"), "--parts",
                     "ratings,mlp", "--opt", f"mlp.model={tmp_path / 'none.pt'}"]) == 2
    assert "engine 'mlp' is unavailable" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


def test_an_interrupted_collection_resumes_from_its_scores_file(picks, tmp_path, capsys):
    args = ["hybrid", "fit", "--picks", str(picks), "--parts", "ratings,heuristic", "--sample", "6", "--seed", "2",
            "--force"]
    scores = tmp_path / "scores.jsonl"
    assert cli_main([*args, "--out", str(tmp_path / "w.json"), "--scores", str(scores), "--quiet"]) == 0
    whole = scores.read_text().splitlines()
    assert len(whole) == 6 * 42 and len({json.loads(line)["draft_id"] for line in whole}) == 6
    # killed while writing its third draft: two whole drafts, ten picks of the third and a line cut short
    scores.write_text("\n".join(whole[:2 * 42 + 10]) + "\n" + whole[2 * 42 + 10][:120])
    capsys.readouterr()
    assert cli_main([*args, "--out", str(tmp_path / "w2.json"), "--scores", str(scores)]) == 0
    assert "2 drafts (84 picks) already scored" in capsys.readouterr().err
    resumed = scores.read_text().splitlines()
    assert sorted(resumed) == sorted(whole)  # nothing lost, nothing scored twice
    weights = [json.loads((tmp_path / n).read_text())["weights"] for n in ("w.json", "w2.json")]
    assert weights[0] == weights[1]
    # scores of other parts are never mixed into the file
    assert cli_main([*args, "--out", str(tmp_path / "w3.json"), "--scores", str(scores), "--parts",
                     "ratings,random"]) == 2
    assert "holds scores of another setup" in capsys.readouterr().err
    assert scores.read_text().splitlines() == resumed
