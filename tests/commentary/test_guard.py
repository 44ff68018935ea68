"""SentenceGuard: sentences that recommend another pack card are dropped; arguments for the pick are kept."""
from __future__ import annotations

import pytest

from copilot.commentary.guard import SentenceGuard, recommends_other

PICK = "Overgrown Zealot"
OTHERS = ["Cult Healer", "Fear of Missing Out", "Shock", "Shocking Grasp", "Overgrown Zealot"]


@pytest.mark.parametrize("sentence,card", [
    ("Honestly, pick Cult Healer instead.", "Cult Healer"),
    ("You should take Fear of Missing Out.", "Fear of Missing Out"),
    ("Cult Healer would be a better pick.", "Cult Healer"),
    ("Cult Healer is the better choice here.", "Cult Healer"),
    ("The best pick here is Shocking Grasp.", "Shocking Grasp"),
    ("I'd rather have Shock.", "Shock"),
    ("Consider Cult Healer.", "Cult Healer"),
    ("I would draft Cult Healer over Overgrown Zealot.", "Cult Healer"),
    ("Instead, go with Shock.", "Shock"),
])
def test_flags_other_recommendations(sentence, card):
    assert recommends_other(sentence, PICK, OTHERS) == card


@pytest.mark.parametrize("sentence", [
    "Overgrown Zealot ramps you into your big threats.",
    "It is better than Cult Healer in a green deck.",
    "Take Overgrown Zealot over Cult Healer: it fixes your mana.",
    "Cult Healer is fine, but Overgrown Zealot fits your pool.",
    "Shock is weaker in this format.",
    "Pick Overgrown Zealot.",
])
def test_keeps_arguments_for_the_pick(sentence):
    assert recommends_other(sentence, PICK, OTHERS) is None


def test_streamed_text_is_cut_into_sentences_and_trimmed():
    g = SentenceGuard(PICK, OTHERS)
    out = []
    for piece in ["Overgrown Zea", "lot ramps. Honestly, pi", "ck Cult Healer inst", "ead. It also fi", "xes mana"]:
        out += g.feed(piece)
    out += g.flush()
    text = "".join(out)
    assert text == "Overgrown Zealot ramps. It also fixes mana"
    assert g.removed == [("Honestly, pick Cult Healer instead.", "Cult Healer")]
    assert len(out) == 2  # two sentences shown, one dropped


def test_pick_name_inside_another_name_is_not_confused():
    g = SentenceGuard("Shock", ["Shock", "Shocking Grasp", "Cult Healer"])
    assert g.feed("Take Shock. ") == ["Take Shock. "]
    # 'Shocking Grasp' contains 'Shock': it is not checked (cannot be told apart reliably), nothing is dropped wrongly
    assert g.feed("Shock beats everything. ") == ["Shock beats everything. "]
    assert g.feed("Pick Cult Healer instead. ") == []
