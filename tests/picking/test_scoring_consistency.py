"""One scorer, three paths, one ranking (issue 9 item 2).

On real DSK picks (the first dev draft, prompt format v1-compact) the same weights are scored three ways:

- the trainer's validation scoring: the model as training holds it (the base wrapped with a fresh LoRA by
  `load_model_for_training`, smoke preset) through `copilot.training.validation` on the dataset-shaped example;
- the `hf` engine (`HFEngine.rank`) on the saved transformers folder;
- the `gguf` engine (`GGUFEngine.rank`, llama.cpp) on an F16 GGUF written from that folder by the export's direct
  route, and the export check (`validate_with_llama_cpp`), which goes through the same engine.

The weights are the tiny random Mistral of conftest.py (SmolLM2's real tokenizer and chat template, random
weights with a wide spread of scores), which makes the F16 GGUF cheap (~5 s). The two PyTorch paths must agree to
float precision; llama.cpp on F16 weights within 0.15 nats per card; the ranking must be the same except between
cards whose scores are closer than that tolerance.
"""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("llama_cpp")

PICKS = (0, 3, 20)  # pick 1 (14 cards, empty pool), pick 4, pick 7 of pack 2
GGUF_TOL = 0.15  # nats: F16 weights in llama.cpp vs fp32 PyTorch on this large-logit random model
FORMAT = "v1-compact"


def same_ranking(ref: dict[str, float], other: dict[str, float], tol: float) -> None:
    assert set(ref) == set(other)
    names = sorted(ref, key=ref.get, reverse=True)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if ref[a] - ref[b] > 2 * tol:
                assert other[a] > other[b], (a, b, ref[a], ref[b], other[a], other[b])


@pytest.fixture(scope="module")
def tiny_f16_gguf(tiny_mistral_dir, smollm_gguf, tmp_path_factory):
    from copilot.training.gguf_llama import write_llama_gguf

    out = tmp_path_factory.mktemp("consistency") / "tiny-mistral-F16.gguf"
    return write_llama_gguf(tiny_mistral_dir, out, smollm_gguf, name="tiny-mistral", outtype="f16")


@pytest.fixture(scope="module")
def three_paths(tiny_mistral_dir, tiny_f16_gguf, dsk_draft):
    from transformers import AutoTokenizer

    from copilot.picking.gguf_engine import GGUFEngine
    from copilot.picking.hf_engine import HFEngine
    from copilot.picking.prompts import get_format
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.model_setup import load_model_for_training
    from copilot.training.presets import config_from_preset
    from copilot.training.validation import rank_candidates

    fmt = get_format(FORMAT)
    cfg = config_from_preset("smoke", dataset="-", base_model=str(tiny_mistral_dir))
    trained = load_model_for_training(cfg, tiny_mistral_dir, "cpu")  # a PeftModel, as the loop holds it
    encoder = ChatEncoder(AutoTokenizer.from_pretrained(str(tiny_mistral_dir)))
    hf = HFEngine(model=tiny_mistral_dir, format=FORMAT, n_threads=1)
    gg = GGUFEngine(model=tiny_f16_gguf, format=FORMAT, n_threads=1)
    out = []
    try:
        for i in PICKS:
            ctx = dsk_draft[i]
            example = fmt.example(ctx, ctx.pack[0])
            example["meta"] = {"candidates": [fmt.answer(c) for c in ctx.pack]}
            trained.eval()
            t = rank_candidates(trained, encoder, example, "cpu", cfg)
            h, g = hf.rank(ctx), gg.rank(ctx)
            assert h.error is None and g.error is None, (h.error, g.error)
            out.append((ctx, example, t, {s.card.name: s.score for s in h.ranked},
                        {s.card.name: s.score for s in g.ranked}))
    finally:
        hf.close()
        gg.close()
    return out


def test_trainer_validation_hf_engine_and_gguf_engine_rank_alike(three_paths):
    for ctx, _, trainer, hf, gguf in three_paths:
        assert set(hf) == {c.name for c in ctx.pack} == set(trainer) == set(gguf)
        assert all(math.isfinite(v) for d in (trainer, hf, gguf) for v in d.values())
        # a spread wide enough for the ranking to mean something
        assert max(hf.values()) - min(hf.values()) > 1.0
        assert max(abs(trainer[k] - hf[k]) for k in hf) < 1e-4
        assert max(abs(gguf[k] - hf[k]) for k in hf) < GGUF_TOL
        same_ranking(hf, trainer, 1e-4)
        same_ranking(hf, gguf, GGUF_TOL)
        assert max(hf, key=hf.get) == max(gguf, key=gguf.get) == max(trainer, key=trainer.get)


def test_validation_accuracy_and_export_check_follow_the_same_ranking(three_paths, tiny_mistral_dir,
                                                                      tiny_f16_gguf):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.export import validate_with_llama_cpp
    from copilot.training.validation import evaluate_picks

    model = AutoModelForCausalLM.from_pretrained(str(tiny_mistral_dir), dtype=torch.float32)
    encoder = ChatEncoder(AutoTokenizer.from_pretrained(str(tiny_mistral_dir)))
    ctx, example, _, hf, gguf = three_paths[0]
    ranked = sorted(gguf, key=gguf.get, reverse=True)
    for answer, top1, top3 in ((ranked[0], 1.0, 1.0), (ranked[2], 0.0, 1.0), (ranked[5], 0.0, 0.0)):
        ex = dict(example, messages=example["messages"][:-1] + [{"role": "assistant", "content": answer}])
        acc = evaluate_picks(model, encoder, [ex], "cpu")
        assert (acc["val_n"], acc["val_top1"], acc["val_top3"]) == (1, top1, top3), answer
        check = validate_with_llama_cpp(tiny_f16_gguf, ex)
        assert check["predicted"] == ranked[0] and check["n_candidates"] == len(gguf)
        assert check["answer_rank"] == ranked.index(answer) + 1
        assert check["answer_logprob"] == pytest.approx(gguf[answer], abs=1e-3)
        assert check["answer_logprob"] == pytest.approx(hf[answer], abs=GGUF_TOL)
