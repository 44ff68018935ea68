"""Idle CPU and wake-up latency of the live path, watchdog vs polling.

    .venv/bin/python bench/bench_live_idle.py [--seconds 10] [--samples 20] [--log FILE] [--cli]

1. Idle CPU: a LiveSession follows an unchanging copy of a real Player.log (caught up first); the main thread
   sleeps N seconds and the process CPU time used (all threads: tailer, watchdog observer) is divided by N.
2. Latency: the draft's pick lines are appended one at a time (as Arena writes them); the time from the write to
   the `on_state` callback that shows the new pick (tail wake-up + read + parse + idle flush + reduce).
3. With --cli: the same idle measurement on a real `copilot live` subprocess (psutil), both modes.

Prints one line per mode and the polling/watchdog ratios.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from copilot.live.session import LiveSession  # noqa: E402
from copilot.paths import shared_dir  # noqa: E402

PICK = b"==> EventPlayerDraftMakePick"


def default_log() -> Path:
    root = shared_dir()
    if root is None:
        sys.exit("no shared/ folder: pass --log FILE")
    return root / "fixtures" / "arena-logs" / "premier-draft-2026-ECL.log"


def line_offsets(data: bytes, marker: bytes) -> list[tuple[int, int]]:
    """(start, end) of every line holding `marker`."""
    out, i = [], 0
    while (i := data.find(marker, i)) >= 0:
        start = data.rfind(b"\n", 0, i) + 1
        end = data.index(b"\n", i) + 1
        out.append((start, end))
        i = end
    return out


def idle_cpu(log: Path, use_watchdog: bool, seconds: float, poll: float) -> tuple[float, str]:
    home = tempfile.mkdtemp(prefix="bench-home-")
    s = LiveSession(log, state_file=Path(home) / "live_state.json", use_watchdog=use_watchdog, poll_interval=poll)
    s.start()
    try:
        deadline = time.monotonic() + 30
        while (s.position is None or s.position.offset < log.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # let the idle flush and the save happen
        c0, w0 = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        c1, w1 = time.process_time(), time.perf_counter()
        mode = s.info.mode
    finally:
        s.stop()
        shutil.rmtree(home, ignore_errors=True)
    return (c1 - c0) / (w1 - w0) * 100.0, mode


def pick_count(state):
    d = state.current
    return sum(1 for r in d.picks if r.picked) if d else 0


def pack_key(state):
    d = state.current
    return (d.pack_number, d.pick_number, tuple(d.current_pack or ())) if d else None


def latency(data: bytes, folder: Path, use_watchdog: bool, samples: int, poll: float, marker: bytes = PICK,
            key=pick_count) -> list[float]:
    picks = line_offsets(data, marker)
    first = max(0, len(picks) - samples - 1)
    log = folder / "Player.log"
    log.write_bytes(data[: picks[first][1]])
    got = threading.Condition()
    counts = []

    def on_state(state):
        with got:
            counts.append(key(state))
            got.notify_all()

    s = LiveSession(log, state_file=folder / "live_state.json", persist=False, use_watchdog=use_watchdog,
                    poll_interval=poll, on_state=on_state, include_prev=False)
    s.start()
    out = []
    rng = random.Random(0)
    try:
        with got:
            got.wait_for(lambda: counts, timeout=30)
        time.sleep(0.3)
        for k in range(first + 1, min(len(picks), first + 1 + samples)):
            start, end = picks[k]
            with got:
                before = counts[-1]
            with open(log, "ab") as f:  # everything up to and including the next pick line
                t0 = time.perf_counter()
                f.write(data[picks[k - 1][1]:end])
                f.flush()
            with got:
                ok = got.wait_for(lambda: counts[-1] != before, timeout=10)
                t1 = time.perf_counter()
            if ok:
                out.append((t1 - t0) * 1000.0)
            # like a player: the next pick comes later, at a random phase of the polling timer
            time.sleep(poll + 0.15 + rng.uniform(0, poll))
    finally:
        s.stop()
    return out


def cli_idle(log: Path, use_watchdog: bool, seconds: float, cards: Path | None) -> float:
    import psutil

    home = tempfile.mkdtemp(prefix="bench-cli-")
    cmd = [sys.executable, "-m", "copilot", "live", "--log", str(log), "--json", "--no-recommend", "--no-prev"]
    if cards:
        cmd += ["--cards", str(cards)]
    if not use_watchdog:
        cmd.append("--poll")
    env = dict(os.environ, COPILOT_HOME=home, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stdout:  # started and caught up: the mode line comes after the first pass is queued
            if '"type": "mode"' in line:
                break
        time.sleep(2.0)
        p = psutil.Process(proc.pid)
        t0 = p.cpu_times()
        w0 = time.perf_counter()
        time.sleep(seconds)
        t1 = p.cpu_times()
        w1 = time.perf_counter()
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(home, ignore_errors=True)
    return ((t1.user + t1.system) - (t0.user + t0.system)) / (w1 - w0) * 100.0


def catch_up(data: bytes, copies: int = 3) -> str:
    """Start-up catch-up of a big log: LiveSession.run_once vs a one-shot replay_paths of the same file."""
    from copilot.draft.replay import replay_paths

    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "Player.log"
        log.write_bytes(data * copies)
        t0 = time.perf_counter()
        want = replay_paths([log])
        t1 = time.perf_counter()
        got = LiveSession(log, persist=False, include_prev=False).run_once()
        t2 = time.perf_counter()
    same = "same state" if got.to_json() == want.to_json() else "STATES DIFFER"
    return (f"catch-up of {len(data) * copies / 1e6:.1f} MB: live {t2 - t1:.3f} s, replay {t1 - t0:.3f} s, "
            f"ratio x{(t2 - t1) / (t1 - t0):.2f} ({same})")


def _ms(xs: list[float]) -> str:
    return f"{statistics.median(xs):6.1f}/{max(xs):6.1f} ms (n={len(xs)})" if xs else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", type=Path, default=None)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--poll", type=float, default=0.5, help="polling interval (both modes keep it as safety net)")
    ap.add_argument("--cli", action="store_true", help="also measure a real `copilot live` subprocess")
    args = ap.parse_args()
    src = args.log or default_log()
    data = src.read_bytes()
    print(f"log: {src} ({len(data) / 1e6:.2f} MB); idle {args.seconds:.0f} s; poll interval {args.poll} s; "
          f"{os.cpu_count()} CPUs")
    results = {}
    for use_wd in (True, False):
        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "Player.log"
            log.write_bytes(data)
            cpu, mode = idle_cpu(log, use_wd, args.seconds, args.poll)
        with tempfile.TemporaryDirectory() as d:
            lat = latency(data, Path(d), use_wd, args.samples, args.poll)
        with tempfile.TemporaryDirectory() as d:
            lat_pack = latency(data, Path(d), use_wd, args.samples, args.poll, b"Draft.Notify", pack_key)
        results[mode] = (cpu, lat)
        print(f"{mode:9s} idle CPU {cpu:6.3f} %   append->state latency, median/max: "
              f"pick line {_ms(lat)}   pack (Draft.Notify) {_ms(lat_pack)}")
    if "watchdog" in results and "polling" in results:
        (cw, lw), (cp, lp) = results["watchdog"], results["polling"]
        print(f"polling/watchdog: idle CPU x{cp / cw if cw else float('inf'):.2f}, median latency "
              f"x{statistics.median(lp) / statistics.median(lw):.1f}")
    root = shared_dir()
    if root is not None and args.log is None:
        qd = root / "fixtures" / "arena-logs"
        print(catch_up(b"".join((qd / f"quick-draft-2026-ECL.part{i}.log").read_bytes() for i in (1, 2, 3))))
    if args.cli:
        cards = root / "data" / "cards" / "17lands_cards.csv.gz" if root else None
        for use_wd in (True, False):
            with tempfile.TemporaryDirectory() as d:
                log = Path(d) / "Player.log"
                log.write_bytes(data)
                cpu = cli_idle(log, use_wd, args.seconds, cards)
            print(f"copilot live subprocess ({'watchdog' if use_wd else 'polling'}): idle CPU {cpu:.3f} % "
                  f"(psutil, 10 ms clock ticks)")


if __name__ == "__main__":
    main()
