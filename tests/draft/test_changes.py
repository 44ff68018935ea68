"""changes(old, new): what a redraw or a printout needs to know, from real log states."""
from __future__ import annotations

from copilot.draft.changes import changes, draft_changes
from copilot.draft.replay import iter_states
from copilot.draft.state import ArenaState, Deck, DraftState


def test_nothing_changed_is_empty():
    state = ArenaState(drafts=[DraftState(event_name="E")], active=0)
    assert not changes(state, state).any
    assert not draft_changes(state.drafts[0], state.drafts[0]).any


def test_a_deck_of_the_same_size_with_other_cards_is_a_change():
    old = DraftState(event_name="E", deck=Deck(main=[1, 2, 3], side=[4]))
    new = DraftState(event_name="E", deck=Deck(main=[1, 2, 5], side=[4]))
    ch = draft_changes(old, new)
    assert ch.deck and ch.names() == ["deck"]


def test_first_state_and_activation_count_everything_present():
    d = DraftState(event_name="E", pack_number=1, pick_number=2, current_pack=[1, 2, 3], pool=[9])
    ch = changes(None, ArenaState(drafts=[d], active=0))
    assert ch.active and ch.current.head and ch.current.pack and ch.current.pool and not ch.current.deck
    other = DraftState(event_name="F")
    two = ArenaState(drafts=[d, other], active=0)
    switched = ArenaState(drafts=[d, other], active=1)
    assert changes(two, switched).active and changes(two, switched).current.head


def test_real_draft_picks_and_packs_are_seen_in_order(arena_logs):
    packs = picks = decks = 0
    for t in iter_states([arena_logs / "premier-draft-2026-ECL.log"]):
        ch = changes(t.before, t.after)
        assert ch.any  # the one replay reports only events that changed the state
        packs += ch.current.pack and bool(t.after.current and t.after.current.awaiting_pick)
        picks += ch.current.picks
        decks += ch.current.deck
    assert packs >= 38 and picks >= 39 and decks >= 1
