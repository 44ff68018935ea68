import json

import pytest

from copilot.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))


def test_show_by_id_and_name_from_an_arena_db(arena_db_factory, capsys):
    db = arena_db_factory("old")
    assert main(["cards", "show", "92104", "--only", "--cards", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Abhorrent Oculus   {2}{U}" in out and "5/5" in out and "manifest dread" in out
    assert main(["cards", "show", "locker", "room", "--only", "--cards", str(db)]) == 1  # a door, not a card
    assert main(["cards", "show", "Bottomless", "Pool", "--json", "--only", "--cards", str(db)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["arena_id"] == 92105 and d["name"] == "Bottomless Pool // Locker Room" and d["sources"]


def test_unknown_card_and_bad_file_messages(arena_db_factory, tmp_path, capsys):
    db = arena_db_factory("new")
    assert main(["cards", "show", "424242", "--only", "--cards", str(db)]) == 1
    assert "424242 is not in the catalog" in capsys.readouterr().err
    bad = tmp_path / "junk.csv"
    bad.write_text("not,a,card,file\n")
    assert main(["cards", "sets", "--only", "--cards", str(bad)]) == 2
    assert "junk.csv: not a card file" in capsys.readouterr().err


def test_sets_list_and_check(arena_db_factory, tmp_path, capsys):
    db = arena_db_factory("new")
    assert main(["cards", "sets", "--only", "--cards", str(db)]) == 0
    out = capsys.readouterr().out
    assert "DSK" in out and "MID" in out
    assert main(["cards", "list", "dsk", "--only", "--cards", str(db)]) == 0
    assert "Abhorrent Oculus" in capsys.readouterr().out
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.txt").write_text("hello")
    assert main(["cards", "check", str(db), str(tmp_path / "dir")]) == 1
    out = capsys.readouterr().out
    assert "arena_db, 4 cards" in out and "x.txt: not a card file" in out
