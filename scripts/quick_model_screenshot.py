"""Run the Training panel's quick model on a real 17lands file, offscreen, and save a screenshot when it finishes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/quick_model_screenshot.py \
        --picks ../shared/data/picks/DSK/dsk_picks.dev.jsonl.gz --out quick-model-dsk.png [--home DIR] [--ensemble 1]

`--home` (default: a new temporary folder) is used as COPILOT_HOME, so the model lands in that folder's model store
and your own settings are not changed. Prints the widget's final status line and the trainer's "done" figures.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--picks", required=True, help="17lands draft_data CSV(.gz), picks JSONL(.gz) or dataset folder")
    ap.add_argument("--out", required=True, help="PNG to write")
    ap.add_argument("--home", help="COPILOT_HOME for the run (default: a new temporary folder)")
    ap.add_argument("--ensemble", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the run")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["COPILOT_HOME"] = args.home or tempfile.mkdtemp(prefix="quick-model-")
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from copilot.gui.app_context import AppContext
    from copilot.gui.gui_state import GuiState
    from copilot.gui.panels.quick_model import QuickModelWidget
    from copilot.gui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app, "light")
    w = QuickModelWidget(AppContext(gui=GuiState()))
    w.resize(1000, 240)
    w.show()
    started = time.perf_counter()
    if not w.start(args.picks, epochs=args.epochs, ensemble=args.ensemble):
        print(w.status.text(), file=sys.stderr)
        return 2
    loop = QEventLoop()  # not QApplication.processEvents (PySide6 6.12.0 leaks a reference to None per call)
    while w.state in ("building", "training") and time.perf_counter() - started < args.timeout:
        loop.processEvents()
        time.sleep(0.05)
    loop.processEvents()
    w.grab().save(args.out)
    print(f"{w.state} after {time.perf_counter() - started:.0f} s (COPILOT_HOME={os.environ['COPILOT_HOME']})")
    print(w.status.text())
    if w.result:
        print(json.dumps(w.result, indent=1))
    ok = w.state == "done"
    w.shutdown()
    w.deleteLater()  # before the QApplication goes: Qt objects must not outlive it
    loop.processEvents()
    del w
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
