"""OpenAIEngine against a REAL OpenAI-compatible server (`python -m llama_cpp.server` serving SmolLM2 on
127.0.0.1), a closed port and a silent socket server. No mocks."""
from __future__ import annotations

import logging
import sys
import time

import pytest

from copilot.picking.engine import PickEngine, safe_rank
from copilot.picking.openai_engine import Endpoint, OpenAIEngine

pytestmark = pytest.mark.requires("openai")

SECRET = "sk-test-SECRETSECRET-1234567890abcdef"


def test_endpoint_resolution_and_key_hygiene(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("COPILOT_OPENAI_MODEL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    ep = Endpoint.resolve({})
    assert ep.api_key == SECRET and ep.model == "gpt-4o" and ep.needs_key and ep.problem() is None
    e = OpenAIEngine.from_options({})
    for text in (repr(ep), str(ep), repr(e), str(e)):
        assert SECRET not in text and SECRET[-6:] not in text
    assert SECRET not in ep.scrub(f"Incorrect API key provided: {SECRET}")
    assert "SECRETSECRET" not in ep.scrub("Incorrect API key provided: sk-test-SECRETSEC*********cdef")
    # options win over env/settings; "model" is the remote model's name for this engine
    e = OpenAIEngine.from_options({"base_url": "http://127.0.0.1:9/v1", "model": "my-model", "timeout": 3})
    assert e.endpoint.model == "my-model" and e.endpoint.timeout == 3 and e.endpoint.connect_timeout == 3
    assert isinstance(e, PickEngine)


def test_no_key_for_openai_is_a_clear_error(dsk_draft):
    e = OpenAIEngine(endpoint=Endpoint(base_url="", api_key="", model="gpt-4o"))
    ok, why = e.available()
    assert not ok and "OPENAI_API_KEY" in why
    rec = safe_rank(e, dsk_draft[0])
    assert rec.error and "OPENAI_API_KEY" in rec.error and not rec.ranked


def test_local_endpoint_needs_no_key():
    ep = Endpoint(base_url="http://127.0.0.1:8080/v1", api_key="", model="x")
    assert not ep.needs_key and ep.problem() is None
    assert "not an http(s) URL" in Endpoint(base_url="localhost:8080", model="x").problem()


def test_server_down_fails_fast(closed_port_url, dsk_draft):
    e = OpenAIEngine(endpoint=Endpoint(base_url=closed_port_url, model="x", timeout=10))
    t = time.monotonic()
    rec = safe_rank(e, dsk_draft[0])
    assert time.monotonic() - t < 5
    assert rec.error and "cannot connect to" in rec.error and "127.0.0.1" in rec.error and not rec.ranked


def test_silent_server_times_out_within_bound(silent_server, dsk_draft):
    e = OpenAIEngine(endpoint=Endpoint(base_url=silent_server, model="x", timeout=1.5, connect_timeout=1))
    t = time.monotonic()
    rec = safe_rank(e, dsk_draft[0])
    took = time.monotonic() - t
    assert rec.error and "did not answer within 1.5 s" in rec.error, rec.error
    assert 1.0 < took < 6.0


@pytest.mark.slow
def test_real_server_answers_a_pack_card_or_honest_no_match(llama_server, dsk_draft, caplog):
    caplog.set_level(logging.DEBUG)
    e = OpenAIEngine.from_options({"base_url": llama_server, "api_key": SECRET, "model": "smollm2",
                                   "format": "v1-compact", "timeout": 120, "max_tokens": 48})
    assert e.available() == (True, "")
    outcomes = []
    for ctx in (dsk_draft[0], dsk_draft[1], dsk_draft[14]):
        rec = e.rank(ctx)
        answer = e.last_answer
        assert answer is not None  # the server really answered
        assert rec.tokens_evaluated > 0
        if rec.error is None:
            assert rec.best in ctx.pack
            assert {s.card.name for s in rec.ranked} == {c.name for c in ctx.pack}
            import difflib

            from copilot.cards.model import name_key

            # honest mapping: the card is named in the answer (or its first line is a near-exact spelling of it)
            first = name_key(answer.strip().splitlines()[0])
            assert (name_key(rec.best.front_name) in name_key(answer)
                    or difflib.SequenceMatcher(None, first, name_key(rec.best.front_name)).ratio() >= 0.85)
            outcomes.append("card")
        else:
            assert "names no card of this pack" in rec.error and not rec.ranked
            outcomes.append("no-match")
        print(f"\nanswer {answer!r} -> {rec.best.name if rec.ok else rec.error}", file=sys.stderr)
    assert SECRET not in caplog.text


@pytest.mark.slow
def test_real_server_unknown_route_is_an_http_error(llama_server, dsk_draft):
    e = OpenAIEngine(endpoint=Endpoint(base_url=llama_server.rsplit("/v1", 1)[0] + "/nope/v1", model="smollm2",
                                       timeout=30))
    rec = e.rank(dsk_draft[0])
    assert rec.error and ("404" in rec.error or "HTTP" in rec.error), rec.error
