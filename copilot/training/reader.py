"""A tolerant streaming reader of pick files for the dataset builder.

`copilot.datasets.picks.iter_pick_rows` (the evaluation's reader) stops at the first bad row. A dataset build over a
multi-GB download must not: here a malformed row is counted, described (line number and reason, the first few kept)
and skipped, and a file that ends abruptly (a truncated .gz) is reported as such. Rows are the same `PickRow`s, with
the same 1-based numbers and the same pool-order reconstruction, so both readers agree on well-formed files
(tests check it on the real DSK files).
"""
from __future__ import annotations

import csv
import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from copilot.datasets.picks import (POOL_PREFIX, PACK_PREFIX, PickFileError, PickRow, open_pick_file, PoolOrder,
                                    detect_kind)

EXTRA_COLUMNS = ("rank", "event_match_wins", "event_match_losses", "draft_time", "user_n_games_bucket",
                 "user_game_win_rate_bucket")
REQUIRED_CSV = ("draft_id", "pack_number", "pick_number", "pick")
MAX_EXAMPLES_KEPT = 20


class MalformedRow(ValueError):
    pass


@dataclass
class ReadReport:
    """What the reader met: rows read, malformed rows (by reason), whether the file ended cleanly."""

    kind: str = ""
    rows: int = 0
    malformed: int = 0
    reasons: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # "line 12: pick 'X' is not in the pack"
    truncated: str | None = None  # why the file ended early (None when it ended cleanly)
    columns: list[str] = field(default_factory=list)  # extra columns the file has (rank, wins, buckets)
    reader: str = ""  # "polars" (fast CSV reader), "csv" (csv module) or "jsonl"

    def bad(self, lineno: int, reason: str, detail: str) -> None:
        self.malformed += 1
        self.reasons[reason] += 1
        if len(self.examples) < MAX_EXAMPLES_KEPT:
            self.examples.append(f"line {lineno}: {detail}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "rows_read": self.rows, "malformed_rows": self.malformed,
                "malformed_by_reason": dict(sorted(self.reasons.items())), "malformed_examples": self.examples,
                "truncated": self.truncated, "extra_columns": self.columns, "reader": self.reader}


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        try:
            f = float(value)
        except ValueError:
            raise MalformedRow(f"{what} is not a number: {value!r}") from None
        if f != int(f):
            raise MalformedRow(f"{what} is not a whole number: {value!r}") from None
        return int(f)


def _check(draft_id: str, pack_no: int, pick_no: int, pick: str, pack: list[str]) -> None:
    if not draft_id:
        raise MalformedRow("empty draft_id")
    if not 1 <= pack_no <= 9 or not 1 <= pick_no <= 99:
        raise MalformedRow(f"pack/pick number out of range: pack {pack_no}, pick {pick_no} (1-based)")
    if not pack:
        raise MalformedRow("empty pack")
    if not pick:
        raise MalformedRow("empty pick")
    if pick not in pack:
        raise MalformedRow(f"picked card {pick!r} is not in the pack")


def _reason(msg: str) -> str:
    """A short category for counting: the message up to its first ':' or quote."""
    return msg.split(":")[0].split("'")[0].strip()


def _rows_jsonl(fh, report: ReadReport, order: PoolOrder) -> Iterator[PickRow]:
    for lineno, line in enumerate(fh, 1):
        line = line.strip()
        if not line:
            continue
        report.rows += 1
        try:
            try:
                d = json.loads(line)
            except ValueError as exc:
                raise MalformedRow(f"invalid JSON: {exc}") from None
            if not isinstance(d, dict):
                raise MalformedRow("not a JSON object")
            missing = [k for k in ("draft_id", "pack_number", "pick_number", "pick", "pack") if k not in d]
            if missing:
                raise MalformedRow(f"missing fields: {', '.join(missing)}")
            if not isinstance(d["pack"], list) or not isinstance(d.get("pool") or [], list):
                raise MalformedRow("pack/pool is not a list")
            draft_id = str(d["draft_id"])
            pack_no = _int(str(d["pack_number"]), "pack_number") + 1
            pick_no = _int(str(d["pick_number"]), "pick_number") + 1
            pick = str(d["pick"])
            pack = [str(n) for n in d["pack"]]
            pool_names = [str(n) for n in d.get("pool") or []]
            _check(draft_id, pack_no, pick_no, pick, pack)
        except MalformedRow as exc:
            report.bad(lineno, _reason(str(exc)), str(exc))
            continue
        pick_2 = d.get("pick_2") or None
        picks = (pick,) if not pick_2 else (pick, str(pick_2))
        pool, ok = order.order(draft_id, pack_no, pick_no, pool_names, picks)
        yield PickRow(draft_id=draft_id, pack_number=pack_no, pick_number=pick_no, pick=pick, pack=tuple(pack),
                      pool=pool, set_code=d.get("expansion") or None, event_type=d.get("event_type") or None,
                      pick_2=pick_2, pool_ordered=ok)


