"""The draft-state reducer: ``reduce(ArenaState, ArenaEvent) -> ArenaState``. Pure: the input is never mutated
(changed drafts are deep-copied first), the same events always give the same state.

Which DraftState an event belongs to (one DraftState per event played; several per log are normal):

1. An event carrying a draft uuid goes to the draft with that uuid.
2. Otherwise, or when no draft has that uuid yet, to the latest draft of the same event name that is not
   finished (a finished one only receives course updates: a new `EventJoin` of the same event starts a new draft;
   Arena does not let a player enter an event twice at once).
3. A message naming an event, when no draft of that name exists, is attached to the current draft if that draft's
   event is still unknown (a draft seen only through `Draft.Notify`/picks, named later by its deck submission);
   a message with a new draft uuid is attached to the current draft when that draft has no uuid yet.
4. Otherwise a new DraftState is created, but only for a limited event (`eventnames.is_limited`) and only from a
   message about the event being played: joining it, a pack, a pick, the pick pool, draft completion, a deck
   submission, a prize claim. The course list (`CoursesListed`, sent at start-up and on screen changes) never
   creates a draft: it lists every open event, e.g. an unrelated Premier Draft during a Quick Draft. It only
   updates drafts already tracked (pool, deck, wins/losses, finished), which is how a Sealed pool or a finished
   draft from an earlier session (Player-prev.log) is resumed in a new one.

Facts are idempotent: a pick record is keyed by (pack, pick); a repeated pack or pick changes nothing; the pool is
rebuilt from the picks (in pick order) plus cards known only from an authoritative pool (`CardPool`,
`PickedCards`), so re-reading Player-prev.log or duplicated lines never double-counts.
"""
from __future__ import annotations

import copy
from collections import Counter
from dataclasses import fields
from typing import Callable, Iterable

from copilot.arena import eventnames
from copilot.arena.events import (ClientVersion, CourseInfo, CourseUpdated, CoursesListed, DeckSubmitted,
                                  DetailedLogs, DraftLinked, EventJoined, PackShown, PickMade, PoolSnapshot,
                                  PrizeClaimed, SessionStarted)
from copilot.draft.picks_pool import (extras, insert_record, minus, missing, picked_in_order, reconcile_pool,
                                     record)
from copilot.draft.state import ArenaState, Deck, DraftState, PickRecord

DETAILED_LOGS_WARNING = (
    "Detailed logs are disabled in MTG Arena, so Player.log holds no draft data (no packs, picks or decks). "
    "Enable them in Arena: Options -> Account -> Detailed Logs (Plugin Support), then restart Arena."
)
_CREATING_COURSE_SOURCES = frozenset({"join", "complete_draft", "set_deck", "claim_prize", "ready_draft"})


# -- copy-on-write working state ------------------------------------------------------------------------------------

class _Tx:
    """A shallow copy of the state; drafts are deep-copied on first write."""

    def __init__(self, state: ArenaState):
        self.state = copy.copy(state)
        self.state.drafts = list(state.drafts)
        self.state.warnings = list(state.warnings)
        self._copied: set[int] = set()

    def draft(self, i: int) -> DraftState:
        if i not in self._copied:
            self.state.drafts[i] = _copy_draft(self.state.drafts[i])
            self._copied.add(i)
        return self.state.drafts[i]

    def create(self, event_name: str | None, draft_id: str | None) -> int:
        d = DraftState(draft_id=draft_id)
        _name(d, event_name)
        self.state.drafts.append(d)
        i = len(self.state.drafts) - 1
        self._copied.add(i)
        return i


_COPIED_FIELDS = frozenset({"picks", "pool", "current_pack", "missing_from_pack", "deck"})


def _copy_draft(d: DraftState) -> DraftState:
    """A deep copy of a DraftState, ~20x faster than copy.deepcopy (this is the reducer's hot path)."""
    c = copy.copy(d)
    c.picks = [PickRecord(r.pack, r.pick, None if r.pack_cards is None else list(r.pack_cards), list(r.picked))
               for r in d.picks]
    c.pool = list(d.pool)
    c.current_pack = None if d.current_pack is None else list(d.current_pack)
    c.missing_from_pack = list(d.missing_from_pack)
    c.deck = None if d.deck is None else Deck(list(d.deck.main), list(d.deck.side))
    for f in fields(d):  # fields added to DraftState later are deep-copied the slow, safe way
        if f.name not in _COPIED_FIELDS:
            v = getattr(d, f.name)
            if not isinstance(v, (str, int, float, bool, type(None))):
                setattr(c, f.name, copy.deepcopy(v))
    return c


