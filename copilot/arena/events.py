"""Typed events that leave `copilot.arena`: the only things the reducer ever sees.

All dataclasses are frozen and hold plain data: grpIds as ints (tuples), 1-based pack/pick numbers whatever the
log used, event names, draft uuids. Nothing else from the log is carried: no account/player ids, screen names,
tokens, device ids or session ids (the parser never copies them into an event).

``event_name`` on draft events is the name as logged; when a message has only a draft uuid (``Draft.Notify``,
``EventPlayerDraftMakePick``) the parser may fill it from earlier lines of the same session (see
`copilot.arena.parser` for the rule); it stays None when nothing says which event the draft belongs to.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SessionStarted:
    """A new client session begins (the `Mono path[0] = ...` line at the top of every Player.log)."""

    install_dir: str | None  # the Arena install folder (…/MTGA), None when the line could not be read


@dataclass(frozen=True)
class DetailedLogs:
    """`DETAILED LOGS: ENABLED|DISABLED` in the session header."""

    enabled: bool


@dataclass(frozen=True)
class ClientVersion:
    version: str  # e.g. "2026.56.10.11392"


@dataclass(frozen=True)
class SceneChanged:
    """`Client.SceneChange` (a UI hint only, never state)."""

    from_scene: str | None
    to_scene: str | None
    context: str | None


@dataclass(frozen=True)
class DeckInfo:
    main: tuple[int, ...]  # one entry per copy
    side: tuple[int, ...]


@dataclass(frozen=True)
class CourseInfo:
    """One event course (the player's progress in an event) as the server reported it."""

    event_name: str
    module: str | None  # CurrentModule as text: "PlayerDraft", "BotDraft", "DeckSelect", "Complete", "16", ...
    pool: tuple[int, ...] | None  # CardPool; None when absent or null
    deck: DeckInfo | None  # CourseDeck; None when absent, null or empty
    wins: int | None
    losses: int | None
    draft_id: str | None  # the draft uuid when the course names one


@dataclass(frozen=True)
class EventJoined:
    """The player joined an event (`EventJoin` request; `Event.Join` in 2020)."""

    event_name: str


@dataclass(frozen=True)
class CourseUpdated:
    """A course for an event the player is acting on (join, draft completion, deck submission, prize claim)."""

    course: CourseInfo
    source: str  # "join", "complete_draft", "set_deck", "claim_prize", "ready_draft"


@dataclass(frozen=True)
class CoursesListed:
    """The course list (`EventGetCoursesV2`, `Event_GetCourses`, `Event.GetPlayerCoursesV2`): every open event.

    It updates events already being tracked; it never starts tracking one by itself (see the reducer)."""

    courses: tuple[CourseInfo, ...]


@dataclass(frozen=True)
class DraftLinked:
    """A message tying a draft uuid to its event name (2020 `Event.ReadyDraft`)."""

    draft_id: str
    event_name: str


@dataclass(frozen=True)
class PackShown:
    """The pack in front of the player at (pack, pick), picked cards not yet removed."""

    pack: int
    pick: int
    cards: tuple[int, ...]
    draft_id: str | None = None
    event_name: str | None = None
    cards_to_pick: int | None = None  # 2 in Pick-Two when the message says so
    source: str = ""  # "notify", "notification" (2020 push), "bot"


@dataclass(frozen=True)
class PickMade:
    """The player took `cards` (two in Pick-Two) at (pack, pick). `pack_cards`, when the message has it
    (`LogBusinessEvents.CardsInPack`), is the whole pack including the picked cards."""

    pack: int
    pick: int
    cards: tuple[int, ...]
    draft_id: str | None = None
    event_name: str | None = None
    pack_cards: tuple[int, ...] | None = None
    source: str = ""  # "human", "human2020", "bot", "bot2020", "business"


@dataclass(frozen=True)
class PoolSnapshot:
    """Every card picked so far (bot drafts' cumulative `PickedCards`, order not meaningful).

    ``final`` is True when the draft is over (`DraftStatus: "Completed"`)."""

    cards: tuple[int, ...]
    event_name: str | None = None
    draft_id: str | None = None
    final: bool = False


@dataclass(frozen=True)
class DeckSubmitted:
    """A deck sent for an event (`EventSetDeckV2/V3`, `Event_SetDeck`, `Event.DeckSubmitV3`). The last one wins."""

    event_name: str
    deck: DeckInfo


@dataclass(frozen=True)
class PrizeClaimed:
    """`EventClaimPrize`: the event is over."""

    event_name: str


ArenaEvent = (SessionStarted | DetailedLogs | ClientVersion | SceneChanged | EventJoined | CourseUpdated
              | CoursesListed | DraftLinked | PackShown | PickMade | PoolSnapshot | DeckSubmitted | PrizeClaimed)

DRAFT_EVENTS = (EventJoined, CourseUpdated, DraftLinked, PackShown, PickMade, PoolSnapshot, DeckSubmitted,
                PrizeClaimed)
