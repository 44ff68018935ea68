"""Engine registry: names -> engine classes (imported lazily), status, and the fallback chain.

`create_engine("gguf", {"model": path})` imports the engine's module only then, so listing engines or asking for
`copilot --help` never imports llama.cpp, torch or openai. `engine_status()` says for every engine "available" or
"unavailable: <why>" (missing package, missing model file, no ratings for the set...). `rank_with_fallback` runs
engines in order until one answers with a ranking of the pack, keeping each failure in the answer's `note`, so the
live path always answers (the last resort, random, cannot fail).
"""
from __future__ import annotations

import importlib
import time
from typing import Sequence

from copilot.picking.engine import PickContext, PickEngine, Recommendation, safe_rank

# name -> "module:Class"
ENGINES: dict[str, str] = {
    "ratings": "copilot.picking.ratings_engine:RatingsEngine",
    "heuristic": "copilot.picking.heuristic_engine:HeuristicEngine",
    "random": "copilot.picking.random_engine:RandomEngine",
    "gguf": "copilot.picking.gguf_engine:GGUFEngine",
    "hf": "copilot.picking.hf_engine:HFEngine",
    "openai": "copilot.picking.openai_engine:OpenAIEngine",
    "picknet": "copilot.picking.picknet_engine:PickNetEngine",
    "mlp": "copilot.picking.picknet_engine:LearnedMLPEngine",
    "hybrid": "copilot.picking.hybrid_engine:HybridEngine",
}
DESCRIPTIONS: dict[str, str] = {
    "ratings": "17lands GIH win rate + colour commitment",
    "heuristic": "card attributes (rarity, type, text, cost) + colour commitment; for sets without ratings",
    "random": "uniformly random, seeded (the floor)",
    "gguf": "local LLM through llama.cpp (GGUF model file)",
    "hf": "transformers model (+ LoRA adapter)",
    "openai": "OpenAI-compatible chat endpoint",
    "picknet": "per-set learned pick model (card features incl. the 17lands rating, pool MLP); --model FILE or the "
               "store's model for the set",
    "mlp": "learned pick model file from train-baseline (PickNet or the older MLP)",
    "hybrid": "LLM + mlp + ratings log-probabilities, weights fitted on validation picks (copilot hybrid fit)",
}
FALLBACK_ORDER: tuple[str, ...] = ("ratings", "heuristic", "random")


class EngineUnavailable(RuntimeError):
    """The engine cannot be created here; the message says why and what to do."""


def engine_names() -> list[str]:
    return list(ENGINES)


def engine_class(name: str):
    target = ENGINES.get(name)
    if target is None:
        raise EngineUnavailable(f"unknown engine {name!r}; known engines: {', '.join(ENGINES)}")
    module_name, cls_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or str(exc)
        if missing == module_name or module_name.startswith(missing + "."):
            raise EngineUnavailable(f"engine {name!r} is not part of this installation ({module_name} missing)") \
                from exc
        raise EngineUnavailable(f"engine {name!r} needs the Python package {missing!r}, which is not installed "
                                f"(pip install magic-copilot[all])") from exc
    except ImportError as exc:
        raise EngineUnavailable(f"engine {name!r} failed to import: {exc}") from exc
    try:
        return getattr(module, cls_name)
    except AttributeError as exc:
        raise EngineUnavailable(f"engine {name!r}: {module_name} has no {cls_name}") from exc


def create_engine(name: str, options: dict | None = None) -> PickEngine:
    """An engine from its name and options (engine-specific: model, ratings, format, seed...)."""
    cls = engine_class(name)
    try:
        return cls.from_options(dict(options or {}))
    except EngineUnavailable:
        raise
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise EngineUnavailable(f"engine {name!r}: {exc}") from exc


def _available(engine, set_code: str | None) -> tuple[bool, str]:
    try:
        if set_code is not None:
            try:
                return engine.available(set_code)
            except TypeError:
                pass
        return engine.available()
    except Exception as exc:  # noqa: BLE001 - a status check never raises
        return False, f"{type(exc).__name__}: {exc}"


def engine_status(options: dict[str, dict] | None = None, set_code: str | None = None,
                  names: Sequence[str] | None = None) -> dict[str, str]:
    """name -> "available" or "unavailable: <why>". `options` maps an engine name to its options."""
    options = options or {}
    out: dict[str, str] = {}
    for name in names or ENGINES:
        try:
            engine = create_engine(name, options.get(name))
        except EngineUnavailable as exc:
            out[name] = f"unavailable: {exc}"
            continue
        ok, why = _available(engine, set_code)
        out[name] = "available" if ok else f"unavailable: {why or 'not ready'}"
        close = getattr(engine, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # noqa: BLE001
                pass
    return out


def fallback_chain(first: str | None = None, options: dict[str, dict] | None = None) -> list[PickEngine]:
    """Engines to try in order: `first` (if given and creatable), then FALLBACK_ORDER. Creation failures of the
    fallbacks are skipped; random always exists."""
    options = options or {}
    chain: list[PickEngine] = []
    for name in ([first] if first else []) + [n for n in FALLBACK_ORDER if n != first]:
        try:
            chain.append(create_engine(name, options.get(name)))
        except EngineUnavailable:
            continue
    return chain


def _covers_pack(rec: Recommendation, ctx: PickContext) -> bool:
    names = {c.name for c in ctx.pack}
    return bool(rec.ranked) and all(s.card.name in names for s in rec.ranked)


def rank_with_fallback(engines: Sequence[PickEngine], ctx: PickContext) -> Recommendation:
    """The first engine's answer that ranks the pack; failures before it are listed in its `note`."""
    start = time.perf_counter()
    failures: list[str] = []
    last: Recommendation | None = None
    for engine in engines:
        name = getattr(engine, "name", type(engine).__name__)
        ok, why = _available(engine, ctx.set_code)
        if not ok:
            failures.append(f"{name}: {why or 'unavailable'}")
            continue
        rec = safe_rank(engine, ctx)
        last = rec
        if rec.error is None and _covers_pack(rec, ctx):
            if failures:
                fb = "fallback from " + "; ".join(failures)
                rec.note = f"{fb} | {rec.note}" if rec.note else fb
            return rec
        failures.append(f"{name}: {rec.error or 'no card of the pack ranked'}")
    rec = last or Recommendation(engine="none")
    rec.error = rec.error or "no engine could rank this pack"
    rec.note = "all engines failed: " + "; ".join(failures) if failures else rec.note
    if not rec.latency_ms:
        rec.latency_ms = (time.perf_counter() - start) * 1000.0
    return rec
