"""`copilot eval`: pick accuracy of one or more engines on 17lands picks, side by side.

JSON shape (`--json`): with one engine, one object
``{"engine", "model", "n", "top1", "top3", "valid", "by_pick": {"1-3": {"n", "top1"}, "4-8": ..., "9+": ...},
"latency_ms": {"p50", "p95", "mean"}, "tokens_per_pick", "errors", "file", "picks", "drafts", "seconds", "sample",
"limit", "unknown_cards"}``; with several engines ``{"file", "picks", ..., "engines": [<engine object>, ...]}``.
Rates are fractions (0.4512).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from copilot.commands.engine_options import per_engine
from copilot.progress import EventKind, ProgressWriter, add_flag


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="pick accuracy of engines on 17lands picks (draft_data CSV or picks JSONL)",
        description="Rank every pick of a 17lands file with each engine and report top-1/top-3 accuracy, valid "
                    "answers, accuracy by pick, latency and tokens per pick, engines side by side.")
    p.add_argument("--picks", required=True, type=Path, metavar="FILE",
                   help="17lands draft_data CSV(.gz) or picks JSONL(.gz)")
    p.add_argument("--engine", action="append", dest="engines", metavar="NAME",
                   help="engine to evaluate (repeat for several; default: ratings). "
                        "Known: ratings, heuristic, random, gguf, hf, openai, picknet, mlp, hybrid")
    p.add_argument("--model", help="model file/folder for gguf, hf, picknet and mlp engines (per engine: --opt "
                                   "ENGINE.model=PATH)")
    p.add_argument("--adapter", help="LoRA adapter for the hf/gguf engines")
    p.add_argument("--ratings", type=Path, help="17lands ratings file for the ratings engine "
                                                "(default: found for the set in user data / shared data)")
    p.add_argument("--cards", type=Path, nargs="+", default=[], metavar="FILE",
                   help="extra card data files (17lands cards.csv, Scryfall, MTGJSON, ratings JSON)")
    p.add_argument("--format", help="prompt format for LLM engines (default: the model's own, else v1), e.g. v1, "
                                    "conversation, conversation:knowledge=text")
    p.add_argument("--limit", type=int, help="read at most N rows of the file")
    p.add_argument("--sample", type=int, metavar="N", help="evaluate N whole drafts drawn at random (for slow engines)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample and of the random engine (default 0)")
    p.add_argument("--half", type=int, choices=(0, 1),
                   help="only the drafts of this half of the file (by a hash of the draft id): measure the hybrid "
                        "on the half its weights were not fitted on")
    p.add_argument("--opt", action="append", default=[], metavar="ENGINE.KEY=VALUE",
                   help="extra engine option, e.g. gguf.n_threads=2, ratings.ramp=8, hybrid.weights=W.json or "
                        "hybrid.mlp.model=mlp.pt (repeatable)")
    add_hide_ratings(p)
    p.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_flag(p)
    p.set_defaults(func=run_eval)


def add_hide_ratings(p) -> None:
    p.add_argument("--hide-ratings", action="append", default=[], metavar="SET",
                   help="measure as on SET's first days: its 17lands ratings are hidden from every engine and "
                        "prompt (and an order=picknet prompt without a pick model for SET is ordered by another "
                        "set's day-one pick model); repeatable")


def hide_ratings(sets: list[str]) -> None:
    if sets:
        from copilot.picking.ratings import withhold_ratings

        withhold_ratings(sets)


MODEL_ENGINES = ("gguf", "hf", "mlp", "picknet", "openai")  # the engines --model goes to


def model_mixup(model: str | None, names: list[str], opts: list[str]) -> str | None:
    """Why --model cannot be given as is: it would reach more than one engine (a GGUF file is no PickNet file), or
    None. An engine with its own --opt ENGINE.model=PATH does not take --model."""
    own = per_engine(opts)
    takers = [n for n in dict.fromkeys(names) if n in MODEL_ENGINES and "model" not in own.get(n, {})]
    if not model or len(takers) < 2:
        return None
    return (f"--model {model} would go to {len(takers)} engines ({', '.join(takers)}), which read different "
            "model files: give each engine its own, e.g. " + " ".join(f"--opt {n}.model=PATH" for n in takers))


def _engine_options(args, name: str) -> dict:
    opts: dict = {}
    if name in MODEL_ENGINES and args.model:
        opts["model"] = args.model
    if name in ("gguf", "hf") and args.adapter:
        opts["adapter"] = args.adapter
    if name in ("gguf", "hf", "openai") and args.format:
        opts["format"] = args.format
    if name == "ratings" and args.ratings:
        opts["ratings"] = str(args.ratings)
    if name == "random":
        opts["seed"] = args.seed
    opts.update(per_engine(args.opt).get(name, {}))
    return opts


def _catalog(extra: list[Path]):
    from copilot.cards.catalog import default_catalog

    return default_catalog(extra=extra)


def run_eval(args) -> int:
    from copilot.datasets.evaluate import evaluate, format_table, stderr_progress
    from copilot.picking.registry import EngineUnavailable, create_engine

    if not args.picks.is_file():
        print(f"error: picks file not found: {args.picks}", file=sys.stderr)
        return 2
    names = args.engines or ["ratings"]
    hide_ratings(args.hide_ratings)
    engines = []
    try:
        mixup = model_mixup(args.model, names, args.opt)
        if mixup:
            raise ValueError(mixup)
        for name in names:
            engines.append(create_engine(name, _engine_options(args, name)))
    except (EngineUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for engine in engines:
        ok, why = engine.available()
        if not ok:
            print(f"error: engine {engine.name!r} is unavailable: {why}", file=sys.stderr)
            return 2
    try:
        catalog = _catalog(list(args.cards))
    except (OSError, ValueError) as exc:
        print(f"error: card data: {exc}", file=sys.stderr)
        return 2
    events = ProgressWriter(getattr(args, "json_progress", False))
    def as_event(msg: str) -> None:
        events.emit(EventKind.PROGRESS, message=msg)

    progress = as_event if events else None if args.quiet else stderr_progress
    if progress:
        progress(f"eval: {', '.join(names)} on {args.picks} ({len(catalog)} cards known)")
    try:
        report = evaluate(args.picks, engines, catalog, limit=args.limit, sample=args.sample, seed=args.seed,
                          progress=progress, half=args.half)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        for engine in engines:
            close = getattr(engine, "close", None)
            if callable(close):
                close()
    hidden = {"ratings_hidden": sorted(s.upper() for s in args.hide_ratings)}
    if events:
        events.emit(EventKind.RESULT, **report.to_dict(), **hidden)
    elif args.json:
        print(json.dumps({**report.to_dict(), **hidden}, indent=2))
    else:
        print(format_table(report))
        if args.hide_ratings:
            print(f"17lands ratings hidden (day one): {', '.join(hidden['ratings_hidden'])}")
    return 0
