"""`copilot hybrid fit`: fit the hybrid engine's weights on one half of validation drafts, report on the other."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from copilot.commands.eval import add_hide_ratings, hide_ratings


def register(subparsers) -> None:
    p = subparsers.add_parser("hybrid", help="fit the hybrid engine (LLM + mlp + ratings) on validation picks",
                              description="Fit the weights of the hybrid engine by maximum likelihood of the human "
                                          "picks on one half of the drafts of a picks file, and compare it with "
                                          "each of its parts on the other half (the same picks, the parts run "
                                          "once).")
    sub = p.add_subparsers(dest="hybrid_command", metavar="ACTION")
    f = sub.add_parser("fit", help="fit the weights and write the JSON the engine reads")
    f.add_argument("--picks", required=True, type=Path, metavar="FILE",
                   help="validation picks no part was trained on (a dataset's val.picks.jsonl)")
    f.add_argument("--out", required=True, type=Path, metavar="FILE", help="weights JSON to write")
    f.add_argument("--parts", default="gguf,mlp,ratings", help="engines to combine (default gguf,mlp,ratings)")
    f.add_argument("--opt", action="append", default=[], metavar="PART.KEY=VALUE",
                   help="a part's option, e.g. gguf.model=m.gguf, gguf.format=conversation, mlp.model=mlp.pt "
                        "(recorded in the JSON: the engine uses them unless overridden)")
    f.add_argument("--sample", type=int, metavar="N", help="N whole drafts drawn at random (default: every draft)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--fit-half", type=int, choices=(0, 1), default=0,
                   help="fit on this half of the drafts, report on the other (default 0; `copilot eval --half 1`)")
    f.add_argument("--scores", type=Path, metavar="FILE",
                   help="also save the parts' scores, draft by draft (to refit without running them again); when "
                        "FILE exists, its drafts are not scored again: an interrupted run resumes")
    f.add_argument("--from-scores", type=Path, metavar="FILE", help="refit from saved scores; runs no engine")
    f.add_argument("--cards", type=Path, nargs="+", default=[], metavar="FILE", help="extra card data files")
    add_hide_ratings(f)
    f.add_argument("--force", action="store_true", help="overwrite --out")
    f.add_argument("--json", action="store_true", help="print the weights file instead of the table")
    f.add_argument("--quiet", action="store_true")
    f.set_defaults(func=_fit)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _part_options(items: list[str], parts: list[str]) -> dict[str, dict]:
    opts: dict[str, dict] = {p: {} for p in parts}
    for item in items:
        key, sep, value = item.partition("=")
        part, dot, field = key.partition(".")
        if not sep or not dot or part not in opts:
            raise ValueError(f"--opt {item!r}: expected PART.KEY=VALUE with PART one of {', '.join(parts)}")
        opts[part][field] = value
    return opts


def _fit(args: argparse.Namespace) -> int:
    from copilot.training import hybrid_fit as hf

    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if not parts or "hybrid" in parts:
        print("error: --parts lists the engines to combine (not hybrid itself)", file=sys.stderr)
        return 2
    if args.out.exists() and not args.force:
        print(f"error: {args.out} exists; choose another --out or pass --force", file=sys.stderr)
        return 2
    try:
        options = _part_options(args.opt, parts)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    progress = None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    if args.from_scores:
        if not args.from_scores.is_file():
            print(f"error: {args.from_scores} not found", file=sys.stderr)
            return 2
        data = hf.load_scores(args.from_scores)
    else:
        if not args.picks.is_file():
            print(f"error: picks file not found: {args.picks}", file=sys.stderr)
            return 2
        hide_ratings(args.hide_ratings)
        data = _collect(args, parts, options, progress)
        if data is None:
            return 2
    fit_rows = [d for d in data if d.half == args.fit_half]
    try:
        weights, info = hf.fit_weights(fit_rows, parts)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    held = 1 - args.fit_half
    rows = hf.report(data, parts, weights, held)
    drafts = {h: len({d.draft_id for d in data if d.half == h}) for h in (0, 1)}
    meta = {"fitted_on": {"picks": str(args.picks), "half": args.fit_half, "drafts": drafts[args.fit_half],
                          "sample": args.sample, "seed": args.seed,
                          "ratings_hidden": sorted(x.upper() for x in args.hide_ratings), **info},
            "held_out": {"half": held, "drafts": drafts[held], "results": rows}}
    hw = hf.write_weights(args.out, weights, options, meta)
    if args.json:
        print(json.dumps(hw.to_dict(), indent=2))
        return 0
    print(f"weights {args.out}: " + ", ".join(f"{p} {w:+.3f}" for p, w in weights.items())
          + f"  (fitted on half {args.fit_half}: {drafts[args.fit_half]} drafts, {info['picks']} picks; "
            f"log-likelihood/pick {-info['nll_per_pick']:.3f}, equal weights {-info['nll_per_pick_equal_weights']:.3f})")
    print(hf.format_report(rows, f"held-out half {held}: {drafts[held]} drafts of {args.picks.name}"))
    return 0


def _collect(args, parts: list[str], options: dict[str, dict], progress):
    from copilot.cards.catalog import default_catalog
    from copilot.picking.registry import EngineUnavailable, create_engine
    from copilot.training import hybrid_fit as hf

    engines = {}
    try:
        for p in parts:
            engines[p] = create_engine(p, options[p])
            ok, why = engines[p].available()
            if not ok:
                raise EngineUnavailable(f"engine {p!r} is unavailable: {why}")
    except EngineUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    try:
        saved, todo, on_draft = [], None, None
        if args.scores:
            scores_file = hf.ScoresFile(args.scores, parts, options, args.hide_ratings)
            try:
                saved = scores_file.resume()
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return None
            wanted = set(hf.selected_drafts(args.picks, args.sample, args.seed))
            saved = [d for d in saved if d.draft_id in wanted]
            done = {d.draft_id for d in saved}
            todo = wanted - done  # the file is read once to select the drafts, once to score them
            if done and progress:
                progress(f"hybrid fit: {len(done)} drafts ({len(saved)} picks) already scored in {args.scores}")
            scores_file.start()
            on_draft = scores_file.append
        catalog = default_catalog(extra=list(args.cards))
        return saved + hf.collect(args.picks, engines, catalog, sample=args.sample, seed=args.seed,
                                  progress=progress, draft_ids=todo, on_draft=on_draft)
    finally:
        for e in engines.values():
            close = getattr(e, "close", None)
            if callable(close):
                close()
