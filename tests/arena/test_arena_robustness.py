"""The parser and the reducer never raise, whatever the input: real log lines mutated by hypothesis (byte flips,
truncation, splicing, junk, huge lines, wrong line endings). `stats.errors` counts exceptions the parser had to
catch (a bug), so it must stay 0; the reducer must not report internal errors either."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot.arena.parser import ArenaLogParser
from copilot.draft.replay import iter_file_lines
from copilot.draft.reducer import reduce
from copilot.draft.state import ArenaState

FILES = ["premier-draft-2026-ECL.log", "trad-draft-2021-VOW.log", "premier-draft-2020-ZNR.log",
         "premier-draft-2026-DSK-grepped.log", "quick-draft-2026-ECL.part1.log", "sealed-2026-SOS-join-pool.log"]
_LINES: list[str] = []


@pytest.fixture(scope="module")
def real_lines(arena_logs):
    if not _LINES:
        for name in FILES:
            for line in iter_file_lines(arena_logs / name):
                if len(line) < 200_000 and ("==>" in line or "<==" in line or "Draft.Notify" in line
                                            or line.startswith("{") or "DETAILED" in line or "Mono" in line):
                    _LINES.append(line)
    return _LINES


def _mutate(line: str, data) -> str:
    kind = data.draw(st.sampled_from(["flip", "truncate", "splice", "junk", "huge", "ending", "keep", "types"]))
    if kind == "keep" or not line:
        return line
    if kind == "flip":
        b = bytearray(line.encode("utf-8"))
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(b) - 1))
            b[i] = data.draw(st.integers(0, 255))
        return b.decode("utf-8", "replace")
    if kind == "truncate":
        return line[: data.draw(st.integers(0, len(line)))]
    if kind == "splice":
        other = data.draw(st.sampled_from(_LINES))
        i, j = data.draw(st.integers(0, len(line))), data.draw(st.integers(0, len(other)))
        return line[:i] + other[j:]
    if kind == "junk":
        i = data.draw(st.integers(0, len(line)))
        return line[:i] + data.draw(st.text(max_size=40)) + line[i:]
    if kind == "huge":
        return line.rstrip("\r\n") * data.draw(st.integers(2, 40))
    if kind == "types":  # swap JSON literal types inside payloads
        src = data.draw(st.sampled_from(['":1', '":"', '":[', '":{', "true", "null", ","]))
        dst = data.draw(st.sampled_from(['":null', '":[]', '":{}', '":"x"', '":-1', '":1e999', "false"]))
        return line.replace(src, dst, data.draw(st.integers(1, 3)))
    return line.rstrip("\r\n") + data.draw(st.sampled_from(["", "\r", "\r\r\n", "\n\n", "\r\n\r\n"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_real_lines_never_break_parser_or_reducer(real_lines, data):
    start = data.draw(st.integers(0, len(real_lines) - 1))
    count = data.draw(st.integers(1, 40))
    window = real_lines[start:start + count]
    mutated = [_mutate(line, data) for line in window]
    parser, state = ArenaLogParser(), ArenaState()
    for line in mutated:
        for ev in parser.feed(line):
            state = reduce(state, ev)
    for ev in parser.end_of_input():
        state = reduce(state, ev)
    assert parser.stats.errors == 0
    assert not any(w.startswith("internal error") for w in state.warnings), state.warnings
    ArenaState.from_json(state.to_json())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))),
                max_size=30))
def test_arbitrary_text_never_breaks_the_parser(lines):
    parser, state = ArenaLogParser(), ArenaState()
    for line in lines:
        for ev in parser.feed(line):
            state = reduce(state, ev)
    assert parser.stats.errors == 0


def test_a_huge_line_is_skipped_and_counted():
    from copilot.arena import framing

    parser = ArenaLogParser()
    old = framing.MAX_LINE_CHARS
    framing.MAX_LINE_CHARS = 1000
    try:
        assert parser.feed("[UnityCrossThreadLogger]Draft.Notify " + "x" * 5000) == []
    finally:
        framing.MAX_LINE_CHARS = old
    assert parser.stats.oversized == 1 and parser.stats.errors == 0


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_real_lines_many_examples(real_lines, data):
    test_mutated_real_lines_never_break_parser_or_reducer.hypothesis.inner_test(real_lines, data)
