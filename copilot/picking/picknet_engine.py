"""`PickNetEngine` ("picknet") and the `mlp` engine name: learned pick models from `copilot train-baseline`.

Both names read both kinds of model file: a PickNet file (copilot.picking.picknet_model, today's default of
train-baseline) or an older MLP file (copilot.picking.mlp_model), told apart by the `kind` stored in the file, so
existing `--engine mlp --model PATH` scripts and models keep working. Loads lazily (torch is imported on the first
ranking), batches `rank_many` into one forward pass (simulator seats), and scores a card outside the model's
vocabulary from its card features (colours, cost, rarity, types) through the `<unk>` id; the Recommendation's note
says how many such cards a pack had.
"""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from copilot.picking.card_features import card_features
from copilot.picking.engine import PickContext, Recommendation
from copilot.picking.mlp_engine import MLPEngine
from copilot.picking.pick_model_files import kind_of, read_pick_model, read_sidecar


def read_kind(path: Path) -> str | None:
    """The `kind` of a model file from its JSON sidecar (no torch), None when there is no readable sidecar."""
    try:
        return read_sidecar(path).get("kind")
    except (OSError, ValueError):
        return None


def load_any(path: str | Path):
    """A loaded PickNet (`LoadedPickNet`) or MLP (`LoadedModel`) from a model file of either kind."""
    from copilot.picking import mlp_model, picknet_model

    path = Path(path)
    blob = read_pick_model(path)
    kind = kind_of(blob)
    if kind == picknet_model.MODEL_KIND:
        return picknet_model.load_blob(blob, path)
    if kind == mlp_model.MODEL_KIND:
        return mlp_model.load_blob(blob, path)
    raise ValueError(f"{path} is not a pick model from `copilot train-baseline` (kind={kind or '?'})")


