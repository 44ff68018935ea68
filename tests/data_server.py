"""A real HTTP server on 127.0.0.1 that answers like 17lands, its public-data bucket and Scryfall, with bodies built
from the real files in shared/data, and with faults injected on request.

Routes (under one ephemeral port):
- ``/17lands/api/card_data?expansion=SET&event_type=FMT...`` -> ``{"data": [card objects], "copyright": ...}``
- ``/17lands/card_ratings/data?expansion=SET&format=FMT...`` -> a bare list of card objects
  Card objects are the 17lands card_ratings shape (data-formats.md §5a), built from the shared ratings of the set:
  DSK from ratings/derived_gih_28d/DSK_gih_28d.csv (GIH WR and games, colour/rarity/Arena id from cards/text),
  other sets from ratings/mtga_draft_17lands_format/<SET>_*.json.gz ("All Decks" figures, percent -> fraction).
  Fields the source lacks are null, as 17lands serves them below its sample threshold.
- ``/data/draft_data_public.SET.FMT.csv.gz`` -> the shared dev-sample draft file of the set, with ETag,
  Last-Modified, Range (206) and conditional (304) support.
- ``/scryfall/cards/search?q=set:xxx&page=N`` -> Scryfall list pages (``page_size`` cards each, has_more /
  next_page) of the set's cards from cards/text/<SET>_cards.scryfall-shape.json.gz (cards whose printing set is the
  set), each with ``image_uris`` pointing at ``/scryfall/img/<arena id>.png``, which serves the app's icon PNG.

Faults: ``server.inject(path_prefix, *faults)`` queues faults for the next requests whose path starts with the
prefix, one per request: ``("status", 429, {"Retry-After": "1"})``, ``("status", 500)``, ``("drop", n)`` (headers
with the full length, n body bytes, then the connection is cut), ``("stall", n)`` (n bytes, then silence until the
server stops), ``("corrupt",)`` (the body with bytes flipped in its middle, same length), ``("body", bytes)``
(serve these bytes instead, 200 application/json), ``("delay", seconds)`` (answer normally, later),
``("slow", seconds)`` (the body in 20 pieces spread over that time). Every request is recorded in ``server.requests``.

Run it by hand: ``python -m tests.data_server`` prints the three base URLs to export.
"""
from __future__ import annotations

import csv
import email.utils
import gzip
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parent.parent
ICON = REPO / "assets" / "magic-copilot.png"
COLOR_ORDER = "WUBRG"


def _shared_data() -> Path:
    from copilot.paths import shared_dir

    sd = shared_dir()
    if sd is None or not (sd / "data").is_dir():
        raise FileNotFoundError("shared/data not found (set COPILOT_SHARED)")
    return sd / "data"


def card_text(data: Path, set_code: str) -> list[dict]:
    p = data / "cards" / "text" / f"{set_code.upper()}_cards.scryfall-shape.json.gz"
    return json.loads(gzip.decompress(p.read_bytes())) if p.exists() else []


def _frac(pct):
    return round(pct / 100.0, 6) if isinstance(pct, (int, float)) and pct > 0 else None


