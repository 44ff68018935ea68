"""SmolLM2-135M from its GGUF: plain checkpoint, LoRA (bf16 autocast) and QLoRA (NF4 via bitsandbytes on CPU)
on real DSK picks built by `copilot dataset build`'s code. Slow: minutes on the shared 2-vCPU machine."""
from __future__ import annotations

import json

import pytest

from copilot.training.presets import config_from_preset

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dsk_dataset(shared_data, tmp_path_factory):
    from copilot.training.dataset import DatasetConfig, build_dataset

    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not picks.exists():
        pytest.skip(f"{picks} missing")
    out = tmp_path_factory.mktemp("dsk") / "ds"
    build_dataset(DatasetConfig(picks=picks, out=out, prompt_format="v1", val_drafts=1, max_drafts=3))
    return out


@pytest.fixture(scope="module")
def smollm_base(copilot_home):
    from copilot.training.base_models import resolve_base_model

    return resolve_base_model("smollm2-135m-instruct", log=lambda *a: None)


def test_smollm_from_gguf_is_a_plain_checkpoint_equal_to_the_gguf(smollm_base, smollm_gguf):
    from transformers import AutoModelForCausalLM

    from copilot.training.base_models import plain_model_from_gguf

    man = json.loads((smollm_base.path / "base.json").read_text())
    assert man["source"]["gguf"] == str(smollm_gguf) and len(man["source"]["gguf_sha256"]) == 64
    saved = AutoModelForCausalLM.from_pretrained(str(smollm_base.path), dtype=torch.float32)
    direct = plain_model_from_gguf(smollm_gguf)
    x = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356, 2]])
    with torch.no_grad():
        assert torch.equal(saved(input_ids=x).logits, direct(input_ids=x).logits)


@pytest.mark.parametrize("precision,quant", [("bf16", "none"), ("fp32", "nf4")])
def test_smollm_lora_steps_on_real_dsk_picks(smollm_base, dsk_dataset, tmp_path, precision, quant):
    from copilot.training.trainer import train

    if quant == "nf4":
        pytest.importorskip("bitsandbytes")
    cfg = config_from_preset("cpu-small", dataset=str(dsk_dataset), max_steps=3, grad_accum=1, save_every=3,
                             eval_drafts=0, eval_examples=2, precision=precision, quant=quant, max_seq_len=768,
                             warmup_steps=0,
                             learning_rate=1e-3)
    res = train(cfg, tmp_path / "run", base=smollm_base, log=lambda *a: None)
    assert res.state == "done" and res.step == 3
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3]
    assert all(0 < r["loss"] < 20 for r in lines)
    assert lines[-1]["val_n"] == 2
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["prompt_format"] == "v1" and info["trainable_params"] == 4_884_480
    if quant == "nf4":  # the frozen base really is 4-bit NF4, the LoRA weights are trainable fp32
        import bitsandbytes as bnb

        from copilot.training.model_setup import load_model_for_training

        model = load_model_for_training(cfg, smollm_base.path, "cpu")
        four = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
        assert len(four) == 7 * 30 and four[0].weight.quant_type == "nf4"
        assert all(p.dtype == torch.float32 for p in model.parameters() if p.requires_grad)
