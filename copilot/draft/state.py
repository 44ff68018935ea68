"""Draft state: plain, serialisable data. The reducer that builds it from log events lives in
`copilot.draft.reducer` (``reduce(state, event) -> state``), a pure function: the same events always give the
same state, so a restart replays the log (and Player-prev.log) and ends where it was.

Numbers are 1-based everywhere in this module (pack 1..3, pick 1..N), whatever the log used.
Card ids are Arena grpIds (ints). Names are resolved later through a CardCatalog.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

SIGNAL_WINDOW = 5  # the prompt format counts colours of cards seen in the last five packs


@dataclass
class PickRecord:
    pack: int
    pick: int
    pack_cards: list[int] | None  # the pack shown at this pick (picked cards included); None when not logged
    picked: list[int]  # one card, two in Pick-Two; empty until the pick is known


@dataclass
class Deck:
    main: list[int]  # one entry per copy
    side: list[int]


@dataclass
class DraftState:
    """One event: a draft (human pod, bot/Quick, Pick-Two) or a sealed pool."""

    event_name: str | None = None
    set_code: str | None = None
    format: str | None = None  # PremierDraft, TradDraft, QuickDraft, PickTwoDraft, Sealed, ... (the event token)
    kind: str = "draft"  # "draft" or "sealed"
    draft_id: str | None = None  # the draft's uuid (not an account id)
    pack_number: int = 0  # the pack on the table now (0 = not started)
    pick_number: int = 0
    current_pack: list[int] | None = None  # what is in front of the player now, None when unknown
    picks: list[PickRecord] = field(default_factory=list)
    pool: list[int] = field(default_factory=list)  # in pick order (sealed: the pool as given)
    missing_from_pack: list[int] = field(default_factory=list)  # taken by others since we saw this pack
    cards_per_pick: int = 1  # 2 in Pick-Two
    complete: bool = False  # picking is over
    deck: Deck | None = None
    wins: int | None = None
    losses: int | None = None
    finished: bool = False  # the event is over (prize claimed)

    def seen_packs(self, window: int = SIGNAL_WINDOW) -> list[list[int]]:
        """The contents of the last `window` packs we were shown (most recent last)."""
        shown = [p.pack_cards for p in self.picks if p.pack_cards]
        if self.current_pack and (not self.picks or self.picks[-1].pack_cards != self.current_pack):
            shown.append(self.current_pack)
        return shown[-window:]

    @property
    def awaiting_pick(self) -> bool:
        return bool(self.current_pack) and not self.complete

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DraftState":
        data = dict(data)
        data["picks"] = [PickRecord(**p) for p in data.get("picks", [])]
        if data.get("deck") is not None:
            data["deck"] = Deck(**data["deck"])
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ArenaState:
    """Everything the log has told us in this and earlier sessions."""

    drafts: list[DraftState] = field(default_factory=list)
    active: int | None = None  # index into drafts of the event being played
    detailed_logs: bool | None = None  # None until the header says
    client_version: str | None = None
    install_dir: str | None = None  # from `Mono path[0]`, for the card database
    warnings: list[str] = field(default_factory=list)

    @property
    def current(self) -> DraftState | None:
        return self.drafts[self.active] if self.active is not None and self.active < len(self.drafts) else None

    def to_json(self) -> str:
        return json.dumps({
            "drafts": [d.to_dict() for d in self.drafts], "active": self.active,
            "detailed_logs": self.detailed_logs, "client_version": self.client_version,
            "install_dir": self.install_dir, "warnings": self.warnings,
        })

    @classmethod
    def from_json(cls, text: str) -> "ArenaState":
        data = json.loads(text)
        return cls(drafts=[DraftState.from_dict(d) for d in data.get("drafts", [])], active=data.get("active"),
                   detailed_logs=data.get("detailed_logs"), client_version=data.get("client_version"),
                   install_dir=data.get("install_dir"), warnings=list(data.get("warnings", [])))
