"""`copilot deck` on the real fixture logs (in-process through the CLI's main)."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from copilot.cli import main


def run(capsys, *args):
    rc = main(["deck", *map(str, args)])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_json_per_draft_with_registered_deck(capsys, arena_logs, shared):
    rc, out, _ = run(capsys, arena_logs / "premier-draft-2026-DSK-grepped.log",
                     arena_logs / "premier-draft-2026-ECL.log", "--engine", "ratings", "--json")
    assert rc == 0
    doc = json.loads(out)
    assert doc["engine"] == "ratings" and len(doc["drafts"]) == 2
    events = [d["event"] for d in doc["drafts"]]
    assert events == ["PremierDraft_DSK_20260721", "PremierDraft_ECL_20260120"]
    for d in doc["drafts"]:
        assert {"event", "suggested", "registered", "shared", "registered_spells"} <= set(d)
        assert len(d["suggested"]) == 40 and len(d["registered"]) == 40
        assert d["registered_spells"] == 23 and 0 <= d["shared"] <= 23
        assert d["mana_problems"] == [] and d["arena"].startswith("Deck\n")
        assert 2 <= len(d["deck"]["alternatives"]) <= 3
        reg, sug = Counter(d["registered"]), Counter(d["suggested"])
        assert d["shared"] <= sum((reg & sug).values())  # lands are left out of the count
    dsk, ecl = doc["drafts"]
    assert dsk["engine"] == "ratings" and dsk["shared"] >= 20
    assert ecl["engine"] == "heuristic" and "no 17lands ratings for set ECL" in ecl["engine_note"]


def test_text_report_and_average(capsys, arena_logs, shared):
    rc, out, _ = run(capsys, *[arena_logs / f"quick-draft-2026-ECL.part{i}.log" for i in (1, 2, 3)],
                     "--engine", "heuristic", "--arena")
    assert rc == 0
    assert "QuickDraft_ECL_20260223" in out and "registered deck: 40 cards, 23 non-land" in out
    assert "alternatives:" in out and "    Deck" in out and "    Sideboard" in out
    assert out.strip().splitlines()[-1].startswith("1 registered deck(s): the suggestions share ")


def test_sealed_whole_pool_registration_is_left_out_of_the_total(capsys, arena_logs, shared):
    rc, out, _ = run(capsys, arena_logs / "sealed-2026-SOS-join-pool.log", arena_logs / "sealed-2026-SOS-deckbuild.log",
                     "--engine", "ratings", "--json")
    assert rc == 0
    d = json.loads(out)["drafts"][0]
    assert d["kind"] == "sealed" and d["pool_size"] == 85 and d["whole_pool"] is True
    assert d["registered_size"] == 95


def test_clear_errors(capsys, arena_logs, tmp_path):
    rc, _, err = run(capsys, tmp_path / "nope.log")
    assert rc == 2 and "no such file" in err
    rc, _, err = run(capsys, arena_logs / "detailed-logs-disabled-2026.log")
    assert rc == 1 and "no completed draft or Sealed pool" in err
    rc, _, err = run(capsys, arena_logs / "premier-draft-2026-ECL.log", "--opt", "mlp.model")
    assert rc == 2 and "expected ENGINE.KEY=VALUE" in err


@pytest.mark.parametrize("engine", ["random"])
def test_any_engine_scores_the_pool(capsys, arena_logs, shared, engine):
    rc, out, _ = run(capsys, arena_logs / "trad-draft-2021-VOW.log", "--engine", engine, "--json")
    d = json.loads(out)["drafts"][0]
    assert rc == 0 and d["engine"] == engine and d["mana_problems"] == []
