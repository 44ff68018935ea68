"""`copilot replay PATH [PATH ...] [--json] [--cards FILE ...]`: rebuild drafts from saved Arena logs.

Paths are read in the order given, as one stream (Player-prev.log then Player.log; a log split in parts).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "replay", help="rebuild the drafts in saved Arena logs (Player.log) and print them",
        description="Replay saved MTG Arena logs (oldest first, e.g. Player-prev.log Player.log) and print every "
                    "draft or sealed event found: picks, packs, pool, deck.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="log files in chronological order")
    p.add_argument("--json", action="store_true", help="print exactly one JSON document (grpIds, no names)")
    p.add_argument("--cards", nargs="+", action="extend", metavar="FILE", default=None,
                   help="card data for names/sets (17lands cards.csv(.gz), Scryfall/MTGJSON JSON, Arena "
                        "Raw_CardDatabase); put it after the log paths, or repeat it (--cards A --cards B). "
                        "Default: the shared data and the Arena card database when found")
    p.add_argument("--engine", default=None,
                   help="pick engine for the recommendation shown at each logged pack (default: the settings' "
                        "engine, else ratings, with fallback); with --json, adds a 'recommendation' to each pick")
    p.add_argument("--no-recommend", action="store_true", help="do not rank the packs")
    p.add_argument("--top", type=int, default=3, help="cards of each recommendation to show (default 3)")
    p.set_defaults(func=run)


def check_log_paths(paths: list[str], prog: str = "copilot replay") -> str | None:
    """Why saved Arena logs cannot be read (a missing file, a folder, no permission), or None when all can."""
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            return f"{prog}: {raw}: no such file. Pass saved Arena logs (Player.log, Player-prev.log)."
        if p.is_dir():
            return f"{prog}: {raw} is a folder; pass the log file inside it (Player.log)."
        try:
            with open(p, "rb") as f:
                f.read(1)
        except OSError as exc:
            return f"{prog}: cannot read {raw}: {exc.strerror or exc}."
    return None


def state_to_json(state, catalog=None) -> dict:
    from copilot.picking.context import draft_set

    drafts = []
    for d in state.drafts:
        set_code = draft_set(d, catalog)
        drafts.append({
            "event": d.event_name, "set": set_code, "format": d.format, "kind": d.kind,
            "picks": [{"pack": r.pack, "pick": r.pick, "pack_cards": list(r.pack_cards) if r.pack_cards is not None
                       else None, "picked": list(r.picked)} for r in d.picks],
            "pool": list(d.pool),
            "deck": {"main": list(d.deck.main), "side": list(d.deck.side)} if d.deck is not None else None,
            "complete": d.complete, "finished": d.finished, "wins": d.wins, "losses": d.losses,
        })
    return {"drafts": drafts, "warnings": list(state.warnings)}


class _Names:
    def __init__(self, catalog):
        self.catalog = catalog

    def __call__(self, gid: int) -> str:
        if self.catalog is None:
            return str(gid)
        try:
            card = self.catalog.get(gid)
        except Exception:  # noqa: BLE001
            card = None
        return f"{card.name} ({gid})" if card is not None else f"#{gid} (unknown card)"

    def many(self, ids) -> str:
        return ", ".join(self(i) for i in ids)


def recommend_all(state, catalog, engine_name: str | None) -> dict[tuple[int, int], object]:
    """The recommender's Advice for every logged pack: {(draft index, pick index): Advice}."""
    from copilot.picking.context import draft_before_pick
    from copilot.picking.recommender import Recommender

    recommender = Recommender(engine_name, catalog)
    out = {}
    for n, d in enumerate(state.drafts):
        for i, r in enumerate(d.picks):
            if r.pack_cards:
                advice = recommender.advise(draft_before_pick(d, i))
                if advice is not None:
                    out[(n, i)] = advice
    return out


def _default_engine() -> str:
    from copilot.settings import Settings

    return Settings.load().default_engine or "ratings"


