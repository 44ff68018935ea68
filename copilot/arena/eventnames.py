"""Arena internal event names -> (set code, format).

Common shape: ``<Format>_<SET>_<YYYYMMDD>`` (``PremierDraft_ECL_20260120``). Irregular names exist
(arena-log-format.md §6): ``MWM_DMU_BotDraft_20220906`` (set second, format third),
``ArenaDirect_OTJ_Sealed_20240726``, ``ArenaOpen_Day2_DraftOne_20240623`` (no set), ``CubeDraft_Powered_20251028``
(a cube: no single set), ``MWM_OmniscienceDraft_20251223`` (no set).

Rules, in order:
1. The set is the first token (after splitting on ``_``) that is a known set code (`KNOWN_SETS`). Because a cube
   or special event draws from many sets, no guess is made from other tokens, except:
2. a name of the common shape ``<known format>_<TOKEN>_<8 digits>`` whose TOKEN is 2-5 upper-case letters/digits
   is taken as a set code the list does not know yet (a new set released after this code was written).
3. The format is the first token that is a known format (`FORMATS`), else the first token containing "Draft" or
   "Sealed" (``DraftOne``, ``OmniscienceDraft``). Anything else (``Ladder``, ``Play``, ``Jump_In``) has no format
   and is not a limited event.

When the set is None the caller infers it from the cards (the catalog's set of the pool's grpIds).
"""
from __future__ import annotations

import re

# Set codes of paper and digital sets that can appear in Arena event names or 17lands data (upper case).
KNOWN_SETS: frozenset[str] = frozenset("""
XLN RIX DOM M19 GRN RNA WAR M20 ELD THB IKO M21 JMP AKR ZNR KLR KHM STX STA AFR MID VOW DBL NEO SNC HBG DMU BRO
ONE MOM MAT WOE LCI MKM OTJ OTP BIG BLB DSK FDN DFT TDM FIN EOE SPM TLA ECL TMT SOS EOS
J21 J22 J25 Y22 Y23 Y24 Y25 Y26 SIR PIO KTK MH1 MH2 MH3 LTR WHO CMM CLB 2X2 2XM TSR MMA IMA A25 UMA VMA EMA
RTR GTC DGM THS BNG JOU M14 M15 ORI BFZ OGW SOI EMN KLD AER AKH HOU ISD DKA AVR ZEN WWK ROE SOM MBS NPH
M10 M11 M12 M13 ALA CON ARB LRW MOR SHM EVE TSP PLC FUT CSP ICE RAV GPT DIS CHK BOK SOK MRD DST 5DN
ONS LGN SCG ODY TOR JUD INV PLS APC MMQ NEM PCY USG ULG UDS TMP STH EXO MIR VIS WTH DMR INR RVR SPG
CUBE ANA ANB ARENASUP
""".split())

# Format tokens seen or reported (arena-log-format.md §6), longest first is not needed: tokens are matched whole.
FORMATS: frozenset[str] = frozenset("""
PremierDraft QuickDraft TradDraft Sealed TradSealed PickTwoDraft PickTwoTradDraft PickTwoQuickDraft BotDraft
CompDraft ContenderDraft CubeDraft ArenaDirectSealed DirectGameSealed QualifierPlayInDraft
""".split())

_COMMON_SHAPE = re.compile(r"^([A-Za-z]+)_([A-Z0-9]{2,5})_(\d{8})$")


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[_\s]+", name.strip()) if t]


def set_code_of(name: str | None) -> str | None:
    """The set code in an event name, or None (cube, special event, unknown shape)."""
    if not name or not isinstance(name, str):
        return None
    for tok in _tokens(name):
        if tok in KNOWN_SETS:
            return tok
    m = _COMMON_SHAPE.match(name.strip())
    if m and m.group(1) in FORMATS:
        return m.group(2)
    return None


def format_of(name: str | None) -> str | None:
    """The format token of an event name ('PremierDraft', 'Sealed', 'DraftOne', ...), or None (not limited)."""
    if not name or not isinstance(name, str):
        return None
    toks = _tokens(name)
    for tok in toks:
        if tok in FORMATS:
            return tok
    lower = {t.lower(): t for t in toks}
    for low, tok in lower.items():
        for f in FORMATS:
            if f.lower() == low:
                return f
    for tok in toks:
        if "draft" in tok.lower() or "sealed" in tok.lower():
            return tok
    return None


def parse_event_name(name: str | None) -> tuple[str | None, str | None]:
    """'PremierDraft_ECL_20260120' -> ('ECL', 'PremierDraft'); 'Ladder' -> (None, None)."""
    return set_code_of(name), format_of(name)


def is_limited(name: str | None) -> bool:
    """True for drafts and sealed events (the events the copilot tracks)."""
    return format_of(name) is not None


def is_sealed(name: str | None) -> bool:
    fmt = format_of(name)
    return bool(fmt) and "sealed" in fmt.lower()


def is_bot_draft(name: str | None) -> bool:
    """Quick Draft and bot drafts: the P1P1 pack is always logged, bots fill the pod."""
    fmt = (format_of(name) or "").lower()
    return "quick" in fmt or "bot" in fmt


def is_pick_two(name: str | None) -> bool:
    return "picktwo" in (format_of(name) or "").lower()
