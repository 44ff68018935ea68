"""Train/validation split BY DRAFT, decided from a seeded hash of the draft id (streaming, deterministic).

- `FracSplit(f, seed)`: a draft is validation when hash(seed, draft_id) < f. One pass, no state.
- `CountSplit(n, seed)`: exactly the n drafts with the smallest hashes are validation. While streaming, a draft is
  "pending" while it is among the n smallest seen so far; the builder parks pending rows and settles them at the
  end (`is_val`). A draft that leaves the n smallest never comes back (the threshold only falls), so no memory of
  past drafts is needed beyond the n current ones.
"""
from __future__ import annotations

import hashlib
import heapq


def draft_hash(draft_id: str, seed: int) -> float:
    """A uniform number in [0, 1) from (seed, draft_id)."""
    digest = hashlib.sha256(f"{seed}:{draft_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


class FracSplit:
    def __init__(self, frac: float, seed: int):
        if not 0.0 <= frac < 1.0:
            raise ValueError("--val-frac must be in [0, 1)")
        self.frac, self.seed = frac, seed

    def route(self, draft_id: str) -> str:
        """'train' or 'val' (final at once)."""
        return "val" if draft_hash(draft_id, self.seed) < self.frac else "train"

    def describe(self) -> dict:
        return {"by": "draft", "method": "val-frac", "val_frac": self.frac, "seed": self.seed,
                "hash": "sha256(f'{seed}:{draft_id}')[:8] / 2**64 < val_frac"}


class CountSplit:
    def __init__(self, n: int, seed: int):
        if n < 0:
            raise ValueError("--val-drafts must be >= 0")
        self.n, self.seed = n, seed
        self._heap: list[tuple[float, str]] = []  # max-heap through negated hashes
        self._members: set[str] = set()

    def route(self, draft_id: str) -> str:
        """'pending' (may still be validation) or 'train' (final)."""
        if draft_id in self._members:
            return "pending"
        if self.n == 0:
            return "train"
        h = draft_hash(draft_id, self.seed)
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, (-h, draft_id))
            self._members.add(draft_id)
            return "pending"
        if h < -self._heap[0][0]:
            _, evicted = heapq.heapreplace(self._heap, (-h, draft_id))
            self._members.discard(evicted)
            self._members.add(draft_id)
            return "pending"
        return "train"

    def is_val(self, draft_id: str) -> bool:
        """After the stream: is this (pending) draft one of the n validation drafts?"""
        return draft_id in self._members

    def describe(self) -> dict:
        return {"by": "draft", "method": "val-drafts", "val_drafts": self.n, "seed": self.seed,
                "hash": "the val_drafts drafts with the smallest sha256(f'{seed}:{draft_id}')[:8]"}