class PickNetEngine(MLPEngine):
    """With `model`: that file. Without: the newest pick model of the model store for each pick's set
    (copilot.store.pick_models), looked up again when the store changes, so a newly trained model is used at once."""

    name = "picknet"

    def __init__(self, model: str | Path | None = None, threads: int = 1, store_root: str | Path | None = None):
        super().__init__(model if model is not None else ".", threads=threads)
        self.path = Path(model) if model is not None else None
        self.store_root = Path(store_root) if store_root else None
        self._by_set: dict[str | None, tuple[int, PickNetEngine | None]] = {}
        self._rows: tuple | None = None  # (loaded model, its feature table as lists) for draft signals

    @classmethod
    def from_options(cls, options: dict | None = None) -> "PickNetEngine":
        options = options or {}
        return cls(options.get("model") or None, threads=int(options.get("threads", 1) or 1),
                   store_root=options.get("store") or None)

    # -- the model store (no model file given) ---------------------------------------------------------------
    def _store(self):
        from copilot.store.model_store import ModelStore

        return ModelStore(self.store_root)

    def for_set(self, set_code: str | None) -> "PickNetEngine | None":
        """The engine of the newest stored pick model for `set_code` (None when the store has none)."""
        from copilot.store.pick_models import newest_for_set, pick_model_path

        store = self._store()
        try:
            stamp = store.root.stat().st_mtime_ns  # a registration renames a folder into the root
        except OSError:
            stamp = -1
        cached = self._by_set.get(set_code)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        entry = newest_for_set(store, set_code) if stamp != -1 else None
        engine = None
        if entry is not None:
            path = pick_model_path(entry)
            previous = cached[1] if cached else None
            engine = previous if previous is not None and previous.path == path else \
                type(self)(path, threads=self.threads)
        self._by_set[set_code] = (stamp, engine)
        return engine

    def available(self, set_code: str | None = None) -> tuple[bool, str]:
        if self.path is not None:
            return super().available(set_code)
        if importlib.util.find_spec("torch") is None:
            return False, f"the {self.name} engine needs torch (pip install magic-copilot[train])"
        if self.for_set(set_code) is None:  # set_code None: any stored pick model (each pick names its set)
            return False, (f"no pick model for {set_code or 'any set'} in the model store ({self._store().root}): "
                           "train one "
                           "(Training panel: Quick model for this set, or `copilot train-baseline --register`) "
                           "or pass --model FILE")
        return True, ""

    def load(self):
        if self.path is None:
            raise ValueError(f"the {self.name} engine has no model file; it uses the model store per set")
        if self._loaded is None:
            self._loaded = load_any(self.path)
        return self._loaded

    def _rank_batch(self, ctxs: list[PickContext]) -> list[Recommendation]:
        from copilot.picking.picknet_model import LoadedPickNet

        if self.path is None:
            return self._rank_from_store(ctxs)
        if not isinstance(self.load(), LoadedPickNet):
            return super()._rank_batch(ctxs)  # an MLP file
        return self._rank_picknet(ctxs)

    def _rank_from_store(self, ctxs: list[PickContext]) -> list[Recommendation]:
        out: list[Recommendation | None] = [None] * len(ctxs)
        groups: dict[str | None, list[int]] = {}
        for i, ctx in enumerate(ctxs):
            groups.setdefault(ctx.set_code, []).append(i)
        for set_code, rows in groups.items():
            engine = self.for_set(set_code)
            if engine is None:
                recs = [Recommendation(engine=self.name, error=f"no pick model for {set_code or 'this set'} in "
                                       "the model store") for _ in rows]
            else:
                try:
                    recs = engine._rank_batch([ctxs[i] for i in rows])
                except Exception as exc:  # noqa: BLE001 - engines never raise into callers
                    recs = [Recommendation(engine=self.name, model=engine.path.name,
                                           error=f"{type(exc).__name__}: {exc}") for _ in rows]
                for r in recs:
                    r.engine = self.name
            for i, rec in zip(rows, recs):
                out[i] = rec
        return [r for r in out if r is not None]

    def _rank_picknet(self, ctxs: list[PickContext]) -> list[Recommendation]:
        from copilot.picking.picknet_model import encode

        start = time.perf_counter()
        lm = self.load()
        cards = {c.name: c for ctx in ctxs for c in ctx.pack + ctx.pool}
        decisions = [([c.name for c in ctx.pack], [c.name for c in ctx.pool], ctx.pack_number, ctx.pick_number,
                      None) for ctx in ctxs]
        if lm.net.cfg.signals or lm.net.cfg.style:
            decisions = [d + (self._seen(lm, ctx),) for d, ctx in zip(decisions, ctxs)]
        batch = encode(decisions, lm.vocab, lambda n: card_features(cards.get(n)))
        logp = lm.net.logprobs(batch, threads=self.threads)
        return self._recommendations(ctxs, batch.names, batch.cands, logp, logp.exp(), start,
                                     ", scored from their card features")

    def _seen(self, lm, ctx: PickContext):
        """What the drafter passed and others took before this pick, and the drafter's style (draft_signals),
        from the context's history (empty history: nothing seen, the prior style)."""
        from copilot.picking.draft_signals import seen_cards
        from copilot.picking.mlp_model import PAD, UNK

        if self._rows is None or self._rows[0] is not lm:
            self._rows = (lm, lm.net.ftable.tolist())
        rows = self._rows[1]
        cards = {c.name: c for h in ctx.history for c in h.pack}

        def features_of(name: str) -> list[float]:
            i = lm.vocab.id(name)
            return rows[i] if i not in (UNK, PAD) else card_features(cards.get(name))
        history = [(h.pack_number, h.pick_number, tuple(c.name for c in h.pack), tuple(c.name for c in h.picked))
                   for h in ctx.history]
        return seen_cards(history, ctx.pack_number, ctx.pick_number, [c.name for c in ctx.pack], features_of)


class LearnedMLPEngine(PickNetEngine):
    """The `mlp` engine name: reads PickNet and MLP files alike (scripts written for the MLP keep working). As
    before, it needs a model file; the model-store lookup per set is the `picknet` name's."""

    name = "mlp"

    @classmethod
    def from_options(cls, options: dict | None = None) -> "LearnedMLPEngine":
        if not (options or {}).get("model"):
            raise ValueError("the mlp engine needs a model file: --model PATH (from `copilot train-baseline`; "
                             "the picknet engine also finds stored models by set)")
        return super().from_options(options)
