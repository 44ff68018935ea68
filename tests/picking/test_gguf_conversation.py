"""GGUFEngine in the conversation format on the real SmolLM2 GGUF and a real DSK draft: the draft's conversation stays
in the KV cache (each pick evaluates only its new turn), and the cached scores match a full re-evaluation."""
from __future__ import annotations

from dataclasses import replace

import pytest

pytestmark = [pytest.mark.requires("llama_cpp"), pytest.mark.slow]  # a real model runs


@pytest.fixture(scope="module")
def conv_engine(smollm_gguf):
    from copilot.picking.gguf_engine import GGUFEngine

    e = GGUFEngine(model=smollm_gguf, format="conversation", n_threads=1)
    yield e
    e.close()


def test_each_pick_evaluates_only_its_new_turn(conv_engine, dsk_draft):
    prev = None
    for ctx in dsk_draft[:4]:
        rec = conv_engine.rank(ctx)
        assert rec.error is None, rec.error
        assert {s.card.name for s in rec.ranked} == {c.name for c in ctx.pack}
        n = len(conv_engine.prompt_tokens(ctx)[0])
        prompt_eval, cand_eval = conv_engine.last_split
        assert rec.tokens_evaluated == prompt_eval + cand_eval
        if prev is not None:
            # the previous pick's whole prompt was reused: only the answer taken and the new user turn
            assert prompt_eval == n - prev
            assert prompt_eval < n / 2
        prev = n
    assert conv_engine.loads == 1 and conv_engine._llm.n_ctx() == 8192  # sized for a whole draft at once


def test_cached_conversation_matches_a_full_reevaluation(smollm_gguf, conv_engine, dsk_draft):
    """Pick 4 scored on the kept KV cache against an independent llama.cpp context (logits_all=True) that evaluates
    the whole conversation from scratch, then each candidate on it through the high-level API with the logits of
    every position (stack-notes method M2, identical to a full re-evaluation per candidate there)."""
    import llama_cpp
    import numpy as np

    ctx = dsk_draft[3]
    for c in dsk_draft[:3]:
        conv_engine.rank(c)
    warm = conv_engine.rank(ctx)
    assert conv_engine.last_split[0] < 300  # warm: the conversation so far came from the cache
    got = {s.card.name: s.score for s in warm.ranked}
    tokens, msgs = conv_engine.prompt_tokens(ctx)
    end = conv_engine.end_ids(msgs)
    ref = llama_cpp.Llama(str(smollm_gguf), n_ctx=2048, logits_all=True, n_threads=1, verbose=False)
    try:
        def logsoftmax(row):
            x = row.astype(np.float64)
            return x - (x.max() + np.log(np.exp(x - x.max()).sum()))

        n = len(tokens)
        ref.reset()
        ref.eval(tokens)
        ref_scores = {}
        for name in got:
            toks = ref.tokenize(name.encode(), add_bos=False, special=False) + end
            ref.n_tokens = n
            if len(toks) > 1:
                ref.eval(toks[:-1])
            ref_scores[name] = float(sum(logsoftmax(ref.scores[n - 1 + j])[toks[j]] for j in range(len(toks))))
    finally:
        ref.close()
    # the same tolerance as the v1 KV-reuse test (batch-shape numerics of the quantised kernels)
    assert max(abs(got[k] - ref_scores[k]) for k in got) < 0.25
    ordered = sorted(ref_scores, key=lambda k: -ref_scores[k])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if ref_scores[a] - ref_scores[b] > 0.5:
                assert got[a] > got[b]


def test_cut_to_the_pack_when_the_draft_exceeds_the_context(smollm_gguf, dsk_draft):
    from copilot.picking.gguf_engine import GGUFEngine

    ctx = dsk_draft[15]  # pack 2 pick 2
    e = GGUFEngine(model=smollm_gguf, format="conversation", n_threads=1)
    try:
        e._load()
        full = len(e.prompt_tokens(ctx)[0])
        info = e._info
        e._info = replace(info, metadata={**info.metadata, f"{info.architecture}.context_length": full - 100})
        tokens, msgs = e.prompt_tokens(ctx)
        assert len(tokens) < full - 100
        assert msgs[1]["content"].startswith("Our pool so far (14 cards): ")
        assert msgs[1]["content"].splitlines()[1].startswith("Pack 2 pick 1:")
        assert e.rank(ctx).ok
    finally:
        e.close()
    # segment=pack: always cut at the pack (a model trained on per-pack sequences)
    p = GGUFEngine.from_options({"model": str(smollm_gguf), "format": "conversation", "segment": "pack",
                                 "n_threads": 1})
    try:
        rec = p.rank(ctx)
        assert rec.ok
        msgs = p.prompt_tokens(ctx)[1]
        assert sum(m["role"] == "assistant" for m in msgs) == 1 and "Our pool so far" in msgs[1]["content"]
    finally:
        p.close()
    with pytest.raises(ValueError, match="segment='half'"):
        GGUFEngine(model=smollm_gguf, segment="half")


