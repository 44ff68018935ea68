"""Pick-accuracy evaluation on the real DSK dev picks (small limits) and the `copilot eval` command."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from copilot.datasets.evaluate import evaluate, format_table, percentile, sample_drafts
from copilot.picking.heuristic_engine import HeuristicEngine
from copilot.picking.random_engine import RandomEngine
from copilot.picking.ratings_engine import RatingsEngine
from copilot.datasets import iter_pick_rows

from dsk_cards import NameCatalog, load_dsk_cards


@pytest.fixture(scope="module")
def picks(shared_data):
    return shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"


@pytest.fixture(scope="module")
def catalog(shared_data):
    return NameCatalog(load_dsk_cards(shared_data))


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([3, 1, 2], 50) == 2
    assert percentile(list(range(1, 101)), 95) == 95


def test_random_near_chance_and_ratings_beat_it(picks, catalog, shared_data):
    n = 420  # 10 whole drafts
    rows = list(iter_pick_rows(picks, limit=n))
    chance = sum(1 / len(r.pack) for r in rows) / n
    chance3 = sum(min(3, len(r.pack)) / len(r.pack) for r in rows) / n
    ratings = RatingsEngine.from_options({"ratings": str(shared_data / "ratings/derived_gih_28d/DSK_gih_28d.csv")})
    report = evaluate(picks, [RandomEngine(0), ratings, HeuristicEngine()], catalog, limit=n)
    rnd, rat, heur = (s.to_dict() for s in report.scores)
    assert report.picks == n and report.drafts == 10
    assert rnd["n"] == rat["n"] == n and rnd["valid"] == rat["valid"] == heur["valid"] == 1.0
    assert abs(rnd["top1"] - chance) < 0.06, (rnd["top1"], chance)  # binomial sd at n=420 is about 0.02
    assert abs(rnd["top3"] - chance3) < 0.08
    assert rat["top1"] > rnd["top1"] + 0.12 and rat["top3"] > rnd["top3"] + 0.12
    assert heur["top1"] > rnd["top1"] + 0.08
    # buckets add up, late picks are easier for everyone (the last pick is forced)
    assert sum(b["n"] for b in rat["by_pick"].values()) == n
    assert rnd["by_pick"]["9+"]["top1"] > rnd["by_pick"]["1-3"]["top1"]
    assert rat["latency_ms"]["p50"] is not None and rat["latency_ms"]["p95"] >= rat["latency_ms"]["p50"]
    table = format_table(report)
    assert "random" in table and "ratings" in table and "420 picks from 10 drafts" in table
    # how often each engine's top card is the first engine's: counted pick by pick
    assert "same_top_as_first" not in rnd and 0 < rat["same_top_as_first"] < 0.5
    same = evaluate(picks, [ratings, ratings], catalog, limit=84)
    assert same.scores[1].to_dict()["same_top_as_first"] == 1.0 and same.scores[1].agree_n == 84
    assert "ratings: the same top card as ratings at 100.0% of 84 picks" in format_table(same)


def test_sample_is_whole_drafts_in_order_and_seeded(picks, catalog):
    a = sample_drafts(picks, 3, seed=7, limit=2100)
    assert a == sample_drafts(picks, 3, seed=7, limit=2100) and a != sample_drafts(picks, 3, seed=8, limit=2100)
    report = evaluate(picks, [RandomEngine(0)], catalog, limit=2100, sample=3, seed=7)
    assert report.drafts == 3 and report.picks == 3 * 42
    assert report.sample["drafts"] == 3 and report.sample["seed"] == 7


def test_invalid_answers_are_counted(picks, catalog):
    class Failing(RandomEngine):
        name = "failing"

        def rank(self, ctx):
            raise RuntimeError("model file not found")

    d = evaluate(picks, [Failing()], catalog, limit=20).scores[0].to_dict()
    assert d["valid"] == 0.0 and d["top1"] == 0.0 and d["errors"] == {"RuntimeError: model file not found": 20}


@pytest.mark.slow  # the first default_catalog() build in a fresh COPILOT_HOME takes 5-15 s here
def test_eval_cli_json(picks, shared_data, tmp_path, monkeypatch, capsys):
    from copilot.cli import main

    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    assert main(["eval", "--picks", str(picks), "--engine", "random", "--engine", "ratings", "--limit", "84",
                 "--json"]) == 0
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert doc["picks"] == 84 and [e["engine"] for e in doc["engines"]] == ["random", "ratings"]
    for e in doc["engines"]:
        assert {"engine", "n", "top1", "top3", "valid", "latency_ms"} <= set(e) and set(e["latency_ms"]) >= {"p50", "p95"}
        assert e["n"] == 84 and e["valid"] == 1.0
    assert "eval:" in out.err  # progress goes to stderr
    assert main(["eval", "--picks", str(picks), "--engine", "ratings", "--ratings",
                 str(shared_data / "ratings/derived_gih_28d/DSK_gih_28d.csv"), "--limit", "42", "--json",
                 "--quiet"]) == 0
    out = capsys.readouterr()
    assert out.err == "" and json.loads(out.out)["engine"] == "ratings"
    assert main(["eval", "--picks", str(picks), "--limit", "42"]) == 0
    assert "top1" in capsys.readouterr().out  # the table, ratings by default


def test_eval_hides_a_sets_ratings_as_on_its_first_day(picks, tmp_path, monkeypatch, capsys):
    """`--hide-ratings DSK`: no engine finds DSK's 17lands ratings in this process (the day-one measurement); the
    report says so, and the heuristic, which never reads ratings, ranks as before."""
    from copilot.cli import main
    from copilot.picking import ratings as ratings_module

    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    monkeypatch.setattr(ratings_module, "_WITHHELD", set())
    args = ["eval", "--picks", str(picks), "--engine", "ratings", "--engine", "heuristic", "--limit", "42",
            "--json", "--quiet"]
    assert main(args) == 0
    before = {e["engine"]: e for e in json.loads(capsys.readouterr().out)["engines"]}
    assert before["ratings"]["valid"] == 1.0
    assert main([*args, "--hide-ratings", "dsk"]) == 0
    doc = json.loads(capsys.readouterr().out)
    after = {e["engine"]: e for e in doc["engines"]}
    assert doc["ratings_hidden"] == ["DSK"] and ratings_module.find_ratings("DSK") is None
    assert after["ratings"]["valid"] == 0.0 and "no 17lands ratings for set DSK" in json.dumps(after["ratings"])
    assert after["heuristic"]["top1"] == before["heuristic"]["top1"]


def test_eval_cli_errors(picks, tmp_path, monkeypatch, capsys):
    from copilot.cli import main

    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    assert main(["eval", "--picks", str(tmp_path / "none.csv")]) == 2
    assert "picks file not found" in capsys.readouterr().err
    assert main(["eval", "--picks", str(picks), "--engine", "nope"]) == 2
    assert "known engines" in capsys.readouterr().err
    assert main(["eval", "--picks", str(picks), "--engine", "gguf", "--model", str(tmp_path / "x.gguf")]) == 2
    assert "x.gguf does not exist" in capsys.readouterr().err
    assert main(["eval", "--picks", str(picks), "--opt", "bad"]) == 2
    assert "ENGINE.KEY=VALUE" in capsys.readouterr().err


def test_cli_help_lists_eval():
    r = subprocess.run([sys.executable, "-m", "copilot", "eval", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--sample" in r.stdout and "--engine" in r.stdout


def test_interrupt_reports_partial_figures(picks, catalog):
    class StopsAfter(RandomEngine):
        name = "stops"
        calls = 0

        def rank(self, ctx):
            StopsAfter.calls += 1
            if StopsAfter.calls > 10:
                raise KeyboardInterrupt
            return super().rank(ctx)

    report = evaluate(picks, [StopsAfter(0)], catalog, limit=100)
    assert report.interrupted and report.picks == 10 and report.scores[0].n == 10
    assert "INTERRUPTED" in format_table(report) and report.to_dict()["interrupted"] is True
