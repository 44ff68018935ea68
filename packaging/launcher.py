"""Entry script of the desktop bundle: `copilot.cli:gui_main`.

The frozen app has no Python interpreter to run `python -m ...`; the GUI runs `copilot` commands (dataset build,
GPU check, ...) as `sys.executable -m copilot ...` (copilot/gui/cli_runner.py) and training as
`-m copilot.training.runner`, so the bundle's executable dispatches those itself.
"""
from __future__ import annotations

import runpy
import sys

HELPERS = {"copilot", "copilot.cli", "copilot.training.runner"}


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "-m" and sys.argv[2] in HELPERS:
        module = sys.argv[2]
        sys.argv = [module, *sys.argv[3:]]
        if module in ("copilot", "copilot.cli"):
            from copilot.cli import main as cli_main

            return cli_main(sys.argv[1:]) or 0
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from copilot.cli import gui_main

    return gui_main() or 0


if __name__ == "__main__":
    sys.exit(main())
