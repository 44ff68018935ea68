"""GUI entry point (`magic-copilot`)."""
import sys


def main(argv: list[str] | None = None) -> int:
    from copilot.cli import main as cli_main

    return cli_main(["gui", *(argv if argv is not None else sys.argv[1:])])
