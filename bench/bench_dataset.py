"""Dataset build throughput (picks/s) and peak memory on the real DSK picks, CSV and JSONL.

    .venv/bin/python bench/bench_dataset.py [--max-drafts N] [--format v1] [--catalog default|none] [--tracemalloc]

Each input is built in a fresh child process, so its peak RSS (ru_maxrss) is its own; the figure includes the
interpreter and imports, and `--tracemalloc` adds the Python-heap peak (slower: tracing costs time, so the
throughput of that run is not comparable). Wall and CPU seconds are both printed because the machine may be shared.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

INPUTS = ("draft_data_public.DSK.PremierDraft.dev-sample.csv.gz", "dsk_picks.dev.jsonl.gz")


def child(src: str, out: str, max_drafts: int | None, fmt: str, catalog: str, trace: bool) -> None:
    import resource
    import time
    import tracemalloc

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from copilot.training.dataset import DatasetConfig, build_dataset

    if trace:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    w, c = time.perf_counter(), time.process_time()
    m = build_dataset(DatasetConfig(picks=Path(src), out=Path(out), prompt_format=fmt, max_drafts=max_drafts,
                                    catalog=catalog, force=True))
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    rows = m["counts"]["rows_read"]
    ex = sum(m["counts"]["examples"].values())
    t = m["timing"]
    res = {"input": Path(src).name, "rows": rows, "examples": ex, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
           "hash_s": t["hash_s"], "catalog_s": t["catalog_s"], "stream_s": t["stream_s"],
           "picks_per_s_stream": round(ex / t["stream_s"]), "picks_per_s_cpu": round(ex / cpu),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
           "rss_before_build_mb": round(rss_before / 1024, 1),
           "output_mb": round(sum(f["bytes"] for f in m["files"].values()) / 2 ** 20, 1),
           "catalog": m["catalog"]["source"][:60]}
    if trace:
        res["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2 ** 20, 1)
    print(json.dumps(res))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-drafts", type=int)
    ap.add_argument("--format", default="v1")
    ap.add_argument("--catalog", default="default", choices=("default", "none"))
    ap.add_argument("--tracemalloc", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.max_drafts, args.format, args.catalog, args.tracemalloc)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from copilot.paths import shared_dir

    shared = shared_dir()
    if shared is None:
        print("no shared data folder: nothing to measure")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-dataset-"))
    import os

    os.environ["COPILOT_HOME"] = str(tmp / "home")  # the catalog cache goes here, not into the user's folders
    print(f"dataset build, format {args.format}, catalog {args.catalog}, max drafts {args.max_drafts or 'all'}")
    for name in INPUTS:
        src = shared / "data" / "picks" / "DSK" / name
        cmd = [sys.executable, __file__, "--child", str(src), str(tmp / name.split(".")[0]), "--format", args.format,
               "--catalog", args.catalog] + (["--max-drafts", str(args.max_drafts)] if args.max_drafts else []) + \
            (["--tracemalloc"] if args.tracemalloc else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name}: failed\n{r.stderr[-2000:]}")
            return 1
        res = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"{res['input']:<55} {res['examples']:>7,} picks  wall {res['wall_s']:7.2f}s (hash {res['hash_s']}s, "
              f"card data {res['catalog_s']}s, stream {res['stream_s']}s)  cpu {res['cpu_s']:7.2f}s\n"
              f"  {res['picks_per_s_stream']:>6,} picks/s (stream wall)  {res['picks_per_s_cpu']:>6,} picks/s "
              "(whole build, CPU)  "
              f"peak RSS {res['peak_rss_mb']} MB (before build {res['rss_before_build_mb']} MB)"
              + (f"  tracemalloc peak {res['tracemalloc_peak_mb']} MB" if "tracemalloc_peak_mb" in res else "")
              + f"  output {res['output_mb']} MB")
        print(f"  card data: {res['catalog']}")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
