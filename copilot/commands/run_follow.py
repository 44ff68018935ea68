"""`copilot train --json-progress`: a run folder's progress as JSON-lines events (see copilot/progress.py).

`follow_json` replays what the run folder holds (every metrics line, the end of `train.log`, the state), says
`caught_up`, then sends new lines as they are written until the training process ends, and finishes with a
`result` event carrying the final state. It reads only appended bytes (`TailReader`), so a long run costs nothing
to follow. Ctrl-C asks the run to stop (STOP file), as `copilot train` does without the flag.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from copilot.progress import EventKind, ProgressWriter
from copilot.training.run_folder import METRICS, read_state, read_status
from copilot.training.run_state import RunState

READ_CAP = 1 << 20  # at most this many new bytes per read (a huge log is caught up over several polls)
LOG_REPLAY_BYTES = 256 << 10  # a followed run's log is replayed from its last 256 KiB


class TailReader:
    """The complete lines appended to a file since the last call.

    A file that was replaced (the trainer rewrites `metrics.jsonl` through a temporary file when it resumes and
    drops lines after the checkpoint) or truncated is noticed by its identity/size and read again from the start,
    with `reset=True` so the caller voids what it showed. `tail_bytes`: on first sight, start that many bytes
    before the end (at a line start) instead of at the beginning."""

    def __init__(self, path: str | os.PathLike, tail_bytes: int | None = None):
        self.path = Path(path)
        self.offset = 0
        self.ident: tuple[int, int] | None = None
        self.partial = b""
        self.tail_bytes = tail_bytes
        self._skip_to_line = False

    def read_new(self) -> tuple[bool, list[str]]:
        """(reset, complete new lines). reset: the file was replaced or shrank; lines start from its beginning."""
        try:
            st = os.stat(self.path)
        except OSError:
            reset = self.ident is not None
            self.ident, self.offset, self.partial = None, 0, b""
            return reset, []
        ident = (st.st_dev, st.st_ino)
        reset = False
        if self.ident is None:
            self.ident = ident
            if self.tail_bytes is not None and st.st_size > self.tail_bytes:
                self.offset = st.st_size - self.tail_bytes
                self._skip_to_line = True
        elif ident != self.ident or st.st_size < self.offset:
            self.ident, self.offset, self.partial = ident, 0, b""
            reset = True
        if st.st_size <= self.offset:
            return reset, []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(min(st.st_size - self.offset, READ_CAP))
        self.offset += len(data)
        data = self.partial + data
        if self._skip_to_line:  # started mid-file: drop the cut first line
            cut = data.find(b"\n")
            if cut < 0:
                self.partial = data
                return reset, []
            data, self._skip_to_line = data[cut + 1:], False
        *lines, self.partial = data.split(b"\n")
        return reset, [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]


def _max_steps(run_dir: Path, status: dict) -> int | None:
    try:
        return int(json.loads((run_dir / "config.json").read_text(encoding="utf-8"))["max_steps"])
    except (OSError, KeyError, ValueError, TypeError):
        return status.get("max_steps")


def _state_event(run_dir: Path, alive: bool, max_steps: int | None = None) -> dict:
    """The run's state for a `state`/`result` event: a `RunState` value (`stopping` while a STOP file waits), or
    null for a run that was never started."""
    status = read_status(run_dir)
    state = read_state(run_dir)
    if state is None and alive:
        state = RunState.LAUNCHED
    elif state is not None and state.active and not alive:
        state = RunState.FAILED  # the process is gone without saying so: crashed or killed
    return {"state": state.value if state is not None else None, "step": int(status.get("step") or 0),
            "max_steps": max_steps if max_steps is not None else _max_steps(run_dir, status),
            "message": status.get("message") or "", "last_checkpoint_step": status.get("last_checkpoint_step")}


def follow_json(run_dir: Path, out: ProgressWriter, proc: subprocess.Popen | None = None,
                poll: float = 0.5) -> int:
    """Events for a run until its process ends. `proc`: the training process started here; without it the run's
    pid file says whether a process (started elsewhere) is alive. The first `state` event comes once what the
    folder held has been replayed. Exit code: 0 done or stopped, 1 otherwise."""
    from copilot.training import runner

    run_dir = Path(run_dir)
    metrics = TailReader(run_dir / METRICS)
    log = TailReader(run_dir / runner.LOG_NAME, tail_bytes=LOG_REPLAY_BYTES)
    last: tuple | None = None
    stop_sent = False

    def drain() -> int:
        reset, lines = metrics.read_new()
        if reset:
            out.emit(EventKind.RESET)
        for line in lines:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line after a hard kill
            if isinstance(rec, dict) and isinstance(rec.get("step"), int):
                out.emit(EventKind.METRICS, **rec)
        log_lines = log.read_new()[1]
        for line in log_lines:
            out.emit(EventKind.LOG, message=line, source=runner.LOG_NAME)
        return len(lines) + len(log_lines)

    while True:
        try:
            alive = proc.poll() is None if proc is not None else runner.is_running(run_dir)
            while drain():  # everything written so far (several reads for a big file)
                pass
            state = _state_event(run_dir, alive)
            key = (state["state"], state["message"], state["last_checkpoint_step"])
            if key != last:
                out.emit(EventKind.STATE, **state)
                last = key
            if not alive:
                code = proc.returncode if proc is not None else None
                final = _state_event(run_dir, False, state["max_steps"])
                out.emit(EventKind.RESULT, **final, exit_code=code, run=str(run_dir))
                return 0 if RunState.of(final["state"]) in (RunState.DONE, RunState.STOPPED) else 1
            time.sleep(poll)
        except KeyboardInterrupt:
            if stop_sent:
                raise
            runner.request_stop(run_dir)
            stop_sent = True
            out.emit(EventKind.LOG, message="stop requested: the run saves a checkpoint after the current step")
