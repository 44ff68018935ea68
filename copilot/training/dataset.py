"""Build a chat-format pick dataset (train.jsonl, val.jsonl, manifest.json) from 17lands picks.

Streaming end to end: rows are read one at a time (`copilot.training.reader`), turned into a `PickContext` with the
draft's recent packs as signals, rendered in a prompt format (`copilot.picking.prompts`) and written straight to the
split's file. Memory grows with the number of drafts (ids and counts), never with rows or columns.

Each line of train.jsonl / val.jsonl::

    {"messages": [system, user, assistant],
     "meta": {"draft_id", "pack", "pick" (1-based), "set", "event", "format" (prompt format), "candidates" (pack
              names, pack order, duplicates kept), "pool" (names before this pick, pick order when known),
              "picked" (the name taken), "pool_ordered" (bool)}}

With ``--format conversation`` a line is one whole draft (or one pack of it) as a chat, every pick an assistant turn:
the schema is in `copilot.training.conversation_data`.

Beside them, `val.picks.jsonl` holds the validation rows in the compact 17lands picks layout, so
`copilot eval --picks DIR/val.picks.jsonl` scores any engine on exactly the held-out drafts.

The split is by draft (see `copilot.training.split`); the same input, options and seed give byte-identical
train/val files. The output appears atomically: everything is written into a hidden temporary folder beside
`out`, which is renamed into place at the end; an interrupted or failed build leaves no `out` behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from copilot.draft.state import SIGNAL_WINDOW
from copilot.training.conversation_data import (CHARS_PER_TOKEN, RANGE_FILTERS, ConversationDataError,
                                                DraftSequencer, Segment)
from copilot.training.filters import FilterSpec
from copilot.fileio import atomic_write_json, sha256_file, tool_info, utc_now
from copilot.training.reader import ReadReport, read_rows
from copilot.training.split import CountSplit, FracSplit

DATASET_KIND = "magic-copilot.pick-dataset"
DATASET_VERSION = 1
SPLITS = ("train", "val")
VAL_PICKS = "val.picks.jsonl"
VAL_PICKS_WHAT = ("the validation rows as a picks JSONL (17lands compact layout): "
                  "`copilot eval --picks DIR/val.picks.jsonl` scores any engine on exactly the held-out drafts")
META_FIELDS = ("draft_id", "pack", "pick", "set", "event", "format", "candidates", "pool", "picked",
               "pool_ordered")
HISTORY_DRAFTS = 64  # drafts whose recent rows are kept for colour signals (rows of a draft are contiguous)


class DatasetError(Exception):
    """A dataset folder cannot be built (nothing was written) or read for training; the message says why and what
    to do."""


@dataclass
class DatasetConfig:
    picks: Path
    out: Path
    prompt_format: str = "v1"
    val_frac: float | None = 0.1
    val_drafts: int | None = None  # exact number of validation drafts (overrides val_frac)
    seed: int = 0
    filters: FilterSpec = field(default_factory=FilterSpec)
    max_drafts: int | None = None  # stop after the first N drafts of the file
    catalog: str = "default"  # "default": card data from copilot.cards.catalog; "none": names only
    force: bool = False  # replace an existing `out`
    allow_truncated: bool = False  # keep what was read from a file that ends abruptly
    csv_engine: str = "auto"  # CSV reader: "polars" (copilot.datasets.fast_csv), "csv" (csv module), "auto"
    segment: str = "auto"  # conversation formats: draft | pack | auto (see copilot.training.conversation_data)
    max_tokens: int = 8192  # conversation formats, auto: the base model's context length


PICKS_ONLY = "picks"


@dataclass(frozen=True)
class PicksOnly:
    """`--format picks`: no prompt at all; each line is the pick's `meta` (pack, pool, pick), which is all that
    `copilot train-baseline` and the quick model read. Building one skips the card catalog, the pick contexts and
    the prompt text, which take most of a v1 build's time (bench/bench_dataset_build.py). LLM training refuses it."""

    name: str = PICKS_ONLY
    version: int = 1
    description: str = "no prompt: the picks alone (pack, pool, pick) for learned pick models (train-baseline)"
    conversational: bool = False


