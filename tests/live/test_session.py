"""LiveSession on real Arena logs written live by a fake client (random chunks, truncation, restarts)."""
from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from copilot.draft.replay import replay_paths
from copilot.live.persist import load_session
from copilot.live.session import LiveSession
from .writer import FakeArena, cut_after, line_cut, wait_until, write_files

PICK = b"==> EventPlayerDraftMakePick"

FAST = dict(poll_interval=0.05, idle_flush_s=0.01, save_interval_s=0.05)


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))


def caught_up(session: LiveSession, arena: FakeArena) -> bool:
    pos = session.position
    try:
        st = os.stat(arena.log)
    except OSError:
        return False
    return pos is not None and pos.identity == (st.st_dev, st.st_ino) and pos.offset == st.st_size


def follows_current(session: LiveSession, arena: FakeArena):
    """The session has read part of the file that is Player.log now (not necessarily all of it)."""
    def cond() -> bool:
        pos = session.position
        try:
            st = os.stat(arena.log)
        except OSError:
            return False
        return pos is not None and pos.identity == (st.st_dev, st.st_ino) and pos.offset > 0
    return cond


def expected_state(tmp_path: Path, contents: list[bytes]):
    return replay_paths(write_files(tmp_path, [c for c in contents if c]))


def follow(session: LiveSession, arena: FakeArena, script) -> None:
    session.start()
    try:
        script()
        assert wait_until(lambda: caught_up(session, arena)), "the session did not catch up with the writer"
    finally:
        session.stop()


def test_live_equals_replay_with_truncation_and_restart(arena_logs, tmp_path):
    """THE tail test: a draft written live at random chunk sizes, a truncation after an earlier session and a
    client restart mid-draft; the followed state equals a one-shot replay of the same files."""
    disabled = (arena_logs / "detailed-logs-disabled-2026.log").read_bytes()
    draft = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    folder = tmp_path / "MTGA"
    folder.mkdir()
    arena = FakeArena(folder, seed=1234)
    arena.log.write_bytes(b"")
    states, warnings, mid = [], [], []
    session = LiveSession(arena.log, on_state=states.append, on_warning=warnings.append, **FAST)

    def script():
        arena.write(disabled)
        assert wait_until(lambda: caught_up(session, arena))  # a truncation loses what was not read yet
        arena.truncate()
        cut = cut_after(draft, PICK, 20)  # mid-draft: pack 2, pick 7
        arena.write(draft[:cut])
        assert wait_until(lambda: caught_up(session, arena))
        mid.append(session.state.drafts[-1])  # the state is live, not only built at the end
        arena.restart_client()
        arena.write(draft[cut:])

    follow(session, arena, script)
    want = expected_state(tmp_path, arena.finish())
    got = session.state
    assert json.loads(got.to_json()) == json.loads(want.to_json())
    d = got.drafts[-1]
    assert d.event_name == "PremierDraft_ECL_20260120" and len(d.pool) == 39 and d.complete
    # the in-place rewrite is seen as a truncation, or as a new header when the new bytes outgrew the old file
    assert {"truncated", "replaced"} & set(session.info.resets) and "rotated" in session.info.resets
    assert any("Detailed Logs" in w for w in warnings)  # the first session had them disabled
    assert len(mid[0].pool) == 20 and not mid[0].complete
    assert states[-1] is got


@pytest.mark.parametrize("use_watchdog", [True, False])
def test_live_quick_draft_in_three_client_sessions(arena_logs, tmp_path, use_watchdog):
    parts = [(arena_logs / f"quick-draft-2026-ECL.part{i}.log").read_bytes() for i in (1, 2, 3)]
    folder = tmp_path / "MTGA"
    folder.mkdir()
    arena = FakeArena(folder, seed=7, max_chunk=200 * 1024)
    session = LiveSession(arena.log, use_watchdog=use_watchdog, **FAST)

    def script():
        for i, part in enumerate(parts):
            if i:
                arena.restart_client(follows_current(session, arena))
            arena.write(part)

    arena.log.write_bytes(b"")
    follow(session, arena, script)
    want = expected_state(tmp_path, arena.finish())
    assert session.state.to_json() == want.to_json()
    d = session.state.drafts[-1]
    assert d.event_name == "QuickDraft_ECL_20260223" and len(d.pool) == 39


def test_stop_and_resume_mid_draft_equals_uninterrupted(arena_logs, tmp_path):
    """Stop the app mid-draft, the client restarts while it is closed, a new session picks up the rest."""
    draft = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    folder = tmp_path / "MTGA"
    folder.mkdir()
    arena = FakeArena(folder, seed=99)
    arena.log.write_bytes(b"")
    a, b, c = (cut_after(draft, PICK, n) for n in (9, 17, 30))

    first = LiveSession(arena.log, **FAST)
    follow(first, arena, lambda: arena.write(draft[:a]))
    saved = load_session(first.state_file)
    assert saved is not None and saved.position.offset == a
    assert stat.S_IMODE(os.stat(first.state_file).st_mode) == 0o600
    mid = first.state.drafts[-1]
    assert len(mid.pool) == 9

    arena.write(draft[a:b])  # written while the app is closed
    arena.restart_client()
    arena.write(draft[b:c])

    second = LiveSession(arena.log, **FAST)
    follow(second, arena, lambda: arena.write(draft[c:]))
    assert second.info.resumed == "offset"
    assert "prev-caught-up" in second.info.resets
    want = expected_state(tmp_path, arena.finish())
    assert json.loads(second.state.to_json()) == json.loads(want.to_json())
    assert len(second.state.drafts[-1].pool) == 39


