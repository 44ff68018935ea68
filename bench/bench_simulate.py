"""Benchmark the 8-seat simulator: drafts per second with `ratings` bots; with a GGUF model, seconds per draft
with batching (one shared engine object: one loaded model, seats ranked together through rank_many) and without
(one engine per seat: eight loaded models, each keeping its own seat's KV cache), plus a cold baseline (shared
engine, kv_reuse off).

    .venv/bin/python bench/bench_simulate.py --set DSK --drafts 20
    .venv/bin/python bench/bench_simulate.py --set DSK --drafts 5 --gguf ~/.cache/magic-copilot/test-models/\
SmolLM2-135M-Instruct.Q4_1.gguf --gguf-turns 14

GGUF drafts are slow on CPU, so `--gguf-turns T` plays T turns (8 picks each) of one draft per mode and prints
seconds per turn, tokens evaluated per pick and the extrapolation to a whole draft (42 turns); `--gguf-start S`
first plays S turns with heuristic bots so the measured picks have real pools (KV reuse only pays off once the pool,
the reusable part of the prompt, is long). Extrapolating from early turns underestimates a whole draft.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from copilot.sim.boosters import SetCards, make_generator  # noqa: E402
from copilot.sim.simulation import build_seats  # noqa: E402
from copilot.sim.table import DraftTable  # noqa: E402
from copilot.paths import shared_dir  # noqa: E402


def bench_bots(gen, set_code: str, spec: str, drafts: int, shared: bool) -> None:
    if shared:
        seats, _ = build_seats([spec] * 8, set_code)
    else:
        seats = [build_seats([spec], set_code, n_seats=1)[0][0] for _ in range(8)]
    DraftTable.deal(gen, seats, 10_000, set_code=set_code).run()  # warm-up: ratings files load lazily
    t0 = time.perf_counter()
    for i in range(drafts):
        DraftTable.deal(gen, seats, i, set_code=set_code).run()
    dt = time.perf_counter() - t0
    mode = "shared engine (rank_many)" if shared else "one engine per seat"
    print(f"{spec:<10} {mode:<28} {drafts} drafts in {dt:.2f} s: {drafts / dt:.2f} drafts/s, "
          f"{drafts * 8 * 42 / dt:.0f} picks/s")


def bench_gguf(gen, set_code: str, model: Path, turns: int, threads: int, modes: list[str], start: int = 0) -> None:
    from copilot.picking.gguf_engine import GGUFEngine

    for mode in modes:
        t0 = time.perf_counter()
        if mode == "shared":
            eng = GGUFEngine(model=model, n_threads=threads)
            seats = [eng] * 8
        elif mode == "shared-cold":
            eng = GGUFEngine(model=model, n_threads=threads, kv_reuse=False)
            seats = [eng] * 8
        else:
            seats = [GGUFEngine(model=model, n_threads=threads) for _ in range(8)]
        if start:  # play the first turns with fast heuristic bots, then hand every seat to the GGUF engine(s)
            table = DraftTable.deal(gen, build_seats(["heuristic"] * 8, set_code)[0], 0, set_code=set_code)
            for _ in range(start):
                table.step()
            table.seats = seats
        else:
            table = DraftTable.deal(gen, seats, 0, set_code=set_code)
        tokens = picks = 0
        first_turn = None
        for t in range(turns):
            ts = time.perf_counter()
            for ev in table.step():
                picks += 1
                tokens += ev.recommendation.tokens_evaluated if ev.recommendation else 0
            if first_turn is None:
                first_turn = time.perf_counter() - ts  # includes model load(s)
        dt = time.perf_counter() - t0
        steady = (dt - first_turn) / max(1, turns - 1)
        loads = sum(getattr(s, "loads", 0) for s in {id(s): s for s in seats}.values())
        errors = sum(1 for s in table.state for e in s.picks if e.note)
        steady_tokens = sum(e.recommendation.tokens_evaluated for s in table.state for e in s.picks[start + 1:]
                            if e.recommendation) / max(1, 8 * (turns - 1))
        print(f"gguf {mode:<12} from turn {start + 1}: {turns} turns ({picks} picks) in {dt:.1f} s; "
              f"steady turns evaluate {steady_tokens:.0f} tokens/pick; first turn (with load) "
              f"{first_turn:.1f} s, then {steady:.2f} s/turn = {steady / 8:.3f} s/pick; "
              f"{tokens / max(1, picks):.0f} tokens evaluated/pick; model loads {loads}; fallback picks {errors}; "
              f"extrapolated {first_turn + steady * 41:.0f} s/draft")
        for s in {id(s): s for s in seats}.values():
            s.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="DSK")
    ap.add_argument("--cards", type=Path)
    ap.add_argument("--drafts", type=int, default=20)
    ap.add_argument("--engines", default="ratings,heuristic,random")
    ap.add_argument("--gguf", type=Path)
    ap.add_argument("--gguf-turns", type=int, default=14)
    ap.add_argument("--gguf-modes", default="shared,separate,shared-cold")
    ap.add_argument("--gguf-start", type=int, default=0,
                    help="play this many turns with heuristic bots first (measure mid-draft prompts, pool > 0)")
    ap.add_argument("--threads", type=int, default=min(4, os.cpu_count() or 1))
    args = ap.parse_args()
    sd = shared_dir()
    cards = args.cards or (sd / "data" / "cards" / "17lands_cards.csv.gz" if sd else None)
    if cards is None:
        print("no card data: pass --cards", file=sys.stderr)
        return 2
    gen = make_generator(args.set, SetCards.from_file(cards), sd / "data" if sd else None)
    print(f"set {args.set}, collation {gen.source}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for spec in filter(None, args.engines.split(",")):
        bench_bots(gen, args.set, spec, args.drafts, shared=True)
    if "ratings" in args.engines:
        bench_bots(gen, args.set, "ratings", args.drafts, shared=False)
    if args.gguf:
        bench_gguf(gen, args.set, args.gguf, args.gguf_turns, args.threads,
                   [m for m in args.gguf_modes.split(",") if m], args.gguf_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
