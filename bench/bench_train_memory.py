"""Resident memory of a training run over many steps (issue 14 item 7): prints RSS every `--every` steps.

    python bench/bench_train_memory.py [--preset smoke] [--steps 500] [--every 50] [--dataset DIR] \
        [--set KEY=VALUE ...] [--no-trim] [--out RUN_DIR]

Runs the TRL trainer in this process on the preset (default: the tiny random Mistral on the tests' toy dataset),
reading rss_mb (after the step, once the trainer has handed the heap's free memory back: training/heap.py) and
peak_rss_mb from each metrics.jsonl line. Growth between the first logged window and the last is the figure.
`--no-trim` turns the trainer's heap trim off: the memory as it was before it (heap.py has the figures).
"""
from __future__ import annotations

import argparse
import json
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
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--no-trim", action="store_true", help="leave freed memory to the allocator (no heap.trim)")
    ap.add_argument("--out", help="run folder (default: a new temporary one)")
    a = ap.parse_args()
    from copilot.training import heap
    from copilot.training.presets import config_from_preset
    from copilot.training.trainer import train

    tmp = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    if a.dataset:
        ds = Path(a.dataset)
    else:
        from tests.training.conftest import write_dataset

        ds = write_dataset(tmp / "ds", n_train=400, n_val=2)
    sets = {}
    for item in a.set:
        k, _, v = item.partition("=")
        try:
            sets[k] = json.loads(v)
        except json.JSONDecodeError:
            sets[k] = v
    overrides = dict(dataset=str(ds), max_steps=a.steps, save_every=max(a.steps // 5, 1),
                     eval_examples=2, eval_every=max(a.steps // 5, 1), num_threads=a.threads)
    cfg = config_from_preset(a.preset, **{**overrides, **sets})
    if a.no_trim:
        heap.trim = lambda: False
    seen, peaks = [], []

    def on_step(rec):
        seen.append(rec["rss_mb"])
        peaks.append(rec["peak_rss_mb"])
        if rec["step"] % a.every == 0 or rec["step"] == 1:
            print(f"step {rec['step']:5d}  rss {rec['rss_mb']:8.1f} MB  peak {rec['peak_rss_mb']:8.1f} MB  "
                  f"tokens {rec.get('tokens')}  step {rec.get('step_time_s')} s  loss {rec['loss']:.4f}", flush=True)

    train(cfg, Path(a.out) if a.out else tmp / "run", base=None, on_step=on_step, log=lambda *x: None)
    w = max(len(seen) // 10, 1)
    first, last = sum(seen[w:2 * w]) / w, sum(seen[-w:]) / w
    print(f"{a.preset}, {a.steps} steps{', no trim' if a.no_trim else ''}: rss "
          f"{first:.1f} MB (steps {w + 1}-{2 * w}) -> {last:.1f} MB (last {w}): {last - first:+.1f} MB "
          f"({(last - first) / first * 100:+.1f}%), peak {max(peaks):.1f} MB")


if __name__ == "__main__":
    main()
