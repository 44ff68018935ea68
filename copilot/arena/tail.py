"""Follow Arena's Player.log by byte offset, across truncation and client restarts.

Rules (shared/docs/arena-log-format.md §3, §9; stack-notes.md §8):
- keep a byte offset of the last complete line and the file's identity ``(st_dev, st_ino)`` plus a fingerprint of
  its first bytes; re-open the file by path on every read, never keep a handle (it would follow the renamed file);
- emit complete lines only; a partial last line waits for its newline (an idle hook lets the parser flush the
  entry it holds, so the newest pack is not held back);
- size < offset: truncated, start again at 0; other identity (or other first bytes): the client restarted and
  moved the file to ``Player-prev.log``: read the rest of that file when it is the one we were reading, then the
  new file from 0;
- decode UTF-8 with errors replaced (lines are split on b"\\n" first, so a character is never cut in two);
- wake up on watchdog (inotify/FSEvents/ReadDirectoryChangesW) events, and poll every `poll_interval` seconds
  anyway: some writers do not fire change events, and watchdog may fail to start. No busy loop.

`poll()` does one synchronous pass (used by `--once` and the tests); `start()`/`stop()` run the loop in a thread
and hand the results to callbacks.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from copilot.arena.locate import prev_log_path

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 20
FINGERPRINT_BYTES = 4096  # the session header (Startup Timestamp is ~1.2 KB in) identifies a file


def file_identity(st: os.stat_result) -> tuple[int, int]:
    return (int(st.st_dev), int(st.st_ino))


@dataclass
class TailPosition:
    """Where the tailer is: enough to resume in a later process."""

    path: str
    offset: int = 0  # bytes of the current file consumed as complete lines
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file the offset belongs to
    fp_len: int = 0  # fingerprint: sha1 of the first fp_len bytes of that file
    fp: str = ""

    def to_dict(self) -> dict:
        return {"path": self.path, "offset": self.offset,
                "identity": list(self.identity) if self.identity else None, "fp_len": self.fp_len, "fp": self.fp}

    @classmethod
    def from_dict(cls, d: dict) -> "TailPosition":
        ident = d.get("identity")
        return cls(path=str(d["path"]), offset=int(d.get("offset", 0)),
                   identity=(int(ident[0]), int(ident[1])) if ident else None,
                   fp_len=int(d.get("fp_len", 0)), fp=str(d.get("fp", "")))


@dataclass
class TailLines:
    lines: list[str]  # decoded, line endings kept
    source: str  # the file they came from (Player.log or Player-prev.log)
    position: TailPosition  # position after these lines


@dataclass
class TailReset:
    reason: str  # "rotated", "truncated", "replaced", "prev-caught-up"
    detail: str = ""
    lost_lines: bool = False  # lines of the old log could not be read before it was replaced


TailItem = TailLines | TailReset


@dataclass
class TailStats:
    polls: int = 0
    reads: int = 0
    bytes: int = 0
    lines: int = 0
    wakeups: int = 0  # watchdog events that woke the loop
    resets: dict = field(default_factory=dict)


def _fingerprint(path: Path, length: int) -> tuple[int, str] | None:
    try:
        with open(path, "rb") as f:
            data = f.read(length)
    except OSError:
        return None
    return len(data), hashlib.sha1(data).hexdigest()


def _identity_and_fingerprint(path: Path, length: int) -> tuple[tuple, tuple[int, str]] | None:
    """The identity and the fingerprint of the file `path` names, both taken from one open handle (a rename
    between a stat and an open must not mix two files)."""
    try:
        with open(path, "rb") as f:
            ident = file_identity(os.fstat(f.fileno()))
            data = f.read(length)
    except OSError:
        return None
    return ident, (len(data), hashlib.sha1(data).hexdigest())


def split_lines(buf: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines (with their b"\\n") and the partial rest."""
    end = buf.rfind(b"\n")
    if end < 0:
        return [], buf
    # Split on b"\n" only: bytes.splitlines would also split on a lone b"\r" (Arena writes "\r\r\n" lines).
    parts = buf[:end].split(b"\n")
    return [p + b"\n" for p in parts], buf[end + 1:]


