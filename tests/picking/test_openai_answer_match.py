"""match_answer: a chat model's free text mapped onto one pack card, or None (never a guess)."""
from __future__ import annotations

import pytest

from copilot.picking.answer_match import match_answer

PACK = ["Shock", "Shocking Grasp", "Fear of Missing Out", "Delver of Secrets // Insectile Aberration",
        "Don't Make a Sound", "Overgrown Zealot", "Cult Healer", "Plains", "Kaito, Bane of Nightmares"]


@pytest.mark.parametrize("text,expected", [
    ("Shock", "Shock"),
    ("shock", "Shock"),
    ("  SHOCK!  ", "Shock"),
    ("Dont make a sound", "Don't Make a Sound"),
    ("Don’t Make a Sound", "Don't Make a Sound"),
    ("Overgrown Zealot\nIt ramps and fixes.", "Overgrown Zealot"),
    ("1. Overgrown Zealot - great ramp", "Overgrown Zealot"),
    ("Answer: Cult Healer", "Cult Healer"),
    ("My pick is Cult Healer.", "Cult Healer"),
    ("I would take **Fear of Missing Out** because it is strong.", "Fear of Missing Out"),
    ('The best card here is "Cult Healer", a fine two-drop.', "Cult Healer"),
    ("[[Overgrown Zealot]]", "Overgrown Zealot"),
    ("Delver of Secrets", "Delver of Secrets // Insectile Aberration"),
    ("Delver of Secrets // Insectile Aberration", "Delver of Secrets // Insectile Aberration"),
    ("I'd go for Shocking Grasp here, it is removal.", "Shocking Grasp"),  # longest name contained wins over Shock
    ("Overgrown Zeelot", "Overgrown Zealot"),  # typo: close fuzzy match
    ("Kaito Bane of Nightmares", "Kaito, Bane of Nightmares"),
    ("You should pick Plains.", "Plains"),
])
def test_matches(text, expected):
    assert match_answer(text, PACK) == expected


@pytest.mark.parametrize("text", [
    "",
    None,
    "Lightning Bolt",  # not in the pack
    "You've got a great idea! I",  # the real base SmolLM2 answer from stack-notes
    "Either Cult Healer or Overgrown Zealot would be fine.",  # two different cards: ambiguous
    "Shok Grasp Zealot",  # far from anything
    "S",
])
def test_no_match_is_none(text):
    assert match_answer(text, PACK) is None


def test_empty_pack():
    assert match_answer("Shock", []) is None


def test_only_pack_names_can_come_back():
    for text in ["shock", "cult healer!", "I'd take Overgrown Zealot", "Delver of Secrets"]:
        assert match_answer(text, PACK) in PACK


def test_several_names_with_one_picking_verb():
    text = "I would pick Overgrown Zealot because it is better than Cult Healer for a ramp deck."
    assert match_answer(text, PACK) == "Overgrown Zealot"
