"""`copilot live` on real logs: --once in process, the follow mode in a subprocess stopped with Ctrl-C."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from copilot.cli import main
from copilot.live.persist import load_session
from .writer import cut_after

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("COPILOT_ARENA_LOG", raising=False)


@pytest.fixture(scope="module")
def cards(shared_data) -> Path:
    p = shared_data / "cards" / "17lands_cards.csv.gz"
    if not p.exists():
        pytest.skip(f"{p} missing")
    return p


def run_json(capsys, *argv) -> tuple[int, list[dict]]:
    rc = main(["live", *map(str, argv)])
    out = capsys.readouterr().out
    return rc, [json.loads(line) for line in out.splitlines() if line.strip()]


def test_once_json_whole_draft(arena_logs, tmp_path, capsys, cards):
    log = tmp_path / "Player.log"
    log.write_bytes((arena_logs / "premier-draft-2026-ECL.log").read_bytes())
    rc, rows = run_json(capsys, "--once", "--log", log, "--json", "--cards", cards, "--no-prev")
    assert rc == 0
    kinds = [r["type"] for r in rows]
    assert kinds[:2] == ["loading", "start"] and kinds[-1] == "summary"
    draft = next(r for r in rows if r["type"] == "draft")
    assert (draft["event"], draft["set"], draft["format"]) == ("PremierDraft_ECL_20260120", "ECL", "PremierDraft")
    picks = [r for r in rows if r["type"] == "pick"]
    assert len(picks) == 39 and [p["pool_size"] for p in picks] == list(range(1, 40))
    assert picks[1]["names"] == ["Pestered Wellguard"] and picks[1]["picked"][0] in picks[1]["pack_cards"]
    assert {"complete", "deck", "finished"} <= set(kinds)
    assert load_session(tmp_path / "home" / "live_state.json") is not None


def test_once_mid_draft_recommends_from_the_pack(arena_logs, tmp_path, capsys, cards):
    data = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    log = tmp_path / "Player.log"
    log.write_bytes(data[:cut_after(data, b"Draft.Notify", 20)])
    rc, rows = run_json(capsys, "--once", "--log", log, "--json", "--cards", cards, "--engine", "heuristic")
    assert rc == 0
    pack = [r for r in rows if r["type"] == "pack"][-1]
    assert (pack["pack"], pack["pick"]) == (2, 8) and len(pack["cards"]) == 6
    rec = pack["recommendation"]
    assert rec["engine"] == "heuristic" and rec["error"] is None
    assert {x["name"] for x in rec["ranked"]} <= set(pack["names"]) and len(rec["ranked"]) == 3


def test_once_text_output(arena_logs, tmp_path, capsys, cards):
    data = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    log = tmp_path / "Player.log"
    log.write_bytes(data[:cut_after(data, b"Draft.Notify", 20)])
    assert main(["live", "--once", "--log", str(log), "--cards", str(cards), "--engine", "random"]) == 0
    out = capsys.readouterr().out
    assert "== PremierDraft_ECL_20260120  set ECL  format PremierDraft" in out
    assert "P1p2 picked: Pestered Wellguard   (pool 2)" in out
    assert "-- P2p8 pack (6):" in out and "Pick: " in out


def test_no_log_found_exits_2_listing_places(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("WINEPREFIX", raising=False)
    monkeypatch.delenv("STEAM_ROOT", raising=False)
    assert main(["live", "--once"]) == 2
    err = capsys.readouterr().err
    assert "No MTG Arena log" in err and "--log PATH" in err and "Player.log" in err


def test_missing_explicit_log_exits_2(tmp_path, capsys):
    assert main(["live", "--once", "--log", str(tmp_path / "nope.log")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_bad_engine_option_exits_2(tmp_path, capsys):
    assert main(["live", "--once", "--engine-option", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_follow_mode_prints_picks_as_they_are_written_and_saves_on_ctrl_c(arena_logs, tmp_path, cards):
    data = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    log = tmp_path / "Player.log"
    first = cut_after(data, b"==> EventPlayerDraftMakePick", 3)
    log.write_bytes(data[:first])
    env = dict(os.environ, COPILOT_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "copilot", "live", "--log", str(log), "--json", "--no-recommend",
                             "--cards", str(cards), "--interval", "0.1"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        rows = []

        def read_until(pred, timeout=30.0):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                try:
                    line = lines.get(timeout=max(0.01, end - time.monotonic()))
                except queue.Empty:
                    break
                rows.append(json.loads(line))
                if pred(rows[-1]):
                    return rows[-1]
            state = "exited " + str(proc.poll()) if proc.poll() is not None else "still running"
            raise AssertionError(f"not seen within {timeout} s; last rows {rows[-3:]}; process {state}")

        read_until(lambda r: r["type"] == "pick" and r["pick"] == 3)
        assert sum(r["type"] == "pick" for r in rows) == 3
        assert any(r["type"] == "mode" for r in rows) or read_until(lambda r: r["type"] == "mode", 10)
        with open(log, "ab") as f:
            f.write(data[first:cut_after(data, b"==> EventPlayerDraftMakePick", 4)])
        row = read_until(lambda r: r["type"] == "pick")
        assert (row["pack"], row["pick"], row["pool_size"]) == (1, 4, 4)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    saved = load_session(tmp_path / "home" / "live_state.json")
    assert saved is not None and len(saved.state.drafts[-1].pool) == 4


@pytest.mark.slow
@pytest.mark.requires("llama_cpp")
def test_once_with_the_real_gguf_engine(arena_logs, tmp_path, capsys, cards, smollm_gguf):
    data = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    log = tmp_path / "Player.log"
    log.write_bytes(data[:cut_after(data, b"Draft.Notify", 20)])
    rc, rows = run_json(capsys, "--once", "--log", log, "--json", "--cards", cards, "--engine", "gguf",
                        "--engine-option", f"model={smollm_gguf}")
    assert rc == 0
    rec = [r for r in rows if r["type"] == "pack"][-1]["recommendation"]
    assert rec["engine"] == "gguf" and rec["error"] is None and rec["tokens_evaluated"] > 0
    assert rec["ranked"][0]["name"] in [r for r in rows if r["type"] == "pack"][-1]["names"]


def test_settings_give_the_log_and_the_default_engine(arena_logs, tmp_path, capsys, cards):
    from copilot.settings import Settings

    data = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    log = tmp_path / "Player.log"
    log.write_bytes(data[:cut_after(data, b"Draft.Notify", 20)])
    Settings(arena_log=str(log), default_engine="random").save()
    rc, rows = run_json(capsys, "--once", "--json", "--cards", cards)
    assert rc == 0 and rows[0]["log"] == str(log)
    assert [r for r in rows if r["type"] == "pack"][-1]["recommendation"]["engine"] == "random"