def _name(d: DraftState, event_name: str | None) -> None:
    """Attach an event name (and what it tells: set, format, kind, cards per pick) to a draft without one."""
    if not event_name or d.event_name:
        return
    d.event_name = event_name
    set_code, fmt = eventnames.parse_event_name(event_name)
    d.set_code = d.set_code or set_code
    d.format = d.format or fmt
    if eventnames.is_sealed(event_name) and not d.picks:
        d.kind = "sealed"
    if eventnames.is_pick_two(event_name):
        d.cards_per_pick = max(d.cards_per_pick, 2)


def _find(state: ArenaState, event_name: str | None, draft_id: str | None, *, include_finished: bool = True,
          adopt: bool = True) -> int | None:
    drafts = state.drafts
    if draft_id:
        for i in range(len(drafts) - 1, -1, -1):
            if drafts[i].draft_id == draft_id:
                return i
    if event_name:
        finished_match = None
        for i in range(len(drafts) - 1, -1, -1):
            d = drafts[i]
            if d.event_name != event_name:
                continue
            if draft_id and d.draft_id and d.draft_id != draft_id:
                continue  # another draft of the same event (entered again)
            if not d.finished:
                return i
            if finished_match is None:
                finished_match = i
        if include_finished and finished_match is not None:
            return finished_match
    if not adopt or state.active is None or not 0 <= state.active < len(drafts):
        return None
    cur = drafts[state.active]
    if cur.finished:
        return None
    if event_name and cur.event_name is None and (not draft_id or cur.draft_id in (None, draft_id)):
        if eventnames.is_sealed(event_name) == (cur.kind == "sealed"):
            return state.active
    if draft_id and cur.draft_id is None and cur.kind == "draft" and not cur.complete \
            and (event_name is None or cur.event_name in (None, event_name)):
        return state.active
    return None


def _locate(tx: _Tx, event_name: str | None, draft_id: str | None, *, create: bool,
            include_finished: bool = True, adopt: bool = True) -> int | None:
    i = _find(tx.state, event_name, draft_id, include_finished=include_finished, adopt=adopt)
    if i is None:
        if not create or (event_name is not None and not eventnames.is_limited(event_name)):
            return None
        if event_name is None and draft_id is None:
            return None
        i = tx.create(event_name, draft_id)
    d = tx.draft(i)
    _name(d, event_name)
    if draft_id and d.draft_id is None:
        d.draft_id = draft_id
    return i


def _is_phantom(d: DraftState) -> bool:
    """A draft with nothing in it but its name (what a re-read `EventJoin` of a finished event leaves behind)."""
    return not (d.picks or d.pool or d.deck or d.draft_id or d.finished or d.wins is not None
                or d.losses is not None)


def _drop_phantom_after(tx: _Tx, i: int) -> None:
    """Facts of finished draft `i` are being re-read: the empty draft a re-read `EventJoin` of the same event
    created after it is not a new draft. Remove it (only when it is the last draft)."""
    drafts = tx.state.drafts
    j = len(drafts) - 1
    if j > i and drafts[i].finished and drafts[j].event_name == drafts[i].event_name and _is_phantom(drafts[j]):
        drafts.pop(j)
        tx._copied.discard(j)
        if tx.state.active == j:
            tx.state.active = i


def _known_in_finished(state: ArenaState, event_name: str | None, pack: int, pick: int,
                       same: Callable[[PickRecord], bool]) -> int | None:
    """A fact without a draft uuid that a finished draft of that event already holds, identically, while the
    event's unfinished draft (if any) has nothing at that (pack, pick): the fact is being re-read."""
    if not event_name:
        return None
    for d in reversed(state.drafts):
        if d.event_name == event_name and not d.finished:
            if record(d, pack, pick) is not None:
                return None
            break
    for i in range(len(state.drafts) - 1, -1, -1):
        d = state.drafts[i]
        if d.event_name == event_name and d.finished:
            rec = record(d, pack, pick)
            if rec is not None and same(rec):
                return i
    return None


# -- handlers ---------------------------------------------------------------------------------------------------------

def _activate(tx: _Tx, i: int) -> None:
    tx.state.active = i


