"""Property test: whatever the write/poll/restart/truncate sequence, the tailer emits exactly the lines a perfect
reader would (complete lines in order; the last partial line of a finished file; nothing twice)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

from copilot.arena.tail import LogTailer, TailLines

chunk = st.lists(st.sampled_from([b"a", b"b", b"\xc3\xa9", b"\r", b"\n", b"\r\n", b"[Unity]x"]), max_size=12) \
    .map(b"".join)
op = st.one_of(st.tuples(st.just("write"), chunk), st.just(("poll",)), st.just(("restart",)),
               st.just(("truncate",)))


def complete_lines(data: bytes) -> tuple[list[bytes], bytes]:
    end = data.rfind(b"\n")
    if end < 0:
        return [], data
    return [x + b"\n" for x in data[:end].split(b"\n")], data[end + 1:]


@settings(max_examples=100, deadline=None)
@given(st.lists(op, max_size=25), st.booleans())
def test_tailer_matches_a_perfect_reader(ops, use_prev_at_start):
    with tempfile.TemporaryDirectory() as d:
        log, prev = Path(d) / "Player.log", Path(d) / "Player-prev.log"
        prev.write_bytes(b"old session\nold partial")
        log.write_bytes(b"")
        t = LogTailer(log, include_prev=use_prev_at_start, use_watchdog=False)
        got: list[str] = []
        want: list[bytes] = [b"old session\n", b"old partial"] if use_prev_at_start else []
        current = b""
        consumed = 0  # bytes of `current` a perfect reader has emitted (complete lines only)

        def poll():
            nonlocal consumed
            got.extend(ln for it in t.poll() if isinstance(it, TailLines) for ln in it.lines)
            lines, _ = complete_lines(current[consumed:])
            want.extend(lines)
            consumed += sum(len(x) for x in lines)

        poll()  # the session starts: the catch-up pass
        for o in ops:
            if o[0] == "write":
                with open(log, "ab") as f:
                    f.write(o[1])
                current += o[1]
            elif o[0] == "poll":
                poll()
            elif o[0] == "restart":  # Arena restarts: the whole old file, partial line included, then the new one
                os.replace(log, prev)
                log.write_bytes(b"")
                rest = current[consumed:]
                lines, partial = complete_lines(rest)
                want_rest = lines + ([partial] if partial else [])
                got.extend(ln for it in t.poll() if isinstance(it, TailLines) for ln in it.lines)
                want.extend(want_rest)
                current, consumed = b"", 0
            else:  # truncation in place, noticed before anything new is written: unread bytes are gone
                poll()
                with open(log, "r+b") as f:
                    f.truncate(0)
                got.extend(ln for it in t.poll() if isinstance(it, TailLines) for ln in it.lines)
                current, consumed = b"", 0
        poll()
        assert got == [x.decode("utf-8", "replace") for x in want]