def render_text(state, catalog, stats, recs: dict | None = None, top: int = 3) -> str:
    from copilot.picking.context import draft_set

    recs = recs or {}
    name = _Names(catalog)
    out = []
    head = [f"client {state.client_version}" if state.client_version else "client version not in the log"]
    if state.detailed_logs is not None:
        head.append("detailed logs " + ("enabled" if state.detailed_logs else "DISABLED"))
    out.append("Session: " + ", ".join(head))
    if not state.drafts:
        out.append("No draft or sealed event found in the log.")
    for n, d in enumerate(state.drafts, 1):
        set_code = draft_set(d, catalog)
        status = []
        d_index = n - 1
        if d.kind == "draft":
            status.append("picking over" if d.complete else f"in progress (pack {d.pack_number} pick {d.pick_number})")
        if d.wins is not None or d.losses is not None:
            status.append(f"record {d.wins or 0}-{d.losses or 0}")
        if d.finished:
            status.append("event finished")
        out.append("")
        out.append(f"[{n}] {d.event_name or 'unknown event'}  set {set_code or '?'}  format {d.format or '?'}  "
                   f"({d.kind}{', ' + ', '.join(status) if status else ''})")
        if d.cards_per_pick > 1:
            out.append(f"    {d.cards_per_pick} cards per pick")
        for i, r in enumerate(d.picks):
            label = f"    P{r.pack}p{r.pick:<3}"
            taken = name.many(r.picked) if r.picked else "(pick not logged yet)"
            out.append(f"{label} picked: {taken}")
            if r.pack_cards is None:
                out.append(" " * 14 + "pack: not in the log")
            else:
                out.append(" " * 14 + f"pack ({len(r.pack_cards)}): {name.many(r.pack_cards)}")
            advice = recs.get((d_index, i))
            rec = advice.recommendation if advice is not None else None
            if rec is not None and rec.ranked:
                best = [c.name for c in advice.best_cards]
                picked = sorted(c.name for c in map(catalog.card, r.picked))
                agree = "agrees" if sorted(best) == picked or (len(best) == 1 and best[0] in picked) else "differs"
                shown = {id(c) for c in advice.best_cards}
                runners = ", ".join(s.card.name for s in rec.ranked[:top] if id(s.card) not in shown)
                out.append(" " * 14 + f"{rec.engine} suggests: {' + '.join(best)}"
                           + (f" (then {runners})" if runners else "") + (f"; your pick {agree}" if r.picked else ""))
        if d.current_pack and not d.complete:
            out.append(f"    Now in front of you: {name.many(d.current_pack)}")
            if d.missing_from_pack:
                out.append(f"    Taken from this pack since you last saw it: {name.many(d.missing_from_pack)}")
        out.append(f"    Pool ({len(d.pool)}): {name.many(d.pool)}")
        if d.deck is not None:
            out.append(f"    Deck: {len(d.deck.main)} main, {len(d.deck.side)} sideboard")
            out.append(f"      main: {name.many(sorted(d.deck.main))}")
    if state.warnings:
        out.append("")
        out.extend(f"WARNING: {w}" for w in state.warnings)
    bad = stats.malformed + stats.errors + stats.oversized
    out.append("")
    out.append(f"Read {stats.lines} lines: {stats.events} events"
               + (f", {bad} malformed entries skipped" if bad else ""))
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from copilot.cards.catalog import catalog_or_note

    problem = check_log_paths(args.paths)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from copilot.arena.parser import ArenaLogParser
    from copilot.draft.replay import replay_paths

    parser = ArenaLogParser()
    try:
        state = replay_paths(args.paths, parser=parser)
    except OSError as exc:
        print(f"copilot replay: cannot read {exc.filename or 'log'}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    need_catalog = (not args.json or args.cards or bool(args.engine and not args.no_recommend)
                    or any(d.set_code is None for d in state.drafts))
    catalog, note = catalog_or_note(args.cards, state.install_dir) if need_catalog and state.drafts else (None, None)
    if args.cards and catalog is None:
        print(f"copilot replay: {note}", file=sys.stderr)
        return 2
    recs = {}
    if not args.no_recommend and (args.engine or not args.json) and state.drafts and catalog is not None:
        recs = recommend_all(state, catalog, args.engine or _default_engine())
    if args.json:
        doc = state_to_json(state, catalog)
        for (n, i), advice in recs.items():
            rec = advice.recommendation
            doc["drafts"][n]["picks"][i]["recommendation"] = {
                "engine": rec.engine, "error": rec.error,
                "ranked": [s.card.arena_id for s in rec.ranked[:max(1, args.top)]],
                **({"pair": [c.arena_id for c in advice.best_cards]} if advice.pairs else {})}
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if note:
        print(f"note: {note}", file=sys.stderr)
    print(render_text(state, catalog, parser.stats, recs, args.top))
    return 0
