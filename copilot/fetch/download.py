"""Resumable file downloads through `HttpClient`: nothing is half-written.

The bytes go to `<dest>.part`, with `<dest>.part.json` noting the URL, the announced size and the server's
validators (ETag / Last-Modified). A transfer that drops after making progress goes on at once with
`Range: bytes=N-` and `If-Range` (so a file that changed meanwhile is sent whole instead of spliced); a server that
ignores the range answers 200 and the copy starts over. When the transfer is whole, the size is checked against the
announced one and a .gz file is decompressed end to end (every member's CRC and length), and only then is the file
renamed to `dest`. A corrupt file is deleted and reported with its URL; a `.part` left by a failed attempt (network
down, stalled) is kept, so the next call resumes it.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from copilot.fetch.http import FetchError, HttpClient, Progress, Validators, _Resume, _Transient


@dataclass
class DownloadResult:
    path: Path
    url: str
    status: str  # "downloaded" or "not-modified"
    bytes: int = 0
    resumed_from: list[int] = field(default_factory=list)  # offsets a dropped transfer went on from
    validators: Validators = field(default_factory=Validators)
    uncompressed_bytes: int | None = None  # for gzip files (the integrity check decompresses them)


def check_gzip(path: Path, url: str) -> int:
    """Decompress the whole file (every member) to check CRC and length; returns the uncompressed size.
    Raises FetchError(kind='corrupt') naming the URL and what was wrong."""
    total = members = 0
    pending = False  # bytes fed to the current member that has not ended yet
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                while chunk:
                    pending = True
                    total += len(d.decompress(chunk))
                    if d.eof:  # a member ended (CRC and length checked); another may follow
                        members += 1
                        pending = False
                        chunk = d.unused_data
                        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    else:
                        chunk = b""
    except zlib.error as exc:
        raise FetchError(f"{url}: corrupt gzip data after {total:,} uncompressed bytes ({exc}); the file was "
                         "deleted, fetch it again", url, "corrupt") from None
    if pending:
        raise FetchError(f"{url}: the gzip stream ends in the middle of a member after {total:,} uncompressed "
                         "bytes (truncated file); the file was deleted, fetch it again", url, "corrupt")
    if members == 0:
        raise FetchError(f"{url}: empty file, not gzip data", url, "corrupt")
    return total


def download(client: HttpClient, url: str, dest: str | os.PathLike, progress: Progress | None = None,
             gzip_check: bool | None = None, validators: Validators | None = None,
             verify: Callable[[Path], None] | None = None) -> DownloadResult:
    """Stream `url` into `dest` (see the module docstring). `validators`: when `dest` exists, ask for the file only
    if it changed since (a 304 leaves it as it is). gzip_check defaults to `dest` ending in .gz. `verify(path)` may
    raise FetchError to refuse the whole file before it is renamed into place (it is then deleted)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    note = dest.with_name(dest.name + ".part.json")
    state = _read_note(note)
    if state.get("url") != url or not part.exists():
        part.unlink(missing_ok=True)
        state = {"url": url}
    result = DownloadResult(dest, url, "downloaded")
    resumes = [0]
    opts = client.options

    def dropped(offset: int, before: int, message: str, kind: str) -> Exception:
        """Progress made: resume at once (bounded); none: a failed attempt with backoff."""
        if offset > before and resumes[0] < opts.max_resumes:
            resumes[0] += 1
            return _Resume(f"{message}; resuming", kind)
        return _Transient(message, kind)

    def once(attempt: int) -> str:
        offset = part.stat().st_size if part.exists() else 0
        headers: dict[str, str] = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if state.get("etag") or state.get("last_modified"):
                headers["If-Range"] = state.get("etag") or state["last_modified"]
        elif validators is not None and dest.exists():
            headers.update(validators.headers())
        conn, resp, final = client._open(url, headers)
        try:
            if resp.status == 304 and not offset:
                return "not-modified"
            if resp.status == 416 and offset:
                if state.get("total") == offset:
                    return "complete"
                part.unlink(missing_ok=True)  # the partial copy does not fit the file any more
                raise _Transient("the server refused the resume range; starting over", "http", 0.0)
            if resp.status not in (200, 206):
                client._status_error(resp, final, attempt)
            total = _total(resp)
            if resp.status == 206:
                start = _range_start(resp.getheader("Content-Range"))
                if start != offset:
                    part.unlink(missing_ok=True)
                    raise _Transient(f"the server resumed at byte {start}, not {offset}; starting over", "http", 0.0)
                result.resumed_from.append(offset)
            else:
                offset = 0
            state.update(url=url, total=total, etag=resp.getheader("ETag"),
                         last_modified=resp.getheader("Last-Modified"))
            _write_note(note, state)
            before = offset
            with open(part, "ab" if offset else "wb") as fh:
                try:
                    while True:
                        chunk = resp.read1(opts.chunk)
                        if not chunk:
                            break
                        fh.write(chunk)
                        offset += len(chunk)
                        if progress is not None:
                            progress(offset, total)
                        client._check_cancel(url)
                except socket.timeout:
                    raise dropped(offset, before, f"the download stalled: no data for {opts.read_timeout:g} s at "
                                                  f"byte {offset:,}", "timeout") from None
                except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException, OSError) as exc:
                    raise dropped(offset, before, f"the connection dropped at byte {offset:,} of "
                                                  f"{total if total is not None else '?'} ({type(exc).__name__})",
                                  "offline") from None
                fh.flush()
                os.fsync(fh.fileno())
            if total is not None and offset < total:
                raise dropped(offset, before, f"the connection closed at byte {offset:,} of {total:,}", "offline")
            if total is not None and offset > total:
                part.unlink(missing_ok=True)
                raise FetchError(f"{url}: received {offset:,} bytes, more than the announced {total:,}", url,
                                 "corrupt")
            return "complete"
        finally:
            conn.close()

    outcome = client._retrying(url, once)
    result.validators = Validators(state.get("etag"), state.get("last_modified"))
    if outcome == "not-modified":
        result.status = "not-modified"
        result.bytes = dest.stat().st_size
        return result
    try:
        if gzip_check if gzip_check is not None else dest.name.endswith(".gz"):
            result.uncompressed_bytes = check_gzip(part, url)
        if verify is not None:
            verify(part)
    except FetchError:
        part.unlink(missing_ok=True)
        note.unlink(missing_ok=True)
        raise
    result.bytes = part.stat().st_size
    os.replace(part, dest)
    note.unlink(missing_ok=True)
    return result


def _total(resp) -> int | None:
    if resp.status == 206:
        tail = (resp.getheader("Content-Range") or "").rpartition("/")[2]
        return int(tail) if tail.isdigit() else None
    cl = resp.getheader("Content-Length")
    return int(cl) if cl and cl.isdigit() else None


def _range_start(content_range: str | None) -> int | None:
    """'bytes 100-199/200' -> 100."""
    if not content_range or not content_range.startswith("bytes "):
        return None
    first = content_range[6:].partition("-")[0]
    return int(first) if first.isdigit() else None


def _read_note(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_note(path: Path, state: dict) -> None:
    from copilot.fileio import atomic_write_text

    atomic_write_text(path, json.dumps(state))
