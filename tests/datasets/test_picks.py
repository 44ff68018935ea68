"""17lands readers on the real DSK dev files: CSV and JSONL agree, 1-based numbers, pool order, contexts."""
from __future__ import annotations

import gzip
from itertools import islice

import pytest

from copilot.cards.model import Card
from copilot.datasets import PickFileError, context_from_row, iter_contexts, iter_pick_rows
from copilot.draft.state import DraftState, PickRecord
from copilot.picking.context import context_from_draft

from dsk_cards import NameCatalog, load_dsk_cards


@pytest.fixture(scope="module")
def dsk_dir(shared_data):
    return shared_data / "picks" / "DSK"


def test_csv_and_jsonl_give_the_same_rows(dsk_dir):
    a = list(iter_pick_rows(dsk_dir / "dsk_picks.dev.jsonl.gz", limit=90))
    b = list(iter_pick_rows(dsk_dir / "draft_data_public.DSK.PremierDraft.dev-sample.csv.gz", limit=90))
    assert len(a) == len(b) == 90
    for x, y in zip(a, b):
        assert (x.draft_id, x.pack_number, x.pick_number, x.pick) == (y.draft_id, y.pack_number, y.pick_number, y.pick)
        assert sorted(x.pack) == sorted(y.pack) and x.pool == y.pool
    first = a[0]
    assert (first.pack_number, first.pick_number, first.pool, len(first.pack)) == (1, 1, (), 14)
    assert first.set_code == "DSK" and first.pick in first.pack
    assert max(r.pick_number for r in a) == 14 and max(r.pack_number for r in a) == 3


def test_pool_is_rebuilt_in_pick_order(dsk_dir):
    rows = list(iter_pick_rows(dsk_dir / "dsk_picks.dev.jsonl.gz", limit=42))
    assert all(r.draft_id == rows[0].draft_id and r.pool_ordered for r in rows)
    assert rows[-1].pool == tuple(r.pick for r in rows[:-1])  # exactly the earlier picks, in order
    assert rows[2].pool == ("The Swarmweaver", "Miasma Demon")  # the file lists them in name order


def test_pool_falls_back_to_name_order_mid_draft(dsk_dir, tmp_path):
    src = dsk_dir / "dsk_picks.dev.jsonl.gz"
    with gzip.open(src, "rt") as fh:
        lines = list(islice(fh, 10))
    p = tmp_path / "mid.jsonl"
    p.write_text("".join(lines[5:]))
    rows = list(iter_pick_rows(p))
    assert not rows[0].pool_ordered and rows[0].pool == tuple(sorted(rows[0].pool))
    assert rows[1].pool_ordered and rows[1].pool == rows[0].pool + (rows[0].pick,)


def test_context_from_row_matches_live_signal_window(dsk_dir, shared_data):
    cat = NameCatalog(load_dsk_cards(shared_data))
    pairs = list(iter_contexts(dsk_dir / "dsk_picks.dev.jsonl.gz", cat, limit=8))
    row, ctx = pairs[7]
    assert (ctx.pack_number, ctx.pick_number, ctx.picks_per_pack) == (1, 8, 14)
    assert len(ctx.seen) == 5 and [len(p) for p in ctx.seen] == [11, 10, 9, 8, 7]
    assert ctx.seen[-1] == ctx.pack and ctx.draft_key == row.draft_id
    assert all(c.arena_id for c in ctx.pack)  # resolved through the card data
    # the same draft through DraftState gives the same context
    ids = {c.name: c.arena_id for c in load_dsk_cards(shared_data).values()}
    by_id = {c.arena_id: c for c in load_dsk_cards(shared_data).values()}
    state = DraftState(set_code="DSK", draft_id=row.draft_id, pack_number=1, pick_number=8,
                       current_pack=[ids[n] for n in row.pack], pool=[ids[n] for n in row.pool],
                       picks=[PickRecord(r.pack_number, r.pick_number, [ids[n] for n in r.pack], [ids[r.pick]])
                              for r, _ in pairs[:7]])

    class ById:
        def card(self, i):
            return by_id[i]

    live = context_from_draft(state, ById())
    assert live == ctx
    assert context_from_draft(DraftState(), ById()) is None


def test_unknown_names_become_name_only_cards(dsk_dir):
    row = next(iter_pick_rows(dsk_dir / "dsk_picks.dev.jsonl.gz"))
    ctx = context_from_row(row, None)
    assert ctx.pack[0] == Card(name=row.pack[0], set_code="DSK")


def test_bad_files_say_what_is_wrong(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(PickFileError, match="not a 17lands draft_data CSV"):
        list(iter_pick_rows(p))
    q = tmp_path / "y.jsonl"
    q.write_text('{"draft_id": "x"}\n')
    with pytest.raises(PickFileError, match="y.jsonl:1"):
        list(iter_pick_rows(q))
    with pytest.raises(FileNotFoundError):
        list(iter_pick_rows(tmp_path / "nope.csv"))
