"""Training's validation of label formats: the picks of one conversation scored by their first token from ONE
forward pass (`scoring.next_token_logprobs`) give what scoring every pick's prompt alone gives.

Real DSK picks (the first dev draft, pack 1) in `conversation:answer=label`, the tiny random Mistral of
conftest.py (SmolLM2's tokenizer and chat template).
"""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

FORMAT = "conversation:answer=label,knowledge=name,colours=1"
PICKS = 13  # pack 1, picks 1-13 (the next context says what was taken)


@pytest.fixture(scope="module")
def label_conversation(dsk_draft):
    """Pack 1 as dataset-shaped picks (the pick's chat, its answer, meta.candidates = the answer texts)."""
    from copilot.picking.prompts import get_format

    fmt = get_format(FORMAT)
    out = []
    for k in range(PICKS):
        ctx = dsk_draft[k]
        taken = dsk_draft[k + 1].history[-1].picked[0]
        out.append({"messages": fmt.messages(ctx) + [{"role": "assistant", "content": fmt.answer(taken, ctx)}],
                    "meta": {"candidates": list(fmt.answers(ctx)), "draft_id": "d1", "pick": ctx.pick_number}})
    return out


@pytest.fixture(scope="module")
def tiny_model(tiny_mistral_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.training.chat_encoding import ChatEncoder

    model = AutoModelForCausalLM.from_pretrained(str(tiny_mistral_dir), dtype=torch.float32)
    return model, ChatEncoder(AutoTokenizer.from_pretrained(str(tiny_mistral_dir)))


def test_a_conversation_is_one_group_and_a_new_one_starts_another(label_conversation):
    from copilot.training.validation import conversations

    assert conversations(label_conversation) == [list(range(PICKS))]
    again = label_conversation + label_conversation[:3]  # a second conversation: not a continuation of pick 13
    assert conversations(again) == [list(range(PICKS)), [PICKS, PICKS + 1, PICKS + 2]]


def test_one_forward_pass_gives_each_picks_own_first_token_scores(label_conversation, tiny_model):
    from copilot.picking.scoring import candidate_logprobs
    from copilot.training.validation import evaluate_picks, first_token_scores

    model, encoder = tiny_model
    calls = []
    hook = model.register_forward_hook(lambda *a: calls.append(1))
    try:
        fast = first_token_scores(model, encoder, label_conversation, list(range(PICKS)), "cpu")
    finally:
        hook.remove()
    assert len(calls) == 1 and sorted(fast) == list(range(PICKS))
    hits = 0
    for i, ex in enumerate(label_conversation):
        cands = ex["meta"]["candidates"]
        assert all(a[1:3] == ") " for a in cands) and len(cands) >= 2
        prompt = encoder.prompt_ids(ex["messages"][:-1])
        ref = candidate_logprobs(model, prompt, {a: encoder.candidate_ids(a)[:1] for a in cands})
        assert set(fast[i]) == set(ref)
        assert max(abs(fast[i][a] - ref[a]) for a in ref) < 1e-4
        assert max(ref.values()) - min(ref.values()) > 0.1  # a spread: the ranking means something
        hits += max(ref, key=ref.get) == ex["messages"][-1]["content"]
    acc = evaluate_picks(model, encoder, label_conversation, "cpu", first_token=True)
    assert acc["val_n"] == PICKS and acc["val_top1"] == pytest.approx(hits / PICKS)


def test_a_pick_whose_candidates_share_a_first_token_is_scored_in_full(label_conversation, tiny_model):
    from copilot.training.validation import evaluate_picks, first_token_scores

    model, encoder = tiny_model
    ex = dict(label_conversation[0])
    answer = ex["messages"][-1]["content"]
    ex["meta"] = dict(ex["meta"], candidates=[answer, answer + " Jr."])  # the same first token, different answers
    assert encoder.candidate_ids(answer)[0] == encoder.candidate_ids(answer + " Jr.")[0]
    assert first_token_scores(model, encoder, [ex], [0], "cpu") == {}
    assert (evaluate_picks(model, encoder, [ex], "cpu", first_token=True)
            == evaluate_picks(model, encoder, [ex], "cpu", first_token=False))
