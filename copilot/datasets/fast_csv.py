"""A fast, streaming reader of 17lands draft_data CSV(.gz) files with polars: the same `PickRow`s as the `csv`-module
readers (`copilot.datasets.picks`, `copilot.training.reader`), several times faster, in bounded memory.

How it streams: a background thread decompresses the file (zlib releases the GIL, so this runs beside the parsing)
and cuts it into blocks of about `BLOCK_BYTES` at line ends (never inside a quoted field); polars parses each block
with a fixed schema (card counts Int16, the rest strings); numpy turns the count matrices into card names; only the
per-row bookkeeping is Python. Memory holds a few blocks, whatever the file's size.

Exactness: each block yields exactly what the csv-module reader yields for the same lines: the same names in the same
order (pack and pool in column order, counts repeated), the same 1-based numbers, the same pool-order reconstruction
(`PoolOrder`: carried over when the previous row of the draft is the previous pick, checked here by count vectors),
the same row checks and messages. A block that polars cannot read exactly as the csv module would (a field that is
not a whole number, a ragged row, an empty count field, a blank line) is handed back as `SlowBlock` so the caller
reads those lines with the csv module; the result is the same, only slower for that block.
"""
from __future__ import annotations

import gzip
import io
import queue
import threading
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import polars as pl

from copilot.datasets.fast_counts import CountLayout, split_counts
from copilot.datasets.picks import PACK_PREFIX, POOL_PREFIX, PickFileError, PickRow, PoolOrder

BLOCK_BYTES = 16 << 20
READ_BYTES = 1 << 20
REQUIRED = ("draft_id", "pack_number", "pick_number", "pick")
EXTRAS = ("rank", "event_match_wins", "event_match_losses", "draft_time", "user_n_games_bucket",
          "user_game_win_rate_bucket")


@dataclass(frozen=True)
class BadRow:
    lineno: int
    message: str


@dataclass(frozen=True)
class SlowBlock:
    """Lines the fast path does not read: parse `text` (header line first) with the csv module; its first data line
    is line `first_line` of the file."""

    text: str
    first_line: int


@dataclass(frozen=True)
class Truncated:
    error: BaseException


