"""The streaming split rules, property-tested (no data files needed)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copilot.training.filters import FilterError, parse_range
from copilot.training.split import CountSplit, FracSplit, draft_hash

ids = st.lists(st.text(alphabet="0123456789abcdef", min_size=1, max_size=8), min_size=0, max_size=60)


@settings(max_examples=60, deadline=None)
@given(ids, st.integers(0, 10), st.integers(0, 3), st.randoms(use_true_random=False))
def test_count_split_streaming_equals_the_n_smallest_hashes(draft_ids, n, seed, rnd):
    """Rows arrive in any order, a draft's rows need not be contiguous: the result is still exactly the n drafts
    with the smallest hashes, and every row of a draft lands on the same side."""
    rows = [d for d in draft_ids for _ in range(rnd.randint(1, 3))]
    rnd.shuffle(rows)
    split = CountSplit(n, seed)
    routes = [(d, split.route(d)) for d in rows]
    final = {}
    for d, r in routes:
        side = "val" if r == "pending" and split.is_val(d) else "train"
        assert final.setdefault(d, side) == side
    distinct = sorted(set(draft_ids), key=lambda d: draft_hash(d, seed))
    assert {d for d, s in final.items() if s == "val"} == set(distinct[:n])


@given(st.text(min_size=1, max_size=40), st.integers(0, 100))
def test_frac_split_is_a_pure_function_of_seed_and_id(draft_id, seed):
    s = FracSplit(0.2, seed)
    assert s.route(draft_id) == s.route(draft_id) == FracSplit(0.2, seed).route(draft_id)
    assert 0.0 <= draft_hash(draft_id, seed) < 1.0


def test_frac_split_share_is_close_to_the_fraction():
    s = FracSplit(0.1, 7)
    share = sum(s.route(f"draft-{i}") == "val" for i in range(20000)) / 20000
    assert 0.09 < share < 0.11


def test_bad_split_and_range_arguments():
    with pytest.raises(ValueError):
        FracSplit(1.0, 0)
    with pytest.raises(ValueError):
        CountSplit(-1, 0)
    assert parse_range("1-8", "--picks") == (1, 8) and parse_range("5-", "--picks") == (5, 99)
    assert parse_range("3", "--picks") == (3, 3) and parse_range("-4", "--picks") == (1, 4)
    for bad in ("0-3", "8-1", "x", "1-200"):
        with pytest.raises(FilterError):
            parse_range(bad, "--picks")
