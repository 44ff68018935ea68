"""Resident memory of a training run over many steps (issue 14 item 7): prints RSS every `--every` steps.

    python bench/bench_train_memory.py [--preset smoke] [--steps 500] [--every 50] [--dataset DIR]

Runs the TRL trainer in this process on the preset (default: the tiny random Mistral on the tests' toy dataset),
reading rss_mb from each metrics.jsonl line. Growth between the first logged window and the last is the figure.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="smoke")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--dataset")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    from copilot.training.presets import config_from_preset
    from copilot.training.trainer import train

    tmp = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    if a.dataset:
        ds = Path(a.dataset)
    else:
        from tests.training.conftest import write_dataset

        ds = write_dataset(tmp / "ds", n_train=400, n_val=2)
    cfg = config_from_preset(a.preset, dataset=str(ds), max_steps=a.steps, save_every=max(a.steps // 5, 1),
                             eval_examples=2, eval_every=max(a.steps // 5, 1), num_threads=a.threads)
    seen = []

    def on_step(rec):
        seen.append(rec["rss_mb"])
        if rec["step"] % a.every == 0 or rec["step"] == 1:
            print(f"step {rec['step']:5d}  rss {rec['rss_mb']:8.1f} MB  loss {rec['loss']:.4f}", flush=True)

    train(cfg, tmp / "run", base=None, on_step=on_step, log=lambda *x: None)
    w = max(len(seen) // 10, 1)
    first, last = sum(seen[w:2 * w]) / w, sum(seen[-w:]) / w
    print(f"{a.preset}, {a.steps} steps: rss {first:.1f} MB (steps {w + 1}-{2 * w}) -> {last:.1f} MB (last {w}): "
          f"{last - first:+.1f} MB ({(last - first) / first * 100:+.1f}%), peak {max(seen):.1f} MB")


if __name__ == "__main__":
    main()