def _rows_csv(fh, path: Path, report: ReadReport, order: PoolOrder, line_offset: int = 0) -> Iterator[PickRow]:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise PickFileError(f"{path}: the file is empty") from None
    col = {name: i for i, name in enumerate(header)}
    pack_cols = [(i, h[len(PACK_PREFIX):]) for i, h in enumerate(header) if h.startswith(PACK_PREFIX)]
    pool_cols = [(i, h[len(POOL_PREFIX):]) for i, h in enumerate(header) if h.startswith(POOL_PREFIX)]
    missing = [c for c in REQUIRED_CSV if c not in col] + ([] if pack_cols else ["pack_card_*"])
    if missing:
        raise PickFileError(f"{path}: not a 17lands draft_data CSV (missing columns: {', '.join(missing)})")
    i_draft, i_pack, i_pick, i_name = (col[c] for c in REQUIRED_CSV)
    i_set, i_event, i_pick2 = col.get("expansion"), col.get("event_type"), col.get("pick_2")
    extras = [(c, col[c]) for c in EXTRA_COLUMNS if c in col]
    report.columns = [c for c, _ in extras]
    width = len(header)
    for row in reader:
        lineno = reader.line_num + line_offset
        if not row:
            continue
        report.rows += 1
        try:
            if len(row) != width:
                raise MalformedRow(f"wrong field count: {len(row)} fields, the header has {width}")
            pack_no = _int(row[i_pack], "pack_number") + 1
            pick_no = _int(row[i_pick], "pick_number") + 1
            pack: list[str] = []
            for i, name in pack_cols:
                v = row[i]
                if v and v != "0":
                    pack.extend([name] * _int(v, f"pack_card_{name}"))
            pool_names: list[str] = []
            for i, name in pool_cols:
                v = row[i]
                if v and v != "0":
                    pool_names.extend([name] * _int(v, f"pool_{name}"))
            draft_id, pick = row[i_draft], row[i_name]
            _check(draft_id, pack_no, pick_no, pick, pack)
        except MalformedRow as exc:
            report.bad(lineno, _reason(str(exc)), str(exc))
            continue
        pick_2 = (row[i_pick2] or None) if i_pick2 is not None else None
        picks = (pick,) if not pick_2 else (pick, pick_2)
        pool, ok = order.order(draft_id, pack_no, pick_no, pool_names, picks)
        yield PickRow(draft_id=draft_id, pack_number=pack_no, pick_number=pick_no, pick=pick, pack=tuple(pack),
                      pool=pool, set_code=(row[i_set] or None) if i_set is not None else None,
                      event_type=(row[i_event] or None) if i_event is not None else None, pick_2=pick_2,
                      pool_ordered=ok, extra={c: row[i] for c, i in extras if row[i]})


def _rows_csv_fast(path: Path, report: ReadReport, order: PoolOrder) -> Iterator[PickRow]:
    """The polars reader (copilot.datasets.fast_csv); blocks it hands back are read by `_rows_csv`."""
    import io

    from copilot.datasets.fast_csv import BadRow, SlowBlock, Truncated, iter_csv_fast

    columns: list[str] = []
    for item in iter_csv_fast(path, order, columns):
        if isinstance(item, PickRow):
            report.rows += 1
            yield item
        elif isinstance(item, BadRow):
            report.rows += 1
            report.bad(item.lineno, _reason(item.message), item.message)
        elif isinstance(item, SlowBlock):
            yield from _rows_csv(io.StringIO(item.text, newline=""), path, report, order, item.first_line - 2)
        elif isinstance(item, Truncated):
            report.columns = columns
            raise item.error
    report.columns = columns


def fast_csv_available() -> bool:
    from copilot.backends import missing

    return missing("polars", "numpy") is None


def read_rows(path: str | Path, report: ReadReport, engine: str = "auto") -> Iterator[PickRow]:
    """Stream `PickRow`s from a picks JSONL(.gz) or a 17lands draft_data CSV(.gz), skipping malformed rows.

    `engine` for CSV files: "polars" (copilot.datasets.fast_csv), "csv" (the csv module, row by row) or "auto"
    (polars when installed). Both give the same rows. Raises PickFileError only for a file that is not a pick file
    at all (missing, empty, wrong header). A file that ends abruptly (truncated gzip, broken encoding) ends the stream
    with `report.truncated` set.
    """
    path = Path(path)
    report.kind = detect_kind(path)
    order = PoolOrder()
    fast = report.kind == "csv" and (engine == "polars" or (engine == "auto" and fast_csv_available()))
    report.reader = "polars" if fast else ("csv" if report.kind == "csv" else "jsonl")
    with open_pick_file(path) as fh:
        if fast:
            rows = _rows_csv_fast(path, report, order)
        else:
            rows = _rows_jsonl(fh, report, order) if report.kind == "jsonl" else _rows_csv(fh, path, report, order)
        try:
            yield from rows
        except (EOFError, zlib.error, OSError, UnicodeDecodeError) as exc:
            report.truncated = (f"the file ends abruptly after {report.rows} rows ({type(exc).__name__}: {exc}); "
                                "a truncated download?")
        except csv.Error as exc:
            report.truncated = f"CSV parse error after {report.rows} rows: {exc}"
