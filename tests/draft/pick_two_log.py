"""A Pick-Two draft log built from the format notes (shared/docs/arena-log-format.md §5.2-5.3): 2026 method names,
`EventJoin` of a `PickTwoDraft_*` event, `Draft.Notify` packs and `EventPlayerDraftMakePick` with two `GrpIds`.
The packs are real DSK packs from `premier-draft-2026-DSK-grepped.log` (no real Pick-Two log of a set with card
data exists here)."""
from __future__ import annotations

import json
import re

P = "[UnityCrossThreadLogger]"
EVENT = "PickTwoDraft_DSK_20260901"
DRAFT_ID = "7d7c1c1e-5b8e-4c1a-9a53-000000000002"


def real_packs(dsk_log_text: str, n: int) -> list[list[int]]:
    """The first `n` distinct packs shown in a real 2026 DSK log."""
    packs: list[list[int]] = []
    for m in re.finditer(r'"PackCards":"([0-9,]+)"', dsk_log_text):
        cards = [int(x) for x in m.group(1).split(",")]
        if not packs or packs[-1] != cards:
            packs.append(cards)
        if len(packs) == n:
            break
    return packs


def join_line() -> str:
    request = json.dumps({"EventName": EVENT, "EntryCurrencyType": "Gem", "EntryCurrencyPaid": 750,
                          "CustomTokenId": None, "EventChoice": ""})
    return P + "==> EventJoin " + json.dumps({"id": "join-1", "request": request})


def notify_line(pack: int, pick: int, cards: list[int]) -> str:
    return P + "Draft.Notify " + json.dumps({"draftId": DRAFT_ID, "SelfPick": pick, "SelfPack": pack,
                                             "PackCards": ",".join(map(str, cards))}, separators=(",", ":"))


def pick_line(pack: int, pick: int, grp_ids: list[int]) -> str:
    request = json.dumps({"DraftId": DRAFT_ID, "GrpIds": grp_ids, "Pack": pack, "Pick": pick})
    return P + "==> EventPlayerDraftMakePick " + json.dumps({"id": f"pick-{pack}-{pick}", "request": request})


def pick_two_lines(dsk_log_text: str) -> list[str]:
    """Join, pack 1 pick 1 (14 cards), a two-card pick, then pack 1 pick 2 waiting (12 cards)."""
    first, second = real_packs(dsk_log_text, 2)
    lines = [join_line(), notify_line(1, 1, first), pick_line(1, 1, first[:2]), notify_line(1, 2, second[:12])]
    return [line + "\n" for line in lines]
