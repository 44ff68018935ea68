"""The HTTP client of the data fetches: standard library only (http.client), one request at a time.

- Timeouts: `connect_timeout` for the TCP/TLS connection, `read_timeout` for every wait on the socket afterwards
  (the answer's head and each chunk of its body), so a stalled body ends with a message, not a hang.
- Retries with exponential backoff on 429 and 5xx answers, dropped connections and timeouts; a `Retry-After`
  header (seconds or an HTTP date) is honoured, and one asking for longer than `max_wait_s` ends the fetch with a
  message saying when to try again. Every wait is recorded in `HttpClient.waits`.
- Conditional requests: `Validators` (ETag / Last-Modified of the last fetch) become If-None-Match /
  If-Modified-Since; a 304 answer comes back as such and nothing is rewritten.
- Files: `download()` (see `copilot.fetch.download`) streams to a temporary name, resumes a dropped transfer with
  HTTP Range, checks size and gzip integrity, and renames the file into place only when whole.
- A failure is a `FetchError` whose message names the URL and says what was wrong and what to do (offline,
  timeout, HTTP status, invalid JSON, corrupt gzip, cancelled).
"""
from __future__ import annotations

import email.utils
import gzip
import http.client
import json
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urljoin, urlsplit

from copilot.fetch.config import USER_AGENT

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
Progress = Callable[[int, "int | None"], None]  # (bytes so far, total bytes or None)


class FetchError(RuntimeError):
    """A fetch failed. `kind`: offline, timeout, http, invalid, corrupt, cancelled; `url`: what was asked."""

    def __init__(self, message: str, url: str | None = None, kind: str = "error", status: int | None = None):
        super().__init__(message)
        self.url, self.kind, self.status = url, kind, status


class _Transient(Exception):
    """A failure worth another attempt (after `wait` seconds, or the backoff when None)."""

    def __init__(self, message: str, kind: str, wait: float | None = None, status: int | None = None):
        super().__init__(message)
        self.message, self.kind, self.wait, self.status = message, kind, wait, status


class _Resume(_Transient):
    """A transfer that made progress before it broke: resumed at once, not counted as a failed attempt."""

    def __init__(self, message: str, kind: str):
        super().__init__(message, kind, 0.0)


