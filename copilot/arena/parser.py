"""`ArenaLogParser`: physical lines of Player.log -> typed `ArenaEvent`s. Never raises.

    parser = ArenaLogParser()
    for line in lines:
        for event in parser.feed(line):
            state = reduce(state, event)
    parser.flush()

Recognised messages (all eras; arena-log-format.md §4-5) and the events they give:

| message (canonical name)                         | event(s)                                              |
|--------------------------------------------------|-------------------------------------------------------|
| `Mono path[0]`, `DETAILED LOGS:`, `Version:`     | SessionStarted, DetailedLogs, ClientVersion           |
| `Client.SceneChange`                              | SceneChanged                                          |
| EventJoin request / response                     | EventJoined / CourseUpdated("join")                   |
| EventGetCourses, EventGetPlayerCourse(s) (2020)  | CoursesListed                                         |
| Draft.Notify; 2020 Draft.Notification Type 3     | PackShown                                             |
| EventPlayerDraftMakePick; Draft.MakeHumanDraftPick | PickMade                                            |
| LogBusinessEvents with PickGrpId(s)+CardsInPack  | PickMade with pack_cards (reveals the P1P1 pack)      |
| BotDraftDraftStatus / BotDraftDraftPick responses; 2020 Draft.DraftStatus / Draft.MakePick | PoolSnapshot (+ PackShown) |
| BotDraftDraftPick request; 2020 Draft.MakePick request | PickMade (0-based numbers converted)            |
| DraftCompleteDraft; 2020 Event.CompleteHumanDraft responses | CourseUpdated("complete_draft")            |
| EventSetDeck request (2020 Event.DeckSubmit) / response | DeckSubmitted / CourseUpdated("set_deck")       |
| EventClaimPrize request / response               | PrizeClaimed / CourseUpdated("claim_prize")           |
| 2020 Event.ReadyDraft request / response         | DraftLinked / CourseUpdated("ready_draft")            |

Responses are matched to their request by uuid (2021+) to learn the request's event name when the body lacks it.

Which event does a draft uuid belong to? `Draft.Notify` and human pick requests carry only the draft uuid. The
parser names the event, in this order: (1) a message that tied that uuid to an event earlier in the input
(`LogBusinessEvents.EventId`, 2020 `Event.ReadyDraft`, a course's `DraftId`); (2) the human-draft event the
player joined in this session (`EventJoin`) if no other uuid was bound to it yet; (3) the only course in the
latest course list whose module says a human draft is running (`PlayerDraft`, `HumanDraft`, 2021 `16`), which is
how a draft resumed after a client restart is recognised; otherwise None (the reducer attaches the draft to its
event when a later message names it, e.g. the deck submission).

Privacy: only ids of cards, event names, draft uuids and numbers are copied out. The 2019-2021 bot-draft
``DraftId`` ``"<playerId>:<EventName>:Draft"`` is cut to its event name; the player part is dropped.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from copilot.arena import eventnames
from copilot.arena.decode import (DecodeError, as_ids, as_int, as_str, canonical_method, deck_counts, get,
                                  request_parts, response_payload, string_field_fast, unwrap)
from copilot.arena.events import (ArenaEvent, ClientVersion, CourseInfo, CourseUpdated, CoursesListed, DeckInfo,
                                  DeckSubmitted, DetailedLogs, DraftLinked, EventJoined, PackShown, PickMade,
                                  PoolSnapshot, PrizeClaimed, SceneChanged, SessionStarted)
from copilot.arena.framing import Entry, LogFramer

MAX_PENDING_REQUESTS = 512
# draft-related messages read on purpose and not used: pick acknowledgements ({"IsPickSuccessful":true}), 2020
# pod-making steps
_KNOWN_UNUSED = frozenset({"EventPlayerDraftMakePick", "DraftMakeHumanDraftPick", "EventJoinPodmaking",
                           "EventGetActiveEvents", "EventGetActiveMatches"})
HUMAN_DRAFT_MODULES = frozenset({"PlayerDraft", "HumanDraft", "16"})


@dataclass
class ParserStats:
    lines: int = 0
    entries: int = 0  # requests, responses, notifications, header facts
    events: int = 0
    ignored: int = 0  # well-formed entries of messages the copilot does not use (GetFormats, StartHook, ...)
    unknown: int = 0  # draft-looking messages in an unexpected shape
    malformed: int = 0  # broken JSON, wrong types, missing fields, response without body
    oversized: int = 0
    errors: int = 0  # unexpected exceptions caught (a bug: the entry is skipped)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class _Malformed(Exception):
    pass


def _need(cond: Any, what: str) -> None:
    if not cond:
        raise _Malformed(what)


@dataclass
class ArenaLogParser:
    stats: ParserStats = field(default_factory=ParserStats)
    _framer: LogFramer = field(default_factory=LogFramer)
    _requests: OrderedDict = field(default_factory=OrderedDict)  # uuid -> (canonical method, payload or None)
    _draft_events: dict = field(default_factory=dict)  # draft uuid -> event name
    _joined_human: str | None = None  # human-draft event joined in this session, not yet bound to a draft uuid
    _course_drafting: tuple = ()  # event names whose course (latest list) shows a human draft running
    _malformed_own: int = 0

    # -- public ---------------------------------------------------------------------------------------------------

    def feed(self, line: str) -> list[ArenaEvent]:
        """One physical line (any ending, or none). Returns the events it completes."""
        try:
            entries = self._framer.feed(line)
        except Exception:  # noqa: BLE001 - the parser must never raise
            self.stats.errors += 1
            entries = []
        self._sync_framing_stats()
        out: list[ArenaEvent] = []
        for e in entries:
            out.extend(self._entry(e))
        self.stats.events += len(out)
        return out

    def feed_many(self, lines) -> list[ArenaEvent]:
        out: list[ArenaEvent] = []
        for line in lines:
            out.extend(self.feed(line))
        return out

    def flush(self) -> list[ArenaEvent]:
        """End of the input available now (idle or end of file). Every complete entry has already been returned
        by `feed`; a response header whose body line is not written yet stays pending."""
        try:
            entries = self._framer.flush()
        except Exception:  # noqa: BLE001
            self.stats.errors += 1
            return []
        out: list[ArenaEvent] = []
        for e in entries:
            out.extend(self._entry(e))
        self.stats.events += len(out)
        return out

    def end_of_input(self) -> list[ArenaEvent]:
        """The input is over for good (replay): flush and count a dangling response header as malformed."""
        out = self.flush()
        self._framer.end_of_input()
        self._sync_framing_stats()
        return out

    # -- dispatch -------------------------------------------------------------------------------------------------

    def _sync_framing_stats(self) -> None:
        fs = self._framer.stats
        self.stats.lines = fs.lines
        self.stats.oversized = fs.oversized
        self.stats.malformed = self._malformed_own + fs.missing_body

    def _bad(self) -> None:
        self._malformed_own += 1
        self.stats.malformed = self._malformed_own + self._framer.stats.missing_body

    def _entry(self, e: Entry) -> list[ArenaEvent]:
        self.stats.entries += 1
        try:
            if e.kind == "request":
                return self._request(e)
            if e.kind == "response":
                return self._response(e)
            if e.kind == "notify":
                return self._notify(e)
            if e.kind == "scene":
                return self._scene(e)
            if e.kind == "install":
                self._new_session()
                return [SessionStarted(e.text or None)]
            if e.kind == "detailed":
                return [DetailedLogs(e.text == "ENABLED")]
            if e.kind == "version":
                return [ClientVersion(e.text)]
        except (_Malformed, DecodeError):
            self._bad()
            return []
        except Exception:  # noqa: BLE001 - wrong types deep inside a payload, or a bug: skip the entry
            self.stats.errors += 1
            return []
        self.stats.ignored += 1
        return []

    def _not_handled(self, method: str) -> None:
        """A message the parser does not use. Draft-looking names are counted as `unknown`: a new client may have
        renamed a message the copilot needs (as in April 2025), and the count makes that visible."""
        if method in _KNOWN_UNUSED:
            self.stats.ignored += 1
        elif "Draft" in method or "Sealed" in method or "Pick" in method:
            self.stats.unknown += 1
        else:
            self.stats.ignored += 1

    def _new_session(self) -> None:
        self._requests.clear()
        self._joined_human = None
        self._course_drafting = ()

    # -- requests -------------------------------------------------------------------------------------------------

    _REQUEST_METHODS = frozenset({
        "EventJoin", "EventPlayerDraftMakePick", "DraftMakeHumanDraftPick", "LogBusinessEvents", "BotDraftDraftPick",
        "DraftMakePick", "EventSetDeck", "EventDeckSubmit", "EventClaimPrize", "EventReadyDraft",
        "BotDraftDraftStatus", "DraftDraftStatus", "DraftCompleteDraft", "EventCompleteHumanDraft",
        "EventEnterPairing", "EventGetCourses", "EventGetPlayerCourses", "EventGetPlayerCourse",
    })

    def _request(self, e: Entry) -> list[ArenaEvent]:
        method = canonical_method(e.method)
        if method not in self._REQUEST_METHODS:
            self._not_handled(method)
            return []
        if method == "LogBusinessEvents" and "PickGrpId" not in e.text:
            self.stats.ignored += 1  # UI telemetry (and device ids): never decoded
            return []
        rid, payload = request_parts(e.text)
        if rid is not None:
            self._requests[rid] = (method, payload)
            while len(self._requests) > MAX_PENDING_REQUESTS:
                self._requests.popitem(last=False)
        handler = getattr(self, f"_req_{method}", None)
        return handler(payload) if handler else []

    def _req_EventJoin(self, p: Any) -> list[ArenaEvent]:
        name = as_str(get(p, "EventName", "eventName"))
        _need(name, "EventJoin without EventName")
        if eventnames.is_limited(name) and not eventnames.is_sealed(name) and not eventnames.is_bot_draft(name):
            self._joined_human = name
        return [EventJoined(name)]

    def _req_EventPlayerDraftMakePick(self, p: Any) -> list[ArenaEvent]:
        draft_id = as_str(get(p, "DraftId"))
        cards = as_ids(get(p, "GrpIds"))
        if not cards:
            one = as_int(get(p, "GrpId"))
            cards = [one] if one else []
        pack, pick = as_int(get(p, "Pack")), as_int(get(p, "Pick"))
        _need(cards and pack and pick and pack > 0 and pick > 0, "pick without card/pack/pick")
        return [PickMade(pack, pick, tuple(cards), draft_id, self._event_for(draft_id), None, "human")]

    def _req_DraftMakeHumanDraftPick(self, p: Any) -> list[ArenaEvent]:
        draft_id = as_str(get(p, "draftId"))
        cards = as_ids(get(p, "cardIds")) or []
        if not cards:
            one = as_int(get(p, "cardId"))
            cards = [one] if one else []
        pack, pick = as_int(get(p, "packNumber")), as_int(get(p, "pickNumber"))
        _need(cards and pack and pick and pack > 0 and pick > 0, "2020 pick without card/pack/pick")
        return [PickMade(pack, pick, tuple(cards), draft_id, self._event_for(draft_id), None, "human2020")]

    def _req_LogBusinessEvents(self, p: Any) -> list[ArenaEvent]:
        if not isinstance(p, dict):
            raise _Malformed("business event is not an object")
        cards = as_ids(get(p, "PickGrpIds")) or []
        if not cards:
            one = as_int(get(p, "PickGrpId"))
            cards = [one] if one else []
        pack, pick = as_int(get(p, "PackNumber")), as_int(get(p, "PickNumber"))
        in_pack = as_ids(get(p, "CardsInPack"))
        _need(cards and pack and pick and pack > 0 and pick > 0, "pick record without pick/pack numbers")
        draft_id = as_str(get(p, "DraftId"))
        event = as_str(get(p, "EventId", "EventName"))
        if draft_id and event:
            self._bind(draft_id, event)
        return [PickMade(pack, pick, tuple(cards), draft_id, event or self._event_for(draft_id),
                         tuple(in_pack) if in_pack else None, "business")]

    def _req_BotDraftDraftPick(self, p: Any) -> list[ArenaEvent]:
        info = get(p, "PickInfo")
        info = unwrap(info) if info is not None else p
        event = as_str(get(info, "EventName")) or as_str(get(p, "EventName"))
        cards = as_ids(get(info, "CardIds")) or []
        if not cards:
            one = as_int(get(info, "CardId"))
            cards = [one] if one else []
        pack, pick = as_int(get(info, "PackNumber")), as_int(get(info, "PickNumber"))
        _need(cards and pack is not None and pick is not None and pack >= 0 and pick >= 0, "bot pick incomplete")
        return [PickMade(pack + 1, pick + 1, tuple(cards), None, event, None, "bot")]

    def _req_DraftMakePick(self, p: Any) -> list[ArenaEvent]:  # 2019-2021 bot draft (JSON-RPC)
        event = self._event_from_bot_draft_id(get(p, "draftId"))
        one = as_int(get(p, "cardId"))
        cards = as_ids(get(p, "cardIds")) or ([one] if one else [])
        pack, pick = as_int(get(p, "packNumber")), as_int(get(p, "pickNumber"))
        _need(cards and pack is not None and pick is not None and pack >= 0 and pick >= 0, "2020 bot pick")
        return [PickMade(pack + 1, pick + 1, tuple(cards), None, event, None, "bot2020")]

    def _req_EventSetDeck(self, p: Any) -> list[ArenaEvent]:
        name = as_str(get(p, "EventName", "eventName"))
        deck = self._deck(unwrap(get(p, "Deck", "deck")))
        _need(name and deck is not None, "deck submission without event or deck")
        return [DeckSubmitted(name, deck)]

    _req_EventDeckSubmit = _req_EventSetDeck  # 2020 Event.DeckSubmitV3: params.deck is a JSON string

    def _req_EventClaimPrize(self, p: Any) -> list[ArenaEvent]:
        name = as_str(get(p, "EventName", "eventName"))
        _need(name, "claim prize without event")
        return [PrizeClaimed(name)]

    def _req_EventReadyDraft(self, p: Any) -> list[ArenaEvent]:
        name, draft_id = as_str(get(p, "eventId", "eventName")), as_str(get(p, "draftId"))
        _need(name and draft_id, "ready draft without event/draft")
        self._bind(draft_id, name)
        return [DraftLinked(draft_id, name)]

    # -- responses ------------------------------------------------------------------------------------------------

    _RESPONSE_METHODS = frozenset({
        "EventJoin", "EventGetCourses", "EventGetPlayerCourses", "EventGetPlayerCourse", "DraftNotification",
        "BotDraftDraftStatus", "BotDraftDraftPick", "DraftDraftStatus", "DraftMakePick", "DraftCompleteDraft",
        "EventCompleteHumanDraft", "EventSetDeck", "EventDeckSubmit", "EventClaimPrize", "EventReadyDraft",
    })

    def _response(self, e: Entry) -> list[ArenaEvent]:
        method = canonical_method(e.method)
        req = self._requests.pop(e.ref, None) if e.ref else None
        if method not in self._RESPONSE_METHODS:
            self._not_handled(method)
            return []
        req_payload = req[1] if req else None
        if method in ("BotDraftDraftStatus", "BotDraftDraftPick"):
            fast = string_field_fast(e.text, "Payload")
            if isinstance(fast, dict):
                return self._resp_BotDraftDraftStatus({"Payload": fast}, req_payload)
        body = response_payload(e.text)
        handler = getattr(self, f"_resp_{method}")
        return handler(body, req_payload)

    def _resp_EventJoin(self, body: Any, req: Any) -> list[ArenaEvent]:
        course = self._course(get(body, "Course") if isinstance(body, dict) and "Course" in body else body,
                              fallback_name=as_str(get(req, "EventName", "eventName")))
        return [CourseUpdated(course, "join")] if course else []  # 2021 bodies hold no course

    def _resp_EventGetCourses(self, body: Any, req: Any) -> list[ArenaEvent]:
        raw = get(body, "Courses") if isinstance(body, dict) else body
        _need(isinstance(raw, list), "course list is not a list")
        courses = tuple(c for c in (self._course(x) for x in raw) if c is not None)
        self._course_drafting = tuple(c.event_name for c in courses
                                      if c.module in HUMAN_DRAFT_MODULES and eventnames.is_limited(c.event_name))
        return [CoursesListed(courses)]

    _resp_EventGetPlayerCourses = _resp_EventGetCourses

    def _resp_EventGetPlayerCourse(self, body: Any, req: Any) -> list[ArenaEvent]:
        course = self._course(body)
        return [CoursesListed((course,))] if course else []

    def _resp_DraftCompleteDraft(self, body: Any, req: Any) -> list[ArenaEvent]:
        course = self._course(get(body, "Course") if isinstance(body, dict) and "Course" in body else body,
                              fallback_name=as_str(get(req, "EventName", "eventName")))
        _need(course, "draft completion without a course")
        return [CourseUpdated(course, "complete_draft")]

    _resp_EventCompleteHumanDraft = _resp_DraftCompleteDraft

    def _resp_EventSetDeck(self, body: Any, req: Any) -> list[ArenaEvent]:
        course = self._course(get(body, "Course") if isinstance(body, dict) and "Course" in body else body,
                              fallback_name=as_str(get(req, "EventName", "eventName")))
        return [CourseUpdated(course, "set_deck")] if course else []

    _resp_EventDeckSubmit = _resp_EventSetDeck

    def _resp_EventClaimPrize(self, body: Any, req: Any) -> list[ArenaEvent]:
        course = self._course(get(body, "Course") if isinstance(body, dict) and "Course" in body else body,
                              fallback_name=as_str(get(req, "EventName", "eventName")))
        return [CourseUpdated(course, "claim_prize")] if course else []

    def _resp_EventReadyDraft(self, body: Any, req: Any) -> list[ArenaEvent]:
        course = self._course(body)
        return [CourseUpdated(course, "ready_draft")] if course else []

    def _resp_BotDraftDraftStatus(self, body: Any, req: Any) -> list[ArenaEvent]:
        payload = unwrap(get(body, "Payload")) if isinstance(body, dict) and get(body, "Payload") is not None \
            else body
        _need(isinstance(payload, dict), "bot draft status without payload")
        event = as_str(get(payload, "EventName")) or as_str(get(req, "EventName"))
        if event is None:
            event = self._event_from_bot_draft_id(get(payload, "DraftId"))
        return self._bot_status(payload, event, None)

    _resp_BotDraftDraftPick = _resp_BotDraftDraftStatus

    def _resp_DraftDraftStatus(self, body: Any, req: Any) -> list[ArenaEvent]:  # 2019-2021 JSON-RPC bot draft
        _need(isinstance(body, dict), "2020 draft status is not an object")
        event = self._event_from_bot_draft_id(get(body, "DraftId")) or as_str(get(body, "EventName"))
        return self._bot_status(body, event, None)

    _resp_DraftMakePick = _resp_DraftDraftStatus

    def _resp_DraftNotification(self, body: Any, req: Any) -> list[ArenaEvent]:  # 2020 push
        if not isinstance(body, dict) or as_int(get(body, "Type")) != 3:
            self.stats.ignored += 1  # pod filling, table info (screen names: never read), neighbour counts
            return []
        info = get(body, "PickInfo")
        draft_id = as_str(get(body, "DraftId"))
        cards = as_ids(get(info, "PackCards"))
        pack, pick = as_int(get(info, "SelfPack")), as_int(get(info, "SelfPick"))
        _need(cards and pack and pick and pack > 0 and pick > 0, "2020 pack notification incomplete")
        return [PackShown(pack, pick, tuple(cards), draft_id, self._event_for(draft_id), None, "notification")]

    # -- notifications --------------------------------------------------------------------------------------------

    def _notify(self, e: Entry) -> list[ArenaEvent]:
        p = response_payload(e.text)
        _need(isinstance(p, dict), "Draft.Notify is not an object")
        draft_id = as_str(get(p, "draftId"))
        cards = as_ids(get(p, "PackCards"))
        pack, pick = as_int(get(p, "SelfPack")), as_int(get(p, "SelfPick"))
        _need(cards and pack and pick and pack > 0 and pick > 0, "Draft.Notify incomplete")
        return [PackShown(pack, pick, tuple(cards), draft_id, self._event_for(draft_id), None, "notify")]

    def _scene(self, e: Entry) -> list[ArenaEvent]:
        p = response_payload(e.text)
        _need(isinstance(p, dict), "scene change is not an object")
        return [SceneChanged(as_str(get(p, "fromSceneName")), as_str(get(p, "toSceneName")),
                             as_str(get(p, "context")))]

    # -- shared pieces --------------------------------------------------------------------------------------------

    def _bot_status(self, p: dict, event: str | None, draft_id: str | None) -> list[ArenaEvent]:
        status = str(get(p, "DraftStatus") or "")
        final = status.endswith("Completed") or status.endswith("Complete")
        pack, pick = as_int(get(p, "PackNumber")), as_int(get(p, "PickNumber"))
        pack_cards = as_ids(get(p, "DraftPack")) or []
        picked = as_ids(get(p, "PickedCards"))
        to_pick = as_int(get(p, "NumCardsToPick"))
        out: list[ArenaEvent] = []
        if picked is not None and (picked or final):
            out.append(PoolSnapshot(tuple(picked), event, draft_id, final))
        if pack_cards and not final:
            _need(pack is not None and pick is not None and pack >= 0 and pick >= 0, "bot pack without numbers")
            out.append(PackShown(pack + 1, pick + 1, tuple(pack_cards), draft_id, event,
                                 to_pick if to_pick and to_pick > 0 else None, "bot"))
        _need(out, "bot draft status without pack or picks")
        return out

    def _course(self, raw: Any, fallback_name: str | None = None) -> CourseInfo | None:
        if not isinstance(raw, dict):
            return None
        name = as_str(get(raw, "InternalEventName")) or fallback_name
        if not name:
            return None
        module = get(raw, "CurrentModule")
        module = str(module) if isinstance(module, (str, int)) and not isinstance(module, bool) else None
        pool = as_ids(get(raw, "CardPool"))
        deck = self._deck(unwrap(get(raw, "CourseDeck")))
        if deck is not None and not deck.main and not deck.side:
            deck = None
        draft_id = as_str(get(raw, "DraftId"))
        if draft_id is None:  # 2020: ModuleInstanceData["HumanDraft._internalState"]["DraftId"] (only that field)
            internal = get(get(raw, "ModuleInstanceData"), "HumanDraft._internalState")
            draft_id = as_str(get(internal, "DraftId"))
        if draft_id:
            self._bind(draft_id, name)
        return CourseInfo(name, module, tuple(pool) if pool is not None else None, deck,
                          as_int(get(raw, "CurrentWins")), as_int(get(raw, "CurrentLosses")), draft_id)

    @staticmethod
    def _deck(raw: Any) -> DeckInfo | None:
        if not isinstance(raw, dict):
            return None
        main = deck_counts(get(raw, "MainDeck", "mainDeck"))
        side = deck_counts(get(raw, "Sideboard", "sideboard"))
        if main is None and side is None:
            return None
        return DeckInfo(tuple(main or ()), tuple(side or ()))

    def _bind(self, draft_id: str, event: str) -> None:
        self._draft_events[draft_id] = event
        if self._joined_human == event:
            self._joined_human = None

    def _event_for(self, draft_id: str | None) -> str | None:
        if not draft_id:
            return None
        known = self._draft_events.get(draft_id)
        if known:
            return known
        if self._joined_human:
            name = self._joined_human
            self._bind(draft_id, name)
            return name
        if len(self._course_drafting) == 1:
            name = self._course_drafting[0]
            self._bind(draft_id, name)
            return name
        return None

    @staticmethod
    def _event_from_bot_draft_id(value: Any) -> str | None:
        """'<playerId>:<EventName>:Draft' -> '<EventName>' (the player part is dropped, never kept)."""
        s = as_str(value)
        if not s or ":" not in s:
            return None
        parts = s.split(":")
        if len(parts) < 3:
            return None
        return parts[1] or None
