"""JSON-lines progress: how a `copilot` command tells a client (the GUI's training panel) what it is doing.

With `--json-progress`, `copilot dataset build`, `train`, `eval` and `export` print one JSON object per line on
stdout, each with an ``"event"`` key naming an `EventKind`; the other keys are the event's data:

    {"event": "progress", "rows": 40000, "examples": 9000, "seconds": 4.1}
    {"event": "metrics", "step": 12, "loss": 2.31, "tokens_per_s": 850.0, ...}      (one training step)
    {"event": "result", "model": "run-s300-q8-0", "eval": {"n": 40, "top1": 0.41, ...}}

Lines that are not protocol events (a library's print, a command's own summary) are plain log lines for the
client. Errors still go to stderr as ``error: <what to do>`` with a non-zero exit; a command may also send an
``error`` event first. Both sides use this module, which sits at the bottom of the layer order (no project imports).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TextIO

FLAG = "--json-progress"
FLAG_HELP = "print progress as JSON lines on stdout (for the GUI and scripts; see copilot/progress.py)"


class EventKind(StrEnum):
    STARTED = "started"  # the work began: run folder, pid, the resolved config
    PROGRESS = "progress"  # counters (rows, examples, picks, seconds) and/or a message
    LOG = "log"  # a human line: the command's own log or a run's train.log ("message", "source")
    METRICS = "metrics"  # one training step's record, as metrics.jsonl holds it
    RESET = "reset"  # the metrics sent so far are void: a resumed run rewrote its metrics file
    STATE = "state"  # a run's state (status.json): "state", "step", "max_steps", "message", "caught_up"
    RESULT = "result"  # the final answer, once, on success
    ERROR = "error"  # the failure, once, before a non-zero exit ("message")


@dataclass(frozen=True)
class ProgressEvent:
    kind: EventKind
    data: dict[str, Any] = field(default_factory=dict)

    def to_line(self) -> str:
        return json.dumps({"event": self.kind.value, **self.data}, ensure_ascii=False, default=str)

    @property
    def message(self) -> str:
        return str(self.data.get("message", ""))

    @classmethod
    def parse(cls, line: str) -> ProgressEvent | None:
        """The event a stdout line carries, or None for a line that is not one (a plain log line)."""
        text = line.strip()
        if not text.startswith("{"):
            return None
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            return None
        if not isinstance(obj, dict):
            return None
        try:
            kind = EventKind(obj.pop("event", None))
        except ValueError:
            return None
        return cls(kind, obj)

    @classmethod
    def log(cls, message: str, **data: Any) -> ProgressEvent:
        return cls(EventKind.LOG, {"message": message, **data})


class ProgressWriter:
    """Writes events as JSON lines when enabled; does nothing otherwise (so commands call it unconditionally).

    `bool(writer)` says whether the command runs in JSON-lines mode."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = bool(enabled)
        self._stream = stream

    def __bool__(self) -> bool:
        return self.enabled

    def emit(self, kind: EventKind, **data: Any) -> None:
        if not self.enabled:
            return
        out = self._stream or sys.stdout
        out.write(ProgressEvent(kind, data).to_line() + "\n")
        out.flush()

    def log(self, *parts: Any, **data: Any) -> None:
        """A `log=` callback for library code: one LOG event per call (print-like arguments)."""
        self.emit(EventKind.LOG, message=" ".join(str(p) for p in parts), **data)

    def error(self, message: str) -> None:
        self.emit(EventKind.ERROR, message=message)


def add_flag(parser) -> None:
    """Add `--json-progress` to an argparse (sub)parser."""
    parser.add_argument(FLAG, dest="json_progress", action="store_true", help=FLAG_HELP)
