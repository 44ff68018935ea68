"""Map a chat model's free-text answer onto one card name of the pack, honestly.

The steps go from strict to loose and stop at the first that gives exactly one card:
exact; case/punctuation-insensitive; the first non-empty line; a quoted or bold name; the front face of
"A // B"; the longest pack name contained in the answer; a close fuzzy match (difflib, high cutoff) of the first
line. Anything ambiguous or far returns None: the caller shows an error instead of guessing.
"""
from __future__ import annotations

import difflib
import re
from typing import Iterable

from copilot.cards.model import front_face, name_key

FUZZY_CUTOFF = 0.85
_VERB = r"\b(?:pick|take|choose|draft|go with|go for|recommend|select|answer is|pick is|choice is)\s+"

_PREFIXES = re.compile(
    r"^\s*(?:(?:my\s+)?(?:final\s+)?(?:answer|pick|choice|recommendation)\s*(?:is)?\s*[:\-]?|"
    r"i\s+(?:would|will|'d)\s+(?:pick|take|choose|draft)|(?:pick|take|choose|draft)\s*:?)\s*",
    re.IGNORECASE)
_QUOTED = re.compile(r"\*\*(.+?)\*\*|\"(.+?)\"|“(.+?)”|`(.+?)`|'([^']{3,}?)'(?!\w)|\[\[(.+?)\]\]")


def _keys(names: Iterable[str]) -> dict[str, list[str]]:
    """name_key -> names (full name and front face both index the card)."""
    out: dict[str, list[str]] = {}
    for n in names:
        for k in {name_key(n), name_key(front_face(n))}:
            if k and n not in out.setdefault(k, []):
                out[k].append(n)
    return out


def _lookup(text: str, keys: dict[str, list[str]]) -> str | None:
    hits = keys.get(name_key(text))
    if hits and len(hits) == 1:
        return hits[0]
    return None


def _clean(line: str) -> str:
    line = line.strip().strip("*_#>-•").strip()
    line = re.sub(r"^\d+[.)]\s*", "", line)
    line = _PREFIXES.sub("", line, count=1)
    return line.strip().strip(" .!*_\"'`“”").strip()


def match_answer(text: str | None, names: Iterable[str]) -> str | None:
    """The pack name `text` designates, or None when no single card is clearly named."""
    names = list(dict.fromkeys(n for n in names if n))
    if not text or not names:
        return None
    text = str(text)
    keys = _keys(names)
    # 1-2. exact, then case/punctuation-insensitive (full name or front face)
    if text.strip() in names:
        return text.strip()
    if (hit := _lookup(text, keys)) is not None:
        return hit
    lines = [ln for ln in text.splitlines() if ln.strip()]
    first = _clean(lines[0]) if lines else ""
    # 3. the first line, without list markers and "Answer:" prefixes
    if first and (hit := _lookup(first, keys)) is not None:
        return hit
    # 4. quoted / bold / [[bracketed]] names, first one that is a pack card
    for m in _QUOTED.finditer(text):
        quoted = next(g for g in m.groups() if g)
        if (hit := _lookup(_clean(quoted), keys)) is not None:
            return hit
    # 5-6. pack names (full or front face) contained in the answer, as whole words; the longest wins,
    # and it must be unique (two different cards of equal length named = ambiguous)
    norm = " " + _norm_words(text) + " "
    found: dict[str, int] = {}
    for n in names:
        for variant in {n, front_face(n)}:
            v = _norm_words(variant)
            if v and f" {v} " in norm:
                found[n] = max(found.get(n, 0), len(v))
    if found:
        # drop names only contained in a longer found name ("Shock" inside "Shocking Grasp")
        words = {n: _norm_words(n) for n in found}
        fronts = {n: _norm_words(front_face(n)) for n in found}
        top = [n for n in found
               if not any(m != n and (f" {fronts[n]} " in f" {words[m]} " or f" {fronts[n]} " in f" {fronts[m]} ")
                          and len(fronts[m]) > len(fronts[n]) for m in found)]
        if len(top) == 1:
            return top[0]
        # several cards named: the one right after a picking verb, if exactly one is
        chosen = [n for n in top if re.search(_VERB + r"(?:the\s+)?" + re.escape(fronts[n]) + r"\b", norm)]
        if len(chosen) == 1:
            return chosen[0]
        return None
    # 7. a close fuzzy match of the first line (typos, missing apostrophes)
    if first:
        cand = {name_key(n): n for n in names}
        cand.update({name_key(front_face(n)): n for n in names})
        close = difflib.get_close_matches(name_key(first), list(cand), n=2, cutoff=FUZZY_CUTOFF)
        if close:
            picks = {cand[c] for c in close}
            if len(picks) == 1 or (len(close) >= 1 and _ratio(name_key(first), close[0]) >= 0.97):
                return cand[close[0]]
    return None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _norm_words(s: str) -> str:
    s = s.casefold().replace("’", "'")
    s = re.sub(r"[^\w/ ]+", " ", s.replace("'", ""))
    return " ".join(s.split())
