"""Mana rules of the deck builder on real cards (costs and rules text from the shared card data), and the Arena
import text."""
from __future__ import annotations

from collections import Counter

import pytest

from copilot.cards.model import Card
from copilot.draft.deckbuild import DeckSuggestion, arena_line
from copilot.draft.deckcompare import compare_decks
from copilot.draft.manabase import (castable, mana_problems, needs, off_pips, pip_weights, produces, requirement,
                                    split_basics)


@pytest.fixture(scope="module")
def card(shared):
    from copilot.cards.catalog import default_catalog

    cat = default_catalog()

    def get(name: str) -> Card:
        c = cat.by_name(name)
        assert c is not None, name
        return c

    return get


def test_hybrid_twobrid_and_room_costs(card):
    surveyor = card("Paradox Surveyor")  # {G}{G/U}{U}
    assert requirement(surveyor) == [frozenset("G"), frozenset("GU"), frozenset("U")]
    assert castable(surveyor, "UG") and not castable(surveyor, "GW") and needs(surveyor, "GW") == {"U"}
    assert off_pips(surveyor, "GW") == 1
    archaic = card("Wildgrowth Archaic")  # {2/G}{2/G}: generic mana pays it
    assert requirement(archaic) == [] and castable(archaic, "WB")
    suite = card("Surgical Suite // Hospital Room")  # {1}{W} // {3}{W}: the front door is cast first
    assert requirement(suite) == [frozenset("W")]
    weights = pip_weights([surveyor, suite], "WUG")
    assert weights == Counter({"G": 1.5, "U": 1.5, "W": 1.0})  # the hybrid symbol split between G and U


def test_unknown_cost_counts_every_colour_of_the_identity(card):
    feastling = card("Prideful Feastling")  # ECL: the shared data has no cost for it (17lands cards.csv only)
    assert feastling.mana_cost is None and requirement(feastling) is None
    assert not castable(feastling, "W") and castable(feastling, "WB") and off_pips(feastling, "W") == 2


def test_what_lands_and_rocks_produce(card):
    assert produces(card("Neglected Manor")) == {"W", "B"}
    assert produces(card("Fields of Strife")) == {"W", "R"}
    assert produces(card("Evolving Wilds")) == set("WUBRG")  # a fetch: any basic the deck holds
    assert produces(card("Overgrown Zealot")) == set("WUBRG")  # a mana creature
    assert produces(card("Petrified Hamlet")) == set()
    assert produces(card("Split Up")) == set()


def test_basic_split_follows_symbols_and_gives_a_splash_three_sources(card):
    assert split_basics(Counter({"W": 12, "B": 6}), ("W", "B"), (), 17) == {"Plains": 11, "Swamp": 6}
    assert split_basics(Counter({"W": 12, "B": 6, "G": 1}), ("W", "B"), ("G",), 17) == {
        "Plains": 9, "Swamp": 5, "Forest": 3}
    manor = card("Neglected Manor")  # a W/B dual: one black source less to find among the basics
    assert split_basics(Counter({"W": 12, "R": 6, "B": 1}), ("W", "R"), ("B",), 16, [manor])["Swamp"] == 2
    assert split_basics(Counter({"W": 1}), ("W", "U"), (), 17) == {"Plains": 11, "Island": 6}  # never below 3


def test_mana_problems_names_what_is_wrong(card):
    split_up, grakmaw = card("Split Up"), card("Grakmaw, Skyclave Ravager")
    assert mana_problems([split_up], [], {"Plains": 39}) == []
    problems = mana_problems([split_up, grakmaw], [], {"Plains": 30, "Swamp": 8})
    assert problems == ["Grakmaw, Skyclave Ravager needs G, which no land gives"]
    assert "39 cards, not 40" in mana_problems([split_up], [], {"Plains": 38})
    assert mana_problems([split_up], [], {"Plains": 30, "Island": 9}) == [
        "basics of a colour no spell needs: Island"]


def test_arena_import_text_shape(card):
    suite, split_up, manor = card("Surgical Suite // Hospital Room"), card("Split Up"), card("Neglected Manor")
    deck = DeckSuggestion(colours=("W",), spells=[suite, split_up, split_up], nonbasic_lands=[manor],
                          basics={"Plains": 36}, sideboard=[card("Say Its Name")])
    text = deck.to_arena()
    assert text == ("Deck\n1 Surgical Suite\n2 Split Up\n1 Neglected Manor\n36 Plains\n\nSideboard\n"
                    "1 Say Its Name\n")  # multi-face cards by their front name, as Arena imports them
    printed = Card(name="Split Up", set_code="dsk", collector_number="32")
    assert arena_line(2, printed) == "2 Split Up (DSK) 32"
    assert arena_line(1, Card(name="Llanowar Elves", set_code="DOM", collector_number="168")) == \
        "1 Llanowar Elves (DAR) 168"  # Arena's own code for Dominaria
    assert arena_line(1, split_up, {"Split Up": ("DSK", "32")}) == "1 Split Up (DSK) 32"


def test_scryfall_objects_carry_the_collector_number():
    from copilot.cards.sources.scryfall import card_from_object

    c = card_from_object({"object": "card", "name": "Split Up", "set": "dsk", "collector_number": "32",
                          "arena_id": 92072, "mana_cost": "{1}{W}{W}", "type_line": "Sorcery"}, "scryfall:test")
    assert c.collector_number == "32" and arena_line(1, c) == "1 Split Up (DSK) 32"


def test_comparison_counts_copies_and_leaves_lands_out(card):
    a, b, manor = card("Split Up"), card("Say Its Name"), card("Neglected Manor")
    cmp = compare_decks([a, a, b, manor], [a, b, b, manor, card("Plains")], pool=[a, a, b, b, manor])
    assert (cmp.shared, cmp.registered_spells, cmp.suggested_spells) == (2, 3, 3)
    assert cmp.only_suggested == ["Split Up"] and cmp.only_registered == ["Say Its Name"]
    assert cmp.registered_size == 5 and not cmp.whole_pool
    assert compare_decks([a], [a, a, b, b, manor], pool=[a, a, b, b, manor]).whole_pool
