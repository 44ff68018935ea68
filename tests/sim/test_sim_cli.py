"""`copilot simulate`: the JSON document, a human seat from piped stdin, deck export, human comparison."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from copilot.cli import main


def _run_json(capsys, *argv, progress: list | None = None):
    assert main(["simulate", *argv, "--json"]) == 0
    captured = capsys.readouterr()
    if progress is not None:
        progress.extend(line for line in captured.err.splitlines() if line.startswith("draft "))
    return json.loads(captured.out)


def test_json_document_shape_and_invariants(capsys, shared_data):
    progress: list = []
    doc = _run_json(capsys, "--set", "DSK", "--seat", "random:seed=1", "--seat", "ratings:prefer=G",
                    "--drafts", "2", "--seed", "5", progress=progress)
    assert len(doc["drafts"]) == 2
    assert [line.split(" (")[0] for line in progress] == ["draft 1/2 done", "draft 2/2 done"]  # on stderr
    for d in doc["drafts"]:
        assert len(d["seats"]) == 8
        engines = [s["engine"] for s in d["seats"]]
        assert engines[0] == "random:seed=1" and engines[1] == "ratings:prefer=G"
        assert all(e in ("ratings", "heuristic") for e in engines[2:])
        for s in d["seats"]:
            assert len(s["picks"]) == 42 and len(s["pool"]) == 42
            assert [p["pack"] for p in s["picks"]] == [1] * 14 + [2] * 14 + [3] * 14
            assert [p["pick"] for p in s["picks"]] == list(range(1, 15)) * 3
            for p in s["picks"]:
                assert len(p["pack_cards"]) == 15 - p["pick"]
                assert not Counter(p["picked"]) - Counter(p["pack_cards"])
            assert [n for p in s["picks"] for n in p["picked"]] == s["pool"]
            assert s["deck"]["size"] == 40
    st = doc["stats"]
    assert st["drafts"] == 2 and st["all_seats"]["pools"] == 16
    assert set(st["by_engine"]) >= {"random:seed=1", "ratings:prefer=G"}
    assert 0 < st["all_seats"]["top2_share"] <= 1 and "contested" in st["all_seats"]
    # same seed, same document
    again = _run_json(capsys, "--set", "DSK", "--seat", "random:seed=1", "--seat", "ratings:prefer=G",
                      "--drafts", "2", "--seed", "5")
    assert again == doc


def test_human_seat_reads_numbers_from_piped_stdin(shared_data):
    # first answer is garbage and the second out of range: both are asked again
    answers = "x\n99\n" + "1\n" * 42
    r = subprocess.run([sys.executable, "-m", "copilot", "simulate", "--set", "DSK", "--seat", "human",
                        "--seat", "random", "--seed", "3", "--json"], input=answers, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads(r.stdout)
    me = doc["drafts"][0]["seats"][0]
    assert me["engine"] == "human"
    assert all(p["picked"] == [p["pack_cards"][0]] for p in me["picks"])
    assert r.stderr.count("Pack 1 pick 1 ") == 1 and "please type 1 different number" in r.stderr
    assert " 1. " in r.stderr and "your pick" in r.stderr

    short = subprocess.run([sys.executable, "-m", "copilot", "simulate", "--set", "DSK", "--seat", "human"],
                           input="1\n2\n", capture_output=True, text=True, timeout=120)
    assert short.returncode == 1 and "no more input" in short.stderr


def test_deck_export_in_arena_format(tmp_path, capsys, shared_data):
    out = tmp_path / "deck.txt"
    assert main(["simulate", "--set", "OTJ", "--seed", "2", "--deck", "3", "--deck-out", str(out)]) == 0
    text = out.read_text()
    lines = text.splitlines()
    assert lines[0] == "Deck"
    main_part = lines[1:lines.index("")] if "" in lines else lines[1:]
    total = sum(int(line.split(" ", 1)[0]) for line in main_part)
    assert total == 40
    assert "Sideboard" in lines
    printed = capsys.readouterr().out
    assert "seat 3" in printed and "top2" in printed


def test_bad_arguments_are_reported_not_raised(capsys, shared_data):
    assert main(["simulate", "--set", "NOPE"]) == 2
    assert main(["simulate", "--set", "DSK", "--seat", "nosuchengine"]) == 2
    assert main(["simulate", "--set", "DSK", "--seat", "ratings:oops"]) == 2
    err = capsys.readouterr().err
    assert "NOPE" in err and "nosuchengine" in err and "oops" in err


def test_human_comparison_from_real_dsk_picks(capsys, shared_data):
    doc = _run_json(capsys, "--set", "DSK", "--seat", "random", "--humans")
    h = doc["stats"]["humans"]
    assert h["pools"] == 1846 and h["unknown_names"] == 0
    assert abs(h["top2_share"] - 0.784) < 0.002  # the figure SOURCES.md quotes for these drafts
    assert 0 < h["mono_rate"] < 0.2
