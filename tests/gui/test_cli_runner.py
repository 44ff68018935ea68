"""The GUI's one runner (copilot/gui/cli_runner.py): real `python -m copilot ...` child processes, their JSON-lines
events typed on the UI thread, failures with the command's own message, and kill() leaving nothing behind."""
from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("PySide6")

from copilot.gui.cli_runner import CliRunner, JobResult, command_line  # noqa: E402
from copilot.progress import EventKind, ProgressEvent  # noqa: E402

pytestmark = pytest.mark.gui


class Collect:
    def __init__(self):
        self.events: list[ProgressEvent] = []
        self.results: list[JobResult] = []

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


def run(qtbot, runner: CliRunner, key: str, args: list[str], timeout=120000) -> Collect:
    c = Collect()
    runner.start(key, args, c.events.append, c.results.append)
    assert runner.busy(key) and runner.busy()
    qtbot.waitUntil(lambda: bool(c.results), timeout=timeout)
    assert not runner.busy(key)
    return c


def test_command_line_is_what_a_user_types():
    assert command_line(["export", "/tmp/my run", "--eval", "40"]) == 'copilot export "/tmp/my run" --eval 40'


def test_result_event_arrives_typed(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    c = run(qtbot, CliRunner(), "presets", ["train", "--presets"])
    (res,) = c.results
    assert res.ok and res.exit_code == 0 and res.error is None and not res.killed
    assert c.kinds() == [EventKind.RESULT]
    assert res.result is c.events[0].data and "recommended" in res.result
    assert {p["name"] for p in res.result["presets"]} >= {"smoke", "cpu-small", "gpu-8gb"}


def test_plain_lines_are_log_events_and_the_commands_error_is_the_jobs_error(qtbot, tmp_path, shared_data):
    runner = CliRunner()
    c = run(qtbot, runner, "dataset", ["dataset", "build", "--picks", str(tmp_path / "nope.csv.gz"),
                                       "--out", str(tmp_path / "ds")])
    (res,) = c.results
    assert not res.ok and res.exit_code == 2 and res.result is None
    assert res.error.startswith("pick file not found")
    assert EventKind.ERROR in c.kinds()
    stderr = [e for e in c.events if e.kind is EventKind.LOG and e.data.get("stream") == "stderr"]
    assert stderr and stderr[0].message.startswith("error: pick file not found")

    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    c = run(qtbot, runner, "dataset", ["dataset", "build", "--picks", str(picks), "--out", str(tmp_path / "ds"),
                                       "--max-drafts", "2", "--val-drafts", "1"])
    (res,) = c.results
    assert res.ok and res.result["folder"] == str((tmp_path / "ds").resolve())
    plain = [e.message for e in c.events if e.kind is EventKind.LOG and e.data.get("stream") == "stdout"]
    assert any(line.startswith("dataset ") for line in plain)  # the command's summary, for the panel's log


def test_argparse_errors_reach_the_job(qtbot):
    c = run(qtbot, CliRunner(), "bad", ["train", "--no-such-option"])
    (res,) = c.results
    assert res.exit_code == 2 and "unrecognized arguments: --no-such-option" in res.error


def test_one_job_per_key_and_kill_ends_a_follower_at_once(qtbot, tmp_path):
    from copilot.training.presets import config_from_preset

    run_dir = tmp_path / "run"
    config_from_preset("smoke", dataset=str(tmp_path), max_steps=10).save(run_dir)
    (run_dir / "status.json").write_text(json.dumps({"state": "running", "step": 2}))
    (run_dir / "train.pid").write_text(str(os.getpid()))  # a live process: the follower waits for its end
    (run_dir / "metrics.jsonl").write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "loss": 1.5}\n')
    runner = CliRunner()
    c = Collect()
    job = runner.start("run", ["train", "--follow", str(run_dir)], c.events.append, c.results.append)
    qtbot.waitUntil(lambda: EventKind.STATE in c.kinds(), timeout=60000)
    assert [e.data["step"] for e in c.events if e.kind is EventKind.METRICS] == [1, 2]
    assert next(e for e in c.events if e.kind is EventKind.STATE).data["state"] == "running"
    with pytest.raises(RuntimeError, match="already running"):
        runner.start("run", ["train", "--presets"])
    pid = job.pid
    runner.shutdown()
    (res,) = c.results
    assert res.killed and not res.ok and not runner.busy()
    import psutil

    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.slow
def test_many_runners_and_jobs_come_and_go_without_crashing(qtbot):
    """Regression: jobs were QObjects with their own signals, released with deleteLater(); under this churn the
    process segfaulted in ~QObject (3 of 3 stress runs). Each runner lives for two jobs, then is dropped and
    collected while the next one starts."""
    import gc

    codes = []
    for _ in range(25):
        runner = CliRunner()
        for _ in range(2):
            c = run(qtbot, runner, "bad", ["train", "--no-such-option"])
            codes.append(c.results[0].exit_code)
        del runner
        gc.collect()
        qtbot.wait(50)
    assert codes == [2] * 50
