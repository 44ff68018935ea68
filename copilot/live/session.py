"""LiveSession: Player.log -> LogTailer -> ArenaLogParser -> reduce -> callbacks, persisted across restarts.

The core service the GUI wraps (it connects `on_state`/`on_warning` to queued Qt signals); `copilot live` uses it
directly. No Qt here. Callbacks run on the tailer's thread (or the caller's, for `run_once`).

Restart rules:
- the saved ArenaState and tail position live in `user_data_dir()/live_state.json` (atomic, 0600);
- same log file as saved (identity + first bytes): resume from the saved offset with the saved state;
- the client restarted meanwhile (the saved file is now `Player-prev.log`): read the rest of it, then the new
  `Player.log` from 0;
- anything else: replay `Player-prev.log` + `Player.log` on top of the saved drafts (the reducer is idempotent on
  facts), so a draft in progress or a sealed pool from an earlier session survives app and Arena restarts.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from copilot.arena import locate
from copilot.arena.tail import LogTailer, TailLines, TailPosition, TailReset
from copilot.draft.replay import Replay
from copilot.draft.state import ArenaState
from copilot.live.persist import CorruptStateFile, SavedSession, default_state_file, load_session, save_session

log = logging.getLogger(__name__)

FIND_LOG_RETRY_S = 5.0


@dataclass
class SessionInfo:
    log_path: str | None = None
    resumed: str = "fresh"  # "fresh", "offset" (same file), "state" (saved drafts + replay)
    mode: str = "stopped"  # tailer mode: watchdog / polling / stopped / waiting-for-log
    resets: list[str] = field(default_factory=list)
    saves: int = 0


class LiveSession:
    def __init__(self, log_path: Path | str | None = None, *, include_prev: bool = True,
                 state_file: Path | str | None = None, persist: bool = True, resume: bool = True,
                 on_state: Callable[[ArenaState], None] | None = None,
                 on_warning: Callable[[str], None] | None = None,
                 poll_interval: float = 0.5, idle_flush_s: float = 0.1, use_watchdog: bool = True,
                 save_interval_s: float = 2.0):
        self.log_path = Path(log_path) if log_path else None
        self.include_prev = include_prev
        self.state_file = Path(state_file) if state_file else default_state_file()
        self.persist, self.resume = persist, resume
        self.on_state, self.on_warning = on_state, on_warning
        self.poll_interval, self.idle_flush_s, self.use_watchdog = poll_interval, idle_flush_s, use_watchdog
        self.save_interval_s = save_interval_s
        self.replay = Replay()  # the parser and the state, as in a one-shot replay
        self.info = SessionInfo()
        self._published: ArenaState | None = None
        self._warned: set[str] = set()
        self._pos: TailPosition | None = None
        self._version = 0  # bumped whenever the reducer returns a new state
        self._saved_sig: tuple | None = None
        self._last_save = 0.0
        self._lock = threading.RLock()
        self._tailer: LogTailer | None = None
        self._finder: threading.Thread | None = None
        self._stop = threading.Event()
        self._loaded = False

    @classmethod
    def for_gui(cls, log_path: Path | str | None, *, on_state: Callable[[ArenaState], None],
                on_warning: Callable[[str], None], **options) -> "LiveSession":
        """The desktop app's session: Player-prev.log catch-up, saved state, watchdog with 0.5 s polling as the
        safety net. Callbacks run on the tailer thread: the GUI posts them to its own thread."""
        return cls(log_path, on_state=on_state, on_warning=on_warning, **options)

    # ------------------------------------------------------------------ public

    @property
    def parser(self):
        return self.replay.parser

    @property
    def state(self) -> ArenaState:
        """The latest state (treat as read-only: the reducer never mutates it, it replaces it)."""
        with self._lock:
            return self.replay.state

    @property
    def position(self) -> TailPosition | None:
        """Where the processed part of the log ends (what a restart resumes from)."""
        with self._lock:
            return self._pos

    @property
    def tailer(self) -> LogTailer | None:
        return self._tailer

    def run_once(self) -> ArenaState:
        """Read what the log holds now, flush, save, return the state (no thread)."""
        self.pump(save=True)
        return self.state

    def pump(self, save: bool = False) -> ArenaState:
        """One synchronous pass on the caller's thread: read what is new, then go idle (flush the parser; save
        when `save` or when the save interval has passed). For tests, tools and `--once`; not with start()."""
        if not self.prepare():
            return self.state
        for item in self._tailer.poll():
            self._dispatch(item)
        self._idle(force_save=save)
        return self.state

    def start(self) -> None:
        """Follow the log in the background. When no log exists yet, warn and look again every few seconds."""
        self._stop.clear()
        if self.prepare():
            self._tailer.start()
            self.info.mode = self._tailer.mode
            return
        self.info.mode = "waiting-for-log"
        self._finder = threading.Thread(target=self._wait_for_log, name="LiveSession-find-log", daemon=True)
        self._finder.start()

    def stop(self) -> None:
        """Stop following, flush what the parser holds and save."""
        self._stop.set()
        if self._finder is not None:
            self._finder.join(FIND_LOG_RETRY_S + 1)
            self._finder = None
        if self._tailer is not None and self._tailer.running:
            self._tailer.stop()
            self._idle(force_save=True)
        self.info.mode = "stopped"

    # ------------------------------------------------------------------ set-up

    def prepare(self) -> bool:
        if self._tailer is not None:
            return True
        if self.log_path is None:
            found = locate.find_log()
            if found is None:
                self._warn(locate.no_log_message())
                return False
            self.log_path = found
        elif not self.log_path.exists():
            self._warn(f"{self.log_path} does not exist (yet): waiting for MTG Arena to write it.")
        self.info.log_path = str(self.log_path)
        position = self._load() if not self._loaded else None
        self._pos = position  # what a save writes until the tailer reports a newer position
        self._tailer = LogTailer(self.log_path, position=position, include_prev=self.include_prev,
                                 poll_interval=self.poll_interval, idle_flush_s=self.idle_flush_s,
                                 use_watchdog=self.use_watchdog, on_lines=self._dispatch, on_reset=self._dispatch,
                                 on_idle=self._idle, on_error=self._tail_error)
        return True

    def _load(self) -> TailPosition | None:
        self._loaded = True
        if not (self.persist and self.resume):
            return None
        try:
            saved = load_session(self.state_file)
        except CorruptStateFile as e:
            self._warn(str(e))
            return None
        if saved is None:
            return None
        with self._lock:
            self.replay.state = saved.state
        same_log = saved.log_path is not None and Path(saved.log_path) == self.log_path
        self.info.resumed = "offset" if same_log and saved.position and saved.position.identity else "state"
        return saved.position if same_log else None

    def _wait_for_log(self) -> None:
        while not self._stop.wait(FIND_LOG_RETRY_S):
            if locate.find_log() is not None and self.prepare():
                self._tailer.start()
                self.info.mode = self._tailer.mode
                self._warn(f"Found the MTG Arena log: {self.log_path}")
                return

    # ------------------------------------------------------------------ processing (tailer thread)

    def _dispatch(self, item: TailLines | TailReset) -> None:
        with self._lock:
            if isinstance(item, TailLines):
                for line in item.lines:
                    self._apply(self.replay.feed(line))
                if item.source == str(self.log_path):
                    self._pos = item.position
            else:
                # a file boundary: close the entry the parser holds, as a one-shot replay does between files
                self._apply(self.replay.end_of_file())
                self.info.resets.append(item.reason)
                if self._tailer is not None:
                    self._pos = self._tailer.position
                if item.lost_lines:
                    self._warn(f"MTG Arena restarted and {item.detail}.")
            self._publish()

    def _idle(self, force_save: bool = False) -> None:
        with self._lock:
            self._apply(self.replay.end_of_file())
            self._publish()
            if self.persist and (force_save or time.monotonic() - self._last_save >= self.save_interval_s):
                self._save()

    def _apply(self, transitions) -> None:
        self._version += len(transitions)

    def _publish(self) -> None:
        st = self.replay.state
        if st is self._published:
            return
        self._published = st
        if self.on_state is not None:
            self._safe(self.on_state, st)
        for w in st.warnings:
            self._warn(w)

    def _save(self) -> None:
        pos = self._pos
        sig = (self._version, pos.offset if pos else None, pos.identity if pos else None)
        if sig == self._saved_sig:
            return
        try:
            save_session(self.state_file, SavedSession(self.replay.state, pos, str(self.log_path), time.time()))
        except OSError as e:
            self._warn(f"could not save the live state to {self.state_file}: {e}")
            return
        self._saved_sig = sig
        self._last_save = time.monotonic()
        self.info.saves += 1

    def _tail_error(self, exc: BaseException) -> None:
        self._warn(f"reading {self.log_path} failed: {type(exc).__name__}: {exc} (still following)")

    def _warn(self, text: str) -> None:
        if text in self._warned:
            return
        self._warned.add(text)
        log.info("warning: %s", text)
        if self.on_warning is not None:
            self._safe(self.on_warning, text)

    @staticmethod
    def _safe(fn, *args) -> None:
        try:
            fn(*args)
        except Exception:  # a listener must not stop the session
            log.exception("live session callback %r failed", fn)
