"""Tokens/s of the TRL trainer against the old hand-written loop, same CPU config, in ONE run.

The old loop (copilot/training/trainer.py before issue 14) is taken from git at OLD_COMMIT with `git archive` into a
temporary folder and run as a subprocess with that folder on PYTHONPATH; the new trainer runs from this tree. The
two alternate (old, new, old, new, ...) on the same dataset, config and thread count, so load changes on a shared
machine hit both. Figure: median tokens/s over the steps after the first (warm-up) of each run.

    python bench/bench_trl_vs_loop.py [--base smoke-mistral] [--steps 20] [--rounds 2] [--seq 512] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

OLD_COMMIT = "61d9bba"  # main before issue 14: the 260-line loop in trainer.py
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUN = """
import sys, json
from copilot.training.presets import config_from_preset
from copilot.training.trainer import train
cfg = config_from_preset(sys.argv[1], dataset=sys.argv[2], max_steps=int(sys.argv[4]), max_seq_len=int(sys.argv[5]),
                         num_threads=int(sys.argv[6]), save_every=100000, eval_examples=0, eval_every=0,
                         precision=sys.argv[7], warmup_steps=0, base_model=sys.argv[8])
train(cfg, sys.argv[3], resume=False, log=lambda *a: None)
"""


def run_one(pythonpath: str, base_preset: str, ds: Path, out: Path, steps: int, seq: int, threads: int,
            precision: str, base: str) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=pythonpath, OMP_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", RUN, base_preset, str(ds), str(out), str(steps), str(seq), str(threads),
                    precision, base], check=True, env=env, capture_output=True)
    return [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="smoke-mistral")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--dataset", help="dataset folder (default: the tests' toy dataset)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-trl-"))
    old = tmp / "old"
    old.mkdir()
    subprocess.run(f"git -C {ROOT} archive {OLD_COMMIT} copilot | tar -x -C {old}", shell=True, check=True)
    if a.dataset:
        ds = Path(a.dataset)
    else:
        from tests.training.conftest import write_dataset

        ds = write_dataset(tmp / "ds", n_train=64, n_val=2)
    figures = {"old loop": [], "TRL": []}
    for r in range(a.rounds):
        for name, path in (("old loop", str(old)), ("TRL", str(ROOT))):
            ms = run_one(path, "smoke", ds, tmp / f"{name.replace(' ', '-')}-{r}", a.steps, a.seq, a.threads,
                         a.precision, a.base)
            tps = statistics.median(m["tokens_per_s"] for m in ms[1:])
            rss = max(m.get("rss_mb", 0) for m in ms)
            figures[name].append(tps)
            print(f"round {r + 1} {name:8}: median {tps:8.1f} tokens/s over steps 2-{len(ms)}, peak rss {rss:.0f} MB",
                  flush=True)
    o, n = statistics.median(figures["old loop"]), statistics.median(figures["TRL"])
    print(f"{a.base}, seq {a.seq}, {a.threads} thread(s), {a.precision}: old loop {o:.1f} tok/s, TRL {n:.1f} tok/s, "
          f"ratio TRL/old {n / o:.2f}")


if __name__ == "__main__":
    main()
