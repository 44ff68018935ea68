"""`copilot live`: follow MTG Arena's Player.log and print the draft as it happens, with a pick recommendation
for every new pack.

    copilot live                       # find the log, follow it (Ctrl-C to stop; the state is saved)
    copilot live --once --log FILE     # process what the file holds now and exit
    copilot live --engine gguf --engine-option model=/path/model.gguf
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path

from copilot.commands.engine_options import key_values
from copilot.draft.changes import DraftChanges, draft_changes


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "live", help="follow the MTG Arena log and recommend picks as the draft goes",
        description="Follow MTG Arena's Player.log (found automatically, or --log) and print each draft event: "
                    "event/set/format, the pack in front of you with a recommendation, the pick made, the pool. "
                    "The state is saved, so a draft survives restarts of this app and of Arena. "
                    "Needs 'Detailed Logs (Plugin Support)' enabled in Arena (Options -> Account).")
    p.add_argument("--log", metavar="PATH", help="the Player.log to follow (a file, or the MTGA folder holding it); "
                                                   "default: $COPILOT_ARENA_LOG, then the usual places per OS")
    p.add_argument("--no-prev", action="store_true",
                   help="do not read Player-prev.log (the previous Arena session) before Player.log")
    p.add_argument("--once", action="store_true", help="process what the log holds now and exit")
    p.add_argument("--engine", default=None, metavar="NAME",
                   help="pick engine (ratings, heuristic, random, gguf, hf, openai, mlp); falls back to "
                        "ratings -> heuristic -> random when it cannot answer (default: the app settings' "
                        "default engine, else ratings)")
    p.add_argument("--engine-option", action="append", default=[], metavar="KEY=VALUE",
                   help="option for the engine, e.g. model=/path/to.gguf, ratings=FILE, base_url=URL (repeatable)")
    p.add_argument("--no-recommend", action="store_true", help="only show the draft, no recommendations")
    p.add_argument("--top", type=int, default=3, help="how many ranked cards to show (default 3)")
    p.add_argument("--cards", nargs="+", metavar="FILE", default=None,
                   help="card data for names (17lands cards.csv(.gz), Scryfall/MTGJSON JSON, Arena "
                        "Raw_CardDatabase); default: the shared data and the Arena card database when found")
    p.add_argument("--json", action="store_true", help="print one JSON object per line (grpIds and names)")
    p.add_argument("--fresh", action="store_true", help="ignore the saved live state (it is overwritten)")
    p.add_argument("--no-save", action="store_true", help="do not read or write the saved live state")
    p.add_argument("--poll", action="store_true",
                   help="poll the file instead of using file-system notifications (network drives, WSL)")
    p.add_argument("--interval", type=float, default=0.5, help="polling interval in seconds (default 0.5)")
    p.set_defaults(func=run)


class Printer:
    """Turns successive ArenaStates into lines (text or JSON), printing only what changed."""

    def __init__(self, out, *, as_json: bool, names, recommend=None, top: int = 3):
        self.out, self.as_json, self.names, self.recommend, self.top = out, as_json, names, recommend, top
        self._lock = threading.Lock()
        self._drafts: dict[int, object] = {}  # index -> the DraftState last printed

    def emit(self, kind: str, text: str, /, **data) -> None:
        with self._lock:
            if self.as_json:
                self.out.write(json.dumps({**data, "type": kind}) + "\n")
            else:
                self.out.write(text + "\n")
            self.out.flush()

    def warning(self, text: str) -> None:
        self.emit("warning", f"WARNING: {text}", text=text)

    def baseline(self, state) -> None:
        """Drafts already known at start (saved state): one line each, then only changes are printed."""
        for i, d in enumerate(state.drafts):
            self._drafts[i] = d
            self.emit("known", f"[saved] {self._title(d)}: pool {len(d.pool)}"
                      + (", picking over" if d.complete else f", pack {d.pack_number} pick {d.pick_number}"),
                      index=i, **self._head(d), pool=list(d.pool))
            if i == state.active and d.awaiting_pick:
                self._pack(i, d)  # the decision waiting when the app was closed

    @staticmethod
    def _head(d) -> dict:
        return {"event": d.event_name, "set": d.set_code, "format": d.format, "kind": d.kind}

    @staticmethod
    def _title(d) -> str:
        return (f"{d.event_name or 'unknown event'}  set {d.set_code or '?'}  format {d.format or '?'}"
                + ("  (sealed)" if d.kind == "sealed" else ""))

    def state(self, state) -> None:
        for i, d in enumerate(state.drafts):
            old = self._drafts.get(i)
            ch = draft_changes(old, d)
            if ch.any:
                self._drafts[i] = d
                self._print_changes(i, d, old, ch, is_current=(i == state.active))

    def _print_changes(self, i: int, d, old, ch: DraftChanges, is_current: bool) -> None:
        if ch.head:
            self.emit("draft", f"== {self._title(d)}", index=i, **self._head(d))
        if d.kind == "sealed" and d.pool and ch.pool:
            self.emit("pool", f"   sealed pool ({len(d.pool)}): {self.names.many(d.pool)}", index=i,
                      cards=list(d.pool), names=self.names.list(d.pool))
        if ch.picks:
            self._print_picks(i, d, old, is_current)
        if ch.pack and d.awaiting_pick and is_current:
            self._pack(i, d)
        if ch.complete and d.complete and d.kind != "sealed":
            self.emit("complete", f"   Draft complete: pool {len(d.pool)} cards", index=i, pool=list(d.pool))
        if ch.deck and d.deck:
            self.emit("deck", f"   Deck submitted: {len(d.deck.main)} main, {len(d.deck.side)} sideboard",
                      index=i, main=list(d.deck.main), side=list(d.deck.side))
        if ch.finished and d.finished:
            self.emit("finished", f"   Event over: {d.wins or 0}-{d.losses or 0}", index=i, wins=d.wins,
                      losses=d.losses)

    def _print_picks(self, i: int, d, old, is_current: bool) -> None:
        printed = {(r.pack, r.pick) for r in old.picks if r.picked} if old is not None else set()
        on_table = (d.pack_number, d.pick_number) if d.awaiting_pick and is_current else None
        pool_after = 0
        for r in sorted((r for r in d.picks if r.picked), key=lambda r: (r.pack, r.pick)):
            pool_after += len(r.picked)
            if (r.pack, r.pick) in printed:
                continue
            shown = (f"\n      from ({len(r.pack_cards)}): {self.names.many(r.pack_cards)}"
                     if r.pack_cards and (r.pack, r.pick) != on_table else "")
            self.emit("pick", f"   P{r.pack}p{r.pick} picked: {self.names.many(r.picked)}   (pool {pool_after})"
                      + shown, index=i, pack=r.pack, pick=r.pick, picked=list(r.picked),
                      names=self.names.list(r.picked), pack_cards=r.pack_cards, pool_size=pool_after)

    def _pack(self, i: int, d) -> None:
        cards = list(d.current_pack)
        text = f"-- P{d.pack_number}p{d.pick_number} pack ({len(cards)}): {self.names.many(cards)}"
        rec_text, rec_data = self.recommend(d) if self.recommend else (None, None)
        if rec_text:
            text += "\n" + "\n".join("   " + ln for ln in rec_text.splitlines())
        self.emit("pack", text, index=i, pack=d.pack_number, pick=d.pick_number, cards=cards,
                  names=self.names.list(cards), recommendation=rec_data)


class Names:
    def __init__(self, catalog):
        self.catalog = catalog

    def one(self, gid: int) -> str:
        card = None
        if self.catalog is not None:
            try:
                card = self.catalog.get(gid)
            except Exception:  # noqa: BLE001 - names are a convenience
                card = None
        return card.name if card is not None else f"#{gid}"

    def many(self, ids) -> str:
        return ", ".join(self.one(i) for i in ids)

    def list(self, ids) -> list[str] | None:
        return [self.one(i) for i in ids] if self.catalog is not None else None


def _recommender(args, catalog, options: dict):
    """A function draft -> (text, dict) through the one recommender, or (None, note) when it cannot be built."""
    if args.no_recommend:
        return None, None
    if catalog is None:
        return None, "no card data: recommendations need card names (pass --cards FILE)"
    from copilot.picking.recommender import Recommender
    from copilot.picking.render import format_advice

    recommender = Recommender(args.engine, catalog, {args.engine: options} if options else None)
    if not recommender.chain():
        return None, f"no pick engine could be created (asked for {args.engine!r})"

    def recommend(draft):
        advice = recommender.advise(draft)
        if advice is None:
            return None, None
        data = advice.to_dict()
        data["ranked"] = data["ranked"][: max(1, args.top)]
        return format_advice(advice, top=args.top), data

    return recommend, None


def _settings():
    """The app settings (Player.log path and default engine chosen in the GUI), or None."""
    try:
        from copilot.settings import Settings

        return Settings.load()
    except Exception:  # noqa: BLE001 - settings are optional here
        return None


def _no_log(args) -> int:
    from copilot.arena import locate

    if args.log:
        print(f"copilot live: {args.log}: no such file (nor a folder holding Player.log). Pass the path of "
              "MTG Arena's Player.log with --log PATH.", file=sys.stderr)
    else:
        print("copilot live: " + locate.no_log_message(), file=sys.stderr)
    return 2


STOP_GRACE_S = 1.0  # after Ctrl-C: time for the session to stop, save and print its summary


def run(args: argparse.Namespace) -> int:
    """Ctrl-C at any moment (start-up, catch-up, idle) ends the command within about STOP_GRACE_S, exit 0.

    The work runs on a worker thread; the main thread only waits in short slices. A process-directed SIGINT may be
    delivered to any thread, and CPython runs the Python handler only when the main thread next executes bytecode:
    a main thread blocked in one long `Event.wait(3600)` (as before) slept through Ctrl-C whenever the kernel picked
    the tailer or watchdog thread, which a loaded machine does often."""
    stop = threading.Event()
    outcome: dict = {}
    worker = threading.Thread(target=_work, args=(args, stop, outcome), name="copilot-live", daemon=True)
    with _sigint_sets(stop):
        worker.start()
        while worker.is_alive() and not stop.is_set():
            worker.join(0.1)
        if stop.is_set():
            worker.join(STOP_GRACE_S)
    if worker.is_alive():  # still loading (card data, a model): nothing to save yet, leave at once
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(0)
    if "error" in outcome:
        raise outcome["error"]
    return 0 if stop.is_set() else outcome.get("rc", 1)


@contextlib.contextmanager
def _sigint_sets(stop: threading.Event):
    """SIGINT sets `stop` instead of raising KeyboardInterrupt somewhere in the middle of the work."""
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    except ValueError:  # not the main thread (embedded use): keep Python's default
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _work(args, stop: threading.Event, outcome: dict) -> None:
    try:
        outcome["rc"] = _follow(args, stop)
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which re-raises it
        outcome["error"] = exc


def _follow(args, stop: threading.Event) -> int:
    from copilot.arena import locate

    try:
        options = key_values(args.engine_option, "--engine-option")
    except ValueError as exc:
        print(f"copilot live: {exc}", file=sys.stderr)
        return 2
    settings = _settings()
    if not args.log:
        args.log = getattr(settings, "arena_log", "") or None
    args.engine = args.engine or getattr(settings, "default_engine", "") or "ratings"
    log_path = locate.find_log(args.log) if args.log else locate.find_log()
    if log_path is None:
        return _no_log(args)
    printer = Printer(sys.stdout, as_json=args.json, names=Names(None), top=args.top)
    printer.emit("loading", f"Loading card data for {log_path.name}…", log=str(log_path))
    from copilot.cards.catalog import catalog_or_note
    from copilot.live.session import LiveSession

    catalog, note = catalog_or_note(args.cards, locate.install_dir_from_log(log_path))
    if args.cards and catalog is None:
        print(f"copilot live: {note}", file=sys.stderr)
        return 2
    recommend, rec_note = _recommender(args, catalog, options)
    printer.names, printer.recommend = Names(catalog), recommend
    for n in (note, rec_note):
        if n:
            printer.emit("note", f"note: {n}", text=n)
    if stop.is_set():
        return 0
    session = LiveSession(log_path, include_prev=not args.no_prev, persist=not args.no_save,
                          resume=not args.fresh, on_warning=printer.warning,
                          poll_interval=max(0.05, args.interval), use_watchdog=not args.poll)
    session.on_state = printer.state
    if args.once:
        _start_banner(printer, session, log_path, following=False)
        state = session.run_once()
        _summary(printer, session, state)
        return 0
    _start_banner(printer, session, log_path, following=True)
    try:
        session.start()
        printer.emit("mode", f"(watching with {session.info.mode}; Ctrl-C to stop)", mode=session.info.mode)
        stop.wait()
    finally:
        session.stop()
    _summary(printer, session, session.state)
    return 0


def _start_banner(printer: Printer, session, log_path: Path, following: bool) -> None:
    # Load the saved state first, so that drafts from earlier sessions are summarised, not re-printed.
    session.prepare()
    resumed = session.info.resumed
    printer.emit("start", f"{'Following' if following else 'Reading'} {log_path}"
                 + {"offset": " (resuming where the last run stopped)",
                    "state": " (saved drafts restored; replaying the log on top)"}.get(resumed, ""),
                 log=str(log_path), resumed=resumed)
    printer.baseline(session.state)


def _summary(printer: Printer, session, state) -> None:
    d = state.current
    stats = session.parser.stats
    if d is None:
        text = "No draft in progress."
    else:
        text = f"Now: {printer._title(d)}: pool {len(d.pool)}" + (
            ", picking over" if d.complete else f", pack {d.pack_number} pick {d.pick_number}")
    printer.emit("summary", f"{text}\n(read {stats.lines} lines, {stats.events} events)",
                 text=text, lines=stats.lines, events=stats.events, drafts=len(state.drafts))
