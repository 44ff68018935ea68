"""Commentator against a REAL OpenAI-compatible server over SSE, a closed port and a silent server."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from copilot.cards.model import Card
from copilot.commentary import Commentator, CommentaryNotice
from copilot.picking.engine import CardScore, PickContext, Recommendation
from copilot.picking.openai_engine import Endpoint

pytestmark = pytest.mark.requires("openai")

SECRET = "sk-test-COMMENTARYSECRET-0987654321"


def ctx_and_rec():
    pack = (Card("Overgrown Zealot", mana_cost="{1}{G}", type_line="Creature — Elf Druid", rarity="uncommon"),
            Card("Cult Healer", mana_cost="{2}{W}", type_line="Creature — Human Doctor", rarity="common"),
            Card("Fear of Missing Out", mana_cost="{1}{R}", type_line="Enchantment Creature — Nightmare",
                 rarity="rare"))
    pool = (Card("Hand That Feeds", mana_cost="{1}{G}", type_line="Creature — Mutant", rarity="common"),)
    ctx = PickContext(pack=pack, pool=pool, pack_number=1, pick_number=2, set_code="DSK")
    rec = Recommendation(engine="gguf", ranked=[CardScore(pack[0], -1.0, 0.6), CardScore(pack[1], -2.0, 0.3),
                                                 CardScore(pack[2], -3.0, 0.1)])
    return ctx, rec


def test_disabled_without_key_or_endpoint():
    ctx, rec = ctx_and_rec()
    c = Commentator(endpoint=Endpoint(base_url="", api_key="", model="gpt-4o"))
    ok, why = c.available()
    assert not ok and "OPENAI_API_KEY" in why
    chunks = list(c.stream(ctx, rec))
    assert len(chunks) == 1 and isinstance(chunks[0], CommentaryNotice) and chunks[0].kind == "disabled"
    assert "OPENAI_API_KEY" in chunks[0]
    off = Commentator(endpoint=Endpoint(base_url="http://127.0.0.1:1/v1", model="x"), enabled=False)
    assert list(off.stream(ctx, rec)) == ["Commentary is turned off in Settings."]


def test_no_pick_to_explain():
    ctx, _ = ctx_and_rec()
    c = Commentator(endpoint=Endpoint(base_url="http://127.0.0.1:1/v1", model="x"))
    chunks = list(c.stream(ctx, Recommendation(engine="gguf", error="model missing")))
    assert chunks == ["No pick to explain: model missing."] and chunks[0].kind == "disabled"


def test_from_settings_reads_env_and_file(tmp_path, monkeypatch):
    from copilot.settings import Settings

    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COPILOT_OPENAI_MODEL"):
        monkeypatch.delenv(k, raising=False)
    s = Settings(openai_base_url="http://127.0.0.1:5555/v1", openai_model="local-model")
    p = s.save()
    assert (p.stat().st_mode & 0o777) == 0o600
    c = Commentator.from_settings()
    assert c.endpoint.base_url == "http://127.0.0.1:5555/v1" and c.endpoint.model == "local-model"
    assert c.available() == (True, "")  # a local endpoint needs no key
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    c = Commentator.from_settings(Settings.load())
    assert c.endpoint.api_key == SECRET and SECRET not in repr(c)


def test_server_down_is_a_final_error_chunk(closed_port_url):
    ctx, rec = ctx_and_rec()
    c = Commentator(endpoint=Endpoint(base_url=closed_port_url, model="x", timeout=10))
    t = time.monotonic()
    chunks = list(c.stream(ctx, rec))
    assert time.monotonic() - t < 5
    assert len(chunks) == 1 and chunks[0].kind == "error" and "cannot connect to" in chunks[0]


def test_silent_server_times_out_within_bound(silent_server):
    ctx, rec = ctx_and_rec()
    c = Commentator(endpoint=Endpoint(base_url=silent_server, model="x", timeout=1.5, connect_timeout=1))
    t = time.monotonic()
    chunks = list(c.stream(ctx, rec))
    took = time.monotonic() - t
    assert chunks[-1].kind == "error" and "did not answer within 1.5 s" in chunks[-1]
    assert 1.0 < took < 6.0


def test_worker_thread_callbacks_never_raise(silent_server):
    ctx, rec = ctx_and_rec()
    c = Commentator(endpoint=Endpoint(base_url=silent_server, model="x", timeout=1, connect_timeout=1))
    got, done = [], threading.Event()
    job = c.start(ctx, rec, on_chunk=got.append, on_done=lambda r: done.set())
    assert job.thread.is_alive()  # start() returned at once
    assert done.wait(10) and job.join(5)
    assert got and isinstance(got[-1], CommentaryNotice) and job.result.notice is got[-1]


@pytest.mark.slow
def test_real_server_streams_several_chunks(llama_server):
    ctx, rec = ctx_and_rec()
    c = Commentator(endpoint=Endpoint(base_url=llama_server, api_key=SECRET, model="smollm2", timeout=120),
                    max_tokens=120)
    res_chunks = []
    arrivals = []
    t0 = time.monotonic()
    for chunk in c.stream(ctx, rec):
        res_chunks.append(chunk)
        arrivals.append(time.monotonic() - t0)
    res = c.last
    assert res.raw_chunks >= 5, "the server streamed token deltas over SSE"
    assert res.first_chunk_ms is not None and res.first_chunk_ms < res.latency_ms
    text_chunks = [ch for ch in res_chunks if not isinstance(ch, CommentaryNotice)]
    assert "".join(text_chunks).strip() == res.text
    if res.notice is not None:
        assert res.notice.kind in ("trimmed",), res.notice
    # the text shown never argues for another card of the pack
    from copilot.commentary.guard import recommends_other

    for ch in text_chunks:
        assert recommends_other(ch, "Overgrown Zealot", [c.name for c in ctx.pack]) is None
    print(f"\ncommentary ({res.raw_chunks} SSE deltas, {len(res_chunks)} chunks, {res.latency_ms:.0f} ms):", res.text,
          res.notice or "", file=sys.stderr)


@pytest.mark.slow
def test_real_server_in_a_worker_thread(llama_server):
    ctx, rec = ctx_and_rec()
    c = Commentator(endpoint=Endpoint(base_url=llama_server, model="smollm2", timeout=120), max_tokens=60)
    got, results = [], []
    job = c.start(ctx, rec, on_chunk=got.append, on_done=results.append)
    assert job.join(180)
    assert results and results[0] is job.result and results[0].raw_chunks > 1
    assert "".join(g for g in got if not isinstance(g, CommentaryNotice)).strip() == job.result.text
