"""Boosters from real set data: MTGJSON sheets (OTJ), measured Arena shares (DSK), Draft Boosters (VOW)."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from _simhelpers import set_cards
from copilot.sim.boosters import (DraftBoosterCollation, MeasuredCollation, SheetCollation, make_generator,
                                    read_17lands_cards)

N = 3000


def _rare_counts(packs):
    return Counter(sum(c.rarity in ("rare", "mythic") for c in p) for p in packs)


def test_dsk_packs_match_the_measured_arena_shares(shared_data):
    sc = set_cards(shared_data)
    gen = make_generator("DSK", sc, shared_data)
    assert isinstance(gen, MeasuredCollation) and gen.pack_size == 14
    packs = gen.packs(N, random.Random(0))
    booster_names = {c.name for c in sc.booster_cards("DSK")} | {c.name for c in gen.guests}
    assert all(len(p) == 14 for p in packs)
    assert all(c.name in booster_names for p in packs for c in p)
    rm = _rare_counts(packs)
    # measured on 5,538 real packs: 1 rare/mythic 77.6%, 2 21.2%, 3 1.3%; basic land 49.3%; guest 1.50%
    assert abs(rm[1] / N - 0.776) < 0.03 and abs(rm[2] / N - 0.212) < 0.03 and rm[3] / N < 0.03
    basic = sum(any(c.is_basic_land for c in p) for p in packs) / N
    assert abs(basic - 0.493) < 0.04
    guests = {c.name for c in gen.guests}
    assert len(guests) == 10
    guest_rate = sum(any(c.name in guests for c in p) for p in packs) / N
    assert 0.005 < guest_rate < 0.03
    assert all(sum(c.rarity == "common" for c in p) >= 6 for p in packs)


def test_otj_packs_follow_the_mtgjson_sheets(shared_data):
    sc = set_cards(shared_data)
    gen = make_generator("OTJ", sc, shared_data)
    assert isinstance(gen, SheetCollation) and gen.pack_size == 14
    assert any("OTP" in n for n in gen.notes)  # Breaking News resolved to OTP booster cards
    packs = gen.packs(N, random.Random(1))
    assert all(len(p) == 14 for p in packs)
    otp = {c.name for c in sc.booster_cards("OTP")}
    assert all(sum(c.name in otp for c in p) >= 1 for p in packs)  # one Breaking News card per pack
    # the rare slot: mythic weight 120 of 840 (1 in 7); count it on the rareMythicWithShowcase sheet's own cards
    sheet = gen.sheets["rareMythicWithShowcase"]
    rng = random.Random(2)
    draws = [rng.choices(sheet.cards, weights=sheet.weights)[0] for _ in range(N)]
    assert abs(sum(c.rarity == "mythic" for c in draws) / N - 1 / 7) < 0.025
    otj_cards = {c.name for c in sc.booster_cards("OTJ")}
    assert all(c.name in otj_cards | otp for p in packs for c in p)
    uncommons = [sum(c.rarity == "uncommon" and c.name in otj_cards for c in p) for p in packs]
    assert min(uncommons) >= 3


def test_draft_booster_sets_get_10_3_1(shared_data):
    sc = set_cards(shared_data)
    gen = make_generator("VOW", sc, shared_data)
    assert isinstance(gen, DraftBoosterCollation) and not sc.is_play_booster_set("VOW")
    packs = gen.packs(800, random.Random(3))
    for p in packs:
        r = Counter(c.rarity for c in p)
        assert len(p) == 14 and r["common"] == 10 and r["uncommon"] == 3 and r["rare"] + r["mythic"] == 1
    mythic = sum(any(c.rarity == "mythic" for c in p) for p in packs) / len(packs)
    assert 0.07 < mythic < 0.19
    assert all(len(set(c.name for c in p)) == 14 for p in packs)  # no duplicates inside a Draft Booster
    paper = make_generator("VOW", sc, shared_data, kind="draft-paper").pack(random.Random(0))
    assert len(paper) == 15 and paper[-1].is_basic_land


def test_other_play_booster_sets_use_the_measured_template(shared_data):
    sc = set_cards(shared_data)
    assert sc.is_play_booster_set("BLB") and sc.is_play_booster_set("DSK") and not sc.is_play_booster_set("NEO")
    gen = make_generator("BLB", sc, shared_data)
    assert isinstance(gen, MeasuredCollation) and "DSK" in gen.source
    blb = {c.name for c in sc.booster_cards("BLB")}
    packs = gen.packs(200, random.Random(4))
    assert all(len(p) == 14 and all(c.name in blb for c in p) for p in packs)


def test_seeded_and_reproducible(shared_data):
    for set_code in ("DSK", "OTJ", "VOW"):
        gen = make_generator(set_code, set_cards(shared_data), shared_data)
        a = [[c.name for c in p] for p in gen.packs(24, random.Random(42))]
        b = [[c.name for c in p] for p in gen.packs(24, random.Random(42))]
        c = [[c.name for c in p] for p in gen.packs(24, random.Random(43))]
        assert a == b and a != c


def test_booster_cards_are_deduplicated_real_booster_printings(shared_data):
    sc = set_cards(shared_data)
    cards = sc.booster_cards("DSK")
    names = [c.name for c in cards]
    assert len(names) == len(set(names))
    assert all(c.is_booster for c in cards)
    assert "Abhorrent Oculus" in names and Counter(c.rarity for c in cards)["mythic"] == 20
    with pytest.raises(ValueError):
        make_generator("NOPE", sc, shared_data)


def test_plain_reader_reads_every_row(shared_data):
    cards = read_17lands_cards(shared_data / "cards" / "17lands_cards.csv.gz")
    assert len(cards) == 25568
    oc = [c for c in cards if c.arena_id == 92104][0]
    assert oc.name == "Abhorrent Oculus" and oc.color_identity == ("U",) and oc.rarity == "mythic"
