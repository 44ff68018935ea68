import hashlib
import sqlite3

import pytest

from copilot.cards.catalog import CardCatalog, load_catalog
from copilot.cards.sources import CardSourceError, detect_kind, load_file
from copilot.cards.sources.arena_db import find_card_database, load


def _by_id(cards):
    return {c.arena_id: c for c in cards}


@pytest.mark.parametrize("schema", ["new", "old"])
def test_reads_both_localisation_schemas(arena_db_factory, schema):
    path = arena_db_factory(schema)
    assert detect_kind(path) == "arena_db"
    cards = _by_id(load(path))
    oculus = cards[92104]
    assert oculus.name == "Abhorrent Oculus"  # smallest Formatted variant, not the <b> one
    assert oculus.set_code == "DSK" and oculus.rarity == "mythic"
    assert oculus.mana_cost == "{2}{U}" and oculus.mana_value == 3
    assert oculus.colors == ("U",) and oculus.color_identity == ("U",)
    assert oculus.type_line == "Creature - Eye"
    assert (oculus.power, oculus.toughness) == ("5", "5")
    assert oculus.text.splitlines() == [
        "As an additional cost to cast this spell, exile six cards from your graveyard.", "Flying",
        "At the beginning of each opponent's upkeep, manifest dread."]
    assert not any(c.text and "fr:" in c.text for c in cards.values())


def test_room_transform_basic_token_and_untitled(arena_db_factory):
    cards = _by_id(load(arena_db_factory("new")))
    room = cards[92105]
    assert room.name == "Bottomless Pool // Locker Room"  # Arena's "///" normalised
    assert room.type_line == "Enchantment - Room" and room.power is None
    assert room.text == ("When you unlock this door, return up to one target creature to its owner's hand.\n//\n"
                         "Whenever one or more creatures you control deal combat damage to a player, draw a card.")
    assert 92106 not in cards and 92107 not in cards  # door faces are not draftable cards
    delver = cards[78378]
    assert delver.name == "Delver of Secrets" and delver.type_line == "Creature - Human Wizard"
    assert delver.text.startswith("At the beginning of your upkeep")
    assert "transform Delver of Secrets." in delver.text  # CARDNAME resolved
    assert delver.text.endswith("\n//\nFlying")
    assert 78379 not in cards
    plains = cards[92372]
    assert plains.rarity == "basic" and plains.type_line == "Basic Land - Plains" and plains.is_basic_land
    assert plains.text == "({T}: Add {W}.)" and plains.mana_cost is None and plains.color_identity == ("W",)
    assert 92400 not in cards  # token
    assert 99999 not in cards  # no English title: skipped rather than given a made-up name


def test_missing_columns_are_tolerated(arena_db_factory):
    path = arena_db_factory("old", drop_columns=("AbilityIds", "Supertypes", "Power", "Toughness", "Colors", "Cmc"))
    cards = _by_id(load(path))
    oculus = cards[92104]
    assert oculus.text is None and oculus.power is None and oculus.colors == ()
    assert oculus.mana_value == 3  # from the mana cost
    assert cards[92372].rarity is None  # rarity 1 without a Basic supertype is not guessed
    assert oculus.color_identity == ("U",)


def test_database_is_opened_read_only(arena_db_factory):
    path = arena_db_factory("new")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    load(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not path.with_name(path.name + "-journal").exists()
    assert not path.with_name(path.name + "-wal").exists()


def test_corrupt_and_foreign_files_give_clear_errors(tmp_path):
    bad = tmp_path / "Raw_CardDatabase_dead.mtga"
    bad.write_bytes(b"\x00garbage, not sqlite" * 10)
    with pytest.raises(CardSourceError, match="Raw_CardDatabase_dead.mtga.*not an SQLite database"):
        load(bad)
    with pytest.raises(CardSourceError, match="Raw_CardDatabase_dead.mtga"):
        load_file(bad)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE Foo (a)")
    con.commit()
    con.close()
    with pytest.raises(CardSourceError, match="without a Cards table"):
        load(other)
    truncated = tmp_path / "Raw_CardDatabase_trunc.mtga"
    truncated.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises(CardSourceError, match="Raw_CardDatabase_trunc.mtga"):
        load(truncated)


def test_no_localisation_table(tmp_path):
    p = tmp_path / "Raw_CardDatabase_x.mtga"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE Cards (GrpId, TitleId)")
    con.commit()
    con.close()
    with pytest.raises(CardSourceError, match="English localisation"):
        load(p)


def test_found_under_install_dir_and_loaded_into_catalog(tmp_path, arena_db_factory):
    raw = tmp_path / "MTGA" / "MTGA_Data" / "Downloads" / "Raw"
    raw.mkdir(parents=True)
    arena_db_factory("new").rename(raw / "Raw_CardDatabase_abc.mtga")
    assert find_card_database(tmp_path / "MTGA") == raw / "Raw_CardDatabase_abc.mtga"
    cat = load_catalog([], arena_install_dir=tmp_path / "MTGA")
    assert isinstance(cat, CardCatalog) and cat.card(92104).name == "Abhorrent Oculus"
    assert cat.by_name("Locker Room // Bottomless Pool") is None
    assert cat.by_name("bottomless pool").arena_id == 92105  # front face of the Room
    with pytest.raises(CardSourceError, match="no Raw_CardDatabase"):
        load_catalog([], arena_install_dir=tmp_path / "nowhere")