def test_a_model_trained_per_pack_is_served_per_pack(smollm_gguf, dsk_draft):
    """The export writes the training window and segment into the GGUF (training_window_meta); the engine then cuts
    the conversation as training did: at the pack for a per-pack model, at its training window otherwise."""
    from copilot.picking.gguf_engine import GGUFEngine
    from copilot.training.export import training_window_meta
    from copilot.training.presets import config_from_preset

    cfg = config_from_preset("cpu-small", dataset="/d")
    per_pack = training_window_meta(cfg, {"conversation": {"sequences": {"draft": 0, "pack": 5538}}})
    assert per_pack == {"copilot.train_seq_len": "4096", "copilot.segment": "pack"}
    whole = training_window_meta(cfg.replace(max_seq_len=8192), {"conversation": {"sequences": {"draft": 9,
                                                                                                "pack": 0}}})
    assert whole["copilot.segment"] == "draft"
    assert "copilot.segment" not in training_window_meta(cfg, {"conversation": {"sequences": {"draft": 3,
                                                                                             "pack": 4}}})
    ctx = dsk_draft[15]  # pack 2 pick 2
    e = GGUFEngine(model=smollm_gguf, format="conversation", n_threads=1)
    try:
        e._load()
        info = e._info
        full = len(e.prompt_tokens(ctx)[0])
        e._info = replace(info, metadata={**info.metadata, **per_pack})
        assert e._info.trained_segment == "pack" and e._info.trained_seq_len == 4096
        msgs = e.messages(ctx)
        assert sum(m["role"] == "assistant" for m in msgs) == 1 and "Our pool so far" in msgs[1]["content"]
        # trained on whole drafts in a window shorter than this conversation: cut at the window, not the GGUF's
        # context length (8192 for SmolLM2)
        e._info = replace(info, metadata={**info.metadata, "copilot.segment": "draft",
                                          "copilot.train_seq_len": str(full - 100)})
        assert len(e.messages(ctx)) < len(e._fmt.messages(ctx))
        e._info = replace(info, metadata={**info.metadata, "copilot.segment": "draft",
                                          "copilot.train_seq_len": str(full + 100)})
        assert e.messages(ctx) == e._fmt.messages(ctx)
    finally:
        e.close()


def test_label_answers_are_what_the_engine_scores(smollm_gguf, dsk_draft):
    """answer=label: `rank` scores each card as its lettered answer ("C) Name") in that pick's pack, on the cached
    conversation. By default (score=auto) only the letter, the first token, is read: no candidate token is
    evaluated, and the numbers are those of scoring the letters on the rendered messages from scratch; score=full
    sums every token of the answer (training's validation), which can only be lower."""
    from copilot.picking.gguf_engine import GGUFEngine
    from copilot.picking.prompts import get_format

    spec = "conversation:knowledge=rated,order=rating,answer=label"
    fmt = get_format(spec)
    e = GGUFEngine(model=smollm_gguf, format=spec, n_threads=1)
    first = GGUFEngine(model=smollm_gguf, format=spec, n_threads=1, kv_reuse=False, score="first")
    full = GGUFEngine(model=smollm_gguf, format=spec, n_threads=1, kv_reuse=False, score="full")
    try:
        for ctx in dsk_draft[:3]:
            rec = e.rank(ctx)
            assert rec.ok and {s.card.name for s in rec.ranked} == {c.name for c in ctx.pack}
            assert e.last_split[1] == 0  # no candidate tokens evaluated
        answers = {fmt.answer(c, ctx): c.name for c in ctx.pack}
        assert all(a[1:3] == ") " for a in answers)
        got = {s.card.name: s.score for s in rec.ranked}
        ref = first.score_messages(fmt.messages(ctx), list(answers))
        assert max(abs(got[answers[a]] - s) for a, s in ref.items()) < 0.25
        summed = full.score_messages(fmt.messages(ctx), list(answers))
        assert full.last_split[1] > len(answers)  # every answer's tokens were evaluated
        assert all(summed[a] <= ref[a] + 0.25 for a in answers)
        assert max(ref[a] - summed[a] for a in answers) > 0.5  # the names' tokens count there
        # a card's name alone is not what it is scored as
        names = full.score_messages(fmt.messages(ctx), [c.name for c in ctx.pack])
        assert max(abs(names[n] - summed[a]) for a, n in answers.items()) > 0.5
        with pytest.raises(ValueError, match="score='best'"):
            GGUFEngine(model=smollm_gguf, score="best")
    finally:
        for x in (e, first, full):
            x.close()
