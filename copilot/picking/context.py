"""DraftState (live log, replay, simulator) -> PickContext, the same shape the 17lands rows give."""
from __future__ import annotations

from copilot.cards.model import main_set
from copilot.draft.state import SIGNAL_WINDOW, DraftState
from copilot.picking.engine import PastPick, PickContext


def context_from_draft(draft: DraftState, catalog, window: int = SIGNAL_WINDOW) -> PickContext | None:
    """The decision in front of the player, or None when no pack is in front of them (or picking is over).

    `catalog` needs `card(arena_id) -> Card` (CardCatalog: unknown ids become visible placeholders).
    """
    if draft is None or not draft.current_pack or draft.complete:
        return None
    card = catalog.card
    pack = tuple(card(i) for i in draft.current_pack)
    per = max(1, draft.cards_per_pick or 1)
    first = next((p.pack_cards for p in draft.picks if p.pack == draft.pack_number and p.pick == 1 and p.pack_cards),
                 None)
    size_at_first = len(first) if first else len(draft.current_pack) + max(0, draft.pick_number - 1) * per
    return PickContext(
        pack=pack,
        pool=tuple(card(i) for i in draft.pool),
        pack_number=max(1, draft.pack_number),
        pick_number=max(1, draft.pick_number),
        set_code=draft.set_code or main_set(pack),
        seen=tuple(tuple(card(i) for i in pack) for pack in draft.seen_packs(window)),
        picks_per_pack=max(1, size_at_first // per),
        cards_to_pick=per,
        draft_key=draft.draft_id or draft.event_name,
        history=past_picks(draft, card),
    )


def past_picks(draft: DraftState, card) -> tuple[PastPick, ...]:
    """The logged decisions before the one in front of the player (pack shown and pick both known)."""
    now = (draft.pack_number, draft.pick_number)
    return tuple(PastPick(p.pack, p.pick, tuple(card(i) for i in p.pack_cards), tuple(card(i) for i in p.picked))
                 for p in draft.picks if p.pack_cards and p.picked and (p.pack, p.pick) < now)


def draft_set(draft: DraftState, catalog) -> str | None:
    """The draft's set: as the log names it, else the set of the cards logged so far (the pack in front, the pool,
    the packs seen). `catalog` needs `get(arena_id) -> Card | None`; None gives the logged set only."""
    if draft.set_code or catalog is None:
        return draft.set_code
    ids = list(draft.current_pack or ()) + list(draft.pool)
    for p in draft.picks:
        ids.extend(p.pack_cards or ())
    return main_set(catalog.get(i) for i in ids)


def draft_before_pick(draft: DraftState, index: int) -> DraftState:
    """The draft as it stood when pick `index` (into draft.picks) was in front of the player: its pack on the
    table, the pool of the earlier picks, the earlier packs as signals. Used to recommend on replayed logs."""
    rec = draft.picks[index]
    earlier = draft.picks[:index]
    return DraftState(event_name=draft.event_name, set_code=draft.set_code, format=draft.format, kind=draft.kind,
                      draft_id=draft.draft_id, pack_number=rec.pack, pick_number=rec.pick,
                      current_pack=list(rec.pack_cards) if rec.pack_cards else None, picks=list(earlier),
                      pool=[g for p in earlier for g in p.picked], cards_per_pick=draft.cards_per_pick)
