"""17lands pick data readers: the wide draft_data CSV(.gz) and the compact picks JSONL(.gz).

Both yield `PickRow`s with **1-based** pack and pick numbers (17lands files are 0-based). Files are streamed row by
row (real draft_data files are GBs with 600+ columns), so memory stays bounded.

Pool order: neither file records it (the CSV has counts per card, the JSONL lists names in name order). When the
previous row of the same draft is the previous pick (its pool plus its pick equals this pool), the order is carried
over from it, so a file read from the start of a draft gives the true pick order; otherwise the pool falls back to
name order and `PickRow.pool_ordered` is False.

`context_from_row` turns a row into the `PickContext` the engines see, with `seen` = the packs of the last five picks
of that draft (the current one included), the same window the live path uses (`DraftState.seen_packs`), and
`history` = every earlier row of the draft that was given (the conversation prompt format replays them).
"""
from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from copilot.cards.model import Card
from copilot.draft.state import SIGNAL_WINDOW
from copilot.picking.engine import PastPick, PickContext

PACK_PREFIX = "pack_card_"
POOL_PREFIX = "pool_"
_REQUIRED_CSV = ("draft_id", "pack_number", "pick_number", "pick")


class PickFileError(ValueError):
    """The file is not a 17lands draft_data CSV or a picks JSONL (message says what is wrong)."""


@dataclass(frozen=True)
class PickRow:
    draft_id: str
    pack_number: int  # 1-based
    pick_number: int  # 1-based
    pick: str  # name of the card taken
    pack: tuple[str, ...]  # names in the pack shown (the picked card included; duplicates repeated)
    pool: tuple[str, ...]  # names taken before this pick (pick order when pool_ordered)
    set_code: str | None = None
    event_type: str | None = None
    pick_2: str | None = None  # Pick-Two drafts
    pool_ordered: bool = False
    extra: dict = field(default_factory=dict, compare=False)  # rank, wins... when the file has them

    @property
    def picks(self) -> tuple[str, ...]:
        return (self.pick,) if not self.pick_2 else (self.pick, self.pick_2)


