import csv
import gzip
import json
import os

import pytest

from copilot.cards.catalog import CardCatalog, default_catalog, load_catalog
from copilot.cards.model import Card
from copilot.cards.sources import CardSourceError

DELVER_FRONT = ("At the beginning of your upkeep, look at the top card of your library. You may reveal that card. "
                "If an instant or sorcery card is revealed this way, transform Delver of Secrets.")

# Scryfall's MID Delver of Secrets (a transform DFC): top level has no colours, text or P/T, the faces do.
SCRYFALL_DELVER = {
    "object": "card", "name": "Delver of Secrets // Insectile Aberration", "layout": "transform",
    "arena_id": 78378, "set": "mid", "rarity": "uncommon", "cmc": 1.0, "color_identity": ["U"],
    "type_line": "Creature — Human Wizard // Creature — Human Insect", "booster": True,
    "card_faces": [
        {"object": "card_face", "name": "Delver of Secrets", "mana_cost": "{U}",
         "type_line": "Creature — Human Wizard", "oracle_text": DELVER_FRONT, "colors": ["U"],
         "power": "1", "toughness": "1"},
        {"object": "card_face", "name": "Insectile Aberration", "mana_cost": "", "type_line":
         "Creature — Human Insect", "oracle_text": "Flying", "colors": ["U"], "color_indicator": ["U"],
         "power": "3", "toughness": "2"},
    ],
}


def _mtgjson_delver(with_arena_id: bool):
    faces = []
    for side, face, typ, text, p, t, cost in (("a", "Delver of Secrets", "Creature — Human Wizard", DELVER_FRONT,
                                               "1", "1", "{U}"),
                                              ("b", "Insectile Aberration", "Creature — Human Insect", "Flying",
                                               "3", "2", None)):
        e = {"name": "Delver of Secrets // Insectile Aberration", "faceName": face, "side": side,
             "layout": "transform", "type": typ, "text": text, "power": p, "toughness": t, "colors": ["U"],
             "colorIdentity": ["U"], "rarity": "uncommon", "manaValue": 1.0, "number": "47", "setCode": "MID",
             "identifiers": {"mtgArenaId": "78378"} if with_arena_id else {}}
        if cost:
            e["manaCost"] = cost
        faces.append(e)
    return {"meta": {"version": "5.2.2"}, "data": {"code": "MID", "cards": faces, "tokens": []}}


@pytest.fixture(scope="module")
def shared_catalog(shared_data):
    """The real files these tests need (the full shared set is measured by bench/bench_catalog.py)."""
    ratings = shared_data / "ratings" / "mtga_draft_17lands_format"
    cat = CardCatalog()
    cards = shared_data / "cards"
    cat.load_files([cards / "17lands_cards.csv.gz", cards / "OTJ.mtgjson-5.2.2.json.gz",
                    cards / "scryfall_cache" / "BLB_cards.json.gz", ratings / "FIN_PremierDraft_All_Data.json.gz",
                    ratings / "MKM_PremierDraft_Data_2024-05-03.json.gz"])
    return cat


def test_merge_by_id_fills_missing_fields_only():
    cat = CardCatalog()
    cat.add(Card("Abhorrent Oculus", 92104, "DSK", rarity="mythic", mana_value=3.0, is_booster=True,
                 sources=("17lands",)))
    merged = cat.add(Card("Abhorrent Oculus", 92104, "DSK", mana_cost="{2}{U}", rarity="rare", text="Flying",
                          sources=("arena",)))
    assert merged.rarity == "mythic"  # first source wins
    assert merged.mana_cost == "{2}{U}" and merged.text == "Flying"  # filled
    assert merged.sources == ("17lands", "arena") and len(cat) == 1


def test_merge_by_name_either_order(tmp_path):
    for order in ("ids_first", "names_first"):
        cat = CardCatalog()
        csv_card = Card("Delver of Secrets", 78378, "MID", rarity="uncommon", is_booster=True, sources=("17lands",))
        other_print = Card("Delver of Secrets", 80000, "ISD", rarity="common", sources=("x",))
        nameless = Card("Delver of Secrets // Insectile Aberration", None, "MID", text=DELVER_FRONT + "\n//\nFlying",
                        power="1", toughness="1", sources=("mtgjson",))
        seq = [csv_card, other_print, nameless] if order == "ids_first" else [nameless, csv_card, other_print]
        for c in seq:
            cat.add(c)
        d = cat.get(78378)
        assert d.name == "Delver of Secrets // Insectile Aberration", order
        assert d.text.endswith("//\nFlying") and d.power == "1" and d.sources[0] in ("17lands", "mtgjson")
        assert cat.get(80000).text is None  # another set's printing is not touched by a set-bound source
        assert len(cat) == 2  # the name-only card is absorbed, not listed twice


