from copilot.cards.mana import arena_mana_text, cost_colors, mana_value, symbols


def test_arena_old_school_mana_text():
    assert arena_mana_text("o2oWoW") == "{2}{W}{W}"
    assert arena_mana_text("oXoXo2oW") == "{X}{X}{2}{W}"  # Another Round (OTJ)
    assert arena_mana_text("o1oU") == "{1}{U}"
    assert arena_mana_text("") is None and arena_mana_text(None) is None


def test_hybrid_phyrexian_and_twobrid_spellings():
    assert arena_mana_text("o(W/U)o(W/U)") == "{W/U}{W/U}"
    assert arena_mana_text("oWUoWU") == "{W/U}{W/U}"
    assert arena_mana_text("o1oWP") == "{1}{W/P}"
    assert arena_mana_text("o2W") == "{2/W}"
    assert arena_mana_text("oGUP") == "{G/U/P}"
    assert arena_mana_text("{1}{w/p}") == "{1}{W/P}"


def test_mana_value():
    assert mana_value("{2}{W}{W}") == 4
    assert mana_value("{X}{X}{2}{W}") == 3
    assert mana_value("{W/U}{W/U}") == 2
    assert mana_value("{2/W}{2/W}{2/W}") == 6
    assert mana_value("{1}{W/P}") == 2
    assert mana_value("{10}") == 10
    assert mana_value("o3oBoB") == 5
    assert mana_value("") is None and mana_value(None) is None


def test_symbols_and_colors():
    assert symbols("{1}{G/U/P}{C}") == ["1", "G/U/P", "C"]
    assert cost_colors("{1}{W/U}{B}") == ("W", "U", "B")
    assert cost_colors("{3}{C}") == ()
