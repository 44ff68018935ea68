"""What changed between two states (the idea of Anki's OpChanges): the GUI and `copilot live` redraw or print
from this instead of guessing from sizes.

    ch = changes(old, new)
    if ch.current.pack: show the new pack and rank it
    for index, d in ch.drafts.items(): print what changed in draft `index`
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from copilot.draft.state import ArenaState, DraftState


@dataclass(frozen=True)
class DraftChanges:
    """What changed in one event (draft or sealed pool)."""

    head: bool = False  # new, or its event name / set / format / kind changed
    pack: bool = False  # the pack in front of the player changed (a new pack, or it was picked from)
    picks: bool = False  # a pick was recorded or completed
    pool: bool = False  # the pool's contents changed
    deck: bool = False  # a deck was registered or changed (its contents, not only its size)
    complete: bool = False  # picking became over
    finished: bool = False  # the event became over (prize claimed)
    progress: bool = False  # pack/pick number, wins or losses

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def names(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]


NO_DRAFT_CHANGE = DraftChanges()


def _head(d: DraftState) -> tuple:
    return d.event_name, d.set_code, d.format, d.kind, d.cards_per_pick


def draft_changes(old: DraftState | None, new: DraftState) -> DraftChanges:
    if old is new:
        return NO_DRAFT_CHANGE
    if old is None:
        return DraftChanges(head=True, pack=bool(new.current_pack), picks=bool(new.picks), pool=bool(new.pool),
                            deck=new.deck is not None, complete=new.complete, finished=new.finished,
                            progress=True)
    return DraftChanges(
        head=_head(old) != _head(new),
        pack=(old.current_pack, old.awaiting_pick) != (new.current_pack, new.awaiting_pick),
        picks=old.picks != new.picks,
        pool=old.pool != new.pool,
        deck=old.deck != new.deck,
        complete=old.complete != new.complete,
        finished=old.finished != new.finished,
        progress=(old.pack_number, old.pick_number, old.wins, old.losses)
        != (new.pack_number, new.pick_number, new.wins, new.losses),
    )


@dataclass(frozen=True)
class Changes:
    active: bool = False  # another event became the active one (or the first one appeared)
    drafts: dict[int, DraftChanges] = field(default_factory=dict)  # index -> its changes (changed ones only)
    current_index: int | None = None  # the active event's index in the new state
    warnings: bool = False  # a new warning to show
    session: bool = False  # detailed-logs flag, client version or install folder

    @property
    def current(self) -> DraftChanges:
        """The active event's changes (all of it counts as new when it just became active)."""
        return self.drafts.get(self.current_index, NO_DRAFT_CHANGE) if self.current_index is not None \
            else NO_DRAFT_CHANGE

    @property
    def draft(self) -> bool:
        """Anything about the active event that a drafter would see."""
        return self.active or self.current.any

    @property
    def any(self) -> bool:
        return self.active or bool(self.drafts) or self.warnings or self.session


NONE = Changes()


def changes(old: ArenaState | None, new: ArenaState) -> Changes:
    """What differs from `old` to `new` (`old` None: everything present is new)."""
    if old is new:
        return NONE
    old = old if old is not None else ArenaState()
    active = old.active != new.active or (old.current is None) != (new.current is None)
    drafts = {}
    for i, d in enumerate(new.drafts):
        before = old.drafts[i] if i < len(old.drafts) else None
        ch = draft_changes(None if (active and i == new.active) else before, d)
        if ch.any:
            drafts[i] = ch
    return Changes(
        active=active, drafts=drafts, current_index=new.active if new.current is not None else None,
        warnings=bool(set(new.warnings) - set(old.warnings)),
        session=(old.detailed_logs, old.client_version, old.install_dir)
        != (new.detailed_logs, new.client_version, new.install_dir),
    )
