"""HFEngine on a tiny random Mistral (with the real SmolLM2 tokenizer and chat template), and with a real PEFT
LoRA adapter. The batched cached scoring is checked against an independent full-sequence computation."""
from __future__ import annotations

import math

import pytest

from copilot.cards.model import Card
from copilot.picking.engine import PickContext, PickEngine

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


def full_sequence_score(model, prompt_ids, cand_ids):
    """Σ log p(candidate | prompt) from ONE forward pass over prompt + candidate, no cache, no batching."""
    with torch.inference_mode():
        ids = torch.tensor([prompt_ids + cand_ids])
        logits = model(input_ids=ids).logits[0].float()
        logp = torch.log_softmax(logits, dim=-1)
        n = len(prompt_ids)
        return float(sum(logp[n - 1 + j, t] for j, t in enumerate(cand_ids)))


@pytest.fixture(scope="module")
def hf_engine(tiny_mistral_dir):
    from copilot.picking.hf_engine import HFEngine

    e = HFEngine.from_options({"model": str(tiny_mistral_dir), "format": "v1-compact", "n_threads": 1})
    yield e
    e.close()


def test_unavailable_reasons(tmp_path, smollm_gguf):
    from copilot.picking.hf_engine import HFEngine

    assert "no model folder" in HFEngine().available()[1]
    assert "is not a folder" in HFEngine(model=smollm_gguf).available()[1]
    assert "no config.json" in HFEngine(model=tmp_path).available()[1]
    (tmp_path / "config.json").write_text("{}")
    assert "not a PEFT adapter folder" in HFEngine(model=tmp_path, adapter=tmp_path).available()[1]
    rec = HFEngine(model=tmp_path / "nope").rank(PickContext(pack=(Card("Opt"),), pool=(), pack_number=1,
                                                             pick_number=1))
    assert rec.error and "is not a folder" in rec.error


def test_scores_match_full_sequence_computation(hf_engine, dsk_draft):
    ctx = dsk_draft[12]
    assert isinstance(hf_engine, PickEngine) and hf_engine.available() == (True, "")
    rec = hf_engine.rank(ctx)
    assert rec.error is None, rec.error
    assert hf_engine.load_info["device"] == "cpu" and hf_engine.load_info["quantization"] == "none"
    names = {s.card.name for s in rec.ranked}
    assert names == {c.name for c in ctx.pack} and len(rec.ranked) == len(names)
    assert all(math.isfinite(s.score) for s in rec.ranked)
    assert sum(s.probability for s in rec.ranked) == pytest.approx(1.0, abs=1e-9)
    prompt, _ = hf_engine.prompt_ids(ctx)
    assert hf_engine._tok.decode(prompt[-4:]).endswith("<|im_start|>assistant\n")
    assert hf_engine._tok.convert_ids_to_tokens(hf_engine._encoder.end_ids) == ["<|im_end|>"]
    direct = {n: full_sequence_score(hf_engine._model, prompt, hf_engine.candidate_ids(n)) for n in names}
    for s in rec.ranked:
        assert s.score == pytest.approx(direct[s.card.name], abs=1e-3), s.card.name
    assert rec.best.name == max(direct, key=direct.get)
    # a random model still has a spread of scores: the check above is not comparing constants
    assert max(direct.values()) - min(direct.values()) > 0.5


def test_duplicates_and_single_token_candidates(hf_engine, tiny_mistral_dir):
    pack = (Card("Plains"), Card("Island"), Card("Plains"), Card("Swamp"))
    ctx = PickContext(pack=pack, pool=(Card("Island"),), pack_number=1, pick_number=3)
    rec = hf_engine.rank(ctx)
    assert rec.error is None and [s.card.name for s in rec.ranked].count("Plains") == 1
    prompt, _ = hf_engine.prompt_ids(ctx)
    for s in rec.ranked:
        assert s.score == pytest.approx(full_sequence_score(hf_engine._model, prompt,
                                                            hf_engine.candidate_ids(s.card.name)), abs=1e-3)


def test_with_a_real_lora_adapter(tiny_mistral_dir, tmp_path, dsk_draft, hf_engine):
    peft = pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM

    from copilot.picking.hf_engine import HFEngine

    base = AutoModelForCausalLM.from_pretrained(tiny_mistral_dir)
    torch.manual_seed(7)
    lora = peft.get_peft_model(base, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                     init_lora_weights=False))  # random B: the adapter matters
    lora.save_pretrained(tmp_path / "adapter")
    e = HFEngine(model=tiny_mistral_dir, adapter=tmp_path / "adapter", format="v1-compact")
    assert e.available() == (True, "")
    ctx = dsk_draft[2]
    rec = e.rank(ctx)
    assert rec.error is None, rec.error
    assert "adapter" in rec.model
    plain = {s.card.name: s.score for s in hf_engine.rank(ctx).ranked}
    assert max(abs(plain[s.card.name] - s.score) for s in rec.ranked) > 1e-3
    prompt, _ = e.prompt_ids(ctx)
    s = rec.ranked[0]
    assert s.score == pytest.approx(full_sequence_score(e._model, prompt, e.candidate_ids(s.card.name)), abs=1e-3)
