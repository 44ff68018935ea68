"""Running slow work off the UI thread.

`run_async(fn, on_done, on_error)` runs `fn()` on the global QThreadPool and delivers the result back on the UI
thread through queued signals. `UiBridge` carries callbacks from core threads (LiveSession, stream readers) into Qt.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _Signals()
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # noqa: BLE001 - reported to the UI, never raised there
            traceback.print_exc()
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(result)


_live_tasks: set = set()


def run_async(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[str], None] | None = None) -> None:
    task = _Task(fn)
    signals = task.signals  # keep the QObject alive until a signal fired
    _live_tasks.add(signals)

    def _finish(_=None):
        _live_tasks.discard(signals)

    if on_done is not None:
        signals.done.connect(on_done)
    if on_error is not None:
        signals.failed.connect(on_error)
    signals.done.connect(_finish)
    signals.failed.connect(_finish)
    QThreadPool.globalInstance().start(task)


def wait_for_workers(timeout_ms: int = 30000) -> bool:
    return QThreadPool.globalInstance().waitForDone(timeout_ms)


class UiBridge(QObject):
    """Thread-safe hop from any thread into the UI thread: emit `call` with a zero-argument callable."""

    call = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.call.connect(self._run)

    @Slot(object)
    def _run(self, fn) -> None:
        fn()

    def post(self, fn: Callable[[], None]) -> None:
        self.call.emit(fn)
