"""`HybridEngine` ("hybrid"): the LLM's candidate log-probabilities, the MLP's and the ratings' scores, combined.

Each part ranks the pack on its own (`gguf`: Σ log p of the answer; `mlp`: logits; `ratings`: GIH WR + colour
bonus, percentage points). A part's scores over the pack's distinct cards become log-probabilities by a log-softmax
(`part_logprobs`), and the hybrid's score of a card is Σ_part w_part · logp_part(card): a multinomial logit whose
weights act as each part's inverse temperature. The weights are fitted by maximum likelihood of the human picks on
validation drafts that are not the ones it is measured on (`copilot.training.hybrid_fit`, `copilot hybrid fit`),
and read from a small JSON (`HybridWeights`). Without one, every part weighs 1 and the note says "not fitted".

The JSON also records the parts' options used for the fit (model files, ratings file), so ``--engine hybrid --opt
hybrid.weights=FILE`` is all an evaluation needs; ``hybrid.<part>.<key>=value`` overrides one (e.g.
``hybrid.gguf.model=model.gguf``). A part that cannot answer for a pick is left out of that pick (its failure is in
the note); the note also says which parts agreed on the top card.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from copilot.picking.engine import CardScore, EngineBase, PickContext, PickEngine, Recommendation, safe_rank

WEIGHTS_KIND = "magic-copilot.hybrid-weights"
DEFAULT_PARTS = ("gguf", "mlp", "ratings")
FLOOR = -30.0  # a part's log-probability floor (a card it cannot score does not veto the others)


class HybridError(ValueError):
    pass


def part_logprobs(rec: Recommendation, names: Sequence[str]) -> dict[str, float] | None:
    """The part's scores over `names` (distinct card names of the pack) as log-probabilities; None when it failed
    or did not rank every card."""
    if rec.error is not None or not rec.ranked:
        return None
    score: dict[str, float] = {}
    for s in rec.ranked:
        score.setdefault(s.card.name, s.score)
    if any(n not in score for n in names):
        return None
    xs = [score[n] if math.isfinite(score[n]) else -math.inf for n in names]
    m = max(xs)
    if not math.isfinite(m):
        return None
    z = m + math.log(sum(math.exp(x - m) for x in xs))
    return {n: max(FLOOR, x - z) for n, x in zip(names, xs)}


@dataclass(frozen=True)
class HybridWeights:
    weights: dict[str, float]
    part_options: dict[str, dict] = field(default_factory=dict)
    fitted: bool = False
    source: str | None = None
    info: dict = field(default_factory=dict)

    @classmethod
    def equal(cls, parts: Sequence[str]) -> "HybridWeights":
        return cls({p: 1.0 for p in parts})

    @classmethod
    def load(cls, path: str | Path) -> "HybridWeights":
        p = Path(path)
        if not p.is_file():
            raise HybridError(f"hybrid weights file not found: {p} (fit one with `copilot hybrid fit`)")
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise HybridError(f"{p}: not a hybrid weights JSON ({exc})") from None
        if not isinstance(d, dict) or d.get("kind") != WEIGHTS_KIND or not isinstance(d.get("weights"), dict):
            raise HybridError(f"{p}: not a hybrid weights file (kind {WEIGHTS_KIND!r} with a 'weights' object)")
        try:
            weights = {str(k): float(v) for k, v in d["weights"].items()}
        except (TypeError, ValueError):
            raise HybridError(f"{p}: weights must be numbers") from None
        return cls(weights, {k: dict(v) for k, v in (d.get("part_options") or {}).items()}, True, str(p),
                   {k: v for k, v in d.items() if k not in ("weights", "part_options")})

    def to_dict(self) -> dict:
        return {"kind": WEIGHTS_KIND, "version": 1, "weights": self.weights, "part_options": self.part_options,
                **self.info}


def combine(parts: dict[str, dict[str, float]], weights: dict[str, float], names: Sequence[str]) -> dict[str, float]:
    """Σ w · logp over the parts present, per card name."""
    return {n: sum(weights.get(p, 0.0) * lp[n] for p, lp in parts.items()) for n in names}


class HybridEngine(EngineBase):
    name = "hybrid"

    def __init__(self, parts: dict[str, PickEngine], weights: HybridWeights):
        if not parts:
            raise HybridError("the hybrid engine needs at least one part")
        unknown = [p for p in parts if p not in weights.weights]
        if unknown and weights.fitted:
            raise HybridError(f"{weights.source}: no weight for part(s) {', '.join(unknown)}; refit with them or "
                              f"leave them out (parts={','.join(p for p in parts if p in weights.weights)})")
        self.parts = parts
        self.weights = weights

    @classmethod
    def from_options(cls, options: dict | None = None) -> "HybridEngine":
        from copilot.picking.registry import EngineUnavailable, create_engine

        o = dict(options or {})
        weights = HybridWeights.load(o["weights"]) if o.get("weights") else None
        names = [p.strip() for p in str(o.get("parts") or "").split(",") if p.strip()] or \
            (list(weights.weights) if weights else list(DEFAULT_PARTS))
        if "hybrid" in names:
            raise HybridError("a hybrid cannot be a part of itself")
        if weights is None:
            weights = HybridWeights.equal(names)
        parts = {}
        for name in names:
            part_opts = dict(weights.part_options.get(name, {}))
            part_opts.update({k.split(".", 1)[1]: v for k, v in o.items() if k.startswith(name + ".")})
            try:
                parts[name] = create_engine(name, part_opts)
            except EngineUnavailable as exc:
                raise HybridError(f"part {name}: {exc} (give its options as hybrid.{name}.KEY=VALUE, or leave it "
                                  f"out with hybrid.parts=...)") from None
        return cls(parts, weights)

    @property
    def conversational(self) -> bool:
        return any(getattr(p, "conversational", False) for p in self.parts.values())

    @property
    def model_label(self) -> str:
        return "+".join(f"{n}:{self.weights.weights.get(n, 0.0):.2g}" for n in self.parts)

    def available(self, set_code: str | None = None) -> tuple[bool, str]:
        problems = []
        for name, part in self.parts.items():
            try:
                ok, why = part.available(set_code) if set_code is not None else part.available()
            except TypeError:
                ok, why = part.available()
            if not ok:
                problems.append(f"{name}: {why}")
        if len(problems) == len(self.parts):
            return False, "no part of the hybrid is available: " + "; ".join(problems)
        return True, ""

    def rank(self, ctx: PickContext) -> Recommendation:
        return self.rank_many([ctx])[0]

    def rank_many(self, ctxs: Sequence[PickContext]) -> list[Recommendation]:
        """Every part ranks all the decisions (batching parts batch), then each decision is combined."""
        start = time.perf_counter()
        by_part: dict[str, list[Recommendation]] = {}
        for name, part in self.parts.items():
            try:
                by_part[name] = list(part.rank_many(ctxs)) if len(ctxs) > 1 else [safe_rank(part, ctxs[0])]
            except Exception as exc:  # noqa: BLE001 - a part never takes the hybrid down
                by_part[name] = [Recommendation(engine=name, error=f"{type(exc).__name__}: {exc}") for _ in ctxs]
        out = [self._combine(ctx, {n: recs[i] for n, recs in by_part.items()}) for i, ctx in enumerate(ctxs)]
        elapsed = (time.perf_counter() - start) * 1000.0 / max(1, len(ctxs))
        for rec in out:
            rec.latency_ms = elapsed
        return out

    def _combine(self, ctx: PickContext, recs: dict[str, Recommendation]) -> Recommendation:
        names = list(dict.fromkeys(c.name for c in ctx.pack))
        card_of = {}
        for c in ctx.pack:
            card_of.setdefault(c.name, c)
        parts: dict[str, dict[str, float]] = {}
        failed: list[str] = []
        for n, rec in recs.items():
            lp = part_logprobs(rec, names)
            if lp is None:
                failed.append(f"{n} failed ({(rec.error or 'no full ranking').splitlines()[0][:120]})")
            else:
                parts[n] = lp
        tokens = sum(r.tokens_evaluated or 0 for r in recs.values())
        if not parts:
            return Recommendation(engine=self.name, model=self.model_label, tokens_evaluated=tokens,
                                  error="every part of the hybrid failed: " + "; ".join(failed))
        scores = combine(parts, self.weights.weights, names)
        m = max(scores.values())
        z = sum(math.exp(s - m) for s in scores.values())
        ranked = [CardScore(card=card_of[n], score=s, probability=math.exp(s - m) / z)
                  for n, s in sorted(scores.items(), key=lambda kv: -kv[1])]
        return Recommendation(engine=self.name, ranked=ranked, model=self.model_label, tokens_evaluated=tokens,
                              note=self.agreement(parts, ranked[0].card.name, failed))

    def agreement(self, parts: dict[str, dict[str, float]], best: str, failed: Sequence[str] = ()) -> str:
        """'gguf, mlp and ratings agree on X' or 'mlp and ratings: X; gguf: Y', the weights, and any failures."""
        tops: dict[str, list[str]] = {}
        for n, lp in parts.items():
            tops.setdefault(max(lp, key=lp.get), []).append(n)
        with_best = tops.get(best, [])
        if len(tops) == 1 and len(with_best) > 1:
            text = f"{_join(with_best)} agree on {best}"
        else:
            order = sorted(tops.items(), key=lambda kv: (kv[0] != best, -len(kv[1])))
            text = "; ".join(f"{_join(ps)}: {card}" for card, ps in order)
            if not with_best:
                text += f" (hybrid: {best})"
        w = ", ".join(f"{n} {self.weights.weights.get(n, 0.0):.2f}" for n in parts)
        text += f" [weights {w}{'' if self.weights.fitted else ', not fitted'}]"
        if failed:
            text += "; " + "; ".join(failed)
        return text

    def close(self) -> None:
        for part in self.parts.values():
            close = getattr(part, "close", None)
            if callable(close):
                close()


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
