"""`copilot`: one command, many subcommands.

Each module in `copilot.commands` registers its subcommands with ``register(subparsers)`` and sets
``func=<callable(args) -> int>`` on them. Modules import heavy libraries inside their handlers only, so
`copilot --help` stays instant and works without torch, llama.cpp or Qt.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from copilot import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copilot",
        description="Magic Copilot: draft assistant for MTG Arena (live picks, simulated drafts, fine-tuning).",
    )
    parser.add_argument("--version", action="version", version=f"magic-copilot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import copilot.commands as commands_pkg

    for mod in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"copilot.commands.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def gui_main(argv: list[str] | None = None) -> int:
    """The `magic-copilot` entry point: `copilot gui` with the given arguments."""
    return main(["gui", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    sys.exit(main())
