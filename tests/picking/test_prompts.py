"""Prompt formats v1 / v1-compact: golden text from a real DSK pick row, KV-prefix property, graceful gaps."""
from __future__ import annotations

import gzip
import json

import pytest

from copilot.cards.model import Card
from copilot.picking.engine import PickContext
from copilot.picking.prompts import FORMATS, SYSTEM_V1, get_format, pool_line

from dsk_cards import load_dsk_cards


@pytest.fixture(scope="module")
def dsk(shared_data):
    return load_dsk_cards(shared_data)


@pytest.fixture(scope="module")
def rows(shared_data):
    out = []
    with gzip.open(shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz", "rt") as fh:
        for line in fh:
            out.append(json.loads(line))
            if len(out) == 3:
                break
    return out


def test_system_prompt_is_the_v1_text():
    assert SYSTEM_V1 == (
        "You are DraftGPT, a Magic the Gathering Hall of Famer and helpful AI assistant that helps players choose "
        "what card to pick during a draft. You are a master of the current draft set, and know every card well.\n\n"
        "When asked for a draft pick, respond with the card's name first.")


def test_v1_golden_on_real_dsk_pick(dsk, rows):
    row = rows[2]  # draft 0009d7f1..., P1p3 (0-based 0/2); pool in pick order from the two earlier rows
    assert row["pick_number"] == 2 and row["pick"] == "Overgrown Zealot"
    pool = tuple(dsk[r["pick"]] for r in rows[:2])
    seen = tuple(tuple(dsk[n] for n in r["pack"]) for r in rows)
    ctx = PickContext(pack=tuple(dsk[n] for n in row["pack"]), pool=pool, pack_number=1, pick_number=3,
                      set_code="DSK", seen=seen)
    ex = get_format("v1").example(ctx, dsk[row["pick"]])
    system, user, answer = ex["messages"]
    assert system == {"role": "system", "content": SYSTEM_V1}
    assert answer == {"role": "assistant", "content": "Overgrown Zealot"}
    assert user["role"] == "user"
    expected = """In our Magic the Gathering draft, these are the contents of our pool so far:
-------------------------
The Swarmweaver (rare)
Miasma Demon (uncommon)
-------------------------
We're on pack 1 pick 3.
Colour identities of the cards we saw in the last 3 packs: W 7, U 9, B 8, R 8, G 10, colourless 4.
These are the contents of the pack:
-------------------------
Abandoned Campground -- Land (common)
Daggermaw Megalodon -- Creature - Shark (common)
Derelict Attic // Widow's Walk -- Enchantment - Room (common)
Hand That Feeds -- Creature - Mutant (common)
Malevolent Chandelier -- Artifact Creature - Construct (common)
Overgrown Zealot -- Creature - Elf Druid (uncommon)
Possessed Goat -- Creature - Goat (common)
Rite of the Moth -- Sorcery (uncommon)
Say Its Name -- Sorcery (common)
Spineseeker Centipede -- Creature - Insect (common)
Terramorphic Expanse -- Land (common)
Trial of Agony -- Sorcery (uncommon)
-------------------------
What card would you pick from this pack?"""
    assert user["content"] == expected
    # the signal counts are the real colour identities of the 14+13+12 cards seen
    total = sum(len(p) for p in seen)
    assert total == 39
    assert "None" not in user["content"] and "{}" not in user["content"]


def test_compact_format(dsk, rows):
    ctx = PickContext(pack=tuple(dsk[n] for n in rows[1]["pack"]), pool=(dsk[rows[0]["pick"]],), pack_number=1,
                      pick_number=2)
    text = get_format("v1-compact").messages(ctx)[1]["content"]
    assert "The Swarmweaver\n" in text  # no rarity in compact pool lines
    assert "Miasma Demon -- Creature - Demon\n" in text
    assert "(common)" not in text and "(rare)" not in text
    assert "Colour identities" not in text  # no seen packs given


def test_full_card_fields_and_gist_examples():
    rat_out = Card(name="Rat Out", mana_cost="{B}", rarity="common", type_line="Instant",
                   text="Up to one target creature gets -1/-1 until end of turn.\nYou create a 1/1 black Rat.")
    wilds = Card(name="Evolving Wilds", mana_cost="", rarity="common", type_line="Land")
    dfc = Card(name="Front // Back", mana_cost="{1}{G} // {1}{R}", rarity="rare")
    bear = Card(name="Grizzly Bears", mana_cost="{1}{G}", type_line="Creature — Bear", power="2", toughness="2")
    assert pool_line(rat_out) == "Rat Out -- {B} (common)"
    assert pool_line(wilds) == "Evolving Wilds -- (common)"
    assert pool_line(dfc) == "Front // Back -- {1}{G} // {1}{R} (rare)"
    assert pool_line(Card(name="Mystery")) == "Mystery"
    ctx = PickContext(pack=(rat_out, bear, Card(name="Mystery")), pool=(), pack_number=2, pick_number=1,
                      cards_to_pick=2)
    text = get_format("v1").user(ctx)
    assert ("Rat Out -- {B} -- Instant (common) -- Up to one target creature gets -1/-1 until end of turn. "
            "You create a 1/1 black Rat.") in text
    assert "Grizzly Bears -- {1}{G} -- Creature — Bear 2/2\n" in text
    assert "\nMystery\n" in text
    assert "(no cards yet)" in text
    assert text.endswith("What 2 cards would you pick from this pack?")


def test_prefix_grows_between_consecutive_picks(dsk, rows):
    """The prompt of pick N up to the end of its pool is a prefix of pick N+1's prompt (KV-cache reuse)."""
    fmt = get_format("v1")
    p1 = PickContext(pack=tuple(dsk[n] for n in rows[1]["pack"]), pool=(dsk[rows[0]["pick"]],), pack_number=1,
                     pick_number=2)
    p2 = PickContext(pack=tuple(dsk[n] for n in rows[2]["pack"]), pool=(dsk[rows[0]["pick"]], dsk[rows[1]["pick"]]),
                     pack_number=1, pick_number=3)
    u1, u2 = fmt.user(p1), fmt.user(p2)
    stable = u1[: u1.index("-------------------------\nWe're on")]
    assert u2.startswith(stable)


def test_get_format_errors_list_known_names():
    assert get_format(None).name == "v1"
    assert set(FORMATS) == {"v1", "v1-compact"}
    with pytest.raises(ValueError, match="known formats: v1, v1-compact"):
        get_format("v9")
