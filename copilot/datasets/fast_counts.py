"""The card-count block of 17lands draft_data lines, read with numpy instead of a CSV tokenizer.

A draft_data row is a dozen text fields, then one count per card column (pack_card_*, then pool_*), twice 250-350
of them, nearly all single digits, then maybe a few more fields (newer files end with two skill buckets). When every
count of a line is one digit, its count section is a fixed-width run ``d,d,...,d`` of 2K-1 bytes that ends where the
line's trailing fields begin, so all counts of a block come out of one numpy gather, and only the short text part of
each line is left for the CSV parser (polars).

Every line is checked: ncols-1 commas outside quotes, no quoted field across a line end, no quote in the trailing
fields, a comma right before the count section, K-1 commas inside it and a digit at every count position. A block
with any line that fails gets `None`, and the caller parses the block in full instead (same result, slower).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NL, COMMA, QUOTE, ZERO = 10, 44, 34, 48
GATHER_ROWS = 4096  # rows per gather (bounds the index array: 4096 x K x 8 bytes)


@dataclass(frozen=True)
class CountLayout:
    ncols: int  # fields per line
    first: int  # index of the first count column
    k: int  # count columns (contiguous)

    @property
    def trailing(self) -> int:
        return self.ncols - self.first - self.k

    @classmethod
    def from_header(cls, header: list[str], is_count) -> "CountLayout | None":
        idx = [i for i, h in enumerate(header) if is_count(h)]
        if not idx or idx != list(range(idx[0], idx[0] + len(idx))) or idx[0] == 0:
            return None  # no counts, counts not contiguous, or no text field before them
        return cls(len(header), idx[0], len(idx))


def split_counts(block: bytes, lay: CountLayout) -> tuple[np.ndarray, bytes] | None:
    """(counts: n x K uint8, the block's lines without their count sections) or None (see the module docstring).
    `block` holds whole lines ending in \\n, no blank lines, no \\r."""
    if not block.endswith(b"\n") or b"\r" in block:
        return None
    buf = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(buf == NL)
    n = len(ends)
    starts = np.concatenate(([0], ends[:-1] + 1))
    cpos = np.flatnonzero(buf == COMMA)
    after = np.searchsorted(cpos, ends)  # index in cpos of the first comma after each line
    per_line = np.diff(np.concatenate(([0], after)))
    qpos = np.flatnonzero(buf == QUOTE)
    if len(qpos):
        if len(qpos) % 2:
            return None
        q0, q1 = qpos[0::2], qpos[1::2]
        if (np.searchsorted(ends, q0) != np.searchsorted(ends, q1)).any():
            return None  # a quoted field with a line break: lines are not records here
        quoted = np.searchsorted(cpos, q1) - np.searchsorted(cpos, q0)  # commas inside each quoted field
        per_line = per_line - np.bincount(np.searchsorted(ends, q0), weights=quoted, minlength=n).astype(np.int64)
    if (per_line != lay.ncols - 1).any():
        return None  # a ragged line: the full parser decides
    t = lay.trailing
    stop = cpos[after - t] if t else ends  # the comma before the trailing fields, or the newline
    start = stop - (2 * lay.k - 1)
    if (start - 1 <= starts).any() or (buf[start - 1] != COMMA).any():
        return None
    inner = np.searchsorted(cpos, stop) - np.searchsorted(cpos, start)
    if (inner != lay.k - 1).any():
        return None  # some count is not one character
    if len(qpos) and t:
        last_q = np.searchsorted(qpos, ends)  # quotes before each line end
        first_q_line = np.searchsorted(qpos, starts)
        has_q = last_q > first_q_line
        if (has_q & (qpos[np.maximum(last_q - 1, 0)] > start)).any():
            return None  # a quote in the trailing fields: the comma counting above does not hold
    counts = np.empty((n, lay.k), dtype=np.uint8)
    offsets = np.arange(0, 2 * lay.k, 2, dtype=np.int64)
    for r0 in range(0, n, GATHER_ROWS):
        r1 = min(n, r0 + GATHER_ROWS)
        counts[r0:r1] = buf[start[r0:r1, None] + offsets[None, :]]
    counts -= ZERO
    if (counts > 9).any():  # not a digit (uint8 wraps below '0')
        return None
    view = memoryview(block)
    s, a, b, e = starts.tolist(), (start - 1).tolist(), stop.tolist(), (ends + 1).tolist()
    parts = []
    for i in range(n):  # the text part of each line: before the count section, and from `stop` to the line end
        parts.append(view[s[i]:a[i]])
        parts.append(view[b[i]:e[i]])
    return counts, b"".join(parts)