def test_setless_name_source_fills_text_but_not_rarity():
    cat = CardCatalog([Card("Delver of Secrets", 78378, "MID", sources=("17lands",))])
    cat.add(Card("Delver of Secrets", None, None, rarity="common", text="x", sources=("oracle",)))
    assert cat.get(78378).text == "x" and cat.get(78378).rarity is None


def test_unknown_ids_are_reported_not_fatal():
    cat = CardCatalog([Card("Abhorrent Oculus", 92104, "DSK")])
    c = cat.card(123456789)
    assert c.name == "Unknown card #123456789" and c.arena_id == 123456789 and c.sources == ("unknown",)
    assert cat.card("92104").name == "Abhorrent Oculus"
    assert cat.unknown_ids == {123456789}
    assert cat.get("not a number") is None
    assert 92104 in cat and 5 not in cat and "abhorrent oculus" in cat


def test_transform_dfc_from_scryfall_and_mtgjson(tmp_path, shared_data):
    sf = tmp_path / "delver.scryfall.json"
    sf.write_text(json.dumps([SCRYFALL_DELVER]))
    mj = tmp_path / "MID.json.gz"
    mj.write_bytes(gzip.compress(json.dumps(_mtgjson_delver(with_arena_id=False)).encode()))
    cat = load_catalog([shared_data / "cards" / "17lands_cards.csv.gz", sf, mj])
    d = cat.get(78378)
    assert d.name == "Delver of Secrets // Insectile Aberration"
    assert d.mana_cost == "{U}" and d.colors == ("U",) and (d.power, d.toughness) == ("1", "1")
    assert d.text == DELVER_FRONT + "\n//\nFlying" and d.type_line == "Creature - Human Wizard"
    assert d.rarity == "uncommon" and d.is_booster is True
    # 17lands' front-only name, Scryfall's full name and any casing all find it
    for q in ("Delver of Secrets", "Delver of Secrets // Insectile Aberration", "delver OF secrets"):
        assert cat.by_name(q).arena_id == 78378, q
    assert cat.by_name("Insectile Aberration").arena_id == 78379  # 17lands' back-face row
    assert cat.by_name("Delver of Secrets", "mid").arena_id == 78378
    assert cat.by_name("Delver of Secrets", "DSK") is None
    assert any(s.startswith("scryfall:") for s in d.sources) and any(s.startswith("mtgjson:") for s in d.sources)


def test_mtgjson_faces_with_arena_id(tmp_path):
    mj = tmp_path / "set.json"
    mj.write_text(json.dumps(_mtgjson_delver(with_arena_id=True)))
    cat = load_catalog([mj])
    assert len(cat) == 1 and cat.get(78378).name == "Delver of Secrets // Insectile Aberration"
    assert cat.by_name("Delver of Secrets").arena_id == 78378


def test_real_room_and_front_face_lookups(shared_catalog):
    room = shared_catalog.by_name("Bottomless Pool // Locker Room")
    assert room.arena_id == 92105 and room.is_booster and room.set_code == "DSK"
    assert shared_catalog.by_name("bottomless pool // locker room!").arena_id == 92105
    assert shared_catalog.by_name("Bottomless Pool").arena_id == 92106  # 17lands has the door as its own row
    consign = shared_catalog.by_name("Consign /// Oblivion")  # Arena spelling
    assert consign.name == "Consign // Oblivion"
    assert shared_catalog.by_name("No Such Card Anywhere") is None


def test_real_merge_by_id_across_sources(shared_catalog):
    agate = shared_catalog.get(91658)
    assert agate.set_code == "BLB" and agate.is_booster is True and agate.mana_cost == "{2}{R}"
    assert agate.text.startswith("Choose one")
    assert agate.sources[0].startswith("17lands:") and any(s.startswith("scryfall_cache:") for s in agate.sources)
    show_off = shared_catalog.get(90492)
    assert show_off.text.startswith("Flying, haste") and show_off.power == "1"
    cloud = shared_catalog.get(95862)  # FIN, text only in the ratings file
    assert cloud.set_code == "FIN" and cloud.text.startswith("When Cloud enters")
    # a reprint listed in BLB's ratings file keeps its own set
    assert shared_catalog.get(102472).set_code != "BLB"


