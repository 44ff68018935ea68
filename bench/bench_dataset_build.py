"""Reading a full-size 17lands draft file: the polars reader (copilot.datasets.fast_csv) against today's builder.

    nice -n 10 .venv/bin/python bench/bench_dataset_build.py [--picks 5000000] [--prefix-drafts 2000] [--keep]

1. Generates a large draft_data CSV.gz under /tmp by repeating the real DSK dev-sample drafts of shared/ under new
   draft ids (the first 4 hex digits of each id become the copy number), until at least --picks picks; gzip -1.
2. In fresh child processes (so each peak RSS is its own; the figures include the interpreter and imports):
   a. the polars reader over the whole file (every PickRow made, malformed rows counted);
   b. today's builder (csv-module reader + prompts + JSONL, `copilot dataset build`) on the first --prefix-drafts
      drafts; c. the same build with the polars reader; d. the csv-module reader alone on that prefix;
   e. `copilot dataset build --format picks` (no prompt: what train-baseline and the quick model read) over the
      whole file.
3. Prints picks/s (wall and CPU), peak RSS, and the ratios, then deletes the generated file (unless --keep).
The machine may be shared: wall and CPU seconds are both printed.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = "picks/DSK/draft_data_public.DSK.PremierDraft.dev-sample.csv.gz"


def generate(src: Path, dest: Path, min_picks: int) -> dict:
    """Repeat the real drafts under new ids; returns {"picks", "drafts", "csv_bytes", "gz_bytes", "seconds"}."""
    import numpy as np

    t = time.perf_counter()
    raw = gzip.decompress(src.read_bytes())
    header, _, body = raw.partition(b"\n")
    buf = np.frombuffer(body, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(buf == 10)[:-1] + 1))
    prefix = body[:body.index(b",", body.index(b",") + 1) + 1]  # "DSK,PremierDraft,": the id follows
    if not all(body.startswith(prefix, s) for s in starts[:100].tolist()):
        raise SystemExit("unexpected layout: expansion,event_type,draft_id,... with constant first two fields")
    id_at = starts + len(prefix)
    rows, drafts_per_copy = len(starts), len({body[a:a + 32] for a in id_at.tolist()})
    copies = -(-min_picks // rows)
    if copies > 65535:
        raise SystemExit("too many copies for 4 hex digits")
    gz = subprocess.Popen(["gzip", "-1", "-c"], stdin=subprocess.PIPE, stdout=open(dest, "wb"))
    gz.stdin.write(header + b"\n")
    work = buf.copy()
    hexd = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    for k in range(copies):
        digits = hexd[[(k >> 12) & 15, (k >> 8) & 15, (k >> 4) & 15, k & 15]]
        for j in range(4):
            work[id_at + j] = digits[j]
        gz.stdin.write(work.tobytes())
    gz.stdin.close()
    if gz.wait() != 0:
        raise SystemExit("gzip failed")
    return {"picks": rows * copies, "drafts": drafts_per_copy * copies, "copies": copies,
            "csv_bytes": (len(header) + 1 + len(body) * copies), "gz_bytes": dest.stat().st_size,
            "seconds": round(time.perf_counter() - t, 1)}


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (reset by exec, unlike ru_maxrss, which a child inherits from the parent that
    forked it), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: str, out: str, prefix_drafts: int) -> None:
    sys.path.insert(0, str(REPO))
    w, c = time.perf_counter(), time.process_time()
    if mode in ("reader-polars", "reader-csv"):
        from copilot.training.reader import ReadReport, read_rows

        report = ReadReport()
        n, drafts, last = 0, 0, None
        for row in read_rows(path, report, mode.split("-")[1]):
            n += 1
            if row.draft_id != last:
                drafts += 1
                last = row.draft_id
                if mode == "reader-csv" and drafts > prefix_drafts:
                    n -= 1
                    break
        res = {"picks": n, "malformed": report.malformed, "truncated": report.truncated}
    else:
        from copilot.training.dataset import DatasetConfig, build_dataset

        if mode == "build-picks":  # --format picks (no prompt, for train-baseline) over the whole file
            cfg = DatasetConfig(picks=Path(path), out=Path(out), force=True, csv_engine="polars", prompt_format="picks")
        else:
            cfg = DatasetConfig(picks=Path(path), out=Path(out), max_drafts=prefix_drafts, force=True,
                                csv_engine=mode.split("-")[1], catalog="default")
        m = build_dataset(cfg)
        res = {"picks": sum(m["counts"]["examples"].values()), "reader": m["input"]["reader"],
               "stream_s": m["timing"]["stream_s"], "catalog_s": m["timing"]["catalog_s"]}
        res["stream_picks_per_s"] = round(res["picks"] / res["stream_s"])
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    res.update(mode=mode, wall_s=round(wall, 2), cpu_s=round(cpu, 2), picks_per_s=round(res["picks"] / wall),
               picks_per_cpu_s=round(res["picks"] / cpu),
               peak_rss_mb=round(peak_rss_mb(), 1))
    print(json.dumps(res))


def run_child(mode: str, path: Path, out: Path, prefix_drafts: int) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(out), "--prefix-drafts",
                        str(prefix_drafts)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--picks", type=int, default=5_000_000, help="at least this many picks in the generated file")
    ap.add_argument("--prefix-drafts", type=int, default=2000, help="drafts for today's builder (a prefix)")
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2], args.prefix_drafts)
        return 0
    sys.path.insert(0, str(REPO))
    from copilot.paths import shared_dir

    shared = shared_dir()
    if shared is None:
        print("no shared data folder: nothing to measure")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-dataset-build-", dir="/tmp"))
    os.environ["COPILOT_HOME"] = str(tmp / "home")  # catalog cache and nothing else goes there
    big = tmp / "draft_data_public.DSK.PremierDraft.bench.csv.gz"
    started = time.perf_counter()
    try:
        gen = generate(shared / "data" / SRC, big, args.picks)
        print(f"generated {big.name}: {gen['picks']:,} picks, {gen['drafts']:,} drafts ({gen['copies']} copies of "
              f"the real DSK dev drafts), {gen['csv_bytes'] / 2 ** 30:.2f} GiB of CSV, {gen['gz_bytes'] / 2 ** 20:.0f} "
              f"MiB gzipped, in {gen['seconds']} s")
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                        "from copilot.cards.catalog import default_catalog; default_catalog()", str(REPO)], check=True)
        results = {}  # the card catalog cache is warm: the builds below measure building, not the first catalog
        for mode in ("reader-polars", "build-csv", "build-polars", "reader-csv", "build-picks"):
            res = run_child(mode, big, tmp / mode, args.prefix_drafts)
            results[mode] = res
            print(f"  {mode:14s} {res['picks']:>10,} picks  {res['wall_s']:>8.1f} s wall {res['cpu_s']:>8.1f} s cpu  "
                  f"{res['picks_per_s']:>8,} picks/s ({res['picks_per_cpu_s']:,} per cpu s)  peak RSS "
                  f"{res['peak_rss_mb']:,.0f} MB" + (f"  malformed {res['malformed']}" if "malformed" in res else "")
                  + (f"  (stream only: {res['stream_picks_per_s']:,} picks/s)" if "stream_s" in res else ""),
                  flush=True)
        fast, today = results["reader-polars"], results["build-csv"]
        print(f"polars reader vs today's builder: {fast['picks_per_s'] / today['picks_per_s']:.1f}x picks/s (wall), "
              f"{fast['picks_per_cpu_s'] / today['picks_per_cpu_s']:.1f}x per cpu second; build with the polars "
              f"reader vs today's: {results['build-polars']['picks_per_s'] / today['picks_per_s']:.2f}x; "
              f"polars reader vs csv-module reader: {fast['picks_per_s'] / results['reader-csv']['picks_per_s']:.1f}x; "
              f"--format picks build (whole file) vs today's builder: "
              f"{results['build-picks']['picks_per_s'] / today['picks_per_s']:.1f}x")
        print(f"targets: >= 50,000 picks/s -> {fast['picks_per_s']:,} (wall), {fast['picks_per_cpu_s']:,} per cpu s; "
              f"< 1 GB peak RSS -> {fast['peak_rss_mb']:,.0f} MB")
        print(json.dumps({"generated": gen, "results": results,
                          "total_s": round(time.perf_counter() - started, 1)}))
    finally:
        if args.keep:
            print(f"kept {big}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
