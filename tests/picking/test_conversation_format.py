"""The conversation prompt format (v2) on real DSK drafts: registry, turns, wheels, knowledge variants, cuts."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from copilot.picking.conversation import ConversationFormat, Knowledge
from copilot.picking.prompts import UnknownPromptFormat, format_names, get_format


@pytest.fixture(scope="module")
def full_draft(shared_data):
    """The first real DSK dev draft with the full card catalog (rules text from the shared Scryfall files)."""
    from copilot.cards.catalog import default_catalog
    from copilot.datasets import iter_contexts

    rows = list(iter_contexts(shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz", default_catalog(), limit=42))
    assert len(rows) == 42
    return rows


def test_registry_names_versions_and_options():
    conv = get_format("conversation")
    assert conv.name == "conversation" and conv.version == 2 and conv.conversational
    assert get_format("v2") == conv
    assert get_format("v1").version == 1 and not get_format("v1").conversational
    assert "conversation" in format_names() and "v1" in format_names()
    f = get_format("conversation:knowledge=text, repeat=1")
    assert f.knowledge is Knowledge.TEXT and f.repeat
    assert f.name == "conversation:knowledge=text,repeat=1"
    assert get_format(f.name) == f  # the canonical name round-trips (datasets and model manifests store it)
    assert get_format("conversation:knowledge=basic").name == "conversation"  # defaults are not spelled out
    with pytest.raises(UnknownPromptFormat, match="knowledge='full'.*name, basic, text, stats"):
        get_format("conversation:knowledge=full")
    with pytest.raises(UnknownPromptFormat, match="colour"):
        get_format("conversation:colour=1")
    with pytest.raises(UnknownPromptFormat, match="expected 0 or 1"):
        get_format("conversation:signals=maybe")
    with pytest.raises(UnknownPromptFormat, match="known formats: .*conversation"):
        get_format("v3")


def test_one_turn_per_pick_and_each_pick_extends_the_last(dsk_draft):
    fmt = get_format("conversation")
    prev = None
    for i, ctx in enumerate(dsk_draft):
        msgs = fmt.messages(ctx)
        roles = [m["role"] for m in msgs]
        assert roles == ["system"] + ["user", "assistant"] * i + ["user"]
        assert sum(m["content"] == fmt.system for m in msgs) == 1  # the system prompt once
        answers = [m["content"] for m in msgs if m["role"] == "assistant"]
        assert answers == [c.name for c in ctx.pool]  # the pool is the conversation so far
        assert msgs[-1]["content"].startswith(f"Pack {ctx.pack_number} pick {ctx.pick_number}")
        if prev is not None:  # append-only: the KV cache of the last pick stays valid
            assert msgs[:len(prev)] == prev
            assert msgs[len(prev)]["role"] == "assistant"
        prev = msgs


@pytest.mark.parametrize("spec", ["conversation:knowledge=name", "conversation:knowledge=text",
                                  "conversation:knowledge=stats,signals=1", "conversation:reminder=pack,repeat=1",
                                  "conversation:knowledge=rated,order=rating,colours=1,repeat=1",
                                  "conversation:knowledge=rated,order=pick,colours=1,answer=label"])
def test_prefix_property_for_every_variant(full_draft, spec):
    fmt = get_format(spec)
    prev = None
    for _, ctx in full_draft:
        msgs = fmt.messages(ctx)
        if prev is not None:
            assert msgs[:len(prev)] == prev
        prev = msgs


def test_wheel_names_what_the_others_took(full_draft):
    fmt = get_format("conversation")
    rows = [r for r, _ in full_draft]
    row9, ctx9 = full_draft[8]
    assert (row9.pack_number, row9.pick_number) == (1, 9)
    first = rows[0]
    expected = Counter(first.pack) - Counter([first.pick]) - Counter(row9.pack)
    head = fmt.messages(ctx9)[-1]["content"].splitlines()[0]
    assert head.startswith("Pack 1 pick 9 (back from pick 1; taken since: ")
    taken = head.split("taken since: ", 1)[1].rstrip("):").split(", ")
    assert Counter(taken) == expected and len(taken) == 7
    # picks 2-8 see packs that have not come round yet
    for _, ctx in full_draft[1:8]:
        assert "back from" not in fmt.messages(ctx)[-1]["content"]


def _pack_lines(fmt, ctx):
    return fmt.messages(ctx)[-1]["content"].splitlines()[1:]


def test_knowledge_variants(full_draft):
    _, ctx1 = full_draft[0]
    cards = ctx1.pack
    assert _pack_lines(get_format("conversation:knowledge=name"), ctx1) == [c.name for c in cards]
    basic = _pack_lines(get_format("conversation"), ctx1)
    for card, line in zip(cards, basic):
        assert line.startswith(card.name) and f"({card.rarity})" in line
        if card.mana_cost:
            assert card.mana_cost in line
        assert card.text is None or card.text.split("\n")[0] not in line
    text = _pack_lines(get_format("conversation:knowledge=text"), ctx1)
    with_text = [c for c in cards if c.text]
    assert with_text, "the catalog has DSK rules text"
    for card, line in zip(cards, text):
        if card.text:
            assert " ".join(card.text.split("\n")[0].split()) in line
    # stats: the GIH WR of the DSK ratings file the ratings engine uses
    from copilot.picking.ratings import find_ratings, load_ratings

    ratings = load_ratings(find_ratings("DSK"), "DSK")
    stats = _pack_lines(get_format("conversation:knowledge=stats"), ctx1)
    rated = 0
    for card, line in zip(cards, stats):
        gih = ratings.gih(card)
        if gih is not None:
            assert line.endswith(f"GIH WR {gih:.1f}%")
            rated += 1
        else:
            assert "GIH" not in line
    assert rated >= 10


def test_details_at_first_mention_only_unless_repeat(full_draft):
    _, ctx9 = full_draft[8]  # pick 9: every card of the pack was shown at pick 1
    once = _pack_lines(get_format("conversation:knowledge=text"), ctx9)
    assert once == [c.name for c in ctx9.pack]
    again = _pack_lines(get_format("conversation:knowledge=text,repeat=1"), ctx9)
    assert any(" -- " in line for line in again) and len(again) == len(ctx9.pack)


def test_cut_to_a_pack_starts_with_the_pool(dsk_draft):
    fmt = get_format("conversation")
    ctx = dsk_draft[20]  # pack 2 pick 7
    assert ctx.pack_number == 2
    msgs = fmt.messages(ctx, since_pack=2)
    first_user = msgs[1]["content"].splitlines()
    pool14 = [c.name for c in ctx.pool[:14]]
    assert first_user[0] == f"Our pool so far (14 cards): {', '.join(pool14)}."
    assert first_user[1].startswith("Pack 2 pick 1")
    assert [m["content"] for m in msgs if m["role"] == "assistant"] == [c.name for c in ctx.pool[14:]]
    assert not any(m["content"].startswith("Pack 1 ") for m in msgs)
    # the pack option reminds at every pack start even in a whole-draft conversation
    long = get_format("conversation:reminder=pack").messages(ctx)
    reminders = [m["content"].splitlines()[0] for m in long if m["content"].startswith("Our pool so far")]
    assert reminders == [f"Our pool so far (14 cards): {', '.join(pool14)}."]


def test_log_begun_mid_draft_gets_a_pool_reminder(dsk_draft):
    fmt = get_format("conversation")
    ctx = dsk_draft[10]
    partial = replace(ctx, history=ctx.history[6:])  # picks 1-6 were not logged; the pool still has them
    msgs = fmt.messages(partial)
    assert msgs[1]["content"].startswith(
        f"Our pool so far (6 cards): {', '.join(c.name for c in ctx.pool[:6])}.\nPack 1 pick 7:")
    assert [m["content"] for m in msgs if m["role"] == "assistant"] == [c.name for c in ctx.pool[6:]]


def test_signals_option(dsk_draft):
    ctx = dsk_draft[3]
    msgs = get_format("conversation:signals=1").messages(ctx)
    users = [m["content"] for m in msgs if m["role"] == "user"]
    assert all(u.splitlines()[1].startswith("Colour identities of the cards we saw") for u in users)
    assert users[-1].splitlines()[1] == get_format("v1").user(ctx).splitlines()[-(len(ctx.pack) + 5)]


def test_pick_two_turns(dsk_draft):
    fmt = ConversationFormat()
    a, b = dsk_draft[0], dsk_draft[1]
    hist = (replace(b.history[0], picked=a.pack[:2]),)
    ctx = replace(b, history=hist, pool=a.pack[:2], cards_to_pick=2)
    msgs = fmt.messages(replace(ctx, pack_number=1, pick_number=3))
    assert msgs[1]["content"].startswith("Pack 1 pick 1, take 2:")
    assert msgs[2]["content"] == f"{a.pack[0].name}\n{a.pack[1].name}"
    assert msgs[3]["content"].startswith("Pack 1 pick 3, take 2:")


def test_half_the_characters_of_v1_per_supervised_pick(full_draft):
    """The training-cost claim at character level (bench/bench_formats.py measures tokens with the tokenizer)."""
    v1 = get_format("v1")
    conv = get_format("conversation")
    v1_chars = sum(len(m["content"]) for _, ctx in full_draft for m in v1.example(ctx, ctx.pack[0])["messages"])
    row, last = full_draft[-1]
    conv_chars = sum(len(m["content"]) for m in conv.sequence(last, [last.pack[0]]))
    assert conv_chars / 42 <= 0.5 * v1_chars / 42


def test_rated_lines_in_rating_order_with_colour_tags(full_draft):
    from copilot.picking.colors import main_colors, pool_color_weights
    from copilot.picking.ratings import find_ratings, load_ratings

    ratings = load_ratings(find_ratings("DSK"), "DSK")
    fmt = get_format("conversation:knowledge=rated,order=rating,colours=1,repeat=1")
    assert fmt.name == "conversation:colours=1,knowledge=rated,order=rating,repeat=1"
    assert get_format(fmt.name) == fmt
    tagged = 0
    for _, ctx in full_draft:
        lines = fmt.messages(ctx)[-1]["content"].splitlines()
        assert lines[1].startswith("Our colours: ") and lines[1].endswith(f"({len(ctx.pool)} cards).")
        body = lines[2:]
        assert sorted(ln.split(" (")[0] for ln in body) == sorted(c.name for c in ctx.pack)
        gihs = [ratings.gih(next(c for c in ctx.pack if ln.startswith(c.name + " ("))) for ln in body]
        known = [g for g in gihs if g is not None]
        assert known == sorted(known, reverse=True)  # best first
        assert all(g is None for g in gihs[len(known):])  # unrated cards last
        for g, ln in zip(gihs, body):
            assert (f"-- GIH {g:.1f}%" in ln) if g is not None else ("GIH" not in ln)
        coloured = [c for c in ctx.pool if (c.color_identity or c.colors) and not c.is_basic_land]
        ours = main_colors(pool_color_weights(ctx.pool)) if len(coloured) >= 2 else ()
        for ln in body:
            card = next(c for c in ctx.pack if ln.startswith(c.name + " ("))
            cols = set(card.color_identity or card.colors)
            want = "" if not ours or not cols or card.is_basic_land else (
                " [ours]" if cols <= set(ours) else " [off]")
            assert ln.endswith(want or "%") or (want == "" and not ln.endswith("]"))
            tagged += bool(want)
    assert tagged > 100  # the tags are there once the pool has colours


def test_pack_order_option_keeps_the_pack_order_by_default(full_draft):
    _, ctx = full_draft[0]
    lines = _pack_lines(get_format("conversation:knowledge=name"), ctx)
    assert lines == [c.name for c in ctx.pack]
    with pytest.raises(UnknownPromptFormat, match="order='best'"):
        get_format("conversation:order=best")


def test_label_answers_name_the_line_the_pack_lists(full_draft):
    """answer=label: lettered pack lines in the listed order, the answer "C) Name" names the line of the card taken
    (past turns too), every card of a pack has its own answer, and the default keeps the name."""
    fmt = get_format("conversation:knowledge=rated,order=rating,colours=1,repeat=1,answer=label")
    assert fmt.name == "conversation:answer=label,colours=1,knowledge=rated,order=rating,repeat=1"
    assert get_format(fmt.name) == fmt and "letter and name" in fmt.system
    with pytest.raises(UnknownPromptFormat, match="answer='index'.*name or label"):
        get_format("conversation:answer=index")
    plain = get_format("conversation:knowledge=rated,order=rating,colours=1,repeat=1")
    for _, ctx in full_draft:
        msgs = fmt.messages(ctx)
        body = [ln for ln in msgs[-1]["content"].splitlines()[2:]]
        assert [ln[:3] for ln in body] == [f"{'ABCDEFGHIJKLMNO'[i]}) " for i in range(len(body))]
        # the same lines as without labels, in the same order
        assert [ln[3:] for ln in body] == plain.messages(ctx)[-1]["content"].splitlines()[2:]
        answers = {c.name: fmt.answer(c, ctx) for c in ctx.pack}
        assert len(set(answers.values())) == len(answers)  # one answer per distinct card
        for name, a in answers.items():
            letter, _, rest = a.partition(") ")
            assert rest == name and any(ln.startswith(f"{letter}) {name} (") for ln in body)
        assert fmt.answer(ctx.pack[0]) == ctx.pack[0].name  # no pack given: the name
        assert plain.answer(ctx.pack[0], ctx) == ctx.pack[0].name
        past = [m["content"] for m in msgs if m["role"] == "assistant"]
        assert [a.partition(") ")[2] for a in past] == [c.name for c in ctx.pool]
    row, last = full_draft[-1]
    seq = fmt.sequence(last, [last.pack[0]])
    assert seq[-1]["content"] == fmt.answer(last.pack[0], last) and seq[-1]["content"].startswith("A) ")


def test_pick_order_lists_the_ratings_engines_ranking_first(full_draft):
    """order=pick: the pack in the ratings engine's order for the pool at that pick, so "A)" is its pick, at the
    pick in front of us and at every earlier pick of the conversation."""
    from copilot.picking.ratings_engine import RatingsEngine

    fmt = get_format("conversation:knowledge=rated,order=pick,colours=1,answer=label")
    engine = RatingsEngine()
    agree = 0
    for _, ctx in full_draft:
        ranked = [s.card.name for s in engine.rank(ctx).ranked]
        body = fmt.messages(ctx)[-1]["content"].splitlines()[2:]
        names = [ln[3:].removesuffix(" [ours]").removesuffix(" [off]").split(" (")[0] for ln in body]
        assert names == ranked
        assert fmt.answer(next(c for c in ctx.pack if c.name == ranked[0]), ctx).startswith("A) ")
        agree += fmt.answer(ctx.pack[0], ctx).startswith("A) ")
    # the earlier picks' answers are lettered in their own pool's order too
    _, last = full_draft[-1]
    msgs = fmt.messages(last)
    answers = [m["content"] for m in msgs if m["role"] == "assistant"]
    for k, (_, ctx) in enumerate(full_draft[:-1]):
        taken = Counter(c.name for c in full_draft[k + 1][1].pool) - Counter(c.name for c in ctx.pool)
        card = next(c for c in ctx.pack if c.name in taken)
        assert answers[k] == fmt.answer(card, ctx)
    assert agree < len(full_draft)  # not simply the pack's order


def test_listed_order_is_the_order_the_user_turn_lists(full_draft):
    """`ListedOrder`: the engine that always takes "A)". Its ranking is the pack as the format lists it (for
    order=pick the ratings engine's ranking for the pool); for v1 formats there is none."""
    from copilot.commands.export_eval import listed_order
    from copilot.picking.ratings_engine import RatingsEngine

    spec = "conversation:knowledge=name,order=pick,colours=1,answer=label"
    engine, ratings = listed_order(spec), RatingsEngine()
    for _, ctx in full_draft[::7]:
        rec = engine.rank(ctx)
        assert [s.card.name for s in rec.ranked] == [c.name for c in engine.fmt.pack_order(ctx)] \
            == [s.card.name for s in ratings.rank(ctx).ranked]
        assert engine.fmt.answer(rec.best, ctx).startswith("A) ")
    assert listed_order("conversation:knowledge=name,order=pack") is None and listed_order("v1") is None
