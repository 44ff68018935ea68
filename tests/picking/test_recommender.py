"""The one recommender: fallback notes, and pairs for Pick-Two on a log built from the format notes."""
from __future__ import annotations

import pytest

from copilot.draft.replay import replay_lines
from copilot.picking.recommender import Recommender
from tests.draft.pick_two_log import pick_two_lines


@pytest.fixture(scope="module")
def catalog(shared_data):
    from copilot.cards.catalog import load_catalog

    return load_catalog([shared_data / "cards" / "17lands_cards.csv.gz"])


@pytest.fixture(scope="module")
def pick_two(arena_logs):
    text = (arena_logs / "premier-draft-2026-DSK-grepped.log").read_text(encoding="utf-8")
    return pick_two_lines(text)


def test_pick_two_log_replays_as_a_two_card_draft(pick_two):
    state = replay_lines(pick_two[:2])
    d = state.current
    assert d.format == "PickTwoDraft" and d.cards_per_pick == 2 and len(d.current_pack) == 14
    after = replay_lines(pick_two).current
    assert after.picks[0].picked == after.pool and len(after.pool) == 2 and after.pick_number == 2


def test_pick_two_recommendation_ranks_pairs(pick_two, catalog):
    draft = replay_lines(pick_two[:2]).current
    rec = Recommender("ratings", catalog)
    advice = rec.advise(draft)
    assert advice is not None and advice.recommendation.engine == "ratings" and advice.pairs
    best = advice.pairs[0]
    pack_names = [catalog.card(g).name for g in draft.current_pack]
    assert best.first.card.name in pack_names and best.second.card.name in pack_names
    assert best.first.card is not best.second.card
    # the second card is the engine's best once the first is in the pool: rank that decision directly
    from dataclasses import replace

    ctx = advice.context
    rest = list(ctx.pack)
    rest.remove(best.first.card)
    direct = rec.rank(replace(ctx, pack=tuple(rest), pool=ctx.pool + (best.first.card,), cards_to_pick=1,
                              draft_key=None))
    assert direct.ranked[0].card.name == best.second.card.name
    assert [c.name for c in advice.best_cards] == list(best.names())
    assert all(a.score >= b.score for a, b in zip(advice.pairs, advice.pairs[1:]))
    assert "pairs" in advice.to_dict()


def test_one_card_events_have_no_pairs(arena_logs, catalog):
    from copilot.draft.replay import iter_file_lines

    lines = list(iter_file_lines(arena_logs / "premier-draft-2026-DSK-grepped.log"))[:2]
    advice = Recommender("ratings", catalog).advise(replay_lines(lines).current)
    assert advice is not None and not advice.pairs and len(advice.best_cards) == 1


def test_an_engine_that_cannot_be_created_falls_back_and_says_so(arena_logs, catalog):
    from copilot.draft.replay import iter_file_lines

    lines = list(iter_file_lines(arena_logs / "premier-draft-2026-DSK-grepped.log"))[:2]
    draft = replay_lines(lines).current
    assert draft.set_code is None  # the log names its event only at the deck submission
    advice = Recommender("mlp", catalog).advise(draft)
    rec = advice.recommendation
    assert advice.context.set_code == "DSK"  # the set comes from the pack's cards, so ratings can answer
    assert rec.ok and rec.engine == "ratings" and "mlp unavailable" in (rec.note or "")
