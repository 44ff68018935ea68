"""A fake MTG Arena client for the live tests: writes real log bytes into Player.log in random chunks, and can
truncate the file or restart (rename to Player-prev.log, start a new Player.log) on the way."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path


def line_cut(data: bytes, fraction: float) -> int:
    """A byte offset just after a newline near `fraction` of `data` (a client session ends on a whole line)."""
    i = data.find(b"\n", int(len(data) * fraction))
    return len(data) if i < 0 else i + 1


def cut_after(data: bytes, marker: bytes, n: int) -> int:
    """The offset just after the line holding the `n`-th (1-based) occurrence of `marker`."""
    i = -1
    for _ in range(n):
        i = data.index(marker, i + 1)
    return data.index(b"\n", i) + 1


class FakeArena:
    def __init__(self, folder: Path, seed: int, max_chunk: int = 32 * 1024, pause_every: int = 4):
        self.folder = Path(folder)
        self.log = self.folder / "Player.log"
        self.prev = self.folder / "Player-prev.log"
        self.rng = random.Random(seed)
        self.max_chunk = max_chunk
        self.pause_every = pause_every
        self.files: list[bytes] = []  # the content of each file the client wrote, in order (for the replay)
        self._current = bytearray()

    def write(self, data: bytes) -> None:
        """Append `data` in random chunk sizes (partial lines included), sometimes pausing so that the reader
        catches up mid-line and goes idle."""
        i = 0
        with open(self.log, "ab", buffering=0) as f:
            while i < len(data):
                n = self.rng.randint(1, self.max_chunk)
                f.write(data[i:i + n])
                self._current += data[i:i + n]
                i += n
                r = self.rng.randrange(self.pause_every)
                if r == 0:
                    time.sleep(self.rng.choice((0.0, 0.002, 0.03)))

    def restart_client(self, reader_follows=None) -> None:
        """What Arena does at start-up: Player.log becomes Player-prev.log, a new Player.log starts at 0.

        reader_follows: a condition "the reader has opened the current file" to wait for first. A real client
        restart takes many seconds; two restarts before the reader looks once would lose the middle file."""
        if reader_follows is not None:
            assert wait_until(reader_follows), "the reader never reached the current file"
        os.replace(self.log, self.prev)
        self.files.append(bytes(self._current))
        self._current = bytearray()
        self.log.write_bytes(b"")

    def truncate(self) -> None:
        """Cut Player.log to 0 in place (same inode). Only the lines read before it count."""
        with open(self.log, "r+b") as f:
            f.truncate(0)
        self.files.append(bytes(self._current))
        self._current = bytearray()

    def finish(self) -> list[bytes]:
        return self.files + [bytes(self._current)]


def write_files(folder: Path, contents: list[bytes]) -> list[Path]:
    out = []
    for i, c in enumerate(contents):
        p = Path(folder) / f"expected-{i}.log"
        p.write_bytes(c)
        out.append(p)
    return out


def wait_until(cond, timeout: float = 20.0, step: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()
