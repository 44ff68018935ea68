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


class MainThreadGC(QObject):
    """Garbage collection on the UI thread only.

    Python's cyclic GC runs in whichever thread happens to allocate. When that is a worker thread and the cycle holds
    Qt wrappers created on the UI thread, Qt objects get destroyed from the wrong thread and the process can crash
    (seen here as a segfault during a simulator draft). So automatic collection is switched off while the app runs
    and this timer collects on the UI thread instead, using the same generation thresholds.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500):
        import gc

        from PySide6.QtCore import QTimer

        super().__init__(parent)
        self._gc = gc
        self._threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    @Slot()
    def check(self) -> None:
        c0, c1, c2 = self._gc.get_count()
        t0, t1, t2 = self._threshold
        if c0 > t0:
            self._gc.collect(0)
            if c1 > t1:
                self._gc.collect(1)
                if c2 > t2:
                    self._gc.collect(2)

    def stop(self) -> None:
        self._timer.stop()
        self._gc.enable()


_gc_guard: MainThreadGC | None = None


def install_main_thread_gc(app) -> MainThreadGC:
    """Once per QApplication: collect garbage on the UI thread only (see MainThreadGC)."""
    global _gc_guard
    if _gc_guard is None:
        _gc_guard = MainThreadGC(app)
    return _gc_guard


def uninstall_main_thread_gc() -> None:
    """Back to Python's automatic collection (after a final collection on this, the UI, thread)."""
    global _gc_guard
    if _gc_guard is not None:
        guard, _gc_guard = _gc_guard, None
        guard.stop()
        guard._gc.collect()
        guard.deleteLater()
