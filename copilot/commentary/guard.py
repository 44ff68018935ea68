"""Keep the commentary consistent with the pick: find sentences that argue for a different pack card.

The commentary model is told to explain the chosen card and never recommend another, but small or chatty models
do anyway ("Honestly, pick X instead."). `SentenceGuard` receives the streamed text, cuts it into sentences, and
drops a sentence when it recommends another card of the pack; mentioning another card in a comparison that favours
the pick ("better than X", "over X") is allowed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from copilot.cards.model import front_face

_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_VERBS = r"(?:pick(?:ing|ed)?|tak(?:e|ing)|took|draft(?:ing|ed)?|choos(?:e|ing)|chose|grab(?:bing)?|go(?:ing)? with|" \
         r"consider(?:ing)?|prefer(?:ring)?|recommend(?:ing)?|suggest(?:ing)?|slam(?:ming)?|snap(?:ping)?)"


def _name_alts(name: str) -> str:
    alts = {name, front_face(name)}
    return "(?:" + "|".join(re.escape(a) for a in sorted(alts, key=len, reverse=True)) + ")"


def _patterns(other: str, chosen: str) -> list[re.Pattern]:
    x, c = _name_alts(other), _name_alts(chosen)
    flags = re.IGNORECASE
    return [
        re.compile(rf"\b{_VERBS}\s+(?:the\s+|a\s+|an\s+)?{x}(?!\w)(?!\s*(?:is|was)\s+(?:worse|weaker))", flags),
        re.compile(rf"{x}(?:\W+\w+){{0,3}}?\s+instead\b", flags),
        re.compile(rf"\binstead\b[^.!?\n]*?(?<!than )\b{x}(?!\w)", flags),
        re.compile(rf"{x}\s+(?:would|will|could|might|may)\s+(?:be|have been)\s+(?:a\s+|an\s+|the\s+)?"
                   rf"(?:much\s+|even\s+|slightly\s+)?(?:better|stronger|best|right|correct|superior)", flags),
        re.compile(rf"{x}\s+(?:is|was|seems|looks)\s+(?:a\s+|the\s+)?(?:much\s+|clearly\s+|slightly\s+)?"
                   rf"(?:better|stronger|the best|superior|the right|the correct)(?:\s+(?:pick|choice|card))?"
                   rf"(?!\s+than)", flags),
        re.compile(rf"\b(?:better|best|right|correct|stronger)\s+(?:pick|choice|option|card)\s+(?:here\s+)?"
                   rf"(?:is|would be|was)\s+(?:the\s+)?{x}(?!\w)", flags),
        re.compile(rf"{x}\s+over\s+(?:the\s+)?{c}(?!\w)", flags),
        re.compile(rf"\brather\s+(?:than\s+{c}\s*,?\s*)?(?:have|take|pick|draft|play)?\s*(?:the\s+)?{x}(?!\w)", flags),
    ]


def recommends_other(sentence: str, chosen: str, others: list[str]) -> str | None:
    """The other pack card `sentence` recommends instead of `chosen`, or None."""
    low = sentence.casefold()
    mine = {chosen.casefold(), front_face(chosen).casefold()}
    for other in others:
        if other.casefold() in mine or front_face(other).casefold() in mine:
            continue
        if front_face(other).casefold() not in low and other.casefold() not in low:
            continue
        for pat in _patterns(other, chosen):
            if pat.search(sentence):
                return other
    return None


@dataclass
class SentenceGuard:
    chosen: str
    others: list[str]
    buffer: str = ""
    removed: list[tuple[str, str]] = field(default_factory=list)  # (sentence, card it argued for)

    def __post_init__(self):
        cf = front_face(self.chosen).casefold()
        # cards whose name contains the chosen name or is contained in it would confuse the checks
        self.others = [o for o in dict.fromkeys(self.others)
                       if o != self.chosen and front_face(o).casefold() not in cf]

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the complete sentences (with their trailing space) that may be shown."""
        self.buffer += text
        out = []
        while True:
            m = _END.search(self.buffer)
            if not m:
                break
            sentence, self.buffer = self.buffer[:m.end()], self.buffer[m.end():]
            out.extend(self._check(sentence))
        return out

    def flush(self) -> list[str]:
        rest, self.buffer = self.buffer, ""
        return self._check(rest) if rest.strip() else []

    def _check(self, sentence: str) -> list[str]:
        other = recommends_other(sentence, self.chosen, self.others)
        if other is not None:
            self.removed.append((sentence.strip(), other))
            return []
        return [sentence]