@dataclass(frozen=True)
class Validators:
    """What the server said about the last copy: sent back to ask 'has it changed?'."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        h = {}
        if self.etag:
            h["If-None-Match"] = self.etag
        if self.last_modified:
            h["If-Modified-Since"] = self.last_modified
        return h


@dataclass
class HttpOptions:
    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    retries: int = 4  # further attempts after the first one
    backoff_s: float = 1.0  # first wait; doubles each attempt
    max_backoff_s: float = 30.0
    max_wait_s: float = 120.0  # longest Retry-After honoured
    min_interval_s: float = 0.0  # at least this long between the starts of two requests (Scryfall asks 50-100 ms)
    user_agent: str = USER_AGENT
    chunk: int = 1 << 16
    max_resumes: int = 100  # dropped connections a download may resume from (each one must have made progress)


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: '120' or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now_dt = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)
    return max(0.0, (when - now_dt).total_seconds())


class HttpClient:
    def __init__(self, options: HttpOptions | None = None, sleep: Callable[[float], None] = time.sleep,
                 cancel: threading.Event | None = None, log: Callable[[str], None] | None = None):
        self.options = options or HttpOptions()
        self._sleep = sleep
        self.cancel = cancel
        self.log = log or (lambda _msg: None)
        self.waits: list[float] = []  # every wait before a retry, in seconds
        self.requests = 0
        self._last_start = 0.0

    # ---- plumbing -----------------------------------------------------------------------------------------
    def _check_cancel(self, url: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise FetchError(f"cancelled: {url}", url, "cancelled")

    def _wait(self, seconds: float, url: str) -> None:
        self.waits.append(seconds)
        end = time.monotonic() + seconds
        while True:
            self._check_cancel(url)
            left = end - time.monotonic()
            if left <= 0:
                return
            self._sleep(min(left, 0.25))

    def _pace(self, url: str) -> None:
        gap = self.options.min_interval_s - (time.monotonic() - self._last_start)
        if gap > 0:
            self._sleep(gap)
        self._check_cancel(url)
        self._last_start = time.monotonic()

    def _connect(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url!r}", url, "invalid")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        t = self.options.connect_timeout
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=t,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=t)
        host = parts.netloc
        try:
            conn.connect()
        except socket.timeout:
            conn.close()
            raise _Transient(f"connecting to {host} timed out after {t:g} s", "timeout") from None
        except socket.gaierror as exc:
            conn.close()
            raise _Transient(f"cannot resolve {parts.hostname} ({exc.strerror or exc}): are you offline?",
                             "offline") from None
        except ssl.SSLError as exc:
            conn.close()
            raise FetchError(f"{url}: TLS failed ({exc})", url, "offline") from None
        except OSError as exc:
            conn.close()
            raise _Transient(f"cannot connect to {host} ({exc.strerror or exc}): are you offline, or is the "
                             f"server down?", "offline") from None
        conn.sock.settimeout(self.options.read_timeout)
        return conn, path

    def _open(self, url: str, headers: dict[str, str]):
        """(connection, response, final URL) after following redirects. Raises _Transient / FetchError."""
        for _ in range(6):
            self._pace(url)
            conn, path = self._connect(url)
            self.requests += 1
            try:
                conn.request("GET", path, headers={"User-Agent": self.options.user_agent, **headers})
                resp = conn.getresponse()
            except socket.timeout:
                conn.close()
                raise _Transient(f"no answer from {urlsplit(url).netloc} within {self.options.read_timeout:g} s",
                                 "timeout") from None
            except (http.client.HTTPException, OSError) as exc:
                conn.close()
                raise _Transient(f"the connection to {urlsplit(url).netloc} broke before the answer "
                                 f"({type(exc).__name__}: {exc})", "offline") from None
            if resp.status in REDIRECTS and resp.getheader("Location"):
                url = urljoin(url, resp.getheader("Location"))
                conn.close()
                continue
            return conn, resp, url
        raise FetchError(f"{url}: too many redirects", url, "http")

    def _status_error(self, resp, url: str, attempt: int) -> None:
        """Raise for an answer that is not a success: _Transient for 429/5xx, FetchError otherwise."""
        status = resp.status
        if status in RETRY_STATUS:
            wait = retry_after_seconds(resp.getheader("Retry-After"))
            if wait is not None and wait > self.options.max_wait_s:
                raise FetchError(f"{url}: HTTP {status} {resp.reason}; the server asks to wait {wait:.0f} s "
                                 f"before trying again. Try later.", url, "http", status)
            raise _Transient(f"HTTP {status} {resp.reason}", "http", wait, status)
        try:
            snippet = resp.read(300).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            snippet = ""
        hint = {404: " (not found: is the set code or format right, and does the service have data for it "
                     "yet?)", 403: " (refused)", 401: " (refused)"}.get(status, "")
        raise FetchError(f"{url}: HTTP {status} {resp.reason}{hint}" + (f": {snippet[:200]}" if snippet else ""),
                         url, "http", status)

    def _retrying(self, url: str, once: Callable[[int], object]):
        attempt = 0
        while True:
            self._check_cancel(url)
            try:
                return once(attempt)
            except _Resume as r:
                self.log(r.message)
                continue  # a transfer that made progress goes on at once and costs no attempt
            except _Transient as t:
                if attempt >= self.options.retries:
                    raise FetchError(f"{url}: {t.message} (gave up after {attempt + 1} attempts)", url, t.kind,
                                     t.status) from None
                wait = t.wait if t.wait is not None else min(self.options.max_backoff_s,
                                                             self.options.backoff_s * 2 ** attempt)
                self.log(f"{t.message}; retrying in {wait:.1f} s")
                self._wait(wait, url)
                attempt += 1

    def _read_body(self, resp, url: str) -> bytes:
        """The whole body; a stall, a dropped connection or fewer bytes than Content-Length are transient."""
        length = resp.getheader("Content-Length")
        want = int(length) if length and length.isdigit() else None
        chunks, n = [], 0
        try:
            while True:
                chunk = resp.read1(self.options.chunk)
                if not chunk:
                    break
                chunks.append(chunk)
                n += len(chunk)
                self._check_cancel(url)
        except socket.timeout:
            raise _Transient(f"the answer stalled: no data for {self.options.read_timeout:g} s after {n:,} bytes",
                             "timeout") from None
        except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException, OSError) as exc:
            raise _Transient(f"the connection dropped after {n:,} bytes ({type(exc).__name__})", "offline") from None
        if want is not None and n < want:
            raise _Transient(f"the connection closed after {n:,} of {want:,} bytes", "offline")
        return b"".join(chunks)

    # ---- whole answers ------------------------------------------------------------------------------------
    def get(self, url: str, headers: dict[str, str] | None = None,
            validators: Validators | None = None) -> Response:
        """The whole answer (gzip content-encoding undone). 304 comes back as a Response with status 304."""
        req = {"Accept-Encoding": "gzip", **(headers or {}), **(validators.headers() if validators else {})}

        def once(attempt: int) -> Response:
            conn, resp, final = self._open(url, req)
            try:
                hdrs = {k.lower(): v for k, v in resp.getheaders()}
                if resp.status == 304:
                    return Response(final, 304, hdrs)
                if resp.status >= 300:
                    self._status_error(resp, final, attempt)
                body = self._read_body(resp, final)
            finally:
                conn.close()
            if hdrs.get("content-encoding", "").lower() == "gzip":
                try:
                    body = gzip.decompress(body)
                except (OSError, EOFError, zlib.error) as exc:
                    raise FetchError(f"{final}: the answer is gzip-encoded but corrupt ({exc})", final,
                                     "corrupt") from None
            return Response(final, resp.status, hdrs, body)

        return self._retrying(url, once)

    def get_json(self, url: str, validators: Validators | None = None) -> tuple[Response, object]:
        """(response, parsed JSON); the JSON is None for a 304. Malformed JSON is refused with the URL."""
        resp = self.get(url, {"Accept": "application/json"}, validators)
        if resp.status == 304:
            return resp, None
        try:
            return resp, json.loads(resp.body.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise FetchError(f"{resp.url}: the answer is not UTF-8 text ({exc})", resp.url, "invalid") from None
        except json.JSONDecodeError as exc:
            head = resp.body[:80].decode("utf-8", "replace")
            raise FetchError(f"{resp.url}: the answer is not valid JSON ({exc.msg} at line {exc.lineno} column "
                             f"{exc.colno}); it begins with {head!r}", resp.url, "invalid") from None

    def download(self, url: str, dest, progress: Progress | None = None, gzip_check: bool | None = None,
                 validators: Validators | None = None, verify=None):
        """See `copilot.fetch.download.download`."""
        from copilot.fetch.download import download

        return download(self, url, dest, progress, gzip_check, validators, verify)
