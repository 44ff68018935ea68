"""`copilot simulate`: offline 8-seat booster drafts (bots, or seven bots and you in the terminal)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HELP = "simulate 8-seat booster drafts with any engines (or seat yourself: --seat human)"


def register(subparsers) -> None:
    p = subparsers.add_parser("simulate", help=HELP, description=HELP + ". Seats default to 'ratings' (or "
                              "'heuristic' when the set has no ratings file). Seat specs: ENGINE[:k=v,...], e.g. "
                              "'gguf:model=/m.gguf', 'ratings:prefer=G', 'ratings:rares=1', 'random:seed=3', 'human'.")
    p.add_argument("--set", required=True, dest="set_code", help="set code, e.g. DSK, OTJ, VOW")
    p.add_argument("--cards", type=Path, help="card data file (17lands cards.csv[.gz]; default: the shared one)")
    p.add_argument("--seat", action="append", default=[], metavar="ENGINE[:OPTS]",
                   help="engine of the next seat (up to 8 times; seat 1 first)")
    p.add_argument("--drafts", type=int, default=1)
    p.add_argument("--seed", type=int, default=0, help="draft i uses booster seed SEED+i")
    p.add_argument("--booster", choices=["sheets", "measured", "play", "draft", "draft-paper"],
                   help="collation (default: MTGJSON sheets, else measured shares, else by era)")
    p.add_argument("--pick-two", action="store_true", help="take two cards per turn")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--humans", type=Path, nargs="?", const=Path("auto"), default=None,
                   help="compare with real human drafts from a 17lands picks file (default with no value: the "
                        "shared picks of the set)")
    p.add_argument("--deck", type=int, metavar="SEAT", help="print a suggested 40-card deck (Arena import format) "
                   "for this seat (1-based; the human seat by default when there is one)")
    p.add_argument("--deck-out", type=Path, help="write the --deck list to this file")
    p.set_defaults(func=run)


def _shared_data() -> Path | None:
    from copilot.paths import shared_dir

    d = shared_dir()
    return d / "data" if d is not None else None


def terminal_human(out=sys.stderr, inp=None):
    """A human seat in the terminal: a numbered pack list, read the number(s) from stdin."""
    def ask(ctx):
        stream = inp or sys.stdin
        print(f"\nPack {ctx.pack_number} pick {ctx.pick_number}  (pool: {len(ctx.pool)} cards"
              + (f", {_colour_line(ctx.pool)}" if ctx.pool else "") + ")", file=out)
        for i, c in enumerate(ctx.pack, 1):
            cost = c.mana_cost or (f"mv {c.mana_value:g}" if c.mana_value is not None else "")
            print(f"  {i:>2}. {c.name}  [{''.join(c.color_identity) or 'C'}] {c.rarity or ''} {cost}  "
                  f"{c.type_line or ''}", file=out)
        k = ctx.cards_to_pick
        while True:
            print(f"your pick{'s' if k > 1 else ''} (1-{len(ctx.pack)}{', ' + str(k) + ' numbers' if k > 1 else ''}"
                  "): ", end="", file=out, flush=True)
            line = stream.readline()
            if not line:
                raise EOFError("no more input for the human seat")
            try:
                nums = [int(x) for x in line.replace(",", " ").split()]
            except ValueError:
                nums = []
            if len(nums) == k and len(set(nums)) == k and all(1 <= n <= len(ctx.pack) for n in nums):
                return [n - 1 for n in nums]
            print(f"  please type {k} different number(s) between 1 and {len(ctx.pack)}", file=out)
    return ask


def _colour_line(cards) -> str:
    from copilot.sim.simstats import card_pool_stats

    s = card_pool_stats(cards)
    return " ".join(f"{c}{n}" for c, n in s.counts.items() if n)


def run(args) -> int:
    from copilot.sim.boosters import SetCards, make_generator
    from copilot.sim.simstats import colour_map, format_table, human_pools, summarize
    from copilot.sim.simulation import build_seats, run_simulation

    set_code = args.set_code.upper()
    shared_data = _shared_data()
    cards_file = args.cards or (shared_data / "cards" / "17lands_cards.csv.gz" if shared_data else None)
    if cards_file is None or not Path(cards_file).exists():
        print(f"copilot simulate: card data file not found: {cards_file} (use --cards)", file=sys.stderr)
        return 2
    if len(args.seat) > 8:
        print("copilot simulate: at most 8 --seat options", file=sys.stderr)
        return 2
    try:
        set_cards = SetCards.from_file(Path(cards_file))
        generator = make_generator(set_code, set_cards, shared_data, kind=args.booster)
        human_cb = terminal_human()
        seats, labels = build_seats(args.seat, set_code, human=human_cb)
    except (ValueError, OSError, RuntimeError) as exc:  # RuntimeError: registry.EngineUnavailable
        print(f"copilot simulate: {exc}", file=sys.stderr)
        return 2
    for s, label in zip(seats, labels):
        available = getattr(s, "available", None)
        if available is not None:
            try:
                ok, why = available(set_code)
            except TypeError:
                ok, why = available()
            if not ok:
                print(f"copilot simulate: seat engine {label!r} unavailable ({why}); its picks will fall back to "
                      "random and be marked", file=sys.stderr)

    started = time.monotonic()

    def progress(i, _result):  # on stderr, so --json output stays one document
        if args.drafts > 1:
            print(f"draft {i + 1}/{args.drafts} done ({time.monotonic() - started:.0f} s)", file=sys.stderr,
                  flush=True)

    try:
        report = run_simulation(set_code, Path(cards_file), drafts=args.drafts, seed=args.seed,
                                shared_data=shared_data, cards_to_pick=2 if args.pick_two else 1,
                                generator=generator, seats=seats, labels=labels, on_draft=progress)
    except EOFError as exc:
        print(f"copilot simulate: {exc}", file=sys.stderr)
        return 1
    finally:
        for s in {id(s): s for s in seats}.values():
            close = getattr(s, "close", None)
            if close:
                close()

    doc = report.to_dict(with_decks=args.json)
    human_summary = None
    if args.humans is not None:
        path = args.humans
        if str(path) == "auto":
            found = sorted((shared_data / "picks" / set_code).glob("*picks*.jsonl*")) if shared_data else []
            path = found[0] if found else None
        if path is None or not Path(path).exists():
            print(f"copilot simulate: no human picks file for {set_code}", file=sys.stderr)
        else:
            cmap = colour_map(set_cards.by_set.get(set_code, []) + set_cards.by_set.get("SPG", []))
            pools, unknown = human_pools(Path(path), cmap)
            human_summary = summarize(pools)
            human_summary["source"] = str(path)
            human_summary["unknown_names"] = sum(unknown.values())
            doc["stats"]["humans"] = human_summary

    deck_seat = args.deck
    if deck_seat is None and "human" in labels and (args.deck_out or not args.json):
        deck_seat = labels.index("human") + 1
    deck_text = None
    if deck_seat is not None:
        if not 1 <= deck_seat <= len(seats):
            print(f"copilot simulate: --deck must be 1..{len(seats)}", file=sys.stderr)
            return 2
        deck_text = report.deck(len(report.drafts) - 1, deck_seat - 1).to_arena()
        if args.deck_out:
            Path(args.deck_out).write_text(deck_text, encoding="utf-8")

    if args.json:
        print(json.dumps(doc))
        return 0
    stats = doc["stats"]
    print(f"{set_code}: {len(report.drafts)} draft(s), collation: {report.collation}, seed {args.seed}")
    for d_i, d in enumerate(report.drafts):
        per = stats["per_draft"][d_i]
        print(f"\ndraft {d_i + 1} (seed {d.seed})")
        for i, (label, s) in enumerate(zip(labels, d.seats)):
            ps = per[i]
            flag = " MONO" if ps["mono"] else ""
            print(f"  seat {i + 1} {label:<24} {ps['main']:<3} top2 {ps['top2_share']:.0%}{flag}  "
                  f"first picks: {', '.join(e.picked[0].name for e in s.picks[:3])}")
    rows = [(f"bots {k}", v) for k, v in stats["by_engine"].items()]
    rows.append(("all seats", stats["all_seats"]))
    if human_summary:
        rows.append((f"humans ({Path(human_summary['source']).name})", human_summary))
    print()
    print(format_table(rows))
    c = stats["all_seats"].get("contested")
    if c:
        print(f"contested (all seats, {c['tables']} tables): mean max seats sharing a colour "
              f"{c['mean_max_seats_sharing_a_colour']}, colours nobody drafts {c['mean_colours_nobody_drafts']}")
    if stats["fallback_picks"]:
        print(f"{stats['fallback_picks']} picks fell back to random (engine errors; see --json notes)")
    if deck_text and not args.deck_out:
        print(f"\nsuggested deck for seat {deck_seat} (Arena import):\n{deck_text}")
    elif deck_text:
        print(f"\ndeck for seat {deck_seat} written to {args.deck_out}")
    return 0