def decode(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


class LogTailer:
    """Follows one log path (normally `Player.log`) and its `Player-prev.log`.

    position: where a previous process stopped (resumes there when the file is the same; reads the rest of
        `Player-prev.log` first when the client restarted meanwhile; otherwise starts over).
    include_prev: with no usable position, read `Player-prev.log` whole before the current file (catch-up).
    """

    def __init__(self, path: Path | str, *, position: TailPosition | None = None, include_prev: bool = True,
                 poll_interval: float = 0.5, idle_flush_s: float = 0.1, use_watchdog: bool = True,
                 on_lines: Callable[[TailLines], None] | None = None,
                 on_reset: Callable[[TailReset], None] | None = None,
                 on_idle: Callable[[], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None,
                 read_chunk: int = READ_CHUNK):
        self.path = Path(path)
        self.prev_path = prev_log_path(self.path)
        self.include_prev = include_prev
        self.poll_interval = poll_interval
        self.idle_flush_s = idle_flush_s
        self.use_watchdog = use_watchdog
        self.on_lines, self.on_reset, self.on_idle, self.on_error = on_lines, on_reset, on_idle, on_error
        self.read_chunk = read_chunk
        self.stats = TailStats()
        self.mode = "stopped"  # "watchdog", "polling" while running
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._fp: tuple[int, str] = (0, "")
        self._partial = b""
        self._last_stat: tuple[int, int, int, int] | None = None
        self._started = False  # the first pass has decided where to begin
        self._resume = position if position and Path(position.path) == self.path else None
        self._lock = threading.RLock()  # one pass at a time (the thread and a caller's poll())
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None
        self._observer_retry_at = 0.0

    # ------------------------------------------------------------------ position

    @property
    def position(self) -> TailPosition:
        with self._lock:
            return TailPosition(str(self.path), self._offset, self._identity, self._fp[0], self._fp[1])

    @property
    def has_partial(self) -> bool:
        return bool(self._partial)

    # ------------------------------------------------------------------ one pass

    def poll(self) -> Iterator[TailItem]:
        """Read everything new, in order. Safe to stop iterating early: state is updated before each yield."""
        with self._lock:
            self.stats.polls += 1
            if not self._started:
                yield from self._begin()
            yield from self._follow()

    def _begin(self) -> Iterator[TailItem]:
        """First pass: resume at a saved position, or catch up from Player-prev.log."""
        self._started = True
        pos, self._resume = self._resume, None
        cur = _stat(self.path)
        if pos is not None and pos.identity is not None:
            if cur is not None and self._same_file(self.path, cur, pos) and cur.st_size >= pos.offset:
                self._set_file(cur, pos.offset, (pos.fp_len, pos.fp))
                return
            prev = _stat(self.prev_path)
            if prev is not None and self._same_file(self.prev_path, prev, pos) and prev.st_size >= pos.offset:
                yield from self._drain_file(self.prev_path, pos.offset, final=True)
                yield TailReset("prev-caught-up", f"read the rest of {self.prev_path.name} from byte {pos.offset}")
                return  # the current file is read from 0 by _follow
        if self.include_prev and _stat(self.prev_path) is not None:
            yield from self._drain_file(self.prev_path, 0, final=True)
            yield TailReset("prev-caught-up", f"read {self.prev_path.name} before {self.path.name}")

    def _same_file(self, path: Path, st: os.stat_result, pos: TailPosition) -> bool:
        if file_identity(st) != tuple(pos.identity or ()):
            # A copy (not a rename) keeps the first bytes but not the inode.
            return bool(pos.fp_len) and _fingerprint(path, pos.fp_len) == (pos.fp_len, pos.fp)
        if pos.fp_len:
            return _fingerprint(path, pos.fp_len) == (pos.fp_len, pos.fp)
        return True

    def _set_file(self, st: os.stat_result, offset: int, fp: tuple[int, str]) -> None:
        self._identity = file_identity(st)
        self._offset = offset
        self._fp = fp
        self._partial = b""
        self._last_stat = None

    def _reset(self, st: os.stat_result | None, reason: str, detail: str, lost_lines: bool = False) -> TailReset:
        self.stats.resets[reason] = self.stats.resets.get(reason, 0) + 1
        self._identity = file_identity(st) if st is not None else None
        self._offset = 0
        self._fp = (0, "")
        self._partial = b""
        self._last_stat = None
        return TailReset(reason, detail, lost_lines)

    def _follow(self) -> Iterator[TailItem]:
        st = _stat(self.path)
        if st is None:
            return  # not there (yet, or between the client's rename and create): wait
        ident = file_identity(st)
        if self._identity is None:
            self._set_file(st, 0, (0, ""))
        elif ident != self._identity:
            yield from self._rotated(st)
        else:
            sig = (st.st_size, st.st_mtime_ns, *ident)
            if sig == self._last_stat:
                return  # nothing changed since the last pass
            if st.st_size < self._offset + len(self._partial):
                yield self._reset(st, "truncated", f"{self.path.name} shrank below what was read")
            elif self._fp[0]:
                seen = _identity_and_fingerprint(self.path, self._fp[0])
                if seen is None or seen[0] != self._identity:
                    return  # renamed since the stat above: the next pass handles the rotation
                if seen[1] != self._fp:
                    yield self._reset(st, "replaced", f"{self.path.name} has a new header at byte 0")
        yield from self._drain_file(self.path, None, final=False)
        st2 = _stat(self.path)
        if st2 is not None and file_identity(st2) == self._identity and st2.st_size == self._offset + len(
                self._partial):
            self._last_stat = (st2.st_size, st2.st_mtime_ns, *file_identity(st2))

    def _rotated(self, new_st: os.stat_result) -> Iterator[TailItem]:
        """The path now names another file. Finish the old one from Player-prev.log when it is there."""
        old = TailPosition(str(self.path), self._offset, self._identity, *self._fp)
        prev = _stat(self.prev_path)
        if prev is not None and self._same_file(self.prev_path, prev, old):
            offset, self._partial = self._offset, b""  # the partial line is read again from the old file
            yield from self._drain_file(self.prev_path, offset, final=True)
            yield self._reset(new_st, "rotated", f"finished the old log from {self.prev_path.name}")
        elif prev is not None and file_identity(prev) == self._identity:
            # our file, but rewritten in place (truncated) before the client moved it: read all of it again
            self._partial = b""
            yield from self._drain_file(self.prev_path, 0, final=True)
            yield self._reset(new_st, "rotated", f"{self.prev_path.name} was rewritten before the restart: read again")
        else:
            yield self._reset(new_st, "rotated",
                              f"{self.path.name} was replaced and the old file is not {self.prev_path.name}:"
                              f" its last lines after byte {self._offset} are lost", lost_lines=True)

    def _drain_file(self, path: Path, start: int | None, *, final: bool) -> Iterator[TailItem]:
        """Read `path` from `start` (None: the current offset + partial) to its end.

        final: the file will not grow (Player-prev.log): a last line without newline is emitted too, and the
        tailer's own offset is not touched.
        """
        try:
            f = open(path, "rb")
        except OSError:
            return
        with f:
            if not final:
                fst = os.fstat(f.fileno())
                if file_identity(fst) != self._identity:
                    return  # renamed between stat and open: the next pass sees the rotation
            offset = start if start is not None else self._offset
            partial = b"" if final else self._partial
            f.seek(offset + len(partial))
            while True:
                chunk = f.read(self.read_chunk)
                if not chunk:
                    break
                self.stats.reads += 1
                self.stats.bytes += len(chunk)
                raw, rest = split_lines(partial + chunk)
                consumed = sum(len(x) for x in raw)
                offset += consumed
                partial = rest
                if not final:
                    self._offset, self._partial = offset, partial
                    self._grow_fingerprint(f, offset)
                if raw:
                    self.stats.lines += len(raw)
                    yield TailLines([decode(x) for x in raw], str(path),
                                    self.position if not final else TailPosition(str(path), offset))
            if final and partial:
                self.stats.lines += 1
                yield TailLines([decode(partial)], str(path), TailPosition(str(path), offset + len(partial)))

    def _grow_fingerprint(self, f, offset: int) -> None:
        want = min(offset, FINGERPRINT_BYTES)
        if want <= self._fp[0]:
            return
        here = f.tell()
        f.seek(0)
        data = f.read(want)
        f.seek(here)
        self._fp = (len(data), hashlib.sha1(data).hexdigest())

    # ------------------------------------------------------------------ thread

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._start_observer()
        self._thread = threading.Thread(target=self._run, name="LogTailer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._stop_observer()
        self.mode = "stopped"

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        import time

        idle_due = False
        while not self._stop.is_set():
            got = False
            items = self.poll()
            try:
                for item in items:
                    got = True
                    if isinstance(item, TailLines):
                        if self.on_lines:
                            self.on_lines(item)
                    elif self.on_reset:
                        self.on_reset(item)
                    if self._stop.is_set():
                        break
                if got:
                    idle_due = True
                elif idle_due:
                    idle_due = False
                    if self.on_idle:
                        self.on_idle()
            except Exception as e:  # a callback or the file system failed: report, keep following
                log.exception("log tailer pass failed")
                if self.on_error:
                    try:
                        self.on_error(e)
                    except Exception:
                        log.exception("on_error failed")
            finally:
                items.close()  # releases the pass lock at once when the loop stopped early
            if self._observer is None and self.use_watchdog and time.monotonic() >= self._observer_retry_at:
                self._start_observer()
            self._wake.wait(self.idle_flush_s if idle_due else self.poll_interval)
            self._wake.clear()

    # ------------------------------------------------------------------ watchdog

    def _start_observer(self) -> None:
        import time

        self.mode = "polling"
        if not self.use_watchdog:
            return
        self._observer_retry_at = time.monotonic() + 10.0
        folder = self.path.parent
        if not folder.is_dir():
            return  # Arena has not created it yet: poll, and try again later
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except Exception as e:  # pragma: no cover - watchdog is a core dependency
            log.warning("watchdog unavailable (%s): polling every %.1f s", e, self.poll_interval)
            return
        names = {self.path.name, self.prev_path.name}
        tailer = self

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event):  # noqa: D401 - watchdog callback
                if event.event_type not in ("modified", "created", "moved", "deleted"):
                    return  # opened / closed / closed_no_write
                for p in (event.src_path, getattr(event, "dest_path", "")):
                    if p and os.path.basename(os.fsdecode(p)) in names:
                        tailer.stats.wakeups += 1
                        tailer._wake.set()
                        return

        try:
            obs = Observer()
            obs.schedule(_Handler(), str(folder), recursive=False)
            obs.daemon = True
            obs.start()
        except Exception as e:
            log.warning("watchdog could not watch %s (%s): polling every %.1f s", folder, e, self.poll_interval)
            return
        self._observer = obs
        self.mode = "watchdog"

    def _stop_observer(self) -> None:
        obs, self._observer = self._observer, None
        if obs is not None:
            try:
                obs.stop()
                obs.join(2.0)
            except Exception:
                log.exception("stopping watchdog failed")


def _stat(path: Path) -> os.stat_result | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st
