"""Fixtures for the card tests: an Arena Raw_CardDatabase built in tmp with real cards' values, in both
localisation schemas (per-language `Localizations_enUS` after 2025-06, one `Localizations` table before)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

# Enum values: the LocIds are this test's own; the words are Arena's.
ENUMS = [
    ("Color", 1, "White"), ("Color", 2, "Blue"), ("Color", 3, "Black"), ("Color", 4, "Red"), ("Color", 5, "Green"),
    ("CardType", 2, "Creature"), ("CardType", 3, "Enchantment"), ("CardType", 5, "Land"),
    ("SuperType", 1, "Basic"), ("SuperType", 2, "Legendary"),
    ("SubType", 101, "Eye"), ("SubType", 102, "Room"), ("SubType", 103, "Human"), ("SubType", 104, "Wizard"),
    ("SubType", 105, "Insect"), ("SubType", 106, "Plains"),
]

# Real cards (DSK, MID): grpIds, costs, types, P/T and rules text as printed.
OCULUS_TEXT = [
    "As an additional cost to cast this spell, exile six cards from your graveyard.",
    "Flying",
    "At the beginning of each opponent's upkeep, manifest dread.",
]
CARDS = [
    # GrpId, title, set, rarity, token, primary, linked, cost, cmc, colors, types, subtypes, supers, P, T, abilities
    dict(GrpId=92104, Title="Abhorrent Oculus", ExpansionCode="DSK", Rarity=5, IsToken=0, IsPrimaryCard=1,
         LinkedFaceGrpIds="", OldSchoolManaText="o2oU", Cmc=3, Colors="2", ColorIdentity="2", Types="2",
         Subtypes="101", Supertypes="", Power="5", Toughness="5", Abilities=OCULUS_TEXT),
    dict(GrpId=92105, Title="Bottomless Pool /// Locker Room", ExpansionCode="DSK", Rarity=3, IsToken=0,
         IsPrimaryCard=1, LinkedFaceGrpIds="92106,92107", OldSchoolManaText="", Cmc=6, Colors="2", ColorIdentity="2",
         Types="3", Subtypes="102", Supertypes="", Power="", Toughness="", Abilities=[]),
    dict(GrpId=92106, Title="Bottomless Pool", ExpansionCode="DSK", Rarity=3, IsToken=0, IsPrimaryCard=0,
         LinkedFaceGrpIds="92105", OldSchoolManaText="oU", Cmc=1, Colors="2", ColorIdentity="2", Types="3",
         Subtypes="102", Supertypes="", Power="", Toughness="",
         Abilities=["When you unlock this door, return up to one target creature to its owner's hand."]),
    dict(GrpId=92107, Title="Locker Room", ExpansionCode="DSK", Rarity=3, IsToken=0, IsPrimaryCard=0,
         LinkedFaceGrpIds="92105", OldSchoolManaText="o4oU", Cmc=5, Colors="2", ColorIdentity="2", Types="3",
         Subtypes="102", Supertypes="", Power="", Toughness="",
         Abilities=["Whenever one or more creatures you control deal combat damage to a player, draw a card."]),
    dict(GrpId=92372, Title="Plains", ExpansionCode="DSK", Rarity=1, IsToken=0, IsPrimaryCard=1,
         LinkedFaceGrpIds="", OldSchoolManaText="", Cmc=0, Colors="", ColorIdentity="1", Types="5",
         Subtypes="106", Supertypes="1", Power="", Toughness="", Abilities=["({oT}: Add {oW}.)"]),
    dict(GrpId=78378, Title="Delver of Secrets", ExpansionCode="MID", Rarity=3, IsToken=0, IsPrimaryCard=1,
         LinkedFaceGrpIds="78379", OldSchoolManaText="oU", Cmc=1, Colors="2", ColorIdentity="2", Types="2",
         Subtypes="103,104", Supertypes="", Power="1", Toughness="1",
         Abilities=["At the beginning of your upkeep, look at the top card of your library. You may reveal that "
                    "card. If an instant or sorcery card is revealed this way, transform CARDNAME."]),
    dict(GrpId=78379, Title="Insectile Aberration", ExpansionCode="MID", Rarity=3, IsToken=0, IsPrimaryCard=0,
         LinkedFaceGrpIds="78378", OldSchoolManaText="", Cmc=0, Colors="2", ColorIdentity="2", Types="2",
         Subtypes="103,105", Supertypes="", Power="3", Toughness="2", Abilities=["Flying"]),
    # a token (never a draftable card) and a card whose title has no English text (skipped, not guessed)
    dict(GrpId=92400, Title="Everywhere", ExpansionCode="TDSK", Rarity=0, IsToken=1, IsPrimaryCard=1,
         LinkedFaceGrpIds="", OldSchoolManaText="", Cmc=0, Colors="", ColorIdentity="", Types="5", Subtypes="",
         Supertypes="", Power="", Toughness="", Abilities=[]),
    dict(GrpId=99999, Title=None, ExpansionCode="DSK", Rarity=2, IsToken=0, IsPrimaryCard=1, LinkedFaceGrpIds="",
         OldSchoolManaText="o1", Cmc=1, Colors="", ColorIdentity="", Types="", Subtypes="", Supertypes="",
         Power="", Toughness="", Abilities=[]),
]


def build_arena_db(path: Path, schema: str = "new", drop_columns: tuple[str, ...] = ()) -> Path:
    """Write an Arena-shaped card database. schema "new": Localizations_enUS(LocId, Formatted, Loc);
    "old": Localizations(LocId, Formatted, enUS, frFR). drop_columns: Cards columns left out."""
    con = sqlite3.connect(path)
    loc_rows: list[tuple[int, int, str]] = []
    next_loc = [1000]

    def new_loc(text: str, variants: bool = False) -> int:
        next_loc[0] += 1
        lid = next_loc[0]
        loc_rows.append((lid, 0, text))
        if variants:  # a second, formatted variant: the reader must take the smallest Formatted
            loc_rows.append((lid, 1, f"<b>{text}</b>"))
        return lid

    con.execute("CREATE TABLE Enums (Type TEXT, Value INTEGER, LocId INTEGER)")
    for t, v, word in ENUMS:
        con.execute("INSERT INTO Enums VALUES (?,?,?)", (t, v, new_loc(word)))
    con.execute("CREATE TABLE Abilities (Id INTEGER PRIMARY KEY, TextId INTEGER)")
    cols = ["GrpId", "TitleId", "ExpansionCode", "DigitalReleaseSet", "Rarity", "IsToken", "IsPrimaryCard",
            "LinkedFaceGrpIds", "LinkedFaceType", "OldSchoolManaText", "Cmc", "Colors", "ColorIdentity", "Types",
            "Subtypes", "Supertypes", "Power", "Toughness", "AbilityIds"]
    cols = [c for c in cols if c not in drop_columns]
    con.execute(f"CREATE TABLE Cards ({', '.join(cols)})")
    ability_id = 5000
    for i, card in enumerate(CARDS):
        refs = []
        for j, text in enumerate(card["Abilities"]):
            ability_id += 1
            tid = new_loc(text)
            con.execute("INSERT INTO Abilities VALUES (?,?)", (ability_id, tid))
            # both spellings seen in tools: "abilityId:textId" and a bare abilityId
            refs.append(f"{ability_id}:{tid}" if (i + j) % 2 else str(ability_id))
        row = dict(card, TitleId=new_loc(card["Title"], variants=(i == 0)) if card["Title"] else 0,
                   DigitalReleaseSet="", LinkedFaceType=0, AbilityIds=",".join(refs))
        con.execute(f"INSERT INTO Cards ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [row[c] for c in cols])
    if schema == "new":
        con.execute("CREATE TABLE Localizations_enUS (LocId INTEGER, Formatted INTEGER, Loc TEXT)")
        con.executemany("INSERT INTO Localizations_enUS VALUES (?,?,?)", loc_rows)
        con.execute("CREATE TABLE Localizations_frFR (LocId INTEGER, Formatted INTEGER, Loc TEXT)")
        con.executemany("INSERT INTO Localizations_frFR VALUES (?,?,?)", [(a, b, "fr:" + c) for a, b, c in loc_rows])
    else:
        con.execute("CREATE TABLE Localizations (LocId INTEGER, Formatted INTEGER, enUS TEXT, frFR TEXT)")
        con.executemany("INSERT INTO Localizations VALUES (?,?,?,?)", [(a, b, c, "fr:" + c) for a, b, c in loc_rows])
    con.execute("CREATE TABLE Versions (Type TEXT, Version TEXT)")
    con.commit()
    con.close()
    return path


@pytest.fixture
def arena_db_factory(tmp_path):
    def make(schema: str = "new", drop_columns: tuple[str, ...] = (), name: str | None = None) -> Path:
        p = tmp_path / (name or f"Raw_CardDatabase_{schema}0123abcd.mtga")
        return build_arena_db(p, schema, drop_columns)
    return make
