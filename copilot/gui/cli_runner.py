"""The GUI's one way to run work that is slow or imports torch: `python -m copilot <args> --json-progress`.

Each job is a child process (QProcess: event-driven on the UI thread, no worker threads, never the GIL of the UI
process). Its stdout is read as JSON-lines events (copilot/progress.py) and delivered as typed `ProgressEvent`s;
a stdout line that is not an event, and every stderr line, arrives as a `log` event. When the process ends,
`JobResult` says how: exit code, the `result` event's data, and the error (the `error` event, else the last
``error: ...`` line on stderr, else the exit code).

The training panel builds datasets, follows and stops training runs, lists presets against the GPU and exports
models through this runner only: what the panel does, a terminal can do with the same command line.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment

from copilot.progress import FLAG, EventKind, ProgressEvent

EventHandler = Callable[[ProgressEvent], None]
ERROR_LINE = re.compile(r"^(?:[\w .-]+: )?error: (.+)$")  # `error: ...`, and argparse's `copilot train: error: ...`


@dataclass(frozen=True)
class JobResult:
    key: str
    args: tuple[str, ...]
    exit_code: int  # -1: the process could not be started or crashed
    result: dict | None  # the data of the `result` event, if one came
    error: str | None  # why it failed (None when it did not)
    killed: bool = False  # ended by kill() (window closing, a newer job of the same key)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.error is None and not self.killed


def command_line(args: list[str] | tuple[str, ...]) -> str:
    """How a user types the job in a terminal (for the panel's log)."""
    def quote(a: str) -> str:
        return f'"{a}"' if (not a or any(c.isspace() for c in a)) else a

    return "copilot " + " ".join(quote(a) for a in args)


class CliJob:
    """One `copilot` child process. The callbacks run on the UI thread (QProcess signals of the UI thread's loop).

    A plain object around a QProcess, not a QObject with its own signals: the QProcess belongs to the runner (Qt
    parent) and is released with deleteLater() once it has finished, the usual Qt idiom, so no Python wrapper is
    ever torn down inside its own signal handler."""

    def __init__(self, key: str, args: list[str], parent: QObject, on_event: EventHandler | None,
                 on_finished: Callable[[JobResult], None] | None):
        self.key = key
        self.args = tuple(args)
        self._on_event = on_event
        self._on_finished = on_finished
        self.proc = QProcess(parent)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        self.proc.setProcessEnvironment(env)
        self._out = bytearray()
        self._err = bytearray()
        self._result: dict | None = None
        self._error: str | None = None
        self._last_stderr_error: str | None = None
        self._killed = False
        self._done = False
        self._pid = 0
        self.proc.readyReadStandardOutput.connect(self._read_stdout)
        self.proc.readyReadStandardError.connect(self._read_stderr)
        self.proc.finished.connect(self._finished)
        self.proc.errorOccurred.connect(self._error_occurred)

    # ----- lifecycle -----
    def start(self) -> None:
        self.proc.start(sys.executable, ["-m", "copilot", *self.args, FLAG])
        self._pid = int(self.proc.processId())

    @property
    def running(self) -> bool:
        return not self._done

    @property
    def pid(self) -> int:
        return self._pid

    def kill(self) -> None:
        """End the child now (a training process it launched runs on: it is detached)."""
        if self._done:
            return
        self._killed = True
        self.proc.kill()
        self.proc.waitForFinished(3000)

    def wait(self, timeout_ms: int) -> bool:
        """Block until the job ended (for tests and screenshots); its callbacks have run when this returns True."""
        if not self._done:
            self.proc.waitForFinished(max(1, timeout_ms))
        return self._done

    # ----- reading -----
    @staticmethod
    def _lines(buf: bytearray, data: bytes) -> list[str]:
        buf.extend(data)
        *lines, rest = bytes(buf).split(b"\n")
        buf[:] = rest
        return [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]

    def _read_stdout(self) -> None:
        if self._done:
            return
        for line in self._lines(self._out, bytes(self.proc.readAllStandardOutput())):
            self._stdout_line(line)

    def _read_stderr(self) -> None:
        if self._done:
            return
        for line in self._lines(self._err, bytes(self.proc.readAllStandardError())):
            self._stderr_line(line)

    def _stdout_line(self, line: str) -> None:
        ev = ProgressEvent.parse(line)
        if ev is None:
            if not line.strip():
                return
            ev = ProgressEvent.log(line, stream="stdout")
        elif ev.kind is EventKind.RESULT:
            self._result = ev.data
        elif ev.kind is EventKind.ERROR:
            self._error = ev.message or "failed"
        self._emit(ev)

    def _emit(self, ev: ProgressEvent) -> None:
        if self._on_event is not None and not self._done:
            self._on_event(ev)

    def _stderr_line(self, line: str) -> None:
        if not line.strip():
            return
        m = ERROR_LINE.match(line.strip())
        if m:
            self._last_stderr_error = m.group(1).strip()
        self._emit(ProgressEvent.log(line, stream="stderr"))

    def _flush(self) -> None:
        self._read_stdout()
        self._read_stderr()
        for buf, handle in ((self._out, self._stdout_line), (self._err, self._stderr_line)):
            if buf:
                rest = bytes(buf).decode("utf-8", "replace")
                buf.clear()
                handle(rest)

    def _finish(self, code: int, error: str | None) -> None:
        if self._done:
            return
        self._done = True
        self.proc.deleteLater()  # late signals of it find _done set
        on_finished, self._on_finished, self._on_event = self._on_finished, None, None
        if on_finished is not None:
            on_finished(JobResult(self.key, self.args, code, self._result, error, self._killed))

    def _finished(self, code: int, status=None) -> None:
        if self._done:
            return
        self._flush()
        crashed = status == QProcess.CrashExit
        code = -1 if crashed else int(code)
        error = self._error or (None if code == 0 else self._last_stderr_error)
        if error is None and code != 0:
            error = "stopped" if self._killed else (
                "the process crashed" if crashed else f"`{command_line(self.args)}` ended with exit code {code}")
        self._finish(code, error)

    def _error_occurred(self, err) -> None:
        if err == QProcess.FailedToStart:
            self._finish(-1, f"could not start {sys.executable} -m copilot: {self.proc.errorString()}")


class CliRunner(QObject):
    """Jobs by key ("dataset", "run", "export", ...): at most one per key at a time."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs: dict[str, CliJob] = {}

    def start(self, key: str, args: list[str], on_event: EventHandler | None = None,
              on_finished: Callable[[JobResult], None] | None = None) -> CliJob:
        """Start `copilot ARGS --json-progress`; a job still running under `key` is refused (RuntimeError)."""
        if self.busy(key):
            raise RuntimeError(f"a {key} job is already running: {command_line(self._jobs[key].args)}")
        def done(result: JobResult) -> None:
            if self._jobs.get(key) is job:
                del self._jobs[key]
            if on_finished is not None:
                on_finished(result)

        job = CliJob(key, args, self, on_event, done)
        self._jobs[key] = job
        job.start()
        return job

    def job(self, key: str) -> CliJob | None:
        return self._jobs.get(key)

    def busy(self, key: str | None = None) -> bool:
        return bool(self._jobs) if key is None else key in self._jobs

    def wait(self, key: str, timeout_ms: int) -> bool:
        job = self._jobs.get(key)
        return True if job is None else job.wait(timeout_ms)

    def kill(self, key: str) -> None:
        job = self._jobs.get(key)
        if job is not None:
            job.kill()

    def shutdown(self) -> None:
        """Kill every job (the window is closing); detached training processes run on."""
        for job in list(self._jobs.values()):
            job.kill()
        self._jobs.clear()