def open_pick_file(path: Path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"pick file not found: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def detect_kind(path: Path) -> str:
    """'jsonl' or 'csv', from the first non-blank character of the (possibly gzipped) file."""
    with open_pick_file(path) as fh:
        head = fh.read(4096).lstrip()
    if not head:
        raise PickFileError(f"{path}: the file is empty")
    return "jsonl" if head[0] == "{" else "csv"


def _count(value: str) -> int:
    if not value or value == "0":
        return 0
    try:
        return int(value)
    except ValueError:
        return int(float(value))


class PoolOrder:
    """Carries pick order across consecutive rows of a draft (bounded: the most recent drafts only)."""

    def __init__(self, keep: int = 256):
        self._last: OrderedDict[str, tuple[int, int, tuple[str, ...], tuple[str, ...]]] = OrderedDict()
        self._keep = keep

    def order(self, draft_id: str, pack_no: int, pick_no: int, pool_names: list[str],
              picks: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
        prev = self._last.pop(draft_id, None)
        ordered, ok = tuple(sorted(pool_names)), False
        if prev is not None:
            p_pack, p_pick, p_pool, p_picks = prev[:4]  # a fast reader's entries carry a 5th field
            candidate = p_pool + p_picks
            if (pack_no, pick_no) > (p_pack, p_pick) and Counter(candidate) == Counter(pool_names):
                ordered, ok = candidate, True
        elif not pool_names:
            ok = True
        self._last[draft_id] = (pack_no, pick_no, ordered, picks)
        if len(self._last) > self._keep:
            self._last.popitem(last=False)
        return ordered, ok


def _iter_jsonl(path: Path, order: PoolOrder) -> Iterator[PickRow]:
    with open_pick_file(path) as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                d = json.loads(line)
                draft_id = str(d["draft_id"])
                pack_no, pick_no = int(d["pack_number"]) + 1, int(d["pick_number"]) + 1
                pick = str(d["pick"])
                pack = tuple(str(n) for n in d["pack"])
                pool_names = [str(n) for n in d.get("pool") or []]
            except (ValueError, KeyError, TypeError) as exc:
                raise PickFileError(f"{path}:{lineno}: not a picks JSONL line ({type(exc).__name__}: {exc})") from exc
            pick_2 = d.get("pick_2") or None
            picks = (pick,) if not pick_2 else (pick, str(pick_2))
            pool, ok = order.order(draft_id, pack_no, pick_no, pool_names, picks)
            yield PickRow(draft_id=draft_id, pack_number=pack_no, pick_number=pick_no, pick=pick, pack=pack,
                          pool=pool, set_code=d.get("expansion") or None, event_type=d.get("event_type") or None,
                          pick_2=pick_2, pool_ordered=ok)


def _iter_csv(path: Path, order: PoolOrder) -> Iterator[PickRow]:
    with open_pick_file(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise PickFileError(f"{path}: the file is empty") from None
        col = {name: i for i, name in enumerate(header)}
        missing = [c for c in _REQUIRED_CSV if c not in col]
        pack_cols = [(i, h[len(PACK_PREFIX):]) for i, h in enumerate(header) if h.startswith(PACK_PREFIX)]
        pool_cols = [(i, h[len(POOL_PREFIX):]) for i, h in enumerate(header) if h.startswith(POOL_PREFIX)]
        if missing or not pack_cols:
            raise PickFileError(
                f"{path}: not a 17lands draft_data CSV (missing columns: "
                f"{', '.join(missing + ([] if pack_cols else ['pack_card_*']))})")
        i_draft, i_pack, i_pick, i_name = (col[c] for c in _REQUIRED_CSV)
        i_set, i_event, i_pick2 = col.get("expansion"), col.get("event_type"), col.get("pick_2")
        extras = [(c, col[c]) for c in ("rank", "event_match_wins", "event_match_losses", "draft_time",
                                        "user_n_games_bucket", "user_game_win_rate_bucket") if c in col]
        # contiguous column blocks are sliced once per row (fast path for 17lands' layout)
        for lineno, row in enumerate(reader, 2):
            if not row:
                continue
            if len(row) != len(header):
                raise PickFileError(f"{path}:{lineno}: {len(row)} fields, header has {len(header)}")
            try:
                pack_no, pick_no = _count(row[i_pack]) + 1, _count(row[i_pick]) + 1
                pack: list[str] = []
                for i, name in pack_cols:
                    v = row[i]
                    if v and v != "0":
                        pack.extend([name] * _count(v))
                pool_names: list[str] = []
                for i, name in pool_cols:
                    v = row[i]
                    if v and v != "0":
                        pool_names.extend([name] * _count(v))
            except ValueError as exc:
                raise PickFileError(f"{path}:{lineno}: bad number ({exc})") from exc
            draft_id, pick = row[i_draft], row[i_name]
            pick_2 = (row[i_pick2] or None) if i_pick2 is not None else None
            picks = (pick,) if not pick_2 else (pick, pick_2)
            pool, ok = order.order(draft_id, pack_no, pick_no, pool_names, picks)
            yield PickRow(draft_id=draft_id, pack_number=pack_no, pick_number=pick_no, pick=pick, pack=tuple(pack),
                          pool=pool, set_code=(row[i_set] or None) if i_set is not None else None,
                          event_type=(row[i_event] or None) if i_event is not None else None, pick_2=pick_2,
                          pool_ordered=ok, extra={c: row[i] for c, i in extras if row[i]})


def iter_pick_rows(path: Path | str, limit: int | None = None) -> Iterator[PickRow]:
    """Stream the picks of a 17lands draft_data CSV(.gz) or a picks JSONL(.gz), 1-based numbers."""
    path = Path(path)
    kind = detect_kind(path)
    rows = _iter_jsonl(path, PoolOrder()) if kind == "jsonl" else _iter_csv(path, PoolOrder())
    for n, row in enumerate(rows):
        if limit is not None and n >= limit:
            return
        yield row


class CardResolver:
    """Name -> Card through a catalog (anything with `by_name(name, set_code=None)`), cached.

    A name no catalog knows becomes a name-only Card (nothing invented); those names are listed in `unknown`.
    """

    def __init__(self, catalog=None):
        self.catalog = catalog
        self._cache: dict[tuple[str, str | None], Card] = {}
        self.unknown: set[str] = set()
        self._past: OrderedDict[int, tuple[PickRow, PastPick]] = OrderedDict()

    def past(self, row: PickRow) -> PastPick:
        """The row as an earlier decision of its draft (cached: a draft's rows are replayed at each later pick)."""
        hit = self._past.get(id(row))
        if hit is not None and hit[0] is row:
            return hit[1]
        sc = row.set_code
        past = PastPick(row.pack_number, row.pick_number, tuple(self(n, sc) for n in row.pack),
                        tuple(self(n, sc) for n in row.picks))
        self._past[id(row)] = (row, past)
        if len(self._past) > 4096:
            self._past.popitem(last=False)
        return past

    def __call__(self, name: str, set_code: str | None = None) -> Card:
        key = (name, set_code)
        card = self._cache.get(key)
        if card is None:
            card = None
            if self.catalog is not None:
                card = self.catalog.by_name(name, set_code) if set_code else None
                if card is None:
                    card = self.catalog.by_name(name)
            if card is None:
                self.unknown.add(name)
                card = Card(name=name, set_code=set_code, sources=("name-only",))
            self._cache[key] = card
        return card


def context_from_row(row: PickRow, catalog, history: Sequence[PickRow] = (),
                     picks_per_pack: int | None = None) -> PickContext:
    """The PickContext for one row. `history`: earlier rows of the same draft (most recent last; other drafts'
    rows are ignored). `catalog` is a CardCatalog, a `CardResolver`, or None (name-only cards)."""
    resolve = catalog if isinstance(catalog, CardResolver) else CardResolver(catalog)
    sc = row.set_code
    same = [h for h in history if h.draft_id == row.draft_id and
            (h.pack_number, h.pick_number) < (row.pack_number, row.pick_number)]
    seen_rows = (same + [row])[-SIGNAL_WINDOW:]
    return PickContext(
        pack=tuple(resolve(n, sc) for n in row.pack),
        pool=tuple(resolve(n, sc) for n in row.pool),
        pack_number=row.pack_number, pick_number=row.pick_number, set_code=sc,
        seen=tuple(tuple(resolve(n, sc) for n in h.pack) for h in seen_rows),
        picks_per_pack=picks_per_pack or _guess_picks_per_pack(row),
        cards_to_pick=2 if row.pick_2 else 1,
        draft_key=row.draft_id,
        history=tuple(resolve.past(h) for h in same),
    )


def _guess_picks_per_pack(row: PickRow) -> int:
    """Pack size at pick 1 over cards per pick: the pack shrinks by that many cards at each pick."""
    per = 2 if row.pick_2 else 1
    return max(1, (len(row.pack) + (row.pick_number - 1) * per) // per)


def iter_contexts(path: Path | str, catalog=None, limit: int | None = None,
                  draft_ids: set[str] | None = None) -> Iterator[tuple[PickRow, PickContext]]:
    """(row, context) for every row (or only rows of `draft_ids`), with the draft's earlier rows as history."""
    resolve = catalog if isinstance(catalog, CardResolver) else CardResolver(catalog)
    history: OrderedDict[str, list[PickRow]] = OrderedDict()
    for row in iter_pick_rows(path, limit=limit):
        if draft_ids is not None and row.draft_id not in draft_ids:
            continue
        past = history.pop(row.draft_id, [])
        yield row, context_from_row(row, resolve, past)
        history[row.draft_id] = past + [row]  # the whole draft (42 rows): the conversation format replays it
        if len(history) > 256:
            history.popitem(last=False)
