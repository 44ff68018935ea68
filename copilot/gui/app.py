"""GUI entry point (`magic-copilot`, `copilot gui`) and the headless screenshot mode."""
from __future__ import annotations

import sys
import time
from pathlib import Path


def settle(app, timeout_s: float = 60.0, quiet_rounds: int = 5) -> None:
    """Process events until background work is done and nothing new arrives (used for screenshots and tests)."""
    from PySide6.QtCore import QEventLoop, QThreadPool

    # QEventLoop.processEvents, not app.processEvents: PySide6 6.12.0's binding of the latter drops a reference to
    # None on every call, and a few thousand calls (a long screenshot settle) end in "deallocating None".
    loop = QEventLoop()
    pool = QThreadPool.globalInstance()
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline and quiet < quiet_rounds:
        loop.processEvents()
        busy = pool.activeThreadCount() > 0
        pool.waitForDone(30)
        loop.processEvents()
        quiet = 0 if busy else quiet + 1
        time.sleep(0.01)


def run(args) -> int:
    import os

    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from copilot.gui.app_context import AppContext
    from copilot.gui.gui_state import GuiState
    from copilot.gui.main_window import MainWindow
    from copilot.gui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from copilot.gui.workers import install_main_thread_gc

    install_main_thread_gc(app)  # Qt objects must never be collected from a worker thread
    app.setApplicationName("Magic Copilot")
    app.setOrganizationName("MagicCopilot")
    icon = Path(__file__).resolve().parents[2] / "assets" / "magic-copilot.png"
    if icon.exists():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    gui = GuiState.load()
    if args.theme:
        gui.theme = args.theme
    ctx = AppContext(gui=gui, card_files=[Path(p) for p in (args.cards or [])], engine_override=args.engine)
    apply_theme(app, gui.theme)
    # The card catalog loads once, here, before the window is interactive: unpickling it holds the GIL for most
    # of a second, which would freeze the UI if it happened on a worker thread later.
    ctx.catalog()
    window = MainWindow(ctx)
    if args.screenshot:
        window.persist = False  # a screenshot never changes the user's remembered window or panel
    if args.panel or args.replay:
        window.show_panel(args.panel or "live")
    if args.screenshot:
        w, _, h = (args.size or "1280x820").partition("x")
        window.resize(int(w), int(h))
    window.show()
    live = window.panels.get("live")
    if args.replay and live is not None:
        live.load_replay([Path(p) for p in args.replay], step=args.step)
    elif live is not None and not args.screenshot:
        live.follow()
    elif live is not None:
        live.show_no_log()
    if args.screenshot:
        for panel in window.panels.values():  # panels whose startup work runs in child processes
            if hasattr(panel, "wait_ready"):
                panel.wait_ready()
        settle(app)
        out = Path(args.screenshot)
        out.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(out))
        window.close()
        print(f"saved {out}" if ok else f"could not save {out}")
        return 0 if ok else 1
    return app.exec()
