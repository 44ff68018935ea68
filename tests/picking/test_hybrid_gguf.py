"""The hybrid engine with the real SmolLM2 GGUF as its LLM part (conversation format) and the ratings, end to end
through `copilot eval`, on real DSK picks."""
from __future__ import annotations

import gzip
import json
from itertools import islice

import pytest

from copilot.cli import main as cli_main

pytestmark = [pytest.mark.requires("llama_cpp"), pytest.mark.slow]  # a real model runs


def test_hybrid_with_the_llm_part(smollm_gguf, dsk_draft):
    from copilot.picking.hybrid_engine import HybridEngine

    e = HybridEngine.from_options({"parts": "gguf,ratings", "gguf.model": str(smollm_gguf),
                                   "gguf.format": "conversation", "gguf.n_threads": "1"})
    try:
        assert e.conversational  # the simulator gives such a hybrid one object per seat
        llm = e.parts["gguf"]
        prev = None
        for ctx in dsk_draft[:3]:
            rec = e.rank(ctx)
            assert rec.ok and {s.card.name for s in rec.ranked} == {c.name for c in ctx.pack}
            assert rec.tokens_evaluated == sum(llm.last_split) > 0
            assert "gguf" in rec.note and "ratings" in rec.note
            n = len(llm.prompt_tokens(ctx)[0])
            if prev is not None:  # the LLM part keeps the draft's conversation in its cache inside the hybrid
                assert llm.last_split[0] == n - prev
            prev = n
    finally:
        e.close()


def test_eval_accepts_the_conversation_format_and_the_hybrid(smollm_gguf, shared_data, tmp_path, capsys):
    src = tmp_path / "one-draft.jsonl"
    with gzip.open(shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz", "rt") as fh:
        src.write_text("".join(islice(fh, 6)))  # the first 6 picks of a real draft
    rc = cli_main(["eval", "--picks", str(src), "--engine", "gguf", "--engine", "hybrid", "--model", str(smollm_gguf),
                   "--format", "conversation", "--opt", "gguf.n_threads=1", "--opt",
                   f"hybrid.gguf.model={smollm_gguf}", "--opt", "hybrid.gguf.format=conversation", "--opt",
                   "hybrid.gguf.n_threads=1", "--opt", "hybrid.parts=gguf,ratings", "--json", "--quiet"])
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    by = {e["engine"]: e for e in rep["engines"]}
    assert rep["picks"] == 6 and by["gguf"]["valid"] == 1.0 and by["hybrid"]["valid"] == 1.0
    assert by["gguf"]["tokens_per_pick"] > 0
