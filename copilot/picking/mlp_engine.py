"""`MLPEngine` ("mlp"): the learned card-embedding baseline (`copilot.picking.mlp_model`) as a PickEngine.

Loads lazily (torch is imported on the first ranking), batches `rank_many` into one forward pass (simulator seats),
maps names to the vocabulary by exact name, then by front face / punctuation-insensitive key, and scores cards it
never saw through the learned `<unk>` embedding (the Recommendation's note says how many).
"""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Sequence

from copilot.picking.engine import CardScore, EngineBase, PickContext, Recommendation


class MLPEngine(EngineBase):
    name = "mlp"

    def __init__(self, model: str | Path, threads: int = 1):
        self.path = Path(model)
        self.threads = max(1, int(threads))  # per call, restored after: 1 is ~30x faster than 2 on a busy CPU
        self._loaded = None
        self._sidecar: dict | None = None

    @classmethod
    def from_options(cls, options: dict | None = None) -> "MLPEngine":
        options = options or {}
        model = options.get("model")
        if not model:
            raise ValueError("the mlp engine needs a model file: --model PATH (from `copilot train-baseline`)")
        return cls(model, threads=int(options.get("threads", 1) or 1))

    def _set_codes(self) -> list[str]:
        if self._loaded is not None:
            return list(self._loaded.info.get("dataset", {}).get("set_codes") or [])
        if self._sidecar is None:
            try:
                from copilot.picking.pick_model_files import read_sidecar

                self._sidecar = read_sidecar(self.path)
            except (OSError, ValueError):
                self._sidecar = {}
        return list(self._sidecar.get("dataset", {}).get("set_codes") or [])

    def available(self, set_code: str | None = None) -> tuple[bool, str]:
        if importlib.util.find_spec("torch") is None:
            return False, "the mlp engine needs torch (pip install magic-copilot[train])"
        if not self.path.is_file():
            return False, f"model file not found: {self.path} (train one with `copilot train-baseline`)"
        sets = self._set_codes()
        if set_code and sets and set_code.upper() not in {s.upper() for s in sets}:
            return False, f"this model was trained on {', '.join(sets)}, not {set_code}"
        return True, ""

    def load(self):
        if self._loaded is None:
            from copilot.picking.mlp_model import load

            self._loaded = load(self.path)
        return self._loaded

    def rank(self, ctx: PickContext) -> Recommendation:
        return self._rank_batch([ctx])[0]

    def rank_many(self, ctxs: Sequence[PickContext]) -> list[Recommendation]:
        """One forward pass for all decisions; a failure becomes an error Recommendation for each."""
        if not ctxs:
            return []
        try:
            return self._rank_batch(list(ctxs))
        except Exception as exc:  # noqa: BLE001 - engines never raise into callers
            return [Recommendation(engine=self.name, model=self.path.name, error=f"{type(exc).__name__}: {exc}")
                    for _ in ctxs]

    def _rank_batch(self, ctxs: list[PickContext]) -> list[Recommendation]:
        import torch

        from copilot.picking.mlp_model import encode, predict

        start = time.perf_counter()
        lm = self.load()
        decisions = [([c.name for c in ctx.pack], [c.name for c in ctx.pool], ctx.pack_number, ctx.pick_number,
                       None) for ctx in ctxs]
        enc = encode(decisions, lm.vocab)
        logits = predict(lm.model, enc, threads=self.threads)
        return self._recommendations(ctxs, enc.names, enc.cands, logits, torch.softmax(logits, dim=1), start)

    def _recommendations(self, ctxs: list[PickContext], names: list[list[str]], cand_ids, scores, probs,
                         start: float, unknown_how: str = "") -> list[Recommendation]:
        """One Recommendation per context from a batch's scores and probabilities ([row, slot] tensors; slot j of
        row i is the card names[i][j], cand_ids its vocabulary id). The latency is the batch's since `start`,
        shared out; the note names the cards unknown to the model (`unknown_how`: how they were scored)."""
        from copilot.picking.mlp_model import UNK

        scores, probs, cand_ids = scores.tolist(), probs.tolist(), cand_ids.tolist()
        out = []
        for row, ctx in enumerate(ctxs):
            score_of = {n: (scores[row][j], probs[row][j]) for j, n in enumerate(names[row])}
            # duplicates of a card share its score; cards beyond the encoder's pack limit rank last
            scored = [CardScore(card=c, score=score_of.get(c.name, (float("-inf"), 0.0))[0],
                                probability=score_of.get(c.name, (0.0, 0.0))[1]) for c in ctx.pack]
            scored.sort(key=lambda s: -s.score)
            unknown = sorted({n for j, n in enumerate(names[row]) if cand_ids[row][j] == UNK})
            note = (f"{len(unknown)} card(s) unknown to the model{unknown_how}: {', '.join(unknown[:5])}"
                    if unknown else None)
            out.append(Recommendation(engine=self.name, ranked=scored, model=self.path.name, note=note))
        elapsed = (time.perf_counter() - start) * 1000.0 / len(ctxs)  # the batch's time, shared out
        for rec in out:
            rec.latency_ms = elapsed
        return out
