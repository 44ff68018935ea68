"""`copilot data ratings|cards|drafts|status`: fetch 17lands and Scryfall data for a set, on request.

Base URLs: settings, overridden by COPILOT_17LANDS_URL, COPILOT_17LANDS_DATA_URL and COPILOT_SCRYFALL_URL.
With --json a fetch prints one JSON document (the paths written included); progress goes to stderr.
"""
from __future__ import annotations

import json
import sys
import time

from copilot.progress import EventKind, ProgressWriter, add_flag


def register(subparsers) -> None:
    p = subparsers.add_parser("data", help="fetch 17lands ratings / draft files and Scryfall card data for a set",
                              description="Fetch data for the set being drafted (only when asked): 17lands card "
                                          "ratings, the public 17lands draft file, Scryfall card data and images.")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")

    r = sub.add_parser("ratings", help="17lands card ratings (used by the ratings engine with no flag)")
    r.add_argument("--set", required=True, dest="set_code", metavar="SET")
    r.add_argument("--format", default="PremierDraft", dest="fmt", help="event format (default PremierDraft)")
    r.add_argument("--start", metavar="YYYY-MM-DD", help="first day of the window (default: all data)")
    r.add_argument("--end", metavar="YYYY-MM-DD", help="last day of the window")
    r.add_argument("--group", default="all", choices=("all", "top", "middle", "bottom"),
                   help="17lands user group (top: the best players)")
    r.add_argument("--refresh", action="store_true",
                   help="ask whether the ratings changed since the last fetch (ETag / Last-Modified)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_ratings)

    c = sub.add_parser("cards", help="Scryfall card data (costs, types, rules text, Arena ids) into the catalog")
    c.add_argument("--set", required=True, dest="set_code", metavar="SET")
    c.add_argument("--images", action="store_true", help="also download the card images (cached on disk)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_cards)

    d = sub.add_parser("drafts", help="the public 17lands draft file (for dataset build / training)")
    d.add_argument("--set", required=True, dest="set_code", metavar="SET")
    d.add_argument("--format", default="PremierDraft", dest="fmt", help="event format (default PremierDraft)")
    d.add_argument("--json", action="store_true")
    add_flag(d)
    d.set_defaults(func=_drafts)

    s = sub.add_parser("status", help="what data is local for each set, from where, how old")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_status)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


class _Progress:
    """Progress on stderr: a redrawn line on a terminal, a line every few seconds otherwise."""

    def __init__(self, quiet: bool = False):
        self.tty = sys.stderr.isatty()
        self.quiet = quiet
        self.last = 0.0
        self.started = time.monotonic()

    def line(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)
        elif force or now - self.last >= 5.0:
            print(text, file=sys.stderr, flush=True)
        self.last = now

    def bytes(self, done: int, total: int | None) -> None:
        rate = done / max(1e-6, time.monotonic() - self.started) / 2 ** 20
        if total:
            bar = "#" * int(30 * done / total)
            self.line(f"[{bar:<30}] {done / 2 ** 20:,.1f} / {total / 2 ** 20:,.1f} MiB ({rate:.1f} MiB/s)")
        else:
            self.line(f"{done / 2 ** 20:,.1f} MiB ({rate:.1f} MiB/s)")

    def done(self) -> None:
        if self.tty and not self.quiet:
            print(file=sys.stderr)


def _client(progress: _Progress):
    from copilot.fetch.http import HttpClient

    return HttpClient(log=lambda m: progress.line(m, force=True))


def _fail(args, exc) -> int:
    msg = str(exc)
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": msg, "kind": getattr(exc, "kind", "error"),
                          "url": getattr(exc, "url", None)}, indent=2))
    print(f"error: {msg}", file=sys.stderr)
    return 2


def _ratings(args) -> int:
    from copilot.fetch.http import FetchError
    from copilot.fetch.ratings import RatingsRequest, fetch_ratings
    from copilot.fetch.store import StoreError

    prog = _Progress()
    try:
        res = fetch_ratings(RatingsRequest(args.set_code, args.fmt, args.start, args.end, args.group),
                            client=_client(prog), refresh=args.refresh, progress=lambda m: prog.line(m, True))
    except (FetchError, StoreError) as exc:
        prog.done()
        return _fail(args, exc)
    prog.done()
    if args.json:
        print(json.dumps(dict(res.to_dict(), ok=True), indent=2))
    elif res.status == "not-modified":
        print(f"{res.set_code} {res.fmt} ratings: not modified since the last fetch ({res.path})")
    else:
        print(f"{res.set_code} {res.fmt} ratings: {res.cards} cards, {res.rated_cards} with a GIH win rate, from "
              f"{res.url}\n  saved to {res.path} (the ratings engine uses it for {res.set_code} with no flag)")
        for note in res.notes:
            print(f"  note: {note}")
    return 0


def _cards(args) -> int:
    from copilot.fetch.cards import fetch_cards, scryfall_client
    from copilot.fetch.http import FetchError
    from copilot.fetch.store import StoreError

    prog = _Progress()
    try:
        client = scryfall_client(log=lambda m: prog.line(m, True))
        res = fetch_cards(args.set_code, images=args.images, client=client,
                          progress=lambda m, done, total: prog.line(m, True))
    except (FetchError, StoreError) as exc:
        prog.done()
        return _fail(args, exc)
    prog.done()
    if args.json:
        print(json.dumps(dict(res.to_dict(), ok=True), indent=2))
    else:
        print(f"{res.set_code}: {res.cards} cards from Scryfall ({res.pages} page(s); {res.arena_ids} with an Arena "
              f"id, {res.with_text} with rules text)\n  saved to {res.path} (merged into the card catalog)")
        if res.images:
            i = res.images
            print(f"  images: {i['fetched']} fetched, {i['cached']} already cached, {i['failed']} failed, "
                  f"in {i['folder']}")
    return 0


def _drafts(args) -> int:
    from copilot.fetch.drafts import fetch_drafts
    from copilot.fetch.http import FetchError
    from copilot.fetch.store import StoreError

    events = ProgressWriter(getattr(args, "json_progress", False))
    prog = _Progress()

    def progress(done: int, total: int | None) -> None:
        prog.bytes(done, total)
        events.emit(EventKind.PROGRESS, bytes=done, total=total)

    events.emit(EventKind.STARTED, set=args.set_code, format=args.fmt)
    try:
        res = fetch_drafts(args.set_code, args.fmt, client=_client(prog), progress=progress)
    except (FetchError, StoreError) as exc:
        prog.done()
        events.error(str(exc))
        return _fail(args, exc)
    prog.done()
    events.emit(EventKind.RESULT, **dict(res.to_dict(), path=str(res.path)))
    if events:
        return 0
    if args.json:
        print(json.dumps(dict(res.to_dict(), ok=True), indent=2))
    elif res.status == "not-modified":
        print(f"{res.path}: not modified since the last download")
    else:
        resumed = f", resumed {len(res.resumed_from)} time(s)" if res.resumed_from else ""
        print(f"{res.set_code} {res.fmt} draft file: {res.bytes / 2 ** 20:,.1f} MiB "
              f"({(res.uncompressed_bytes or 0) / 2 ** 20:,.1f} MiB of CSV, {res.columns} columns), gzip checked"
              f"{resumed}\n  saved to {res.path}\n  next: copilot dataset build --picks {res.path} --out DIR")
    return 0


def _status(args) -> int:
    from copilot.fetch.status import data_status, format_status

    entries = data_status()
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
    else:
        print(format_status(entries))
    return 0
