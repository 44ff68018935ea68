"""Mana costs: Arena's ``OldSchoolManaText`` ("o2oWoW") to "{2}{W}{W}", symbol lists, and mana value.

Symbols handled: generic numbers, W U B R G C S, X/Y/Z (count 0), hybrid "{W/U}", two-brid "{2/W}" (counts 2),
Phyrexian "{W/P}" and hybrid Phyrexian "{G/U/P}" (count 1). Arena writes hybrid chunks with or without
parentheses and slashes ("o(W/U)", "oWU", "oWP"); all are normalised to the "{W/U}" / "{W/P}" form.
"""
from __future__ import annotations

import re

_COLOR_SYMBOLS = set("WUBRGCS")
_VARIABLE = set("XYZ")
_BRACED = re.compile(r"\{([^{}]+)\}")


def _normalize_symbol(chunk: str) -> str:
    """One Arena/Scryfall symbol body -> canonical body ('WU' -> 'W/U', 'w/p' -> 'W/P', '2W' -> '2/W')."""
    s = chunk.strip().strip("()").upper().replace(" ", "")
    if not s:
        return s
    if "/" in s or s.isdigit() or len(s) == 1:
        return s
    # Undelimited multi-letter chunk: 'WU' hybrid, 'WP' Phyrexian, '2W' two-brid, 'GUP' hybrid Phyrexian.
    m = re.fullmatch(r"(\d+)([WUBRGC])", s)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    if all(c in _COLOR_SYMBOLS | {"P"} for c in s):
        return "/".join(s)
    return s


def arena_mana_text(text: str | None) -> str | None:
    """Arena OldSchoolManaText -> "{2}{W}{W}". '' or None -> None (no cost, e.g. lands)."""
    if not text:
        return None
    body = text.strip()
    if not body:
        return None
    if "{" in body:  # already braced
        return "".join("{" + _normalize_symbol(s) + "}" for s in _BRACED.findall(body)) or None
    if body.startswith("o"):
        body = body[1:]
    chunks = [c for c in body.split("o") if c]
    if not chunks:
        return None
    return "".join("{" + _normalize_symbol(c) + "}" for c in chunks)


def symbols(cost: str | None) -> list[str]:
    """"{2}{W}{W}" -> ['2', 'W', 'W']; also accepts Arena's "o2oWoW"."""
    if not cost:
        return []
    if "{" not in cost:
        cost = arena_mana_text(cost) or ""
    return [_normalize_symbol(s) for s in _BRACED.findall(cost)]


def symbol_value(sym: str) -> float:
    s = _normalize_symbol(sym)
    if s.isdigit():
        return float(int(s))
    if s in _VARIABLE:
        return 0.0
    if s == "½" or s.startswith("H"):  # half mana (Un-sets)
        return 0.5
    parts = s.split("/")
    if len(parts) > 1:
        # two-brid {2/W}: the larger alternative counts; {W/U}, {W/P}, {G/U/P}: 1
        return max((float(p) if p.isdigit() else 1.0) for p in parts if p != "P") if any(
            p != "P" for p in parts) else 1.0
    return 1.0


def mana_value(cost: str | None) -> float | None:
    """Mana value of a cost ("{X}{2}{R}" -> 3.0). None when there is no cost to read (no invention)."""
    syms = symbols(cost)
    if not syms:
        return None
    return float(sum(symbol_value(s) for s in syms))


def cost_colors(cost: str | None) -> tuple[str, ...]:
    """Colours appearing in a cost, WUBRG order ("{1}{W/U}" -> ('W', 'U'))."""
    letters = set()
    for s in symbols(cost):
        letters.update(c for c in s.split("/") if c in "WUBRG")
    return tuple(c for c in "WUBRG" if c in letters)
