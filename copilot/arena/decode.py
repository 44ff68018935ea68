"""Decoding the JSON inside log entries, for every era.

* JSON nested in strings, 2-3 levels deep: ``{"id","request":"<JSON string>"}``; 2021-early 2024 requests wrap
  the payload once more as ``{"Type":<n>,"TransId":"<uuid>","Payload":"<JSON string>"}``; BotDraft response
  bodies carry ``"Payload":"<JSON string>"``; 2020 pushes carry ``"payload":"<JSON string>"``.
* 2020 JSON-RPC requests: the request string is pretty-printed ``{"jsonrpc":"2.0","method","params":{...}}`` with
  string-valued numbers; the payload is ``params``.
* Method names: ``Event_Join`` (2021-2025), ``EventJoin`` (2025+), ``Event.Join`` (<=2021) all canonicalise to
  ``EventJoin``; a trailing version (``EventSetDeckV3``, ``Event.GetPlayerCoursesV2``) is dropped.

Helpers here never raise on wrong types: they return None (or skip the bad element) instead.
"""
from __future__ import annotations

import json
import re
from typing import Any

MAX_NESTING = 4
_VERSION_SUFFIX = re.compile(r"V\d+$")


class DecodeError(ValueError):
    """The text is not the JSON the entry promises."""


def canonical_method(name: str) -> str:
    """'Event_SetDeck' / 'EventSetDeckV3' / 'Event.DeckSubmitV3' -> 'EventSetDeck' / 'EventSetDeck' /
    'EventDeckSubmit'."""
    return _VERSION_SUFFIX.sub("", name.replace("_", "").replace(".", ""))


def loads_nested(text: Any, max_depth: int = MAX_NESTING) -> Any:
    """json.loads, then keep decoding while the value is a string that holds JSON (up to `max_depth` levels)."""
    obj = text
    if isinstance(obj, (bytes, bytearray)):
        obj = obj.decode("utf-8", "replace")
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(str(exc)[:200]) from None
    depth = 0
    while isinstance(obj, str) and depth < max_depth:
        s = obj.strip()
        if not s or s[0] not in '{["':
            break
        try:
            obj = json.loads(s)
        except (ValueError, RecursionError):
            break
        depth += 1
    return obj


def unwrap(obj: Any) -> Any:
    """Decode a value that may be a JSON string (a ``Payload``/``payload``/``request`` field)."""
    if isinstance(obj, str):
        try:
            return loads_nested(obj)
        except DecodeError:
            return obj
    return obj


def request_payload(text: str) -> Any:
    """The payload of a ``==> Method {...}`` request line, whatever the era.

    Raises DecodeError when the outer JSON is broken."""
    return request_parts(text)[1]


def request_parts(text: str) -> tuple[str | None, Any]:
    """(request id as text or None, payload) of a ``==> Method {...}`` request line."""
    outer = loads_nested(text, max_depth=0)
    if not isinstance(outer, dict):
        raise DecodeError("request is not a JSON object")
    rid = outer.get("id")
    rid = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else None
    req = outer.get("request", outer.get("Request"))
    if req is None:
        return rid, {k: v for k, v in outer.items() if k != "id"}  # no wrapper: the object is the payload
    req = unwrap(req)
    for _ in range(MAX_NESTING):
        if isinstance(req, dict) and "Payload" in req and ("TransId" in req or "Type" in req):
            req = unwrap(req["Payload"])  # 2021-2024 {"Type","TransId","Payload"}
            continue
        if isinstance(req, dict) and "params" in req and ("jsonrpc" in req or "method" in req):
            req = unwrap(req["params"])  # 2020 JSON-RPC
            continue
        break
    return rid, req


def response_payload(text: str) -> Any:
    """The body of a response: a JSON value (unwrapped from 2020 ``{"id","payload"}``), or the bare word."""
    body = text.strip()
    if not body or body[0] not in '{["':
        return body  # "Success" and other bare words
    obj = loads_nested(body, max_depth=1)
    if isinstance(obj, dict) and "payload" in obj and "id" in obj and len(obj) <= 3:
        return unwrap(obj["payload"])  # 2020 one-line response / push
    return obj


_DECODER = json.JSONDecoder()


def string_field_fast(text: str, key: str) -> Any:
    """Decode only the JSON string value of top-level-looking ``"key":"..."`` in `text` (and the JSON inside it),
    without parsing the rest of the document (BotDraft bodies carry an ~80 KB inventory blob after the payload).
    Returns None when the key is not found as a string value; the caller then decodes the whole body."""
    marker = f'"{key}":"'
    i = text.find(marker)
    if i < 0 or not text.lstrip().startswith("{"):
        return None
    try:
        value, _ = _DECODER.raw_decode(text, i + len(marker) - 1)
    except (ValueError, RecursionError):
        return None
    return unwrap(value) if isinstance(value, str) else None


# -- tolerant field access ----------------------------------------------------------------------------------------

def get(d: Any, *names: str, default: Any = None) -> Any:
    """First present key among `names`, tried exactly and then case-insensitively; `default` when none or not a
    dict. (Older logs use lower-case keys: ``draftPack``, ``eventName``.)"""
    if not isinstance(d, dict):
        return default
    for n in names:
        if n in d:
            return d[n]
    lower = None
    for n in names:
        if lower is None:
            lower = {str(k).lower(): k for k in d}
        k = lower.get(n.lower())
        if k is not None:
            return d[k]
    return default


def as_int(v: Any) -> int | None:
    """123, '123', 123.0 -> 123; anything else (bool, None, 'abc', 1.5, huge) -> None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if -(2 ** 53) < v < 2 ** 53 else None
    if isinstance(v, float):
        return int(v) if v.is_integer() and abs(v) < 2 ** 53 else None
    if isinstance(v, str):
        s = v.strip()
        if s and (s.isdigit() or (s[0] == "-" and s[1:].isdigit())) and len(s) < 16:
            return int(s)
    return None


def as_str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def as_ids(v: Any) -> list[int] | None:
    """grpIds from an int list, a string list, or one comma-separated string ('1,2,3'). Invalid elements are
    dropped; None when `v` is not a list/str. Ids must be positive."""
    if isinstance(v, str):
        parts = [p for p in v.split(",") if p.strip()]
    elif isinstance(v, (list, tuple)):
        parts = v
    else:
        return None
    out = []
    for p in parts:
        i = as_int(p)
        if i is not None and i > 0:
            out.append(i)
    return out


def deck_counts(v: Any) -> list[int] | None:
    """A deck section -> one grpId per copy.

    Accepts ``[{"cardId":1,"quantity":2}, ...]`` (2021+) and the 2020 flat alternating ``[id, count, id, count]``.
    Zero counts are dropped. None when `v` is not a list."""
    if not isinstance(v, list):
        return None
    out: list[int] = []
    if v and all(isinstance(x, dict) for x in v):
        for x in v:
            cid = as_int(get(x, "cardId", "CardId", "grpId", "Id"))
            qty = as_int(get(x, "quantity", "Quantity", "count"))
            if cid is not None and cid > 0 and qty is not None and 0 < qty <= 250:
                out.extend([cid] * qty)
        return out
    nums = [as_int(x) for x in v]
    for i in range(0, len(nums) - 1, 2):
        cid, qty = nums[i], nums[i + 1]
        if cid is not None and cid > 0 and qty is not None and 0 < qty <= 250:
            out.extend([cid] * qty)
    return out
