"""Row filters for the dataset build, each with its own bookkeeping for the manifest.

A filter on a column the file leaves empty (DSK's public sample has no rank, wins or skill buckets) cannot apply:
the row is kept and counted as "without the column", and the manifest says the filter could not apply. Nothing is
guessed from other columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from copilot.datasets.picks import PickRow

RANKS = ("bronze", "silver", "gold", "platinum", "diamond", "mythic")


class FilterError(ValueError):
    pass


def parse_range(text: str, what: str, low: int = 1, high: int = 99) -> tuple[int, int]:
    """'3' -> (3, 3), '1-8' -> (1, 8), '5-' -> (5, high), '-4' -> (low, 4)."""
    text = text.strip()
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            lo, hi = int(a) if a.strip() else low, int(b) if b.strip() else high
        else:
            lo = hi = int(text)
    except ValueError:
        raise FilterError(f"{what}: expected N or A-B (1-based), got {text!r}") from None
    if not low <= lo <= hi <= high:
        raise FilterError(f"{what}: {text!r} is not a range within {low}-{high}")
    return lo, hi


def _rank_index(value: str) -> int | None:
    v = value.strip().lower()
    return RANKS.index(v) if v in RANKS else None


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


@dataclass
class RowFilter:
    """One condition. `column` is the PickRow.extra key it reads (None: always applicable)."""

    name: str
    value: object
    column: str | None = None
    checked: int = 0
    rejected: int = 0
    without_column: int = 0
    unreadable: int = 0

    def test(self, row: PickRow) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, row: PickRow) -> bool:
        if self.column is not None and not row.extra.get(self.column):
            self.without_column += 1
            return True
        self.checked += 1
        ok = self.test(row)
        if not ok:
            self.rejected += 1
        return ok

    def summary(self) -> dict:
        out = {"value": self.value, "column": self.column, "rows_checked": self.checked,
               "rows_rejected": self.rejected, "rows_without_column": self.without_column,
               "rows_unreadable_value": self.unreadable, "applied": self.checked > 0}
        if self.checked == 0 and self.without_column > 0:
            out["note"] = (f"column {self.column!r} is empty or absent in the source: the filter could not apply "
                           "and every row was kept")
        elif self.without_column > 0:
            out["note"] = f"{self.without_column} rows had no {self.column!r} value and were kept"
        return out


@dataclass
class MinRank(RowFilter):
    def test(self, row: PickRow) -> bool:
        idx = _rank_index(row.extra[self.column])
        if idx is None:
            self.unreadable += 1
            return False
        return idx >= RANKS.index(str(self.value))


@dataclass
class MinNumber(RowFilter):
    def test(self, row: PickRow) -> bool:
        v = _float(row.extra[self.column])
        if v is None:
            self.unreadable += 1
            return False
        return v >= float(self.value)


@dataclass
class PickRange(RowFilter):
    field_name: str = "pick_number"
    bounds: tuple[int, int] = (1, 99)

    def test(self, row: PickRow) -> bool:
        lo, hi = self.bounds
        return lo <= getattr(row, self.field_name) <= hi


@dataclass
class FilterSpec:
    """Filters as the user gave them (None = off). Stored in the manifest as given."""

    min_rank: str | None = None  # bronze..mythic, column `rank`
    min_event_wins: int | None = None  # the drafter's final event record, column `event_match_wins`
    min_win_rate: float | None = None  # `user_game_win_rate_bucket` (a fraction, e.g. 0.56)
    min_games: int | None = None  # `user_n_games_bucket`
    picks: str | None = None  # pick-in-pack range, 1-based, e.g. "1-8"
    packs: str | None = None  # pack range, 1-based, e.g. "1-2"
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: v for k, v in {"min_rank": self.min_rank, "min_event_wins": self.min_event_wins,
                                  "min_win_rate": self.min_win_rate, "min_games": self.min_games,
                                  "picks": self.picks, "packs": self.packs}.items() if v is not None}

    def build(self) -> list[RowFilter]:
        out: list[RowFilter] = []
        if self.min_rank is not None:
            if self.min_rank.strip().lower() not in RANKS:
                raise FilterError(f"--min-rank: {self.min_rank!r} is not one of {', '.join(RANKS)}")
            out.append(MinRank("min_rank", self.min_rank.strip().lower(), column="rank"))
        if self.min_event_wins is not None:
            out.append(MinNumber("min_event_wins", self.min_event_wins, column="event_match_wins"))
        if self.min_win_rate is not None:
            if not 0.0 <= self.min_win_rate <= 1.0:
                raise FilterError("--min-win-rate is a fraction between 0 and 1 (e.g. 0.55)")
            out.append(MinNumber("min_win_rate", self.min_win_rate, column="user_game_win_rate_bucket"))
        if self.min_games is not None:
            out.append(MinNumber("min_games", self.min_games, column="user_n_games_bucket"))
        if self.picks is not None:
            out.append(PickRange("picks", self.picks, bounds=parse_range(self.picks, "--picks"),
                                 field_name="pick_number"))
        if self.packs is not None:
            out.append(PickRange("packs", self.packs, bounds=parse_range(self.packs, "--packs", high=9),
                                 field_name="pack_number"))
        return out
