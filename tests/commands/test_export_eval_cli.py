"""`copilot export RUN --eval N --activate`: from a terminal what the training panel's Evaluate & export does.

A real pipeline: `copilot dataset build` on the DSK dev picks, a smoke `copilot train` followed as JSON lines, then
the export that merges, quantizes, registers, ranks N held-out validation picks through the gguf engine, records the
figures in the model store and activates the model.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from copilot.progress import EventKind, ProgressEvent

pytest.importorskip("torch")
pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.slow


def cli(*args, env, timeout=900):
    return subprocess.run([sys.executable, "-m", "copilot", *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def events(stdout: str) -> list[ProgressEvent]:
    return [e for e in map(ProgressEvent.parse, stdout.splitlines()) if e is not None]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, smollm_gguf, shared_data):
    root = tmp_path_factory.mktemp("export-eval")
    env = dict(os.environ, COPILOT_HOME=str(root / "home"), COPILOT_SMOLLM_GGUF=str(smollm_gguf))
    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    ds = root / "ds"
    r = cli("dataset", "build", "--picks", str(picks), "--out", str(ds), "--max-drafts", "4", "--val-drafts", "1",
            "--quiet", env=env)
    assert r.returncode == 0, r.stderr
    run = root / "run"
    r = cli("train", "--preset", "smoke", "--dataset", str(ds), "--out", str(run), "--steps", "4",
            "--set", "save_every=2", "--set", "eval_examples=0", "--json-progress", env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    evs = events(r.stdout)
    kinds = [e.kind for e in evs]
    assert kinds[0] is EventKind.STARTED and evs[0].data["run"] == str(run)
    assert evs[0].data["config"]["max_steps"] == 4
    assert [e.data["step"] for e in evs if e.kind is EventKind.METRICS] == [1, 2, 3, 4]
    assert kinds[-1] is EventKind.RESULT and evs[-1].data["state"] == "done" and evs[-1].data["exit_code"] == 0
    return env, run, root


def test_export_evaluates_held_out_picks_records_them_and_activates(trained):
    env, run, root = trained
    store = root / "store"
    r = cli("export", str(run), "--quant", "Q8_0", "--eval", "12", "--activate", "--store", str(store),
            "--threads", "2", "--json-progress", env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    evs = events(r.stdout)
    result = evs[-1]
    assert result.kind is EventKind.RESULT
    d = result.data
    assert d["active"] == d["model"] == d["registered"]["Q8_0"]
    ev = d["eval"]
    assert ev["error"] is None and ev["n"] == 12 and 0 <= ev["top1"] <= ev["top3"] <= 1
    assert ev["picks_file"].endswith("val.picks.jsonl")
    print(f"smoke model on 12 held-out picks: top-1 {ev['top1']:.3f}, top-3 {ev['top3']:.3f}")

    from copilot.store.model_store import ModelStore

    s = ModelStore(store)
    entry = s.get(d["model"])
    assert s.active().name == d["model"] and entry.active
    assert entry.manifest["eval"]["n"] == 12 and entry.manifest["eval"]["top1"] == ev["top1"]
    listed = cli("models", "list", "--store", str(store), "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    row = next(m for m in json.loads(listed.stdout[listed.stdout.index("["):]) if m["name"] == d["model"])
    assert row["active"] and row["manifest"]["eval"]["n"] == 12

    # the same command in text mode: what a terminal user reads
    r = cli("export", str(run), "--quant", "Q8_0", "--name", "again", "--eval", "5", "--activate", "--store",
            str(store), "--threads", "2", env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "on 5 held-out validation picks" in r.stdout and "top-1" in r.stdout
    assert "again-q8-0 is now the active model" in r.stdout


def test_export_without_held_out_picks_says_why_and_still_exports(trained, tmp_path):
    env, run, root = trained
    cfg = json.loads((run / "config.json").read_text())
    (root / "ds" / "val.picks.jsonl").rename(root / "val.picks.jsonl.bak")
    try:
        r = cli("export", str(run), "--quant", "Q8_0", "--name", "nopicks", "--eval", "5", "--store",
                str(tmp_path / "store"), "--json-progress", env=env)
    finally:
        (root / "val.picks.jsonl.bak").rename(root / "ds" / "val.picks.jsonl")
    assert r.returncode == 0, r.stderr[-3000:]
    d = events(r.stdout)[-1].data
    assert d["registered"] == {"Q8_0": "nopicks-q8-0"} and d["active"] is None
    assert "no val.picks.jsonl" in d["eval"]["error"] and cfg["dataset"] in d["eval"]["error"]


def test_the_evaluation_says_how_often_the_model_took_the_first_card_listed(smollm_gguf, shared_data):
    """A format that lists packs in an engine's order: the figures say how often the model's pick was the first card
    listed and what always taking it scores. With order=pick that card is the ratings engine's top card, so both
    figures are checked against the ratings engine run beside the same model."""
    from copilot.cards.catalog import default_catalog
    from copilot.commands.export_eval import evaluate_gguf
    from copilot.datasets.evaluate import evaluate
    from copilot.picking.registry import create_engine

    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    spec = "conversation:answer=label,colours=1,knowledge=name,order=pick,repeat=1"
    figures = evaluate_gguf(smollm_gguf, spec, picks, 8, 2, None)
    first = figures["first_listed"]
    engines = [create_engine("gguf", {"model": str(smollm_gguf), "format": spec, "n_threads": 2}),
               create_engine("ratings", {})]
    try:
        model, ratings = evaluate(picks, engines, default_catalog(), limit=8).to_dict()["engines"]
    finally:
        engines[0].close()
    assert figures["n"] == 8 and figures["top1"] == model["top1"]
    assert first["top1"] == ratings["top1"] and first["model_picked_it"] == ratings["same_top_as_first"]
    assert 0.0 <= first["model_picked_it"] <= 1.0
    assert "first_listed" not in evaluate_gguf(smollm_gguf, "v1", picks, 2, 2, None)
