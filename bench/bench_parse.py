"""Parse + reduce throughput of the Arena log parser on the real fixture logs.

    .venv/bin/python bench/bench_parse.py [--repeat 5] [--logs DIR]

Prints MB/s for: reading and decoding lines only, a naive json.loads of every line from its first '{' (the
baseline: what a simple tracker does, without nested decoding), parsing (lines -> events), parsing + reducing
(lines -> ArenaState), on the largest fixture and on all fixtures concatenated, best of --repeat runs, and the
ratio of the parser's time to the baseline's measured in the same process.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from copilot.arena.parser import ArenaLogParser  # noqa: E402
from copilot.draft.reducer import reduce  # noqa: E402
from copilot.draft.state import ArenaState  # noqa: E402
from copilot.paths import shared_dir  # noqa: E402

ORDER = ["premier-draft-2020-ZNR.log", "trad-draft-2021-VOW.log", "premier-draft-2026-ECL.log",
         "quick-draft-2026-ECL.part1.log", "quick-draft-2026-ECL.part2.log", "quick-draft-2026-ECL.part3.log",
         "sealed-2026-SOS-join-pool.log", "sealed-2026-SOS-deckbuild.log", "premier-draft-2026-DSK-grepped.log",
         "detailed-logs-disabled-2026.log"]


def read_only(raw: list[bytes]) -> int:
    n = 0
    for b in raw:
        n += len(b.decode("utf-8", "replace"))
    return n


def naive_json(raw: list[bytes]) -> int:
    """What a naive tracker does: json.loads from the first '{' of every line (no nested decoding)."""
    n = 0
    for b in raw:
        line = b.decode("utf-8", "replace")
        i = line.find("{")
        if i >= 0:
            try:
                json.loads(line[i:])
                n += 1
            except ValueError:
                pass
    return n


def parse_only(raw: list[bytes]) -> int:
    p = ArenaLogParser()
    n = 0
    for b in raw:
        n += len(p.feed(b.decode("utf-8", "replace")))
    return n


def parse_reduce(raw: list[bytes]) -> int:
    p, state = ArenaLogParser(), ArenaState()
    for b in raw:
        for ev in p.feed(b.decode("utf-8", "replace")):
            state = reduce(state, ev)
    return len(state.drafts)


def best(fn, raw, repeat) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(raw)
        times.append(time.perf_counter() - t)
    return min(times)


def bench(label: str, paths: list[Path], repeat: int) -> None:
    raw = []
    for p in paths:
        with open(p, "rb") as f:
            raw.extend(f.readlines())
    mb = sum(len(b) for b in raw) / 1e6
    base = best(read_only, raw, repeat)
    t_naive = best(naive_json, raw, repeat)
    t_parse = best(parse_only, raw, repeat)
    t_all = best(parse_reduce, raw, repeat)
    events = parse_only(raw)
    print(f"{label}: {mb:.2f} MB, {len(raw)} lines, {events} events")
    print(f"  read+decode only          {mb / base:8.1f} MB/s")
    print(f"  naive json.loads per line {mb / t_naive:8.1f} MB/s  (baseline)")
    print(f"  parse                     {mb / t_parse:8.1f} MB/s  ({t_parse / t_naive:.2f}x baseline time)")
    print(f"  parse+reduce              {mb / t_all:8.1f} MB/s  ({t_all / t_naive:.2f}x baseline time), "
          f"{t_all * 1000:.0f} ms total")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--logs", type=Path, default=None, help="folder of logs (default: shared fixtures)")
    args = ap.parse_args()
    folder = args.logs or ((shared_dir() or Path("/nonexistent")) / "fixtures" / "arena-logs")
    if not folder.is_dir():
        print(f"no log folder at {folder}; pass --logs DIR", file=sys.stderr)
        return 2
    paths = [folder / n for n in ORDER if (folder / n).exists()] or sorted(folder.glob("*.log"))
    largest = max(paths, key=lambda p: p.stat().st_size)
    bench(f"largest fixture {largest.name}", [largest], args.repeat)
    bench(f"all {len(paths)} fixtures concatenated", paths, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
