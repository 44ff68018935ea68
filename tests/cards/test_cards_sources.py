"""Each source on the real shared files (skipped when ../shared is absent)."""
import gzip
import json

import pytest

from copilot.cards.sources import CardSourceError, detect_kind, json_kind, load_file


@pytest.fixture(scope="module")
def cards_dir(shared_data):
    return shared_data / "cards"


def _named(cards, name):
    hits = [c for c in cards if c.name == name]
    assert hits, f"{name} not read"
    return hits


def test_17lands_cards_csv(cards_dir):
    kind, cards = load_file(cards_dir / "17lands_cards.csv.gz")
    assert kind == "17lands_csv" and len(cards) == 25568
    oculus = {c.arena_id: c for c in cards}[92104]
    assert (oculus.name, oculus.set_code, oculus.rarity) == ("Abhorrent Oculus", "DSK", "mythic")
    assert oculus.color_identity == ("U",) and oculus.type_line == "Creature - Eye" and oculus.mana_value == 3
    assert oculus.is_booster is True and oculus.text is None and oculus.mana_cost is None  # nothing invented
    room = {c.arena_id: c for c in cards}[92105]
    assert room.name == "Bottomless Pool // Locker Room" and room.is_booster is True
    assert {c.arena_id: c for c in cards}[92106].is_booster is False  # the door face row


def test_mtgjson_set_file(cards_dir):
    kind, cards = load_file(cards_dir / "OTJ.mtgjson-5.2.2.json.gz")
    assert kind == "mtgjson"
    show_off = [c for c in _named(cards, "Slickshot Show-Off") if c.arena_id == 90492][0]
    assert show_off.set_code == "OTJ" and show_off.mana_cost == "{1}{R}" and show_off.rarity == "rare"
    assert (show_off.power, show_off.toughness) == ("1", "2")
    assert show_off.text.startswith("Flying, haste\n") and show_off.type_line == "Creature - Bird Wizard"
    assert sum(c.arena_id is not None for c in cards) == 286


def test_scryfall_cache(cards_dir):
    kind, cards = load_file(cards_dir / "scryfall_cache" / "BLB_cards.json.gz")
    assert kind == "scryfall_cache"
    agate = _named(cards, "Agate Assault")[0]
    assert agate.arena_id == 91658 and agate.set_code == "BLB" and agate.mana_cost == "{2}{R}"
    assert agate.text.startswith("Choose one —\n• Agate Assault deals 4 damage")
    alchemy = _named(cards, "A-Heartfire Hero")[0]
    assert alchemy.arena_id is None  # blank in the cache: not guessed


def test_ratings_set_file(shared_data):
    ratings = shared_data / "ratings" / "mtga_draft_17lands_format"
    kind, cards = load_file(ratings / "BLB_PremierDraft_All_Data.json.gz")
    assert kind == "ratings"
    banishing = {c.arena_id: c for c in cards}[91537]
    assert banishing.name == "Banishing Light" and banishing.mana_cost == "{2}{W}" and banishing.rarity == "common"
    assert banishing.text.startswith("When this enchantment enters, exile target nonland permanent")
    assert banishing.set_code is None  # the file stamps every reprint with BLB, so its `set` is not trusted


def test_ratings_file_split_name_normalised(shared_data):
    ratings = shared_data / "ratings" / "mtga_draft_17lands_format"
    kind, cards = load_file(ratings / "OTJ_PremierDraft_Data_2024-05-11.json.gz")
    by_id = {c.arena_id: c for c in cards}
    assert by_id[90737].name == "Crime // Punishment"  # Arena's "Crime /// Punishment"
    assert 91504 not in by_id  # Wild Goose Chase: the adventure half (isprimarycard 0)


def test_flattened_arena_json(cards_dir):
    kind, cards = load_file(cards_dir / "arena_card_data_2024-05-11.json.gz")
    assert kind == "arena_json"
    another = {c.arena_id: c for c in cards}[90347]
    assert (another.name, another.set_code, another.mana_cost) == ("Another Round", "OTJ", "{X}{X}{2}{W}")
    assert another.type_line == "Sorcery" and another.text is None
    by_id = {c.arena_id: c for c in cards}
    # Arena's own set keys, spelled as 17lands/Scryfall do: DAR -> DOM, Alchemy "Y24-OTJ" -> Y24
    assert by_id[67106].set_code == "DOM" and by_id[91492].set_code == "Y24"


def test_detection_by_content_not_name(tmp_path, cards_dir):
    # a gzip JSON file without any telling name
    blob = gzip.decompress((cards_dir / "scryfall_cache" / "TMT_cards.json.gz").read_bytes())
    odd = tmp_path / "download.bin"
    odd.write_bytes(gzip.compress(blob))
    assert detect_kind(odd) == "json"
    assert json_kind(json.loads(blob)) == "scryfall_cache"
    kind, cards = load_file(odd)
    assert kind == "scryfall_cache" and len(cards) == 195 and cards[0].set_code is None  # no set in this name


def test_unknown_json_and_text_are_rejected_with_the_file_name(tmp_path):
    j = tmp_path / "weights.json"
    j.write_text('{"lr": 0.001}')
    with pytest.raises(CardSourceError, match="weights.json: JSON, but not a card format"):
        load_file(j)
    t = tmp_path / "notes.csv"
    t.write_text("a,b\n1,2\n")
    with pytest.raises(CardSourceError, match="notes.csv: not a card file"):
        load_file(t)
    g = tmp_path / "broken.json.gz"
    g.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(CardSourceError, match="broken.json.gz"):
        load_file(g)
    e = tmp_path / "empty.csv"
    e.write_text("")
    with pytest.raises(CardSourceError, match="empty.csv: empty file"):
        load_file(e)
    bad_json = tmp_path / "cut.json"
    bad_json.write_text('[{"name": "Delver of Secrets", ')
    with pytest.raises(CardSourceError, match="cut.json: not valid JSON"):
        load_file(bad_json)
