"""JSON-lines progress of `copilot dataset build | train | eval` (copilot/progress.py): the protocol, the run-folder
follower, the preset recommendation, and the real commands run as a user (or the GUI) runs them."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from copilot.commands.run_follow import LOG_REPLAY_BYTES, TailReader, follow_json
from copilot.commands.train_presets import preset_fits, recommend
from copilot.progress import EventKind, ProgressEvent, ProgressWriter


def cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "copilot", *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def events_of(stdout: str) -> tuple[list[ProgressEvent], list[str]]:
    events, plain = [], []
    for line in stdout.splitlines():
        ev = ProgressEvent.parse(line)
        if ev is None:
            plain.append(line)
        else:
            events.append(ev)
    return events, plain


# ------------------------------------------------------------------ protocol
def test_events_round_trip_and_plain_lines_are_not_events():
    buf = io.StringIO()
    w = ProgressWriter(True, buf)
    w.emit(EventKind.PROGRESS, rows=10, examples=3)
    w.log("merging", "adapter")
    w.error("no such file")
    evs = [ProgressEvent.parse(line) for line in buf.getvalue().splitlines()]
    assert [e.kind for e in evs] == [EventKind.PROGRESS, EventKind.LOG, EventKind.ERROR]
    assert evs[0].data == {"rows": 10, "examples": 3} and evs[1].message == "merging adapter"
    assert evs[2].message == "no such file"
    for line in ("dataset /tmp/x: 126 examples", '{"event": "nonsense"}', "[1, 2]", '{"no": "event"}', "{torn"):
        assert ProgressEvent.parse(line) is None, line
    quiet = io.StringIO()
    ProgressWriter(False, quiet).emit(EventKind.RESULT, ok=True)
    assert quiet.getvalue() == "" and not ProgressWriter(False)


# ------------------------------------------------------------------ following a run folder
def test_tail_reader_reads_only_new_bytes_and_notices_a_replaced_file(tmp_path):
    p = tmp_path / "metrics.jsonl"
    r = TailReader(p)
    assert r.read_new() == (False, [])
    p.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "lo')
    assert r.read_new() == (False, ['{"step": 1, "loss": 2.0}'])
    with open(p, "a") as f:
        f.write('ss": 1.5}\n')
    assert r.read_new() == (False, ['{"step": 2, "loss": 1.5}'])
    assert r.read_new() == (False, [])
    tmp = tmp_path / ".metrics.tmp"  # the trainer rewrites the file through a temporary file on resume
    tmp.write_text('{"step": 1, "loss": 2.0}\n')
    os.replace(tmp, p)
    assert r.read_new() == (True, ['{"step": 1, "loss": 2.0}'])


def test_tail_reader_can_start_near_the_end_at_a_line_start(tmp_path):
    p = tmp_path / "train.log"
    p.write_text("".join(f"line {i:05d}\n" for i in range(1000)))  # 11 bytes a line
    lines = TailReader(p, tail_bytes=100).read_new()[1]
    assert lines == [f"line {i:05d}" for i in range(991, 1000)]


def _finished_run(tmp_path, state="done", n=5, log_lines=30000):
    from copilot.training.presets import config_from_preset

    run = tmp_path / "run"
    config_from_preset("smoke", dataset=str(tmp_path / "ds"), max_steps=n).save(run)
    recs = [{"step": i, "loss": 3.0 / i, "step_time_s": 0.5, "tokens_per_s": 900.0} for i in range(1, n + 1)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs) + '{"step": 9, "lo')
    (run / "status.json").write_text(json.dumps({"state": state, "step": n, "message": "all steps done"}))
    (run / "train.log").write_text("".join(f"log line {i}\n" for i in range(log_lines)))
    return run


def test_follow_replays_a_finished_run_then_reports_its_final_state(tmp_path):
    run = _finished_run(tmp_path)
    buf = io.StringIO()
    assert follow_json(run, ProgressWriter(True, buf), poll=0.01) == 0
    evs = [ProgressEvent.parse(line) for line in buf.getvalue().splitlines()]
    kinds = [e.kind for e in evs]
    assert [e.data["step"] for e in evs if e.kind is EventKind.METRICS] == [1, 2, 3, 4, 5]  # the torn line is not one
    logs = [e.message for e in evs if e.kind is EventKind.LOG]
    assert logs[-1] == "log line 29999" and 0 < sum(len(x) + 1 for x in logs) <= LOG_REPLAY_BYTES
    state = next(e for e in evs if e.kind is EventKind.STATE)
    assert kinds.index(EventKind.STATE) > max(i for i, k in enumerate(kinds) if k is EventKind.METRICS)
    assert state.data["state"] == "done" and state.data["max_steps"] == 5
    assert kinds[-1] is EventKind.RESULT and evs[-1].data["state"] == "done"


def test_follow_calls_a_run_whose_process_vanished_failed(tmp_path):
    run = _finished_run(tmp_path, state="running", log_lines=3)
    buf = io.StringIO()
    assert follow_json(run, ProgressWriter(True, buf), poll=0.01) == 1
    result = ProgressEvent.parse(buf.getvalue().splitlines()[-1])
    assert result.kind is EventKind.RESULT and result.data["state"] == "failed"


# ------------------------------------------------------------------ the preset a user meets first
def test_recommendation_is_smollm_without_cuda_and_mistral_when_a_gpu_fits_a_preset():
    from copilot.training.presets import get_preset

    assert recommend(None) == "cpu-small"
    assert get_preset("cpu-small").overrides["base_model"] == "smollm2-135m-instruct"
    assert recommend(6.0) == "cpu-small"  # below every GPU preset's budget
    assert recommend(8.0) == "gpu-8gb" and recommend(23.6) == "gpu-24gb" and recommend(139.8) == "gpu-48gb"
    for gib in (8.0, 11.9, 16.0, 24.0, 80.0, 139.8):
        assert get_preset(recommend(gib)).overrides["base_model"] == "mistral-7b-instruct"
    # a GPU preset whose estimate would not fit is never recommended
    fits = [f for f in preset_fits(24.0) if f.device == "cuda"]
    assert all(f.fits == (f.peak_gib <= 24.0) for f in fits)
    assert all(recommend(g) != "smoke" for g in (None, 4.0, 8.0, 200.0))


def test_presets_json_says_what_this_machine_gets():
    r = cli("train", "--presets", "--json-progress")
    assert r.returncode == 0, r.stderr
    (ev,), plain = events_of(r.stdout)
    assert ev.kind is EventKind.RESULT and not plain
    names = [p["name"] for p in ev.data["presets"]]
    assert names[:2] == ["smoke", "cpu-small"] and "gpu-24gb+" not in names
    if ev.data["gpu"] is None:
        assert ev.data["recommended"] == "cpu-small"
    else:
        assert ev.data["recommended"] == recommend(ev.data["gpu"]["total_gib"])


# ------------------------------------------------------------------ real commands
def test_dataset_build_reports_its_result_as_an_event(tmp_path, shared_data):
    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    out = tmp_path / "ds"
    r = cli("dataset", "build", "--picks", str(picks), "--out", str(out), "--max-drafts", "4", "--val-drafts", "1",
            "--json-progress")
    assert r.returncode == 0, r.stderr
    evs, plain = events_of(r.stdout)
    assert evs[-1].kind is EventKind.RESULT and evs[-1].data["folder"] == str(out.resolve())
    assert evs[-1].data["manifest"]["counts"]["drafts"] == {"train": 3, "val": 1}
    assert any("train: 126 examples / 3 drafts" in line for line in plain)  # the summary stays for the log
    assert (out / "val.picks.jsonl").is_file()


def test_dataset_build_error_is_an_event_and_a_message_and_writes_nothing(tmp_path):
    out = tmp_path / "ds"
    r = cli("dataset", "build", "--picks", str(tmp_path / "missing.csv.gz"), "--out", str(out), "--json-progress")
    assert r.returncode == 2
    evs, _ = events_of(r.stdout)
    assert [e.kind for e in evs] == [EventKind.ERROR] and "pick file not found" in evs[0].message
    assert "error: pick file not found" in r.stderr and not out.exists()


def test_follow_of_a_folder_that_is_no_run_is_refused(tmp_path):
    r = cli("train", "--follow", str(tmp_path), "--json-progress")
    assert r.returncode == 2 and "is not a training run folder" in r.stderr
    assert [e.kind for e in events_of(r.stdout)[0]] == [EventKind.ERROR]


def test_eval_progress_and_result_as_events(shared_data):
    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    r = cli("eval", "--picks", str(picks), "--engine", "heuristic", "--limit", "30", "--json-progress")
    assert r.returncode == 0, r.stderr
    evs, _ = events_of(r.stdout)
    assert evs[0].kind is EventKind.PROGRESS and "eval: heuristic" in evs[0].message
    assert evs[-1].kind is EventKind.RESULT and evs[-1].data["n"] == 30 and 0 <= evs[-1].data["top1"] <= 1
