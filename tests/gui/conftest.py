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
    qapp.processEvents()
    uninstall_main_thread_gc()
