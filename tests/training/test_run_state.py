"""Run states as an enum: the strings status.json has always held read back as the same states, and the states
the runner and the loop write are those strings."""
from __future__ import annotations

import json

import pytest

from copilot.training.run_folder import STATUS, STOP_FILE, read_state, read_status, write_status
from copilot.training.run_state import RunState

OLD_STRINGS = ("launched", "starting", "running", "stopped", "done", "failed")  # written before the enum


@pytest.mark.parametrize("text", OLD_STRINGS)
def test_old_status_files_read_the_same(tmp_path, text):
    (tmp_path / STATUS).write_text(json.dumps({"state": text, "step": 3}))  # as an older version wrote it
    state = read_state(tmp_path)
    assert state is RunState(text) and state == text and str(state) == text and f"{state}" == text
    assert state.active == (text in ("launched", "starting", "running"))
    assert state.finished == (not state.active)


def test_enum_is_written_as_its_string_and_merged(tmp_path):
    write_status(tmp_path, state=RunState.RUNNING, step=1)
    write_status(tmp_path, step=2)
    raw = json.loads((tmp_path / STATUS).read_text())
    assert raw["state"] == "running" and raw["step"] == 2 and raw["updated"].endswith("Z")
    assert read_status(tmp_path)["state"] == "running"
    write_status(tmp_path, state=RunState.DONE)
    assert json.loads((tmp_path / STATUS).read_text())["state"] == "done"


def test_stop_request_unknown_and_missing(tmp_path):
    assert read_state(tmp_path) is None  # never started
    (tmp_path / STATUS).write_text("{torn")
    assert read_state(tmp_path) is None
    write_status(tmp_path, state=RunState.RUNNING)
    (tmp_path / STOP_FILE).write_text("now")
    assert read_state(tmp_path) is RunState.STOPPING and RunState.STOPPING.active
    write_status(tmp_path, state=RunState.STOPPED)
    assert read_state(tmp_path) is RunState.STOPPED  # a finished run stays finished whatever the STOP file says
    assert RunState.of("paused") is None and RunState.of(None) is None


def test_describe_flags_an_active_state_without_a_process(tmp_path):
    from copilot.training.runner import describe

    write_status(tmp_path, state=RunState.RUNNING, step=5, max_steps=10)
    text = describe(tmp_path)
    assert "state running (process gone" in text and "step 5/10" in text
    write_status(tmp_path, state=RunState.DONE, step=10)
    assert "state done;" in describe(tmp_path)