class _SplitWriter:
    """One output file: counts lines and hashes bytes as they are written."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "wb")
        self.sha = hashlib.sha256()
        self.examples = 0
        self.picks = 0  # supervised picks (a conversation line holds many)
        self.bytes = 0
        self.drafts: Counter = Counter()

    def write(self, line: bytes, draft_id: str, picks: int = 1) -> None:
        self.fh.write(line)
        self.sha.update(line)
        self.examples += 1
        self.picks += picks
        self.bytes += len(line)
        self.drafts[draft_id] += 1

    def close(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()

    def summary(self) -> dict:
        return {"examples": self.examples, "picks": self.picks, "drafts": len(self.drafts), "bytes": self.bytes,
                "sha256": self.sha.hexdigest()}


def _load_catalog(which: str):
    """(catalog or None, description for the manifest)."""
    if which == "none":
        return None, "none: names only (--catalog none)"
    from copilot.cards.catalog import default_catalog

    try:
        cat = default_catalog()
    except Exception as exc:  # noqa: BLE001 - a missing data file must not stop a build; the manifest says so
        return None, f"none: default_catalog() failed ({type(exc).__name__}: {exc}); names only"
    desc = getattr(cat, "describe", None)
    return cat, (desc() if callable(desc) else "copilot.cards.catalog.default_catalog()")


def picks_line(row) -> bytes:
    """The row in the compact 17lands picks JSONL layout (0-based numbers), readable by `copilot eval --picks`."""
    d = {"expansion": row.set_code, "event_type": row.event_type, "draft_id": row.draft_id,
         "pack_number": row.pack_number - 1, "pick_number": row.pick_number - 1, "pick": row.pick,
         "pack": list(row.pack), "pool": list(row.pool)}
    if row.pick_2:
        d["pick_2"] = row.pick_2
    return (json.dumps(d, ensure_ascii=False) + "\n").encode("utf-8")


def encode_example(example: dict) -> bytes:
    return (json.dumps(example, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def build_dataset(cfg: DatasetConfig, progress: Callable[[dict], None] | None = None,
                  log: Callable[[str], None] | None = None) -> dict:
    """Build the dataset folder `cfg.out`; returns its manifest. Raises DatasetError (nothing written). `log`
    hears of steps before the build proper (the pick model that orders a format's packs)."""
    from copilot.datasets.picks import CardResolver, PickFileError, context_from_row
    from copilot.picking.prompts import UnknownPromptFormat, get_format

    picks, out = Path(cfg.picks), Path(cfg.out)
    if not picks.is_file():
        raise DatasetError(f"pick file not found: {picks}")
    if out.exists() and not cfg.force:
        raise DatasetError(f"{out} already exists; choose another --out or pass --force to replace it")
    picks_only = cfg.prompt_format == PICKS_ONLY
    try:
        fmt = PicksOnly() if picks_only else get_format(cfg.prompt_format)
    except UnknownPromptFormat as exc:
        raise DatasetError(f"{exc} (or {PICKS_ONLY}: no prompt, for train-baseline)") from None
    try:
        filters = cfg.filters.build()
    except ValueError as exc:
        raise DatasetError(str(exc)) from None
    sequencer = _sequencer(fmt, cfg, filters)
    if cfg.val_drafts is not None:
        split = CountSplit(cfg.val_drafts, cfg.seed)
    else:
        try:
            split = FracSplit(0.1 if cfg.val_frac is None else cfg.val_frac, cfg.seed)
        except ValueError as exc:
            raise DatasetError(str(exc)) from None

    started = time.perf_counter()
    source_sha = sha256_file(picks)
    t_hash = time.perf_counter()
    if getattr(fmt, "orders_by_pick_model", False):
        from copilot.training.order_model import ensure_order_model

        fmt.pin_order_model(ensure_order_model(cfg, source_sha, split.describe(), log or (lambda _m: None)))
    catalog, catalog_desc = _load_catalog("none" if picks_only else cfg.catalog)
    resolve = CardResolver(catalog)
    t_catalog = time.perf_counter()

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.building-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    report = ReadReport()
    writers: dict[str, _SplitWriter] = {}
    pending = val_picks = None
    try:
        writers = {s: _SplitWriter(tmp / f"{s}.jsonl") for s in SPLITS}
        val_picks = _SplitWriter(tmp / VAL_PICKS)
        pending_path = tmp / "pending.tmp"
        pending = open(pending_path, "wb")
        history: OrderedDict[str, list] = OrderedDict()
        names: set[str] = set()
        sets: Counter = Counter()
        events: Counter = Counter()
        drafts_seen: set[str] = set()
        filtered = pool_fallback = dropped_drafts = 0

        def emit(draft_id: str, lines: list[bytes], plines_of: Callable[[], list[bytes]], picks: list[int]) -> None:
            """`plines_of()`: the compact picks lines, made only for drafts that are or may be validation drafts."""
            route = split.route(draft_id)
            plines = plines_of() if route != "train" else []
            if route == "pending":
                # JSON-quoted id: a tab inside it cannot break the record; JSON lines hold no raw tabs, and no
                # raw \x1e, which separates the several picks lines a conversation line brings
                for i, line in enumerate(lines):
                    pl = b"\x1e".join(p[:-1] for p in plines) if i == 0 else b""
                    pending.write(json.dumps(draft_id).encode("utf-8") + b"\t" + str(picks[i]).encode() + b"\t"
                                  + line[:-1] + b"\t" + pl + b"\n")
                return
            for line, n in zip(lines, picks):
                writers[route].write(line, draft_id, n)
            if route == "val":
                for pl in plines:
                    val_picks.write(pl, draft_id)

        def emit_finished(done) -> None:
            nonlocal dropped_drafts
            for d in done:
                if not d.kept:
                    dropped_drafts += 1
                    continue
                emit(d.draft_id, [encode_example(e) for e in d.examples], lambda: [picks_line(r) for r in d.rows],
                     [e["meta"]["n_picks"] for e in d.examples])
        stopped_early = False
        last_progress = time.perf_counter()
        try:
            for row in read_rows(picks, report, cfg.csv_engine):
                if cfg.max_drafts is not None and row.draft_id not in drafts_seen:
                    if len(drafts_seen) >= cfg.max_drafts:
                        stopped_early = True
                        break
                    drafts_seen.add(row.draft_id)
                past = history.pop(row.draft_id, [])
                history[row.draft_id] = past + [row] if sequencer else (past + [row])[-SIGNAL_WINDOW:]
                if len(history) > HISTORY_DRAFTS:
                    history.popitem(last=False)
                kept = all([f(row) for f in filters])
                if sequencer is not None:
                    filtered += not kept
                    ctx = context_from_row(row, resolve, past)
                    picked = tuple(resolve(n, row.set_code) for n in row.picks)
                    emit_finished(sequencer.add(row, ctx, picked, kept))
                    names.update(row.pack)
                    names.update(row.pool)
                    sets[row.set_code or "?"] += 1
                    events[row.event_type or "?"] += 1
                    pool_fallback += not row.pool_ordered
                    continue
                if not kept:
                    filtered += 1
                    continue
                if picks_only:
                    example = {}
                else:
                    ctx = context_from_row(row, resolve, past)
                    example = fmt.example(ctx, resolve(row.pick, row.set_code))
                example["meta"] = {
                    "draft_id": row.draft_id, "pack": row.pack_number, "pick": row.pick_number,
                    "set": row.set_code, "event": row.event_type, "format": fmt.name,
                    "candidates": list(row.pack), "pool": list(row.pool), "picked": row.pick,
                    "pool_ordered": row.pool_ordered,
                }
                if row.pick_2:
                    example["meta"]["picked_2"] = row.pick_2
                names.update(row.pack)
                names.update(row.pool)
                sets[row.set_code or "?"] += 1
                events[row.event_type or "?"] += 1
                pool_fallback += not row.pool_ordered
                emit(row.draft_id, [encode_example(example)], lambda: [picks_line(row)], [1])
                if progress is not None and time.perf_counter() - last_progress > 2.0:
                    last_progress = time.perf_counter()
                    progress({"rows": report.rows, "examples": sum(w.examples for w in writers.values()),
                              "seconds": last_progress - started})
            if sequencer is not None:
                emit_finished(sequencer.finish())
        except PickFileError as exc:
            raise DatasetError(str(exc)) from None
        except ConversationDataError as exc:
            raise DatasetError(str(exc)) from None
        pending.close()
        if report.truncated and not cfg.allow_truncated:
            raise DatasetError(f"{picks}: {report.truncated}. Nothing was written; fix the file, or pass "
                               "--allow-truncated to build from the rows that could be read")
        # settle the drafts whose side was not known while streaming (CountSplit)
        with open(pending_path, "rb") as fh:
            for raw in fh:
                draft_id, n_picks, line, plines = raw.split(b"\t", 3)
                did = json.loads(draft_id)
                side = "val" if split.is_val(did) else "train"
                writers[side].write(line + b"\n", did, int(n_picks))
                if side == "val":
                    for pline in plines[:-1].split(b"\x1e"):
                        if pline:
                            val_picks.write(pline + b"\n", did)
        pending_path.unlink()
        for w in list(writers.values()) + [val_picks]:
            w.close()
        total = sum(w.examples for w in writers.values())
        if total == 0:
            raise DatasetError(f"no examples: {report.rows} rows read, {report.malformed} malformed, {filtered} "
                               "filtered out. Check the file and the filters; nothing was written")
        per_draft = Counter(n for w in writers.values() for n in w.drafts.values())
        missing_card_data = sorted(resolve.unknown)
        manifest = {
            "kind": DATASET_KIND,
            "dataset_version": DATASET_VERSION,
            "source": {"path": str(picks.resolve()), "name": picks.name, "sha256": source_sha,
                       "size_bytes": picks.stat().st_size, "kind": report.kind},
            "set_codes": sorted(sets), "event_types": sorted(events),
            "prompt_format": fmt.name, "prompt_format_version": fmt.version,
            "prompt_format_description": fmt.description,
            **_pack_order_sources(fmt, sets),
            "seed": cfg.seed,
            "split": split.describe(),
            "filters": {"given": cfg.filters.to_dict(), "results": {f.name: f.summary() for f in filters}},
            "limits": {"max_drafts": cfg.max_drafts, "stopped_early": stopped_early},
            "counts": {
                "rows_read": report.rows, "rows_malformed": report.malformed, "rows_filtered": filtered,
                "examples": {s: writers[s].examples for s in SPLITS},
                "picks": {s: writers[s].picks for s in SPLITS},
                "drafts": {s: len(writers[s].drafts) for s in SPLITS},
                "examples_per_draft": {str(k): v for k, v in sorted(per_draft.items())},
                "pool_order_unknown": pool_fallback,
            },
            **({"conversation": {"segment": sequencer.segment.value, "max_tokens": sequencer.max_tokens,
                                 "sequences": dict(sequencer.segments_written),
                                 "drafts_dropped_by_filters": dropped_drafts,
                                 "estimate": f"tokens ~ characters / {CHARS_PER_TOKEN}",
                                 "schema": "copilot.training.conversation_data"}} if sequencer else {}),
            "input": report.to_dict(),
            "files": dict({f"{s}.jsonl": writers[s].summary() for s in SPLITS},
                          **{VAL_PICKS: dict(val_picks.summary(), what=VAL_PICKS_WHAT)}),
            "example_meta_fields": list(META_FIELDS),
            "catalog": {"source": catalog_desc, "names_without_card_data": len(missing_card_data),
                        "names_without_card_data_sample": missing_card_data[:50]},
            "card_count": len(names),
            "cards": sorted(names),
            "timing": {"hash_s": round(t_hash - started, 3), "catalog_s": round(t_catalog - t_hash, 3),
                       "stream_s": round(time.perf_counter() - t_catalog, 3),
                       "total_s": round(time.perf_counter() - started, 3)},
            "created": utc_now(),
            "tool": tool_info(),
        }
        atomic_write_json(tmp / "manifest.json", manifest)
        if out.exists():  # --force: swap atomically, then drop the old folder
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
        return manifest
    except BaseException:
        for fh in [w.fh for w in writers.values()] + ([pending] if pending is not None else []) + \
                ([val_picks.fh] if val_picks is not None else []):
            fh.close()  # closing twice is harmless; open handles would block the removal on Windows
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _pack_order_sources(fmt, sets) -> dict:
    """{"pack_order": {set: what ordered its packs}} for formats that list a pack in an engine's ranking
    (conversation order=pick/picknet): the model learns that order, so the dataset names it; {} otherwise."""
    source = getattr(fmt, "order_source", None)
    if source is None or getattr(fmt, "order", None) is None or fmt.order.value not in ("pick", "picknet"):
        return {}
    return {"pack_order": {s: source(s) or "as dealt (no ratings)" for s in sorted(sets)}}


def _sequencer(fmt, cfg: DatasetConfig, filters):
    """A DraftSequencer for conversation formats (None for per-pick formats); refuses filters it cannot honour."""
    if not getattr(fmt, "conversational", False):
        return None
    bad = [f.name for f in filters if f.name in RANGE_FILTERS]
    if bad:
        raise DatasetError(f"--{', --'.join(bad)} cannot apply to the {fmt.name} format: a conversation holds the "
                           "whole draft (or pack). Leave the range filter out, or use a per-pick format (v1)")
    try:
        segment = Segment(cfg.segment)
    except ValueError:
        raise DatasetError(f"--segment {cfg.segment!r}: expected auto, draft or pack") from None
    if cfg.max_tokens < 256:
        raise DatasetError(f"--max-tokens {cfg.max_tokens}: too small for a pack of cards (the base model's "
                           "context length, e.g. 8192 for SmolLM2-135M)")
    return DraftSequencer(fmt, segment, cfg.max_tokens)


def load_manifest(folder: str | os.PathLike) -> dict:
    p = Path(folder) / "manifest.json"
    if not p.is_file():
        raise DatasetError(f"{folder} is not a dataset folder (no manifest.json); build one with "
                           "`copilot dataset build --picks FILE --out DIR`")
    with open(p, encoding="utf-8") as fh:
        m = json.load(fh)
    if m.get("kind") != DATASET_KIND:
        raise DatasetError(f"{p} is not a pick-dataset manifest (kind={m.get('kind')!r})")
    return m


def iter_examples(folder: str | os.PathLike, split: str = "train"):
    """Stream the examples (dicts) of one split of a dataset folder."""
    path = Path(folder) / f"{split}.jsonl"
    if not path.is_file():
        raise DatasetError(f"{path} missing: not a complete dataset folder")
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
