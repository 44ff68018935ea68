"""17lands ratings engine: GIH win rate plus a colour-commitment bonus from the pool.

score = GIH WR (percent) + colour bonus (see `copilot.picking.colors`; percentage points, grows with the picks made).
Cards without a rating (below 17lands' sample threshold, or absent from the file) get a low percentile of the set's
ratings (`unrated_percentile`), basic lands the set's minimum minus 5 points (even where the file rates them), so a rated playable is preferred to an
unknown card and an unknown card to a basic land.

Ratings come from `options["ratings"]` (a file), else they are found for each context's set automatically
(`copilot.picking.ratings.find_ratings`: user data `ratings/`, then the shared data).
"""
from __future__ import annotations

import time
from pathlib import Path

from copilot.picking.colors import ColorModel, ColorParams
from copilot.picking.engine import CardScore, EngineBase, PickContext, Recommendation
from copilot.picking.ratings import Ratings, RatingsError, find_ratings, load_ratings, ratings_dirs

# Tuned on the DSK dev picks with bench/tune_colour_weights.py (grid on half 0 of the drafts by md5(draft_id)
# parity, checked on half 1), ratings DSK_gih_28d.csv: top-1 without the colour term 37.0% (all 77,532 picks);
# with these weights 54.1% on half 0, 54.3% on the held-out half 1, 54.2% on all picks. The surface is flat
# around it (on 3-8 x off 3-8 at ramp 6: 53.2-54.1% on half 0; at on=3, ramp 4 was within 0.1 pt, ramp 10 and
# colourless 0.5 about 0.3-0.5 pt worse).
DEFAULT_PARAMS = ColorParams(on_bonus=5.0, off_penalty=5.0, colorless=0.0, ramp=6.0)


class NoRatings(RuntimeError):
    pass


class RatingsEngine(EngineBase):
    name = "ratings"

    def __init__(self, ratings: Ratings | None = None, ratings_path: Path | None = None,
                 params: ColorParams = DEFAULT_PARAMS, unrated_percentile: float = 0.15):
        self._explicit = ratings
        self._path = Path(ratings_path) if ratings_path else None
        self.params = params
        self.unrated_percentile = unrated_percentile
        self._by_set: dict[str | None, Ratings | None] = {}
        self._defaults: dict[int, tuple[float, float]] = {}

    @classmethod
    def from_options(cls, options: dict | None = None) -> "RatingsEngine":
        options = dict(options or {})
        fields = {k: float(options[k]) for k in ("on_bonus", "off_penalty", "colorless", "ramp") if k in options}
        params = ColorParams(**{**DEFAULT_PARAMS.__dict__, **fields})
        path = options.get("ratings")
        ratings = load_ratings(path, options.get("set")) if path else None
        return cls(ratings=ratings, ratings_path=Path(path) if path else None, params=params,
                   unrated_percentile=float(options.get("unrated_percentile", 0.15)))

    # --- ratings lookup -------------------------------------------------------------------------------------
    def ratings_for(self, set_code: str | None) -> Ratings | None:
        if self._explicit is not None:
            return self._explicit
        key = set_code.upper() if set_code else None
        if key not in self._by_set:
            path = find_ratings(key)
            try:
                self._by_set[key] = load_ratings(path, key) if path else None
            except RatingsError:
                self._by_set[key] = None
        return self._by_set[key]

    def available(self, set_code: str | None = None) -> tuple[bool, str]:
        if self._explicit is not None:
            return True, ""
        if set_code is None:
            return True, ""  # decided per set at rank time
        if self.ratings_for(set_code) is None:
            where = ", ".join(str(d) for d in ratings_dirs())
            return False, (f"no 17lands ratings for set {set_code}: pass --ratings FILE or put a file named "
                           f"{set_code.upper()}_*.csv/.json(.gz) in one of: {where}")
        return True, ""

    def _fill_values(self, ratings: Ratings) -> tuple[float, float]:
        cached = self._defaults.get(id(ratings))
        if cached is None:
            values = ratings.rated_values()
            unrated = values[min(len(values) - 1, int(len(values) * self.unrated_percentile))]
            cached = (unrated, values[0] - 5.0)
            self._defaults[id(ratings)] = cached
        return cached

    # --- ranking --------------------------------------------------------------------------------------------
    def base_score(self, card, ratings: Ratings) -> float:
        unrated, basic = self._fill_values(ratings)
        if card.is_basic_land:  # a basic's GIH WR (some files have one) says nothing about taking it
            return basic
        gih = ratings.gih(card)
        return gih if gih is not None else unrated

    def rank(self, ctx: PickContext) -> Recommendation:
        start = time.perf_counter()
        ratings = self.ratings_for(ctx.set_code)
        if ratings is None:
            raise NoRatings(self.available(ctx.set_code or "?")[1] if ctx.set_code else
                            "no 17lands ratings: the set is unknown; pass --ratings FILE")
        colors = ColorModel(ctx.pool, self.params)
        scored = [CardScore(card=c, score=round(self.base_score(c, ratings) + colors.bonus(c), 4)) for c in ctx.pack]
        scored.sort(key=lambda s: -s.score)
        unrated = sum(1 for c in ctx.pack if ratings.gih(c) is None and not c.is_basic_land)
        note = colors.describe() + (f"; {unrated} card(s) without a rating" if unrated else "")
        return Recommendation(engine=self.name, ranked=scored, model=Path(ratings.source).name, note=note,
                              latency_ms=(time.perf_counter() - start) * 1000.0)
