"""GUI tests run with the app's garbage-collection guard: cycles holding Qt objects are collected on the UI thread
only, as in the real app (copilot.gui.workers.MainThreadGC). Automatic collection is restored after each test so the
rest of the suite is unaffected."""
import pytest


@pytest.fixture(autouse=True)
def _main_thread_gc(qapp):
    from copilot.gui.workers import install_main_thread_gc, uninstall_main_thread_gc, wait_for_workers

    install_main_thread_gc(qapp)
    yield
    wait_for_workers(60000)  # no worker may be allocating when collection runs again in every thread
    from PySide6.QtCore import QEventLoop

    QEventLoop().processEvents()  # not qapp.processEvents(): PySide6 6.12.0 drops a None reference per call
    uninstall_main_thread_gc()


class UiHeartbeat:
    """A 10 ms timer on the UI thread; the longest gap between its beats is the longest time the UI was blocked."""

    def __init__(self):
        import time

        from PySide6.QtCore import QTimer

        self._clock = time.perf_counter
        self.gaps: list[float] = []
        self._last = self._clock()
        self._timer = QTimer()
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = self._clock()
        self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> "UiHeartbeat":
        self._last = self._clock()
        self._timer.start(10)
        return self

    def stop(self) -> float:
        """Stop and return the worst gap in seconds."""
        self._timer.stop()
        return max(self.gaps, default=0.0)


@pytest.fixture
def ui_heartbeat(qapp):
    beat = UiHeartbeat()
    yield beat
    beat._timer.stop()
