"""Physical lines of Player.log -> log entries (requests, responses, notifications, header facts).

Line grammar (arena-log-format.md §3-4):

* ``[UnityCrossThreadLogger]==> Method {json}``: a request (all eras). 2024-10 logs can put the JSON of a
  ``LogBusinessEvents`` request on the next line: a request line without JSON takes the next line starting with
  ``{``.
* 2021+ responses span three lines: ``[UnityCrossThreadLogger]<timestamp>``, ``<== Method(<uuid>)``, then the
  body (JSON or a bare word such as ``Success``). Blank lines may sit in between (2021); other entries may come
  between a request and its response (they are matched by uuid later, in the parser).
* 2020 responses and pushes are one line: ``[UnityCrossThreadLogger]<== Method {"id":..,"payload":..}``.
* ``[UnityCrossThreadLogger]Draft.Notify {json}`` and ``[UnityCrossThreadLogger]Client.SceneChange {json}``.
* Session header lines: ``Mono path[0] = '<install>/MTGA_Data/Managed'``, ``DETAILED LOGS: ENABLED|DISABLED``,
  ``Version: 2026.56.10.11392 / ...``.

Everything else (Unity noise, stack traces, UI lines, GRE traffic) is skipped. Line endings ``\\r\\n``, ``\\n``,
``\\r\\r\\n`` and stray ``\\r`` are accepted. An entry is emitted as soon as its last line arrives, so nothing
waits for the next line, except a response header whose body line has not been written yet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

PREFIX = "[UnityCrossThreadLogger]"
MAX_LINE_CHARS = 64 * 1024 * 1024  # one StartHook line is ~2.6 MB; anything far larger is junk or corruption

_RESPONSE_HEAD = re.compile(r"^<== ([A-Za-z0-9_.]+)\(([^()\s]*)\)\s*$")
_ARROW = re.compile(r"^(==>|<==) ([A-Za-z0-9_.]+)(.*)$", re.S)
_VERSION = re.compile(r"^Version: (\d+(?:\.\d+)+)")
_MONO = re.compile(r"^Mono path\[0\] = '(.*)'\s*$")
_BARE_WORD = re.compile(r"^[A-Za-z0-9_.\-]+$")
MAX_BODY_WAIT = 8  # noise lines tolerated between a response header and its body


@dataclass(frozen=True)
class Entry:
    """One logical log entry.

    kind: "request" (method, ref = request id or None, text = JSON after the method),
    "response" (method, ref = uuid or None for 2020 one-line responses, text = body),
    "notify" (Draft.Notify JSON), "scene" (Client.SceneChange JSON),
    "install" (text = install dir or ""), "detailed" (text = "ENABLED"/"DISABLED"), "version" (text = version).
    """

    kind: str
    method: str = ""
    ref: str | None = None
    text: str = ""


@dataclass
class FramingStats:
    lines: int = 0
    oversized: int = 0  # lines longer than MAX_LINE_CHARS, skipped
    missing_body: int = 0  # a response header whose body never came (another entry started instead)
    skipped: int = 0  # lines that belong to no entry (Unity noise, stack traces, ...)


def _strip_ending(line: str) -> str:
    return line.rstrip("\r\n")


def install_dir_from_mono(path_text: str) -> str:
    """'C:/Program Files/Wizards of the Coast/MTGA/MTGA_Data/Managed' -> 'C:/Program Files/.../MTGA'.

    macOS: '<app>/Contents/Resources/Data/Managed' -> '<app>/Contents/Resources'."""
    p = path_text.strip().replace("\\", "/").rstrip("/")
    for suffix in ("/MTGA_Data/Managed", "/Data/Managed", "/Managed"):
        if p.endswith(suffix):
            return p[: -len(suffix)]
    return p


@dataclass
class LogFramer:
    """Stateful line -> entries splitter. Never raises on str input."""

    stats: FramingStats = field(default_factory=FramingStats)
    _pending_response: tuple[str, str] | None = None  # (method, uuid) waiting for its body line
    _pending_request: str | None = None  # request method waiting for its JSON on the next line
    _waited: int = 0

    def feed(self, line: str) -> list[Entry]:
        if not isinstance(line, str):
            try:
                line = line.decode("utf-8", "replace")  # bytes from a careless caller
            except Exception:
                return []
        body = _strip_ending(line)
        if "\n" in body:  # several physical lines handed over at once
            out: list[Entry] = []
            for part in body.split("\n"):
                out.extend(self._feed_one(part.rstrip("\r")))
            return out
        return self._feed_one(body)

    def flush(self) -> list[Entry]:
        """Nothing is buffered except a response header whose body has not arrived: it stays pending, because in
        a live log the body line can still come. Returns the entries that are complete (none)."""
        return []

    def end_of_input(self) -> None:
        """The input is over for good: a dangling response header is counted as missing its body."""
        if self._pending_response is not None:
            self.stats.missing_body += 1
        self._pending_response = None
        self._pending_request = None

    # -- internals --------------------------------------------------------------------------------------------

    def _feed_one(self, line: str) -> list[Entry]:
        self.stats.lines += 1
        if len(line) > MAX_LINE_CHARS:
            self.stats.oversized += 1
            self._pending_response = None
            self._pending_request = None
            return []
        stripped = line.strip().lstrip("\ufeff")
        if not stripped:
            return []  # blank lines separate 2021 entries; they never end one
        if self._pending_response is not None:
            method, ref = self._pending_response
            header = stripped.startswith(("Mono path[0]", "DETAILED LOGS:"))  # a new session: the body is lost
            if not header and not stripped.startswith(PREFIX) and not stripped.startswith("<== "):
                if stripped[0] in "{[\"" or _BARE_WORD.match(stripped):
                    self._pending_response = None
                    return [Entry("response", method, ref, stripped)]
                if self._waited < MAX_BODY_WAIT:
                    self._waited += 1  # Unity noise written between the header and the body
                    self.stats.skipped += 1
                    return []
            self.stats.missing_body += 1
            self._pending_response = None
        if self._pending_request is not None:
            method = self._pending_request
            self._pending_request = None
            if stripped.startswith("{"):
                return [Entry("request", method, None, stripped)]
        if stripped.startswith(PREFIX):
            return self._prefixed(stripped[len(PREFIX):])
        if stripped.startswith("<== "):
            return self._arrow_line(stripped)
        return self._plain(line, stripped)

    def _prefixed(self, rest: str) -> list[Entry]:
        if rest.startswith("==> ") or rest.startswith("<== "):
            return self._arrow_line(rest)
        if rest.startswith("Draft.Notify"):
            return [Entry("notify", "Draft.Notify", None, rest[len("Draft.Notify"):].strip())]
        if rest.startswith("Client.SceneChange"):
            return [Entry("scene", "Client.SceneChange", None, rest[len("Client.SceneChange"):].strip())]
        # timestamp-only response header lines and all other logger chatter carry nothing by themselves
        self.stats.skipped += 1
        return []

    def _arrow_line(self, text: str) -> list[Entry]:
        head = _RESPONSE_HEAD.match(text)
        if head:  # "<== Method(uuid)": body on the next line
            self._pending_response = (head.group(1), head.group(2))
            self._waited = 0
            return []
        m = _ARROW.match(text)
        if not m:
            self.stats.skipped += 1
            return []
        arrow, method, tail = m.group(1), m.group(2), m.group(3).strip()
        if arrow == "==>":
            if not tail:
                self._pending_request = method
                return []
            return [Entry("request", method, None, tail)]
        return [Entry("response", method, None, tail)]  # 2020 one-line response / push

    def _plain(self, line: str, stripped: str) -> list[Entry]:
        line = line.lstrip("\ufeff")
        if line.startswith("Mono path[0]"):
            m = _MONO.match(stripped)
            return [Entry("install", "", None, install_dir_from_mono(m.group(1)) if m else "")]
        if line.startswith("DETAILED LOGS:"):
            value = stripped.split(":", 1)[1].strip().upper()
            if value in ("ENABLED", "DISABLED"):
                return [Entry("detailed", "", None, value)]
        if line.startswith("Version:"):
            m = _VERSION.match(stripped)
            if m:
                return [Entry("version", "", None, m.group(1))]
        self.stats.skipped += 1
        return []
