"""Pick-accuracy evaluation of engines on 17lands picks (draft_data CSV or picks JSONL).

For every pick the engines rank the pack the human saw; metrics per engine:
- ``top1`` / ``top3``: share of picks where the human's pick is the engine's first / among its first three;
- ``valid``: share of picks where the engine answered with a card of the pack (no error); invalid answers count as
  misses in top1/top3;
- ``by_pick``: top-1 by pick bucket within the pack (1-3, 4-8, 9+);
- ``latency_ms`` p50/p95 and ``tokens_per_pick`` (mean `Recommendation.tokens_evaluated`).
Every pick counts, the forced last pick of a pack included (as in 17lands-based papers; it is in the 9+ bucket).

Sampling for slow engines (`sample_drafts=N, seed=S`): N drafts drawn with `random.Random(S).sample` from the
sorted draft ids of the file; their picks are evaluated whole and in file order, so an LLM engine sees the
consecutive picks of one draft as it would live (KV-cache reuse is realistic). `limit` caps the rows read.
Ctrl-C stops early and still reports the picks done so far (marked interrupted).

Halves (`half=0|1`): only the drafts of that half of the file (`draft_half`, a hash of the draft id), so a model
fitted on one half of a validation file (the hybrid engine's weights) is measured on the other.
"""
from __future__ import annotations

import hashlib
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from copilot.cards.model import front_face, name_key
from copilot.datasets.picks import CardResolver, iter_contexts, iter_pick_rows
from copilot.picking.engine import PickEngine, Recommendation, safe_rank

BUCKETS: tuple[tuple[str, int, int], ...] = (("1-3", 1, 3), ("4-8", 4, 8), ("9+", 9, 10 ** 6))


def _key(name: str) -> str:
    return name_key(front_face(name))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100.0 * len(ordered)) - 1))
    return ordered[k]