class _Blocks:
    """Decompressed blocks of whole lines (header excluded), made on a background thread."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        self.fh = gzip.open(path, "rb") if gz else open(path, "rb")
        self.header = self.fh.readline()
        self.q: queue.Queue = queue.Queue(maxsize=3)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        buf = b""
        try:
            while not self.stop.is_set():
                data = self.fh.read(READ_BYTES)
                if not data:
                    break
                buf += data
                if len(buf) < BLOCK_BYTES:
                    continue
                cut = buf.rfind(b"\n") + 1
                while cut and buf.count(b'"', 0, cut) % 2:  # never cut inside a quoted field
                    cut = buf.rfind(b"\n", 0, cut - 1) + 1
                if cut:
                    if not self._put(buf[:cut]):
                        return
                    buf = buf[cut:]
            if buf:
                self._put(buf)
            self._put(None)
        except (EOFError, zlib.error, OSError) as exc:  # a truncated or damaged .gz: what was read, then the error
            if buf:
                cut = buf.rfind(b"\n") + 1
                if cut:
                    self._put(buf[:cut])
            self._put(Truncated(exc))

    def __iter__(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            yield item
            if isinstance(item, Truncated):
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.fh.close()


def _mapping(names: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, n in enumerate(names):
        out.setdefault(n, i)
    return out


def _names_per_row(counts: np.ndarray, names: list[str]) -> list[tuple[str, ...]]:
    """Row i -> the names of its nonzero columns, in column order, each repeated by its count."""
    counts = np.clip(counts, 0, None)
    r, c = np.nonzero(counts)
    reps = counts[r, c]
    if len(reps) and reps.max() > 1:
        c = np.repeat(c, reps)
        r = np.repeat(r, reps)
    flat = np.asarray(names, dtype=object)[c].tolist() if len(c) else []
    bounds = np.searchsorted(r, np.arange(counts.shape[0] + 1)).tolist()
    return [tuple(flat[bounds[i]:bounds[i + 1]]) for i in range(counts.shape[0])]


def iter_csv_fast(path: str | Path, order: PoolOrder, columns_out: list | None = None, stats: dict | None = None
                  ) -> Iterator[PickRow | BadRow | SlowBlock | Truncated]:
    """Stream a 17lands draft_data CSV(.gz): PickRows, BadRows (malformed, with the csv reader's message), SlowBlocks
    (for the caller's csv-module reader) and a final Truncated when the file ends abruptly. `stats` counts the
    blocks read by each tier: "numpy" (one-digit counts), "polars" (full parse), "csv" (handed back)."""
    stats = {} if stats is None else stats
    path = Path(path)
    blocks = _Blocks(path)
    try:
        header_line = blocks.header
        if not header_line.strip():
            raise PickFileError(f"{path}: the file is empty")
        header_text = header_line.decode("utf-8-sig" if header_line.startswith(b"\xef\xbb\xbf") else "utf-8")
        import csv

        header = next(csv.reader([header_text]))
        col = {name: i for i, name in enumerate(header)}
        pack_cols = [h for h in header if h.startswith(PACK_PREFIX)]
        pool_cols = [h for h in header if h.startswith(POOL_PREFIX)]
        missing = [c for c in REQUIRED if c not in col] + ([] if pack_cols else ["pack_card_*"])
        if missing:
            raise PickFileError(f"{path}: not a 17lands draft_data CSV (missing columns: {', '.join(missing)})")
        if len(col) != len(header):  # duplicate column names: polars cannot key them; the csv path can
            yield from _all_slow(blocks, header_text)
            return
        extras = [c for c in EXTRAS if c in col]
        if columns_out is not None:
            columns_out[:] = extras
        spec = _Spec.make(header, pack_cols, pool_cols, header_line)
        pack_names = [h[len(PACK_PREFIX):] for h in pack_cols]
        pool_names = [h[len(POOL_PREFIX):] for h in pool_cols]
        pool_idx = _mapping(pool_names)
        has_set, has_event, has_pick2 = "expansion" in col, "event_type" in col, "pick_2" in col
        line = 2  # file line of the block's first data line
        for block_no, block in enumerate(blocks):
            if isinstance(block, Truncated):
                yield block
                return
            n_lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            parsed = _parse(block, spec, stats)
            if parsed is None:
                stats["csv"] = stats.get("csv", 0) + 1
                yield SlowBlock(header_text + block.decode("utf-8"), line)  # bad UTF-8 raises, as in the csv path
            else:
                df, counts = parsed
                yield from _rows(df, counts[:, spec.pack_pos], counts[:, spec.pool_pos], block_no, line, order,
                                 pack_names, pool_names, pool_idx, extras, has_set, has_event, has_pick2)
            line += n_lines
    finally:
        blocks.close()


@dataclass(frozen=True)
class _Spec:
    header_line: bytes
    full_schema: dict
    count_cols: list
    meta_cols: list
    meta_header: bytes
    meta_schema: dict
    layout: CountLayout | None
    pack_pos: np.ndarray  # positions of the pack columns among count_cols
    pool_pos: np.ndarray

    @classmethod
    def make(cls, header: list[str], pack_cols: list[str], pool_cols: list[str], header_line: bytes) -> "_Spec":
        import csv

        count_set = set(pack_cols) | set(pool_cols)
        count_cols = [h for h in header if h in count_set]
        meta_cols = [h for h in header if h not in count_set]
        numbers = {"pack_number", "pick_number"}
        full = {h: (pl.Int16 if h in count_set or h in numbers else pl.String) for h in header}
        meta = {h: (pl.Int16 if h in numbers else pl.String) for h in meta_cols}
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(meta_cols)
        pos = {h: i for i, h in enumerate(count_cols)}
        return cls(header_line, full, count_cols, meta_cols, buf.getvalue().encode("utf-8"), meta,
                   CountLayout.from_header(header, lambda h: h in count_set),
                   np.array([pos[h] for h in pack_cols], dtype=np.int64),
                   np.array([pos[h] for h in pool_cols], dtype=np.int64))


def _all_slow(blocks: _Blocks, header_text: str):
    line = 2
    for block in blocks:
        if isinstance(block, Truncated):
            yield block
            return
        yield SlowBlock(header_text + block.decode("utf-8"), line)
        line += block.count(b"\n")


def _parse(block: bytes, spec: _Spec, stats: dict) -> tuple[pl.DataFrame, np.ndarray] | None:
    """(text columns, counts in count-column order) of a block, or None when only the csv module would read it
    exactly like the csv-module reader does."""
    if block.startswith((b"\n", b"\r\n")) or b"\n\n" in block or b"\n\r\n" in block:
        return None  # blank lines: the csv module skips them without counting
    numbers = [c for c in ("pack_number", "pick_number") if c in spec.meta_schema]
    split = split_counts(block, spec.layout) if spec.layout is not None else None
    if split is not None:  # one-digit counts: numpy takes them, polars parses the short text part
        counts, text = split
        try:
            df = pl.read_csv(io.BytesIO(spec.meta_header + text), schema=spec.meta_schema, has_header=True)
        except (pl.exceptions.PolarsError, ValueError):
            df = None
        if df is not None and df.height == counts.shape[0] and not df.select(
                pl.sum_horizontal(pl.col(numbers).is_null().sum())).item():
            stats["numpy"] = stats.get("numpy", 0) + 1
            return df, counts
    try:
        df = pl.read_csv(io.BytesIO(spec.header_line + block), schema=spec.full_schema, has_header=True)
    except (pl.exceptions.PolarsError, ValueError):
        return None  # a non-integer count, a ragged row, a bad quote...
    if df.select(pl.sum_horizontal(pl.col(spec.count_cols + numbers).is_null().sum())).item():
        return None  # an empty count field or a short row (polars pads it with nulls)
    stats["polars"] = stats.get("polars", 0) + 1
    return df.select(spec.meta_cols), df.select(spec.count_cols).to_numpy()


def _rows(df: pl.DataFrame, pack_counts: np.ndarray, pool_counts: np.ndarray, block_no: int, first_line: int,
          order: PoolOrder, pack_names, pool_names, pool_idx, extras, has_set, has_event, has_pick2):
    n = df.height
    packs = _names_per_row(pack_counts.astype(np.int16), pack_names)
    pool_counts = pool_counts.astype(np.int32)
    pack_no = (df["pack_number"].cast(pl.Int32) + 1).to_list()
    pick_no = (df["pick_number"].cast(pl.Int32) + 1).to_list()
    draft = df["draft_id"].fill_null("").to_list()
    pick = df["pick"].fill_null("").to_list()
    pick2 = df["pick_2"].to_list() if has_pick2 else [None] * n
    sets = df["expansion"].to_list() if has_set else [None] * n
    events = df["event_type"].to_list() if has_event else [None] * n
    extra_cols = [(c, df[c].to_list()) for c in extras]
    # does each row's pool equal the previous row's pool plus the previous row's pick(s)? (vectorised)
    carried = np.zeros(n, dtype=bool)
    if n > 1 and pool_counts.shape[1]:
        expect = pool_counts[:-1].copy()
        ok = np.ones(n - 1, dtype=bool)
        for picks_col in (pick, pick2) if has_pick2 else (pick,):
            idx = np.array([pool_idx.get(p, -1) if p else -2 for p in picks_col[:-1]])
            ok &= idx != -1  # a picked name that is no pool column can never match
            sel = idx >= 0
            np.add.at(expect, (np.nonzero(sel)[0], idx[sel]), 1)
        carried[1:] = ok & (pool_counts[1:] == expect).all(axis=1)
    carried_l = carried.tolist()
    last = order._last
    keep = order._keep
    base = block_no << 32  # row tokens: this block's rows are base + i
    new = object.__new__
    for i in range(n):
        did, pk, pn, name, pack = draft[i], pack_no[i], pick_no[i], pick[i], packs[i]
        if not did or not 1 <= pk <= 9 or not 1 <= pn <= 99 or not pack or not name or name not in pack:
            yield BadRow(first_line + i, _bad_message(did, pk, pn, name, pack))
            continue
        p2 = pick2[i] or None
        picks = (name,) if not p2 else (name, p2)
        prev = last.pop(did, None)
        ok = False
        if prev is not None:
            p_pack, p_pick, p_pool, p_picks = prev[:4]
            if (pk, pn) > (p_pack, p_pick):
                if len(prev) > 4 and prev[4] == base + i - 1:  # PoolOrder's own entries carry no token
                    ok = carried_l[i]
                else:  # the previous row of this draft is not the row above: compare as PoolOrder does
                    ok = Counter(p_pool + p_picks) == Counter(_pool_names(pool_counts[i], pool_names))
            ordered = p_pool + p_picks if ok else tuple(sorted(_pool_names(pool_counts[i], pool_names)))
        else:
            names = _pool_names(pool_counts[i], pool_names)
            ordered, ok = tuple(sorted(names)), not names
        last[did] = (pk, pn, ordered, picks, base + i)
        if len(last) > keep:
            last.popitem(last=False)
        row = new(PickRow)  # a frozen dataclass: filled directly, as its __init__ would (the hot path)
        row.__dict__.update(draft_id=did, pack_number=pk, pick_number=pn, pick=name, pack=pack, pool=ordered,
                            set_code=sets[i] or None, event_type=events[i] or None, pick_2=p2, pool_ordered=ok,
                            extra={c: v[i] for c, v in extra_cols if v[i]} if extra_cols else {})
        yield row


def _bad_message(did, pk, pn, name, pack) -> str:
    """The csv-module reader's message for a row that fails its checks (same order of checks)."""
    if not did:
        return "empty draft_id"
    if not 1 <= pk <= 9 or not 1 <= pn <= 99:
        return f"pack/pick number out of range: pack {pk}, pick {pn} (1-based)"
    if not pack:
        return "empty pack"
    if not name:
        return "empty pick"
    return f"picked card {name!r} is not in the pack"


def _pool_names(row: np.ndarray, names: list[str]) -> list[str]:
    out: list[str] = []
    for j in np.nonzero(row > 0)[0].tolist():
        out.extend([names[j]] * int(row[j]))
    return out
