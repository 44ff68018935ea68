"""LogTailer unit tests on real files in tmp: partial lines, CRLF, truncation, rotation, identity, prev, stop."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from copilot.arena.tail import LogTailer, TailLines, TailPosition, TailReset, split_lines


def lines_of(items) -> list[str]:
    return [ln for it in items if isinstance(it, TailLines) for ln in it.lines]


def resets_of(items) -> list[str]:
    return [it.reason for it in items if isinstance(it, TailReset)]


def append(p: Path, data: bytes) -> None:
    with open(p, "ab") as f:
        f.write(data)


def test_split_lines_keeps_crcrlf_and_partial():
    raw, rest = split_lines(b"a\r\nb\r\r\nc\nd")
    assert raw == [b"a\r\n", b"b\r\r\n", b"c\n"] and rest == b"d"
    assert split_lines(b"no newline") == ([], b"no newline")


def test_partial_line_waits_for_newline(tmp_path):
    p = tmp_path / "Player.log"
    p.write_bytes(b"one\r\ntw")
    t = LogTailer(p, include_prev=False)
    assert lines_of(t.poll()) == ["one\r\n"]
    assert t.position.offset == 5 and t.has_partial
    assert lines_of(t.poll()) == []
    append(p, b"o\r\nthree")
    assert lines_of(t.poll()) == ["two\r\n"]
    append(p, b"\n")
    assert lines_of(t.poll()) == ["three\n"]
    assert t.position.offset == p.stat().st_size


def test_utf8_split_across_reads_is_decoded_whole(tmp_path):
    p = tmp_path / "Player.log"
    text = "DOTween ► warning\n".encode()
    cut = text.index("►".encode()) + 1  # inside the 3-byte character
    p.write_bytes(text[:cut])
    t = LogTailer(p, include_prev=False, read_chunk=3)
    assert lines_of(t.poll()) == []
    append(p, text[cut:] + b"bad \xff byte\n")
    assert lines_of(t.poll()) == ["DOTween ► warning\n", "bad \ufffd byte\n"]


def test_truncation_restarts_at_zero(tmp_path):
    p = tmp_path / "Player.log"
    p.write_bytes(b"aaaa\nbbbb\n")
    t = LogTailer(p, include_prev=False)
    assert lines_of(t.poll()) == ["aaaa\n", "bbbb\n"]
    with open(p, "r+b") as f:
        f.truncate(0)
    f = open(p, "ab")
    f.write(b"new\n")
    f.close()
    items = list(t.poll())
    assert resets_of(items) == ["truncated"] and lines_of(items) == ["new\n"]


def test_rewritten_in_place_with_new_header_is_detected(tmp_path):
    p = tmp_path / "Player.log"
    p.write_bytes(b"Startup Timestamp: 1\nx\n")
    t = LogTailer(p, include_prev=False)
    lines_of(t.poll())
    with open(p, "r+b") as f:  # same inode, same or larger size, other content
        f.seek(0)
        f.write(b"Startup Timestamp: 2\nyyyyyy\n")
    items = list(t.poll())
    assert resets_of(items) == ["replaced"]
    assert lines_of(items) == ["Startup Timestamp: 2\n", "yyyyyy\n"]


def test_rotation_reads_rest_of_prev_then_new(tmp_path):
    p, prev = tmp_path / "Player.log", tmp_path / "Player-prev.log"
    p.write_bytes(b"s1 a\ns1 b\n")
    t = LogTailer(p, include_prev=False)
    assert lines_of(t.poll()) == ["s1 a\n", "s1 b\n"]
    append(p, b"s1 c\ns1 partial")  # written before the client quit, never seen by us
    os.replace(p, prev)
    p.write_bytes(b"s2 a\n")
    items = list(t.poll())
    assert lines_of(items) == ["s1 c\n", "s1 partial", "s2 a\n"]
    assert resets_of(items) == ["rotated"]
    assert items[-1].source == str(p)


def test_rotation_when_prev_is_another_file_loses_only_the_tail(tmp_path):
    p, prev = tmp_path / "Player.log", tmp_path / "Player-prev.log"
    p.write_bytes(b"s1\n")
    t = LogTailer(p, include_prev=False)
    lines_of(t.poll())
    os.link(p, tmp_path / "kept-elsewhere")  # keeps the inode alive, so no new file can reuse it
    os.unlink(p)
    prev.write_bytes(b"unrelated\n")
    p.write_bytes(b"s3\n")
    items = list(t.poll())
    assert lines_of(items) == ["s3\n"] and resets_of(items) == ["rotated"]
    assert "lost" in items[0].detail


def test_missing_file_then_created(tmp_path):
    p = tmp_path / "Player.log"
    t = LogTailer(p, include_prev=False)
    assert list(t.poll()) == []
    p.write_bytes(b"hello\n")
    assert lines_of(t.poll()) == ["hello\n"]


def test_prev_catch_up_at_start(tmp_path):
    p, prev = tmp_path / "Player.log", tmp_path / "Player-prev.log"
    prev.write_bytes(b"old 1\nold 2 no newline")
    p.write_bytes(b"new 1\n")
    items = list(LogTailer(p, include_prev=True).poll())
    assert lines_of(items) == ["old 1\n", "old 2 no newline", "new 1\n"]
    assert resets_of(items) == ["prev-caught-up"]
    assert lines_of(LogTailer(p, include_prev=False).poll()) == ["new 1\n"]


def test_resume_same_file_from_offset(tmp_path):
    p = tmp_path / "Player.log"
    p.write_bytes(b"a\nb\n")
    t = LogTailer(p, include_prev=False)
    lines_of(t.poll())
    pos = TailPosition.from_dict(t.position.to_dict())
    append(p, b"c\n")
    (tmp_path / "Player-prev.log").write_bytes(b"prev\n")
    t2 = LogTailer(p, position=pos, include_prev=True)
    assert lines_of(t2.poll()) == ["c\n"]  # neither a re-read nor the prev file


def test_resume_after_client_restart_reads_rest_of_prev(tmp_path):
    p, prev = tmp_path / "Player.log", tmp_path / "Player-prev.log"
    p.write_bytes(b"a\nb\n")
    t = LogTailer(p, include_prev=False)
    lines_of(t.poll())
    pos = t.position
    append(p, b"c\n")
    os.replace(p, prev)
    p.write_bytes(b"new\n")
    items = list(LogTailer(p, position=pos).poll())
    assert lines_of(items) == ["c\n", "new\n"] and resets_of(items) == ["prev-caught-up"]


def test_resume_with_unknown_file_replays_prev_and_current(tmp_path):
    p, prev = tmp_path / "Player.log", tmp_path / "Player-prev.log"
    pos = TailPosition(str(p), 10, (1, 2), 3, "0" * 40)
    prev.write_bytes(b"p\n")
    p.write_bytes(b"c\n")
    assert lines_of(LogTailer(p, position=pos).poll()) == ["p\n", "c\n"]


def _collect_thread(t: LogTailer):
    got, resets, idles = [], [], []
    cond = threading.Condition()

    def on_lines(item):
        with cond:
            got.extend(item.lines)
            cond.notify_all()

    def on_reset(r):
        resets.append(r.reason)

    def on_idle():
        with cond:
            idles.append(time.monotonic())
            cond.notify_all()

    t.on_lines, t.on_reset, t.on_idle = on_lines, on_reset, on_idle
    return got, resets, idles, cond


@pytest.mark.parametrize("use_watchdog", [True, False])
def test_thread_follows_rotation_and_stops(tmp_path, use_watchdog):
    p, prev = tmp_path / "Player.log", tmp_path / "Player-prev.log"
    p.write_bytes(b"1\n")
    t = LogTailer(p, include_prev=False, poll_interval=0.05, idle_flush_s=0.02, use_watchdog=use_watchdog)
    got, resets, idles, cond = _collect_thread(t)
    t.start()
    try:
        assert t.mode == ("watchdog" if use_watchdog else "polling")
        with cond:
            assert cond.wait_for(lambda: got == ["1\n"] and idles, timeout=5)
        append(p, b"2\n3")
        os.replace(p, prev)
        p.write_bytes(b"4\n")
        with cond:
            assert cond.wait_for(lambda: got == ["1\n", "2\n", "3", "4\n"], timeout=5), got
        assert resets == ["rotated"]
    finally:
        t.stop()
    assert not t.running and t.mode == "stopped"
    append(p, b"5\n")
    time.sleep(0.15)
    assert got[-1] == "4\n"  # nothing read after stop


def test_callback_error_is_reported_and_tailing_goes_on(tmp_path):
    p = tmp_path / "Player.log"
    p.write_bytes(b"boom\n")
    errors, seen = [], []
    done = threading.Event()

    def on_lines(item):
        seen.extend(item.lines)
        if "boom\n" in item.lines:
            raise ValueError("callback failed")
        done.set()

    t = LogTailer(p, include_prev=False, poll_interval=0.05, use_watchdog=False, on_lines=on_lines,
                  on_error=errors.append)
    t.start()
    try:
        deadline = time.monotonic() + 5
        while not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        append(p, b"ok\n")
        assert done.wait(5)
    finally:
        t.stop()
    assert seen == ["boom\n", "ok\n"] and isinstance(errors[0], ValueError)


def test_truncated_then_rotated_before_a_poll_reads_prev_again(tmp_path):
    p, prev = tmp_path / "Player.log", tmp_path / "Player-prev.log"
    p.write_bytes(b"first session line\n")
    t = LogTailer(p, include_prev=False)
    lines_of(t.poll())
    with open(p, "r+b") as f:  # rewritten in place, then the client restarts, all before we look again
        f.truncate(0)
        f.write(b"second session line 1\nsecond session line 2\n")
    os.replace(p, prev)
    p.write_bytes(b"third\n")
    items = list(t.poll())
    assert lines_of(items) == ["second session line 1\n", "second session line 2\n", "third\n"]


def test_folder_missing_at_start_polls_until_it_appears(tmp_path):
    p = tmp_path / "not-yet" / "MTGA" / "Player.log"
    t = LogTailer(p, include_prev=False, poll_interval=0.05, use_watchdog=True)
    got, resets, idles, cond = _collect_thread(t)
    t.start()
    try:
        assert t.mode == "polling"  # nothing to watch yet: the polling timer is the safety net
        p.parent.mkdir(parents=True)
        p.write_bytes(b"first line\n")
        with cond:
            assert cond.wait_for(lambda: got == ["first line\n"], timeout=5)
    finally:
        t.stop()
