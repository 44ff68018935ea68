"""The states of a training run, as written in `status.json` ("state") by the runner and the training loop.

`RunState` is a `str` enum whose values are the strings status.json has always held, so old run folders read the
same and `RunState.DONE == "done"`.

    launched -> starting -> running -> done
                                    -> stopped   (STOP file; `copilot train --resume` continues)
                                    -> failed    (bad input, crash; the message says what to do)

`stopping` is a running run whose STOP file is written (the loop saves a checkpoint after the current step);
`RunState.of(state, stop_requested=True)` reports it.
"""
from __future__ import annotations

from enum import Enum


class RunState(str, Enum):
    LAUNCHED = "launched"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    DONE = "done"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value

    @property
    def active(self) -> bool:
        """A process is (or should be) working on the run."""
        return self in _ACTIVE

    @property
    def finished(self) -> bool:
        """The process has ended: done, stopped or failed."""
        return not self.active

    @classmethod
    def of(cls, value: object, *, stop_requested: bool = False) -> "RunState | None":
        """The state for a status.json value; None for a missing or unknown one (a run never started)."""
        try:
            state = cls(value)
        except ValueError:
            return None
        if stop_requested and state in (cls.STARTING, cls.RUNNING):
            return cls.STOPPING
        return state


_ACTIVE = frozenset({RunState.LAUNCHED, RunState.STARTING, RunState.RUNNING, RunState.STOPPING})
