"""`copilot gui`: the desktop app (also the `magic-copilot` entry point)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the desktop app", description="Open the Magic Copilot desktop app.")
    p.add_argument("--screenshot", metavar="OUT.png", help="render the window to a PNG and exit (headless)")
    p.add_argument("--panel", choices=["live", "simulator", "training", "models"], help="panel to show")
    p.add_argument("--replay", nargs="+", metavar="LOG", help="replay saved Arena logs into the live panel")
    p.add_argument("--step", type=int, help="with --replay: the replay step to show (0-based; default last)")
    p.add_argument("--theme", choices=["light", "dark"], help="colour theme")
    p.add_argument("--engine", help="pick engine for the live panel (default: settings, else ratings)")
    p.add_argument("--cards", action="append", metavar="FILE", help="extra card data file (repeatable)")
    p.add_argument("--size", metavar="WxH", help="window size for --screenshot (default 1280x820)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    try:
        from copilot.gui.app import run
    except ImportError as exc:
        print(f"The desktop app needs PySide6: {exc}. Install it with: pip install 'magic-copilot[gui]'")
        return 2
    return run(args)
