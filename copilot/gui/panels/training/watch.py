"""What the training panel shows of a run and a dataset (Qt-free): metric points, ETA, summaries.

The records arrive as `metrics` events of `copilot train --json-progress` (copilot/commands/run_follow.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RunMetrics:
    """What the panel shows of metrics.jsonl: loss and validation points, speed, ETA."""

    records: list[dict] = field(default_factory=list)

    def reset(self) -> None:
        self.records.clear()

    def add_record(self, rec: dict) -> bool:
        """One step's record; False (ignored) without an integer step."""
        if not isinstance(rec.get("step"), int):
            return False
        # a resumed run rewrites its metrics from the checkpoint on: never keep two points for one step
        while self.records and self.records[-1]["step"] >= rec["step"]:
            self.records.pop()
        self.records.append(rec)
        return True

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

    def eta_s(self, max_steps: int, max_seconds: float = 0.0) -> float | None:
        """Seconds to `max_steps` at the recent step time; with a time budget (`max_seconds` of step time, the run's
        max_minutes), no more than the budget left."""
        sps = self.seconds_per_step()
        last = self.last()
        if sps is None or not last:
            return None
        eta = max(0, max_steps - int(last["step"])) * sps
        if max_seconds > 0:
            spent = sum(r["step_time_s"] for r in self.records if isinstance(r.get("step_time_s"), (int, float)))
            eta = min(eta, max(0.0, max_seconds - spent))
        return eta


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