def _on_pack(tx: _Tx, ev: PackShown) -> None:
    cards = list(ev.cards)
    if _reread(tx, ev, lambda r: r.pack_cards == cards):
        return
    i = _locate(tx, ev.event_name, ev.draft_id, create=True)
    if i is None:
        return
    _drop_phantom_after(tx, i)
    d = tx.draft(i)
    rec = record(d, ev.pack, ev.pick)
    if rec is None:
        rec = insert_record(d, PickRecord(ev.pack, ev.pick, cards, []))
    elif rec.pack_cards is None:
        rec.pack_cards = cards
    if ev.cards_to_pick:
        d.cards_per_pick = max(1, ev.cards_to_pick)
    if (ev.pack, ev.pick) >= (d.pack_number, d.pick_number) and not rec.picked and not d.finished:
        d.pack_number, d.pick_number = ev.pack, ev.pick
        d.current_pack = list(rec.pack_cards or cards)
        d.missing_from_pack = missing(d, ev.pack, ev.pick, d.current_pack)
    _activate(tx, i)


def _reread(tx: _Tx, ev, same: Callable[[PickRecord], bool]) -> bool:
    if ev.draft_id and _find(tx.state, None, ev.draft_id, adopt=False) is not None:
        return False
    i = _known_in_finished(tx.state, ev.event_name, ev.pack, ev.pick, same)
    if i is None:
        return False
    _drop_phantom_after(tx, i)
    return True


def _on_pick(tx: _Tx, ev: PickMade) -> None:
    picked = list(ev.cards)
    pack_cards = list(ev.pack_cards) if ev.pack_cards else None
    if _reread(tx, ev, lambda r: r.picked == picked and (pack_cards is None or r.pack_cards == pack_cards)):
        return
    i = _locate(tx, ev.event_name, ev.draft_id, create=True)
    if i is None:
        return
    _drop_phantom_after(tx, i)
    d = tx.draft(i)
    unpicked = extras(d)
    rec = record(d, ev.pack, ev.pick)
    if rec is None:
        rec = insert_record(d, PickRecord(ev.pack, ev.pick, list(ev.pack_cards) if ev.pack_cards else None, []))
    elif rec.pack_cards is None and ev.pack_cards:
        rec.pack_cards = list(ev.pack_cards)
    if not rec.picked:
        rec.picked = list(ev.cards)
        d.pool = picked_in_order(d) + minus(unpicked, ev.cards)
    d.cards_per_pick = max(d.cards_per_pick, len(ev.cards))
    if (ev.pack, ev.pick) >= (d.pack_number, d.pick_number):
        d.pack_number, d.pick_number = ev.pack, ev.pick
        d.current_pack = None
        d.missing_from_pack = []
    _activate(tx, i)


def _on_pool(tx: _Tx, ev: PoolSnapshot) -> None:
    i = _locate(tx, ev.event_name, ev.draft_id, create=True)
    if i is None:
        return
    d = tx.draft(i)
    if d.finished and not ev.final:
        return  # a re-read snapshot from the middle of a finished draft
    reconcile_pool(d, list(ev.cards), authoritative=ev.final)
    if ev.final:
        d.complete = True
        d.current_pack = None
        d.missing_from_pack = []
    _activate(tx, i)


def _apply_course(d: DraftState, c: CourseInfo) -> None:
    if c.draft_id and d.draft_id is None:
        d.draft_id = c.draft_id
    if c.pool:
        if d.kind == "sealed":
            d.pool = list(c.pool)
            d.complete = True
        else:
            reconcile_pool(d, list(c.pool), authoritative=True)
            d.complete = True
            d.current_pack = None
            d.missing_from_pack = []
    if c.deck is not None:
        d.deck = Deck(list(c.deck.main), list(c.deck.side))
    if c.wins is not None:
        d.wins = c.wins
    if c.losses is not None:
        d.losses = c.losses
    if c.module == "Complete":
        d.finished = True
        d.complete = True
        d.current_pack = None


def _on_course(tx: _Tx, ev: CourseUpdated) -> None:
    c = ev.course
    if not eventnames.is_limited(c.event_name):
        return
    if ev.source == "join" and c.pool:  # a re-read join of a finished sealed event: its pool is already known
        pool = Counter(c.pool)
        for i in range(len(tx.state.drafts) - 1, -1, -1):
            d = tx.state.drafts[i]
            if d.event_name == c.event_name and d.finished and Counter(d.pool) == pool:
                _drop_phantom_after(tx, i)
                return
    i = _locate(tx, c.event_name, c.draft_id, create=ev.source in _CREATING_COURSE_SOURCES)
    if i is None:
        return
    _apply_course(tx.draft(i), c)
    _activate(tx, i)