def test_resume_same_file_reads_only_the_new_part(arena_logs, tmp_path):
    draft = (arena_logs / "premier-draft-2026-ECL.log").read_bytes()
    log = tmp_path / "Player.log"
    cut = cut_after(draft, PICK, 20)
    log.write_bytes(draft[:cut])
    first = LiveSession(log)
    first.run_once()
    with open(log, "ab") as f:
        f.write(draft[cut:])
    lines_seen = []
    second = LiveSession(log)
    second.parser.feed = (lambda feed: (lambda line: (lines_seen.append(line), feed(line))[1]))(second.parser.feed)
    second.run_once()
    assert second.info.resumed == "offset"
    assert sum(len(x.encode()) for x in lines_seen) == len(draft) - cut
    assert second.state.to_json() == replay_paths([log]).to_json()
    third = LiveSession(log)  # nothing new: still resumes at the end, reads nothing
    third.run_once()
    assert third.info.resumed == "offset" and third.parser.stats.lines == 0
    fourth = LiveSession(log)  # the third run saved the position it resumed from, not "unknown"
    assert fourth.run_once().to_json() == second.state.to_json()
    assert fourth.info.resumed == "offset" and fourth.parser.stats.lines == 0


def test_saved_sealed_pool_survives_when_logs_are_gone(arena_logs, tmp_path):
    """A sealed pool joined in an earlier Arena session (its log since overwritten) is still there."""
    folder = tmp_path / "MTGA"
    folder.mkdir()
    (folder / "Player.log").write_bytes((arena_logs / "sealed-2026-SOS-join-pool.log").read_bytes())
    LiveSession(folder / "Player.log").run_once()
    (folder / "Player.log").unlink()  # two client restarts later: neither file holds the join any more
    (folder / "Player.log").write_bytes((arena_logs / "sealed-2026-SOS-deckbuild.log").read_bytes())
    s = LiveSession(folder / "Player.log").run_once()
    sealed = [d for d in s.drafts if d.event_name == "Sealed_SOS_20260421"]
    assert len(sealed) == 1 and len(sealed[0].pool) == 85 and sealed[0].deck is not None


def test_corrupt_state_file_is_kept_aside_and_reported(arena_logs, tmp_path):
    log = tmp_path / "Player.log"
    log.write_bytes((arena_logs / "premier-draft-2026-DSK-grepped.log").read_bytes())
    state_file = tmp_path / "home" / "live_state.json"
    state_file.parent.mkdir(parents=True)
    state_file.write_text("{not json")
    warnings = []
    s = LiveSession(log, on_warning=warnings.append).run_once()
    assert any("could not read the saved live state" in w for w in warnings)
    assert list(state_file.parent.glob("live_state.json.corrupt-*"))
    assert s.drafts and load_session(state_file) is not None


def test_detailed_logs_disabled_warns_what_to_do(arena_logs, tmp_path):
    log = tmp_path / "Player.log"
    log.write_bytes((arena_logs / "detailed-logs-disabled-2026.log").read_bytes())
    warnings = []
    LiveSession(log, on_warning=warnings.append, persist=False).run_once()
    assert any("Detailed Logs (Plugin Support)" in w and "restart" in w for w in warnings)


def test_no_log_found_warns_and_waits(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "emptyhome"))
    monkeypatch.delenv("COPILOT_ARENA_LOG", raising=False)
    monkeypatch.delenv("WINEPREFIX", raising=False)
    warnings = []
    s = LiveSession(on_warning=warnings.append)
    s.start()
    try:
        assert s.info.mode == "waiting-for-log"
        assert warnings and "No MTG Arena log" in warnings[0] and "--log" in warnings[0]
    finally:
        s.stop()


def test_listener_errors_do_not_stop_the_session(arena_logs, tmp_path):
    log = tmp_path / "Player.log"
    log.write_bytes((arena_logs / "premier-draft-2026-ECL.log").read_bytes())

    def bad(_state):
        raise RuntimeError("listener bug")

    s = LiveSession(log, on_state=bad, persist=False).run_once()
    assert len(s.drafts[-1].pool) == 39


def test_for_gui_follows_and_reports(arena_logs, tmp_path):
    log = tmp_path / "Player.log"
    log.write_bytes((arena_logs / "sealed-2026-SOS-join-pool.log").read_bytes())
    states = []
    s = LiveSession.for_gui(log, on_state=states.append, on_warning=lambda w: None, poll_interval=0.05)
    s.start()
    try:
        assert wait_until(lambda: states and states[-1].drafts and len(states[-1].drafts[-1].pool) == 85)
    finally:
        s.stop()


@pytest.mark.parametrize("name", ["trad-draft-2021-VOW.log", "premier-draft-2020-ZNR.log",
                                  "premier-draft-2026-ECL.log", "sealed-2026-SOS-deckbuild.log",
                                  "premier-draft-2026-DSK-grepped.log"])
def test_idle_flush_after_every_write_changes_nothing(arena_logs, tmp_path, name):
    """Worst case for the idle flush: the log grows in random pieces and the session goes idle after each one
    (deterministic, no threads). Every era's log ends in the same state as a one-shot replay."""
    import random

    data = (arena_logs / name).read_bytes()
    rng = random.Random(name)
    log = tmp_path / "Player.log"
    log.write_bytes(b"")
    s = LiveSession(log, persist=False, include_prev=False)
    i = 0
    while i < len(data):
        n = rng.randint(1, 8000)
        with open(log, "ab") as f:
            f.write(data[i:i + n])
        i += n
        s.pump()
    assert s.state.to_json() == replay_paths([log]).to_json()