def ratings_objects(data: Path, set_code: str) -> list[dict]:
    """17lands card_ratings objects for a set, from the shared ratings files (see the module docstring)."""
    code = set_code.upper()
    text = {c["name"]: c for c in card_text(data, code)}
    derived = data / "ratings" / "derived_gih_28d" / f"{code}_gih_28d.csv"
    if derived.exists():
        with open(derived, newline="", encoding="utf-8") as fh:
            rows = {r["card_name"]: r for r in csv.DictReader(fh)}
        out = []
        for name in sorted(set(text) | set(rows)):
            t, r = text.get(name, {}), rows.get(name)
            ci = "".join(c for c in COLOR_ORDER if c in (t.get("color_identity") or []))
            out.append({"name": name, "color": ci, "rarity": t.get("rarity"), "mtga_id": t.get("arena_id"),
                        "types": (t.get("type_line") or "").replace(" — ", " - ") or None, "url": None,
                        "seen_count": None, "avg_seen": None, "pick_count": None, "avg_pick": None,
                        "game_count": None, "win_rate": None,
                        "ever_drawn_game_count": int(r["gih_games"]) if r else None,
                        "ever_drawn_win_rate": float(r["gih_wr"]) if r else None,
                        "never_drawn_game_count": None, "never_drawn_win_rate": None,
                        "drawn_improvement_win_rate": None})
        return out
    files = sorted((data / "ratings" / "mtga_draft_17lands_format").glob(f"{code}_*.json.gz"))
    if not files:
        return []
    doc = json.loads(gzip.decompress(files[0].read_bytes()))
    best: dict[str, tuple[int, dict]] = {}
    for grp, obj in (doc.get("card_ratings") or {}).items():
        alld = (obj.get("deck_colors") or {}).get("All Decks") or {}
        games = int(alld.get("game_count") or alld.get("gih") or alld.get("samples") or 0)
        name = obj.get("name")
        if not name or (name in best and best[name][0] >= games):
            continue
        ci = "".join(c for c in COLOR_ORDER if c in (obj.get("color_identity") or obj.get("colors") or []))
        best[name] = (games, {
            "name": name, "color": ci, "rarity": obj.get("rarity"), "mtga_id": int(grp),
            "types": " ".join(obj.get("types") or []) or None, "url": None,
            "seen_count": alld.get("seen_count"), "avg_seen": alld.get("alsa") or None,
            "pick_count": alld.get("pick_count"), "avg_pick": alld.get("ata") or None,
            "game_count": alld.get("game_count"), "win_rate": _frac(alld.get("gpwr")),
            "opening_hand_win_rate": _frac(alld.get("ohwr")), "drawn_win_rate": _frac(alld.get("gdwr")),
            "ever_drawn_game_count": alld.get("gih"), "ever_drawn_win_rate": _frac(alld.get("gihwr")),
            "never_drawn_win_rate": _frac(alld.get("gnswr")),
            "drawn_improvement_win_rate": (alld["iwd"] / 100.0) if isinstance(alld.get("iwd"), (int, float))
            and alld.get("gihwr") else None})
    return [v for _, v in sorted(best.values(), key=lambda gv: gv[1]["name"])]


def draft_file(data: Path, set_code: str, fmt: str) -> Path | None:
    p = data / "picks" / set_code.upper() / f"draft_data_public.{set_code.upper()}.{fmt}.dev-sample.csv.gz"
    return p if p.exists() else None


@dataclass
class Served:
    path: str
    headers: dict
    time: float


