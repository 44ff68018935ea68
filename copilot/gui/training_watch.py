"""Following a training run folder without blocking anyone: incremental readers and summaries (Qt-free).

`TailReader` reads only the bytes appended since the last call. A file that was replaced (the trainer rewrites
`metrics.jsonl` through a temporary file when it resumes and drops lines after the checkpoint) or truncated is
noticed by its inode/size and read again from the start, with `reset=True` so the caller rebuilds its view.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

READ_CAP = 1 << 20  # at most this many new bytes per call (a huge log is caught up over several timer ticks)


class TailReader:
    def __init__(self, path: str | os.PathLike, from_end: bool = False):
        self.path = Path(path)
        self.offset = 0
        self.ident: tuple[int, int] | None = None
        self.partial = b""
        self.from_end = from_end

    def read_new(self) -> tuple[bool, list[str]]:
        """(reset, complete new lines). reset: the file was replaced or shrank; lines start from its beginning."""
        try:
            st = os.stat(self.path)
        except OSError:
            reset = self.ident is not None
            self.ident, self.offset, self.partial = None, 0, b""
            return reset, []
        ident = (st.st_dev, st.st_ino)
        reset = False
        if self.ident is None:
            self.ident = ident
            if self.from_end:
                self.offset = st.st_size
        elif ident != self.ident or st.st_size < self.offset:
            self.ident, self.offset, self.partial = ident, 0, b""
            reset = True
        if st.st_size <= self.offset:
            return reset, []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(min(st.st_size - self.offset, READ_CAP))
        self.offset += len(data)
        data = self.partial + data
        *lines, self.partial = data.split(b"\n")
        return reset, [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]


@dataclass
class RunMetrics:
    """What the panel shows of metrics.jsonl: loss and validation points, speed, ETA."""

    records: list[dict] = field(default_factory=list)

    def reset(self) -> None:
        self.records.clear()

    def add_lines(self, lines: list[str]) -> int:
        n = 0
        for line in lines:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line after a hard kill
            if isinstance(rec, dict) and isinstance(rec.get("step"), int):
                # a resumed run rewrites the file; never keep two points for one step
                while self.records and self.records[-1]["step"] >= rec["step"]:
                    self.records.pop()
                self.records.append(rec)
                n += 1
        return n

    def loss_points(self) -> list[tuple[float, float]]:
        return [(r["step"], float(r["loss"])) for r in self.records if isinstance(r.get("loss"), (int, float))]

    def val_points(self) -> list[tuple[float, float]]:
        return [(r["step"], float(r["val_top1"])) for r in self.records
                if isinstance(r.get("val_top1"), (int, float))]

    def last(self) -> dict:
        return self.records[-1] if self.records else {}

    def seconds_per_step(self, window: int = 10) -> float | None:
        times = [r["step_time_s"] for r in self.records[-window:] if isinstance(r.get("step_time_s"), (int, float))]
        return sum(times) / len(times) if times else None

    def eta_s(self, max_steps: int) -> float | None:
        sps = self.seconds_per_step()
        last = self.last()
        if sps is None or not last:
            return None
        return max(0, max_steps - int(last["step"])) * sps


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def dataset_summary(manifest: dict) -> str:
    """One short paragraph from a dataset manifest (`copilot dataset build`)."""
    c = manifest.get("counts", {})
    ex, dr = c.get("examples", {}), c.get("drafts", {})
    sets = ", ".join(manifest.get("set_codes") or manifest.get("sets") or []) or "?"
    events = ", ".join(manifest.get("event_types") or []) or "?"
    src = (manifest.get("source") or {}).get("name", "") if isinstance(manifest.get("source"), dict) else ""
    lines = [f"{src + ': ' if src else ''}set {sets}, format {events}, prompt format "
             f"{manifest.get('prompt_format', '?')}"]
    if isinstance(ex, dict) and isinstance(dr, dict):
        lines.append(f"train {ex.get('train', 0):,} examples / {dr.get('train', 0):,} drafts · "
                     f"validation {ex.get('val', 0):,} examples / {dr.get('val', 0):,} drafts")
    extra = []
    if c.get("rows_malformed"):
        extra.append(f"{c['rows_malformed']:,} malformed rows skipped")
    if c.get("rows_filtered"):
        extra.append(f"{c['rows_filtered']:,} rows filtered out")
    if (manifest.get("limits") or {}).get("stopped_early"):
        extra.append(f"first {manifest['limits'].get('max_drafts')} drafts only")
    if extra:
        lines.append("; ".join(extra))
    return "\n".join(lines)


def latest_run(runs_dir: Path) -> Path | None:
    """The most recently changed run folder (one with a config.json) under `runs_dir`."""
    try:
        runs = [p for p in Path(runs_dir).iterdir() if (p / "config.json").is_file()]
    except OSError:
        return None
    return max(runs, key=lambda p: p.stat().st_mtime) if runs else None
