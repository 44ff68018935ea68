"""The issue's end-to-end check, through the real commands: with an empty shared-data folder and a fresh profile,
`copilot data cards` + `copilot data ratings` for DSK, then `copilot eval --engine ratings` on the DSK picks gives
the same figures as with the files of shared/; `copilot data drafts` survives a dropped connection and writes a
byte-identical file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _run(args, env):
    r = subprocess.run([sys.executable, "-m", "copilot", *args], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"{args}: {r.stderr[-2000:]}"
    return r


def test_fetched_data_replaces_the_shared_files(data_server, shared, shared_data, tmp_path):
    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    empty = tmp_path / "empty-shared"
    empty.mkdir()
    base = {k: v for k, v in os.environ.items() if k not in ("COPILOT_CARD_FILES",)}
    fresh = dict(base, COPILOT_SHARED=str(empty), COPILOT_HOME=str(tmp_path / "fresh"), **data_server.env())
    with_shared = dict(base, COPILOT_SHARED=str(shared), COPILOT_HOME=str(tmp_path / "shared-home"))

    before = json.loads(_run(["eval", "--picks", str(picks), "--engine", "ratings", "--limit", "42", "--json",
                              "--quiet"], fresh).stdout)
    assert before["valid"] == 0.0 and "no 17lands ratings for set DSK" in next(iter(before["errors"]))

    cards = json.loads(_run(["data", "cards", "--set", "DSK", "--json"], fresh).stdout)
    ratings = json.loads(_run(["data", "ratings", "--set", "DSK", "--json"], fresh).stdout)
    assert cards["cards"] == 276 and ratings["rated_cards"] == 276
    got = json.loads(_run(["eval", "--picks", str(picks), "--engine", "ratings", "--json", "--quiet"], fresh).stdout)
    want = json.loads(_run(["eval", "--picks", str(picks), "--engine", "ratings", "--json", "--quiet"],
                           with_shared).stdout)
    assert got["model"] == "DSK_PremierDraft_17lands.json" and want["model"] == "DSK_gih_28d.csv"
    assert got["n"] == want["n"] == 77532
    for key in ("top1", "top3", "valid", "by_pick"):
        assert got[key] == want[key], key
    print(f"\nratings top-1 {got['top1']:.4f} (fetched) vs {want['top1']:.4f} (shared); top-3 {got['top3']:.4f} vs "
          f"{want['top3']:.4f}; card names without card data: {got['unknown_cards']} vs {want['unknown_cards']}")
    assert got["unknown_cards"] == 0  # the Special Guests that set:dsk lacks come from the 17lands card objects

    data_server.inject("/data/", ("drop", 1_000_000), ("drop", 1_000_000))
    drafts = json.loads(_run(["data", "drafts", "--set", "DSK", "--json"], fresh).stdout)
    src = shared_data / "picks" / "DSK" / "draft_data_public.DSK.PremierDraft.dev-sample.csv.gz"
    assert drafts["resumed_from"] == [1_000_000, 2_000_000]
    assert open(drafts["path"], "rb").read() == src.read_bytes()
