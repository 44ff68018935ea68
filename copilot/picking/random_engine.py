"""The floor: a uniformly random order of the pack, reproducible for a given seed and decision."""
from __future__ import annotations

import hashlib
import random
import time

from copilot.picking.engine import CardScore, EngineBase, PickContext, Recommendation


class RandomEngine(EngineBase):
    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = int(seed)

    @classmethod
    def from_options(cls, options: dict | None = None) -> "RandomEngine":
        options = options or {}
        return cls(seed=int(options.get("seed", 0) or 0))

    def _rng(self, ctx: PickContext) -> random.Random:
        # seeded per decision, so the answer does not depend on how many picks were ranked before
        key = f"{self.seed}|{ctx.draft_key}|{ctx.pack_number}|{ctx.pick_number}|{'|'.join(c.name for c in ctx.pack)}"
        return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))

    def rank(self, ctx: PickContext) -> Recommendation:
        start = time.perf_counter()
        order = list(ctx.pack)
        self._rng(ctx).shuffle(order)
        n = len(order)
        ranked = [CardScore(card=c, score=float(n - i), probability=1.0 / n) for i, c in enumerate(order)]
        return Recommendation(engine=self.name, ranked=ranked, model=f"seed {self.seed}",
                              latency_ms=(time.perf_counter() - start) * 1000.0)