@dataclass
class EngineScore:
    engine: str
    model: str | None = None
    n: int = 0
    top1_hits: int = 0
    top3_hits: int = 0
    valid_n: int = 0
    bucket_n: dict[str, int] = field(default_factory=lambda: {b[0]: 0 for b in BUCKETS})
    bucket_hits: dict[str, int] = field(default_factory=lambda: {b[0]: 0 for b in BUCKETS})
    latencies: list[float] = field(default_factory=list)
    tokens: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    agree_n: int = 0  # picks where this engine and the first engine both gave a top card
    agree: int = 0  # ... and it was the same card

    def compare(self, rec: Recommendation, first: Recommendation) -> None:
        """Count whether this engine's top card is the first engine's (several engines side by side)."""
        if rec.error is None and rec.ranked and first.error is None and first.ranked:
            self.agree_n += 1
            self.agree += _key(rec.ranked[0].card.name) == _key(first.ranked[0].card.name)

    def add(self, rec: Recommendation, picks: Sequence[str], pack_names: set[str], pick_number: int) -> None:
        self.n += 1
        if self.model is None and rec.model:
            self.model = rec.model
        self.latencies.append(rec.latency_ms)
        self.tokens += rec.tokens_evaluated or 0
        bucket = next(b for b, lo, hi in BUCKETS if lo <= pick_number <= hi)
        self.bucket_n[bucket] += 1
        valid = rec.error is None and bool(rec.ranked) and _key(rec.ranked[0].card.name) in pack_names
        if not valid:
            msg = rec.error or ("no ranking" if not rec.ranked else "best card is not in the pack")
            msg = msg.splitlines()[0][:200]
            self.errors[msg] = self.errors.get(msg, 0) + 1
            return
        self.valid_n += 1
        want = {_key(p) for p in picks}
        ranked = [_key(s.card.name) for s in rec.ranked]
        if ranked[0] in want:
            self.top1_hits += 1
            self.bucket_hits[bucket] += 1
        if want & set(ranked[:3]):
            self.top3_hits += 1

    def _rate(self, hits: int, n: int) -> float | None:
        return round(hits / n, 4) if n else None

    def to_dict(self) -> dict:
        return {
            "engine": self.engine, "model": self.model, "n": self.n,
            "top1": self._rate(self.top1_hits, self.n), "top3": self._rate(self.top3_hits, self.n),
            "valid": self._rate(self.valid_n, self.n),
            "by_pick": {b: {"n": self.bucket_n[b], "top1": self._rate(self.bucket_hits[b], self.bucket_n[b])}
                        for b, _, _ in BUCKETS},
            "latency_ms": {"p50": _round(percentile(self.latencies, 50)), "p95": _round(percentile(self.latencies, 95)),
                           "mean": _round(sum(self.latencies) / len(self.latencies)) if self.latencies else None},
            "tokens_per_pick": round(self.tokens / self.n, 1) if self.n else None,
            "errors": dict(sorted(self.errors.items(), key=lambda kv: -kv[1])[:5]),
            **({"same_top_as_first": self._rate(self.agree, self.agree_n)} if self.agree_n else {}),
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def draft_half(draft_id: str) -> int:
    """0 or 1: which half of a file's drafts this one is in (sha256 of the id; independent of the dataset split)."""
    return hashlib.sha256(f"half:{draft_id}".encode("utf-8")).digest()[0] & 1


def draft_ids(path: Path | str, limit: int | None = None) -> list[str]:
    """Distinct draft ids in file order."""
    seen: dict[str, None] = {}
    for row in iter_pick_rows(path, limit=limit):
        seen.setdefault(row.draft_id, None)
    return list(seen)


def sample_drafts(path: Path | str, n: int, seed: int, limit: int | None = None, half: int | None = None) -> list[str]:
    ids = sorted(d for d in draft_ids(path, limit) if half is None or draft_half(d) == half)
    if n >= len(ids):
        return ids
    return random.Random(seed).sample(ids, n)


@dataclass
class EvalReport:
    file: str
    scores: list[EngineScore]
    picks: int
    drafts: int
    seconds: float
    sample: dict | None = None
    limit: int | None = None
    unknown_cards: list[str] = field(default_factory=list)
    interrupted: bool = False  # stopped early (Ctrl-C): the figures cover the picks done so far
    half: int | None = None

    def to_dict(self) -> dict:
        meta = {"file": self.file, "picks": self.picks, "drafts": self.drafts, "seconds": round(self.seconds, 2),
                "sample": self.sample, "limit": self.limit, "unknown_cards": len(self.unknown_cards),
                "interrupted": self.interrupted, "half": self.half}
        if len(self.scores) == 1:
            return {**self.scores[0].to_dict(), **meta}
        return {**meta, "engines": [s.to_dict() for s in self.scores]}


def evaluate(path: Path | str, engines: Sequence[PickEngine], catalog=None, limit: int | None = None,
             sample: int | None = None, seed: int = 0,
             progress: Callable[[str], None] | None = None, progress_every: float = 5.0,
             half: int | None = None) -> EvalReport:
    """Rank every selected pick with every engine and score the answers."""
    start = time.perf_counter()
    resolver = catalog if isinstance(catalog, CardResolver) else CardResolver(catalog)
    wanted: set[str] | None = None
    sample_meta = None
    if half is not None and not sample:
        wanted = {d for d in draft_ids(path, limit) if draft_half(d) == half}
    if sample:
        chosen = sample_drafts(path, sample, seed, limit, half)
        wanted = set(chosen)
        sample_meta = {"drafts": len(chosen), "seed": seed, "method": "random.Random(seed).sample(sorted draft ids)"}
        if progress:
            progress(f"eval: sampled {len(chosen)} drafts (seed {seed})")
    scores = [EngineScore(engine=getattr(e, "name", type(e).__name__)) for e in engines]
    picks = 0
    drafts: set[str] = set()
    last = time.perf_counter()
    interrupted = False
    try:
        for row, ctx in iter_contexts(path, resolver, limit=limit, draft_ids=wanted):
            pack_names = {_key(c.name) for c in ctx.pack}
            recs = [safe_rank(engine, ctx) for engine in engines]
            picks += 1  # a pick counts once every engine has answered it
            drafts.add(row.draft_id)
            for rec, score in zip(recs, scores):
                score.add(rec, row.picks, pack_names, row.pick_number)
            for rec, score in zip(recs[1:], scores[1:]):
                score.compare(rec, recs[0])
            now = time.perf_counter()
            if progress and now - last >= progress_every:
                last = now
                rates = ", ".join(f"{s.engine} top1 {s.top1_hits / s.n:.3f}" for s in scores if s.n)
                progress(f"eval: {picks} picks, {len(drafts)} drafts, {now - start:.0f} s; {rates}")
    except KeyboardInterrupt:
        interrupted = True
        if progress:
            progress(f"eval: interrupted after {picks} picks; reporting those")
    return EvalReport(file=str(path), scores=scores, picks=picks, drafts=len(drafts),
                      seconds=time.perf_counter() - start, sample=sample_meta, limit=limit,
                      unknown_cards=sorted(resolver.unknown), interrupted=interrupted, half=half)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if v < 10 else f"{v:.0f}"


def format_table(report: EvalReport) -> str:
    """Engines side by side, one row each."""
    head = ["engine", "model", "n", "top1", "top3", "valid"] + [f"top1 p{b}" for b, _, _ in BUCKETS] + \
        ["p50 ms", "p95 ms", "tok/pick"]
    rows = [head]
    for s in report.scores:
        d = s.to_dict()
        model = (d["model"] or "-")
        model = model if len(model) <= 32 else "…" + model[-31:]
        rows.append([d["engine"], model, str(d["n"]), _pct(d["top1"]), _pct(d["top3"]), _pct(d["valid"])] +
                    [_pct(d["by_pick"][b]["top1"]) for b, _, _ in BUCKETS] +
                    [_ms(d["latency_ms"]["p50"]), _ms(d["latency_ms"]["p95"]),
                     "-" if not d["tokens_per_pick"] else f"{d['tokens_per_pick']:.0f}"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    what = f"{report.picks} picks from {report.drafts} drafts of {Path(report.file).name}"
    if report.sample:
        what += f" (sample: {report.sample['drafts']} drafts, seed {report.sample['seed']})"
    if report.limit:
        what += f" (first {report.limit} rows)"
    if report.half is not None:
        what += f" (half {report.half} of the drafts)"
    what += f", {report.seconds:.1f} s"
    if report.interrupted:
        what += " (INTERRUPTED: partial figures)"
    lines.insert(0, what)
    first = report.scores[0].engine if report.scores else ""
    for s in report.scores[1:]:
        d = s.to_dict()
        if "same_top_as_first" in d:
            lines.append(f"{s.engine}: the same top card as {first} at {_pct(d['same_top_as_first'])} of "
                         f"{s.agree_n} picks")
    for s in report.scores:
        for msg, count in sorted(s.errors.items(), key=lambda kv: -kv[1])[:3]:
            lines.append(f"{s.engine}: {count} invalid answer(s): {msg}")
    if report.unknown_cards:
        lines.append(f"note: {len(report.unknown_cards)} card name(s) not in the card data (name-only cards): "
                     + ", ".join(report.unknown_cards[:5]) + ("…" if len(report.unknown_cards) > 5 else ""))
    return "\n".join(lines)


def stderr_progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