def test_cards_in_set_dsk_matches_17lands_and_the_pick_index(shared_catalog, shared_data):
    dsk = shared_catalog.cards_in_set("DSK")
    names = {c.name for c in dsk}
    with gzip.open(shared_data / "cards" / "17lands_cards.csv.gz", "rt", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["expansion"] == "DSK"]
    booster = {r["name"] for r in rows if r["is_booster"] == "True" and r["rarity"] != "basic"}
    assert names == booster and len(dsk) == 271
    with open(shared_data / "picks" / "DSK" / "dsk_card_index.csv", encoding="utf-8") as fh:
        index = list(csv.DictReader(fh))
    dsk_index = {r["name"] for r in index if r["printing_set"] == "DSK" and r["is_basic_land"] == "False"}
    assert names == dsk_index  # the 286 pick columns = these 271 + 5 basics + 10 Special Guests
    by_name = {c.name: c for c in dsk}
    for r in index:
        if r["name"] in by_name:
            assert by_name[r["name"]].arena_id == int(r["arena_id"]), r["name"]  # booster printing preferred
    for r in index:  # every 17lands pick name resolves to the printing the pick index names
        assert shared_catalog.by_name(r["name"], r["printing_set"]).arena_id == int(r["arena_id"]), r["name"]
    with_basics = shared_catalog.cards_in_set("dsk", include_basics=True)
    assert len(with_basics) == 276
    assert all(c.is_booster for c in dsk)
    assert len(shared_catalog.cards_in_set("DSK", booster_only=False)) > len(dsk)
    assert "DSK" in shared_catalog.sets() and shared_catalog.cards_in_set("NOPE") == []


def test_load_catalog_bad_file_names_it(tmp_path):
    bad = tmp_path / "cards.csv"
    bad.write_text("hello\n")
    with pytest.raises(CardSourceError, match="cards.csv"):
        load_catalog([bad])
    with pytest.raises(CardSourceError, match="no such card file"):
        load_catalog([tmp_path / "missing.csv"])


def test_default_catalog_uses_shared_user_files_and_cache(tmp_path, monkeypatch, shared_data, arena_db_factory):
    shared = tmp_path / "shared"
    (shared / "data" / "cards").mkdir(parents=True)
    (shared / "data" / "cards" / "BLB_cards.json.gz").symlink_to(
        shared_data / "cards" / "scryfall_cache" / "BLB_cards.json.gz")
    home = tmp_path / "home"
    (home / "cards").mkdir(parents=True)
    (home / "cards" / "broken.json").write_text("{")
    monkeypatch.setenv("COPILOT_SHARED", str(shared))
    monkeypatch.setenv("COPILOT_HOME", str(home))
    extra = tmp_path / "delver.json"
    extra.write_text(json.dumps(SCRYFALL_DELVER))
    install = tmp_path / "MTGA"
    (install / "MTGA_Data" / "Downloads" / "Raw").mkdir(parents=True)
    arena_db_factory("new").rename(install / "MTGA_Data" / "Downloads" / "Raw" / "Raw_CardDatabase_1.mtga")

    cat = default_catalog(extra=[extra], install_dir=install)
    assert cat.get(91658).name == "Agate Assault" and cat.get(78378).text.endswith("Flying")
    assert cat.get(92104).name == "Abhorrent Oculus"  # from the Arena DB
    assert any("broken.json" in p for p in cat.problems)  # reported, not fatal
    assert (home / "cache" / "card-catalog.pickle").is_file()
    assert "1 arena_db" in cat.describe() and "1 unreadable file" in cat.describe()

    again = default_catalog(extra=[extra], install_dir=install)
    assert again.loaded_files == cat.loaded_files and len(again) == len(cat)
    assert again.get(78378) == cat.get(78378)
    # a changed input invalidates the cache
    data = dict(SCRYFALL_DELVER, rarity="rare", arena_id=99001, name="Test Reload")
    extra.write_text(json.dumps(data))
    os.utime(extra, ns=(1, 1))
    third = default_catalog(extra=[extra], install_dir=install)
    assert third.get(99001) is not None and third.get(78378).text.endswith("Flying")


def test_cards_in_set_without_booster_information_uses_all_printings(arena_db_factory):
    cat = load_catalog([arena_db_factory("new")])
    names = [c.name for c in cat.cards_in_set("DSK")]
    assert names == ["Abhorrent Oculus", "Bottomless Pool // Locker Room"]  # basics left out
    assert [c.name for c in cat.cards_in_set("DSK", include_basics=True)][-1] == "Plains"


ROOM_TEXT = ("When you unlock this door, return up to one target creature to its owner's hand.\n//\n"
             "Whenever one or more creatures you control deal combat damage to a player, draw a card.")


@pytest.mark.parametrize("order", ["name_only_first", "door_rows_first", "one_by_one"])
def test_name_only_room_text_goes_to_the_room_not_its_door_row(order):
    room = Card("Bottomless Pool // Locker Room", 92105, "DSK", is_booster=True, sources=("17lands",))
    door = Card("Bottomless Pool", 92106, "DSK", is_booster=False, sources=("17lands",))
    text = Card("Bottomless Pool // Locker Room", None, "DSK", text=ROOM_TEXT, sources=("mtgjson",))
    if order == "one_by_one":  # explicit add() calls in file order
        cat = CardCatalog()
        for c in (room, text, door):
            cat.add(c)
    else:
        cat = CardCatalog([text, door, room] if order == "name_only_first" else [door, room, text])
    assert cat.get(92105).text == ROOM_TEXT
    assert cat.get(92106).text is None and cat.get(92106).name == "Bottomless Pool"
    assert len(cat) == 2