@dataclass
class DataServer:
    data: Path = field(default_factory=_shared_data)
    page_size: int = 175
    etag_version: str = "1"
    requests: list[Served] = field(default_factory=list)
    _faults: list[tuple[str, tuple]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- lifecycle ----
    def start(self) -> "DataServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def env(self) -> dict[str, str]:
        return {"COPILOT_17LANDS_URL": f"{self.base}/17lands", "COPILOT_17LANDS_DATA_URL": f"{self.base}/data",
                "COPILOT_SCRYFALL_URL": f"{self.base}/scryfall"}

    def inject(self, prefix: str, *faults: tuple) -> None:
        with self._lock:
            self._faults += [(prefix, f) for f in faults]

    def hits(self, prefix: str) -> list[Served]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # ---- answers ----
    def _take_fault(self, path: str) -> tuple | None:
        with self._lock:
            for i, (prefix, fault) in enumerate(self._faults):
                if path.startswith(prefix):
                    del self._faults[i]
                    return fault
        return None

    def _route(self, path: str, query: dict) -> tuple[int, bytes, str, dict]:
        q = {k: v[0] for k, v in query.items()}
        if path == "/17lands/api/card_data":
            objs = ratings_objects(self.data, q.get("expansion", ""))
            if not objs:
                return 200, json.dumps({"data": []}).encode(), "application/json", {}
            body = {"data": objs, "copyright": "17Lands (test server built from shared/data)"}
            return 200, json.dumps(body).encode(), "application/json", {}
        if path == "/17lands/card_ratings/data":
            return 200, json.dumps(ratings_objects(self.data, q.get("expansion", ""))).encode(), \
                "application/json", {}
        m = re.match(r"^/data/draft_data_public\.(\w+)\.(\w+)\.csv\.gz$", path)
        if m:
            f = draft_file(self.data, m.group(1), m.group(2))
            if f is None:
                return 404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml", {}
            return 200, f.read_bytes(), "application/gzip", {"_file": f}
        if path == "/scryfall/cards/search":
            m = re.search(r"\b(?:set|e|s):(\w+)", q.get("q", ""))
            code = m.group(1).lower() if m else ""
            cards = [dict(c, image_uris={"normal": f"{self.base}/scryfall/img/{c.get('arena_id')}.png"})
                     for c in card_text(self.data, code) if c.get("set") == code]
            if not cards:
                return 404, json.dumps({"object": "error", "code": "not_found", "status": 404,
                                        "details": "Your query didn't match any cards."}).encode(), \
                    "application/json", {}
            page = int(q.get("page", "1"))
            chunk = cards[(page - 1) * self.page_size: page * self.page_size]
            more = page * self.page_size < len(cards)
            doc = {"object": "list", "total_cards": len(cards), "has_more": more, "data": chunk}
            if more:
                doc["next_page"] = f"{self.base}/scryfall/cards/search?q=set%3A{code}&unique=prints&order=set" \
                                   f"&page={page + 1}"
            return 200, json.dumps(doc).encode(), "application/json", {}
        if path.startswith("/scryfall/img/"):
            return 200, ICON.read_bytes(), "image/png", {}
        return 404, b"not found", "text/plain", {}

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        self.requests.append(Served(h.path, dict(h.headers), time.monotonic()))
        fault = self._take_fault(parts.path)
        if fault and fault[0] == "delay":  # a slow server: the answer comes after fault[1] seconds
            self._stop.wait(fault[1])
            fault = None
        if fault and fault[0] == "status":
            body = json.dumps({"error": f"injected {fault[1]}"}).encode()
            self._send(h, fault[1], body, "application/json", dict(fault[2]) if len(fault) > 2 else {})
            return
        status, body, ctype, extra = self._route(parts.path, parse_qs(parts.query))
        if fault and fault[0] == "body":
            status, body, ctype = 200, fault[1], "application/json"
        if fault and fault[0] == "corrupt":
            mid = len(body) // 2
            body = body[:mid] + bytes(b ^ 0x5A for b in body[mid:mid + 64]) + body[mid + 64:]
        headers: dict[str, str] = {}
        src = extra.get("_file")
        if src is not None and status == 200:
            etag = '"' + hashlib.md5(body + self.etag_version.encode()).hexdigest() + '"'
            headers["ETag"] = etag
            headers["Last-Modified"] = email.utils.formatdate(src.stat().st_mtime, usegmt=True)
            headers["Accept-Ranges"] = "bytes"
            if h.headers.get("If-None-Match") == etag:
                self._send(h, 304, b"", ctype, headers)
                return
            rng = re.match(r"bytes=(\d+)-$", h.headers.get("Range", ""))
            if_range = h.headers.get("If-Range")
            if rng and (if_range is None or if_range == etag):
                start = int(rng.group(1))
                if start >= len(body):
                    self._send(h, 416, b"", ctype, {"Content-Range": f"bytes */{len(body)}"})
                    return
                headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                status, body = 206, body[start:]
        elif status == 200 and ctype == "application/json":
            headers["ETag"] = '"' + hashlib.md5(body).hexdigest() + '"'
            if h.headers.get("If-None-Match") == headers["ETag"]:
                self._send(h, 304, b"", ctype, headers)
                return
            if "gzip" in h.headers.get("Accept-Encoding", "") and not fault:
                body = gzip.compress(body, 6)
                headers["Content-Encoding"] = "gzip"
        if fault and fault[0] == "slow":  # the whole body, in 20 pieces over fault[1] seconds
            h.send_response(status)
            for k, v in dict(headers, **{"Content-Type": ctype, "Content-Length": str(len(body))}).items():
                h.send_header(k, v)
            h.end_headers()
            step = len(body) // 20 + 1
            for i in range(0, len(body), step):
                h.wfile.write(body[i:i + step])
                h.wfile.flush()
                if self._stop.wait(fault[1] / 20):
                    break
            h.close_connection = True
            return
        if fault and fault[0] in ("drop", "stall"):
            h.send_response(status)
            for k, v in dict(headers, **{"Content-Type": ctype, "Content-Length": str(len(body))}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(body[:fault[1]])
            h.wfile.flush()
            if fault[0] == "stall":
                self._stop.wait(120)
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        self._send(h, status, body, ctype, headers)

    @staticmethod
    def _send(h, status: int, body: bytes, ctype: str, headers: dict) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Connection", "close")
        h.end_headers()
        if body:
            h.wfile.write(body)
        h.close_connection = True


if __name__ == "__main__":
    srv = DataServer().start()
    for k, v in srv.env().items():
        print(f"export {k}={v}")
    print("serving; Ctrl-C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
