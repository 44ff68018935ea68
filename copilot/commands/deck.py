"""`copilot deck LOG [LOG ...] [--engine NAME] [--json]`: the suggested 40-card deck for every completed draft or
Sealed pool in saved Arena logs and, where the log holds the deck the player registered, how many of its non-land
main-deck cards the suggestion shares.

Logs are read in the order given, as one stream (Player-prev.log then Player.log; a log split in parts), by the same
replay as `copilot replay`.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from copilot.commands.engine_options import per_engine


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "deck", help="suggest a 40-card deck for each finished draft or Sealed pool in saved Arena logs",
        description="Replay saved MTG Arena logs (oldest first) and suggest a 40-card deck for every completed "
                    "draft or Sealed pool, scored by a pick engine; where the log holds the deck the player "
                    "registered, say how many of its non-land main-deck cards the suggestion shares.")
    p.add_argument("paths", nargs="+", metavar="LOG", help="log files in chronological order")
    p.add_argument("--engine", default=None,
                   help="engine that scores the pool's cards (default: the settings' engine, else ratings; falls "
                        "back to heuristic, then random, when it cannot answer)")
    p.add_argument("--model", default=None, help="model file for --engine mlp/gguf/hf (as `copilot eval --model`)")
    p.add_argument("--opt", action="append", default=[], metavar="ENGINE.KEY=VALUE",
                   help="engine option, e.g. mlp.model=dsk-mlp.pt or ratings.ratings=FILE (repeatable)")
    p.add_argument("--json", action="store_true", help="print exactly one JSON document")
    p.add_argument("--arena", action="store_true", help="also print the Arena import text of each suggestion")
    p.add_argument("--cards", nargs="+", action="extend", metavar="FILE", default=None,
                   help="card data files (as for `copilot replay`); default: the shared data and Arena's database")
    p.set_defaults(func=run)


def engine_options(engine: str, model: str | None, opts: list[str]) -> dict[str, dict]:
    """{engine name: {key: value}} from --model and --opt ENGINE.KEY=VALUE. Raises ValueError on a bad --opt."""
    out = per_engine(opts)
    if model:
        out.setdefault(engine, {}).setdefault("model", model)
    return out


def render_text(results: list[dict], show_arena: bool) -> str:
    out = []
    for n, r in enumerate(results, 1):
        out.append(f"[{n}] {r['event'] or 'unknown event'}  set {r['set'] or '?'}  ({r['kind']}, pool {r['pool_size']})"
                   f"  scored by {r['engine']}")
        if r["engine_note"] and "fallback" in r["engine_note"]:
            out.append(f"    note: {r['engine_note']}")
        d = r["deck"]
        curve = " ".join(f"{k}:{v}" for k, v in d["curve"].items())
        basics = ", ".join(f"{n} {b}" for b, n in d["basics"].items())
        out.append(f"    suggested: {d['label']}  score {d['score']}  {d['spells']} spells ({d['creatures']} "
                   f"creatures; curve {curve}), {d['lands']} lands ({basics})")
        out.append("      " + ", ".join(f"{k} x{v}" if v > 1 else k for k, v in Counter(r["suggested"]).items()))
        if d["alternatives"]:
            out.append("    alternatives: " + "; ".join(f"{a['label']} {a['score']}" for a in d["alternatives"]))
        for problem in r["mana_problems"]:
            out.append(f"    MANA PROBLEM: {problem}")
        if r["registered"] is not None:
            pct = 100.0 * r["shared"] / r["registered_spells"] if r["registered_spells"] else 0.0
            out.append(f"    registered deck: {r['registered_size']} cards, {r['registered_spells']} non-land; "
                       f"the suggestion shares {r['shared']} of them ({pct:.0f}%)"
                       + ("  [the whole pool was registered: not a built deck, left out of the total]"
                          if r["whole_pool"] else ""))
            if r["only_registered"]:
                out.append("      only in the registered deck: " + ", ".join(r["only_registered"]))
            if r["only_suggested"]:
                out.append("      only in the suggestion:      " + ", ".join(r["only_suggested"]))
        if show_arena:
            out.append("")
            out.extend("    " + line for line in r["arena"].splitlines())
        out.append("")
    compared = [r for r in results if r["registered"] is not None and not r["whole_pool"]]
    if compared:
        shared = sum(r["shared"] for r in compared)
        total = sum(r["registered_spells"] for r in compared)
        mean = sum(r["shared"] / r["registered_spells"] for r in compared if r["registered_spells"]) / len(compared)
        out.append(f"{len(compared)} registered deck(s): the suggestions share {shared} of {total} registered "
                   f"non-land cards ({100.0 * shared / total:.1f}%; mean per deck {100.0 * mean:.1f}%)")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from copilot.commands.replay import _default_engine, check_log_paths
    from copilot.picking.context import draft_set

    problem = check_log_paths(args.paths, "copilot deck")
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from copilot.cards.catalog import catalog_or_note
    from copilot.draft.replay import replay_paths
    from copilot.picking.deck_report import deck_ready, deck_report

    try:
        state = replay_paths(args.paths)
    except OSError as exc:
        print(f"copilot deck: cannot read {exc.filename or 'log'}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    drafts = [d for d in state.drafts if deck_ready(d)]
    if not drafts:
        print("copilot deck: no completed draft or Sealed pool in these logs.", file=sys.stderr)
        return 1
    catalog, note = catalog_or_note(args.cards, state.install_dir)
    if catalog is None:
        print(f"copilot deck: {note}", file=sys.stderr)
        return 2
    engine_name = args.engine or _default_engine()
    try:
        options = engine_options(engine_name, args.model, args.opt)
    except ValueError as exc:
        print(f"copilot deck: {exc}", file=sys.stderr)
        return 2
    results = []
    for d in drafts:
        set_code = draft_set(d, catalog)
        results.append(deck_report(d, catalog, engine_name, options, set_code=set_code).to_dict())
    if args.json:
        json.dump({"engine": engine_name, "drafts": results}, sys.stdout)
        sys.stdout.write("\n")
    else:
        print(render_text(results, args.arena))
    return 0
