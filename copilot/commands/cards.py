"""`copilot cards ...`: inspect the card catalog (show a card, list sets, list a set's booster cards, check files)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("cards", help="inspect card data: show a card, list sets, check card files")
    sub = p.add_subparsers(dest="cards_command", metavar="ACTION")

    def common(sp):
        sp.add_argument("--cards", action="append", default=[], metavar="FILE",
                        help="extra card file or folder (cards.csv, Scryfall/MTGJSON JSON, Raw_CardDatabase, "
                             "17lands set file); repeatable")
        sp.add_argument("--only", action="store_true", help="use only the --cards files (no shared/user data)")
        sp.add_argument("--arena", metavar="DIR", help="MTG Arena install folder (reads its Raw_CardDatabase)")
        sp.add_argument("--no-cache", action="store_true", help="rebuild the catalog instead of using the cache")

    s = sub.add_parser("show", help="show a card by Arena id or name")
    s.add_argument("query", nargs="+", help="Arena grpId or card name (quote names or pass the words)")
    s.add_argument("--set", dest="set_code", help="restrict a name lookup to a set code")
    s.add_argument("--json", action="store_true", help="print JSON")
    common(s)
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("sets", help="list the sets in the catalog with printing counts")
    common(s)
    s.set_defaults(func=cmd_sets)

    s = sub.add_parser("list", help="list the distinct cards of a set (booster cards by default)")
    s.add_argument("set_code")
    s.add_argument("--all", action="store_true", help="all printings of the set, not only booster ones")
    s.add_argument("--basics", action="store_true", help="include basic lands")
    common(s)
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("check", help="read card files and say what each one is (or why it cannot be read)")
    s.add_argument("files", nargs="+")
    s.set_defaults(func=cmd_check)

    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _catalog(args):
    from copilot.cards.catalog import default_catalog, load_catalog
    from copilot.cards.sources import CardSourceError

    t0 = time.perf_counter()
    try:
        if args.only:
            cat = load_catalog([Path(c) for c in args.cards], Path(args.arena) if args.arena else None)
        else:
            cat = default_catalog(extra=[Path(c) for c in args.cards],
                                  install_dir=Path(args.arena) if args.arena else None,
                                  use_cache=not args.no_cache)
    except CardSourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return None
    for prob in cat.problems:
        print(f"warning: {prob}", file=sys.stderr)
    if len(cat) == 0:
        print("warning: no card data loaded (no shared data folder, no --cards files, no Arena database). "
              "Pass --cards FILE or --arena DIR.", file=sys.stderr)
    cat.load_seconds = time.perf_counter() - t0
    return cat


def _format(card) -> str:
    lines = [f"{card.name}" + (f"   {card.mana_cost}" if card.mana_cost else "")]
    d = card.to_dict()
    for label, key in (("Arena id", "arena_id"), ("Set", "set"), ("Rarity", "rarity"), ("Type", "type_line"),
                       ("Mana value", "mana_value"), ("Colors", "colors"), ("Color identity", "color_identity"),
                       ("In boosters", "is_booster")):
        v = d.get(key)
        if v not in (None, ""):
            lines.append(f"  {label:<15} {v}")
    if card.power is not None or card.toughness is not None:
        lines.append(f"  {'P/T':<15} {card.power}/{card.toughness}")
    if card.text:
        lines.append("  Text:")
        lines += ["    " + ln for ln in card.text.splitlines()]
    else:
        lines.append("  Text:           (no source gave rules text)")
    lines.append(f"  {'Sources':<15} {', '.join(card.sources)}")
    return "\n".join(lines)


def cmd_show(args) -> int:
    cat = _catalog(args)
    if cat is None:
        return 2
    query = " ".join(args.query).strip()
    if query.isdigit():
        card = cat.get(int(query))
        if card is None:
            print(f"Arena id {query} is not in the catalog ({len(cat)} cards loaded). Add a newer card source "
                  "(--cards FILE or --arena DIR).", file=sys.stderr)
            return 1
    else:
        card = cat.by_name(query, args.set_code)
        if card is None:
            where = f" in set {args.set_code.upper()}" if args.set_code else ""
            print(f"no card named {query!r}{where} ({len(cat)} cards loaded)", file=sys.stderr)
            return 1
    if args.json:
        d = card.to_dict()
        d["sources"] = list(card.sources)
        print(json.dumps(d, indent=2, ensure_ascii=False))
    else:
        print(_format(card))
    return 0


def cmd_sets(args) -> int:
    cat = _catalog(args)
    if cat is None:
        return 2
    counts = cat.set_counts()
    print(f"{'set':<8}{'printings':>10}{'booster':>9}")
    for code, (n, nb) in counts.items():
        print(f"{code:<8}{n:>10}{nb:>9}")
    print(f"{len(counts)} sets, {len(cat)} cards, loaded in {cat.load_seconds:.2f}s")
    return 0


def cmd_list(args) -> int:
    cat = _catalog(args)
    if cat is None:
        return 2
    cards = cat.cards_in_set(args.set_code, booster_only=not args.all, include_basics=args.basics)
    if not cards:
        print(f"no {'booster ' if not args.all else ''}cards for set {args.set_code.upper()}"
              f" (known sets: {len(cat.sets())}; try `copilot cards sets`)", file=sys.stderr)
        return 1
    for c in cards:
        print(f"{c.arena_id if c.arena_id is not None else '-':>7}  {(c.rarity or '?')[:1].upper()}  "
              f"{''.join(c.color_identity) or 'C':<5} {c.name}")
    print(f"{len(cards)} cards", file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    from copilot.cards.sources import CardSourceError, load_file

    rc = 0
    files = []
    for f in args.files:
        p = Path(f)
        files += sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
    for f in files:
        try:
            kind, cards = load_file(Path(f))
        except CardSourceError as e:
            print(f"error: {e}")
            rc = 1
            continue
        with_id = sum(c.arena_id is not None for c in cards)
        with_text = sum(c.text is not None for c in cards)
        sets = sorted({c.set_code for c in cards if c.set_code})
        print(f"{f}: {kind}, {len(cards)} cards ({with_id} with Arena id, {with_text} with rules text), "
              f"sets: {', '.join(sets[:12])}{' ...' if len(sets) > 12 else ''}")
    return rc