def _on_courses(tx: _Tx, ev: CoursesListed) -> None:
    for c in ev.courses:
        if not eventnames.is_limited(c.event_name):
            continue
        i = _find(tx.state, c.event_name, c.draft_id, adopt=False)
        if i is not None:
            _apply_course(tx.draft(i), c)


def _on_join(tx: _Tx, ev: EventJoined) -> None:
    if not eventnames.is_limited(ev.event_name):
        return
    i = _locate(tx, ev.event_name, None, create=True, include_finished=False, adopt=False)
    if i is not None:
        _activate(tx, i)


def _on_deck(tx: _Tx, ev: DeckSubmitted) -> None:
    i = _locate(tx, ev.event_name, None, create=True)
    if i is None:
        return
    d = tx.draft(i)
    d.deck = Deck(list(ev.deck.main), list(ev.deck.side))
    if d.kind == "draft" and d.picks:  # a deck is built after the last pick
        d.complete = True
        d.current_pack = None
        d.missing_from_pack = []
    _activate(tx, i)


def _on_prize(tx: _Tx, ev: PrizeClaimed) -> None:
    i = _locate(tx, ev.event_name, None, create=False)
    if i is None:
        return
    d = tx.draft(i)
    d.finished = True
    d.complete = True
    d.current_pack = None
    _activate(tx, i)


def _on_link(tx: _Tx, ev: DraftLinked) -> None:
    i = _locate(tx, ev.event_name, ev.draft_id, create=False)
    if i is not None:
        _activate(tx, i)


def _on_session(tx: _Tx, ev: SessionStarted) -> None:
    if ev.install_dir:
        tx.state.install_dir = ev.install_dir


def _on_detailed(tx: _Tx, ev: DetailedLogs) -> None:
    tx.state.detailed_logs = ev.enabled
    if ev.enabled:
        tx.state.warnings = [w for w in tx.state.warnings if w != DETAILED_LOGS_WARNING]
    elif DETAILED_LOGS_WARNING not in tx.state.warnings:
        tx.state.warnings.append(DETAILED_LOGS_WARNING)


def _on_version(tx: _Tx, ev: ClientVersion) -> None:
    tx.state.client_version = ev.version


_HANDLERS: dict[type, Callable] = {
    PackShown: _on_pack, PickMade: _on_pick, PoolSnapshot: _on_pool, CourseUpdated: _on_course,
    CoursesListed: _on_courses, EventJoined: _on_join, DeckSubmitted: _on_deck, PrizeClaimed: _on_prize,
    DraftLinked: _on_link, SessionStarted: _on_session, DetailedLogs: _on_detailed, ClientVersion: _on_version,
}


def reduce(state: ArenaState, event) -> ArenaState:
    """Apply one event. Returns a new ArenaState (the same object when the event changes nothing); `state` is
    never modified. Events of unknown types are ignored."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        return state
    tx = _Tx(state)
    try:
        handler(tx, event)
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the live app: keep the old state, say so
        note = f"internal error applying {type(event).__name__}: {type(exc).__name__}: {exc}"[:300]
        new = _Tx(state).state
        if note not in new.warnings:
            new.warnings.append(note)
        return new
    return _reuse_unchanged(state, tx.state)


def _reuse_unchanged(old: ArenaState, new: ArenaState) -> ArenaState:
    """Give back the old objects where nothing changed, and the old state itself when the event changed nothing
    (a repeated pack, a course list of untracked events), so callers can test `new is old`."""
    drafts = new.drafts
    for i in range(min(len(old.drafts), len(drafts))):
        if drafts[i] is not old.drafts[i] and drafts[i] == old.drafts[i]:
            drafts[i] = old.drafts[i]
    if len(drafts) == len(old.drafts) and all(a is b for a, b in zip(drafts, old.drafts)) \
            and (new.active, new.detailed_logs, new.client_version, new.install_dir, new.warnings) \
            == (old.active, old.detailed_logs, old.client_version, old.install_dir, old.warnings):
        return old
    return new


def reduce_all(state: ArenaState, events: Iterable) -> ArenaState:
    for ev in events:
        state = reduce(state, ev)
    return state
