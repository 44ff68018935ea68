"""Full fine-tuning (`finetune=full`): every weight trained, model/ at the end instead of adapter/, checkpoints and
exact resume as for LoRA, export without a merge, DPO from a full SFT run with a frozen copy as the reference."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from copilot.training.base_models import CATALOG
from copilot.training.config import ConfigError
from copilot.training.presets import GIB, GPUInfo, check_memory, config_from_preset, estimate_peak_memory
from tests.training.conftest import write_dataset


def quiet(*_a, **_k):
    pass


def losses(run):
    return [(r["step"], r["loss"]) for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())]


def test_full_is_validated_and_its_estimate_counts_weights_grads_and_adamw():
    with pytest.raises(ConfigError, match="finetune=full .* cannot train a quantised base \\(quant=nf4\\)"):
        config_from_preset("gpu-8gb", dataset="/d", finetune="full")
    with pytest.raises(ConfigError, match="finetune='half' is not one of lora, full"):
        config_from_preset("smoke", dataset="/d", finetune="half")
    mistral, smol = CATALOG["mistral-7b-instruct"], CATALOG["smollm2-135m-instruct"]
    full = config_from_preset("gpu-48gb", dataset="/d", finetune="full")
    est = estimate_peak_memory(mistral, full)
    # fp32 master weights (4 bytes) + fp32 grads (4) + AdamW's two fp32 moments (8): 16 bytes a parameter
    assert est["weights"] + est["grads_and_optimizer"] == pytest.approx(16 * mistral.n_params, rel=1e-6)
    assert est["lora_params"] == 0 and est["total"] > 110 * GIB
    lora = estimate_peak_memory(mistral, config_from_preset("gpu-48gb", dataset="/d"))
    assert lora["grads_and_optimizer"] == 0 and lora["total"] < est["total"] / 2
    # refused where it does not fit, with the estimate and the way out; a small model on the CPU passes
    why = check_memory(full, mistral, GPUInfo(0, "48 GB card", 48.0))
    assert "does not fit" in why and "GPU's 48.0 GiB" in why and "finetune=lora" in why
    assert check_memory(full, mistral, GPUInfo(0, "H200", 141.0)) == ""
    cpu_full = config_from_preset("cpu-small", dataset="/d", finetune="full")
    assert check_memory(cpu_full.replace(base_model="mistral-7b-instruct"), mistral, None, ram=64.0).startswith(
        "full fine-tuning of Mistral-7B")
    assert check_memory(cpu_full, smol, None, ram=16.0) == ""  # the recipe's 4,096-token conversations: ~13 GiB
    assert check_memory(config_from_preset("gpu-48gb", dataset="/d"), mistral, GPUInfo(0, "x", 8.0)) == ""  # LoRA


def test_cli_refuses_full_fine_tuning_of_a_7b_base_on_this_machine(tmp_path):
    from copilot.training.presets import ram_gib

    cfg = config_from_preset("smoke", dataset="/d", base_model="mistral-7b-instruct", finetune="full")
    need = estimate_peak_memory(CATALOG["mistral-7b-instruct"], cfg, on_gpu=False)["total"] / GIB
    if ram_gib() is None or ram_gib() >= need:
        pytest.skip(f"this machine has the RAM for it ({ram_gib()} GiB)")
    ds = write_dataset(tmp_path / "ds", n_train=2, n_val=1)
    r = subprocess.run([sys.executable, "-m", "copilot", "train", "--preset", "smoke", "--dataset", str(ds),
                        "--base", "mistral-7b-instruct", "--set", "finetune=full", "--out", str(tmp_path / "run")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "full fine-tuning of Mistral-7B-Instruct-v0.3 does not fit" in r.stderr and "RAM" in r.stderr
    assert not (tmp_path / "run").exists()  # nothing started, nothing written


@pytest.fixture(scope="module")
def full_run(smoke_base, tmp_path_factory):
    """A finished full fine-tuning run of the smoke model (8 steps) and its dataset."""
    from copilot.training.trainer import train

    root = tmp_path_factory.mktemp("full")
    ds = write_dataset(root / "ds", n_train=16, n_val=4)
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=8, save_every=4, eval_examples=2,
                             finetune="full", learning_rate=1e-3)
    run = root / "run"
    cfg.save(run)
    res = train(cfg, run, base=smoke_base, log=quiet)
    assert res.state == "done" and res.adapter_dir == run / "model"
    return run


@pytest.mark.slow
def test_full_run_writes_a_model_folder_and_resumes_exactly(smoke_base, full_run, tmp_path):
    from copilot.training.checkpoints import verify_checkpoint
    from copilot.training.run_folder import STOP_FILE, read_status
    from copilot.training.trainer import train

    # the finished run: model/ (a loadable model folder), no adapter/; run.json and status.json say which
    assert not (full_run / "adapter").exists()
    man = json.loads((full_run / "model" / "manifest.json").read_text())
    assert man["kind"] == "full-model" and man["finetune"] == "full" and man["steps"] == 8
    assert {"config.json", "model.safetensors", "tokenizer_config.json"} <= {p.name for p in
                                                                             (full_run / "model").iterdir()}
    info = json.loads((full_run / "run.json").read_text())
    assert info["finetune"] == "full" and info["result"] == "model"
    from safetensors.torch import load_file

    saved = load_file(str(full_run / "model" / "model.safetensors"))
    assert info["trainable_params"] == sum(t.numel() for t in saved.values())  # every weight trains
    st = read_status(full_run)
    assert st["finetune"] == "full" and st["model"] == str(full_run / "model") and "adapter" not in st
    ck = full_run / "checkpoints" / "step-000008"
    assert verify_checkpoint(ck) == "" and (ck / "model.safetensors").is_file()
    assert not (ck / "adapter_config.json").exists()

    # stop at step 5 (checkpoint), resume: the loss curve is the uninterrupted one, no step repeated or skipped
    cfg = config_from_preset("smoke", dataset=str(full_run.parent / "ds"), max_steps=8, save_every=4,
                             eval_examples=2, finetune="full", learning_rate=1e-3)
    run = tmp_path / "run"

    def stop_at_5(rec):
        if rec["step"] == 5:
            (run / STOP_FILE).write_text("stop")

    res = train(cfg, run, base=smoke_base, on_step=stop_at_5, log=quiet)
    assert res.state == "stopped" and res.step == 5 and not (run / "model").exists()
    said = []
    res = train(cfg, run, base=smoke_base, log=said.append)
    assert res.state == "done" and any("resumed from step-000005" in s for s in said)
    got, want = losses(run), losses(full_run)
    assert [s for s, _ in got] == list(range(1, 9))
    for (s, a), (_, b) in zip(got, want):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5), f"step {s}: resumed {a} vs uninterrupted {b}"


@pytest.mark.slow
def test_export_of_a_full_run_takes_the_model_without_a_merge(full_run, tmp_path):
    pytest.importorskip("llama_cpp")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.picking.scoring import ChatEncoder, score_answers
    from copilot.training.export import ExportError, export_run

    res = export_run(full_run, quants=("F16",), out=tmp_path / "out", register=False, keep_merged=True, log=quiet)
    assert "link_s" in res.timings and "merge_s" not in res.timings
    assert res.manifest["weights"]["finetune"] == "full" and "adapter" not in res.manifest
    # the GGUF computes what the trained PyTorch model computes
    ex = json.loads((full_run.parent / "ds" / "val.jsonl").read_text().splitlines()[0])
    model = AutoModelForCausalLM.from_pretrained(str(full_run / "model"), dtype=torch.float32)
    hf = score_answers(model, ChatEncoder(AutoTokenizer.from_pretrained(str(full_run / "model"))),
                       ex["messages"][:-1], ex["meta"]["candidates"])
    assert res.validation["F16"]["answer_logprob"] == pytest.approx(hf[ex["messages"][-1]["content"]], abs=0.05)
    assert res.validation["F16"]["predicted"] == max(hf, key=hf.get)
    assert sorted(p.name for p in (full_run / "model").iterdir()) == sorted(
        ["chat_template.jinja", "config.json", "generation_config.json", "manifest.json", "model.safetensors",
         "tokenizer.json", "tokenizer_config.json"])  # the run's own folder is untouched
    with pytest.raises(ExportError, match="full fine-tuning run: it has no LoRA adapter"):
        export_run(full_run, quants=("F16",), out=tmp_path / "out2", register=False, lora_gguf=True, log=quiet)


@pytest.mark.slow
def test_dpo_from_a_full_run_trains_the_whole_model_against_a_frozen_copy(smoke_base, full_run, copilot_home,
                                                                           tmp_path):
    import torch
    from safetensors.torch import load_file

    ds = full_run.parent / "ds"
    out = tmp_path / "dpo"
    env = dict(os.environ, COPILOT_HOME=str(copilot_home), PYTHONUNBUFFERED="1")
    r = subprocess.run([sys.executable, "-m", "copilot", "train", "--method", "dpo", "--preset", "smoke",
                        "--from", str(full_run), "--dataset", str(ds), "--out", str(out), "--steps", "4",
                        "--set", "eval_examples=2", "--set", "save_every=2", "--lr", "1e-3"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:], (out / "train.log").read_text()[-3000:])
    assert json.loads((out / "config.json").read_text())["finetune"] == "full"  # taken from the SFT run
    ms = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in ms] == [1, 2, 3, 4] and all("rewards_margins" in m for m in ms)
    # step 1's policy is the reference itself: DPO's loss is log 2 and the margin 0 exactly there
    assert ms[0]["loss"] == pytest.approx(0.693147, abs=1e-4) and ms[0]["rewards_margins"] == pytest.approx(0, abs=1e-4)
    man = json.loads((out / "model" / "manifest.json").read_text())
    assert man["kind"] == "full-model" and man["config"]["method"] == "dpo" and not (out / "adapter").exists()
    before = load_file(str(full_run / "model" / "model.safetensors"))
    after = load_file(str(out / "model" / "model.safetensors"))
    assert before.keys() == after.keys()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert len(changed) > len(before) // 2  # the whole model trained, not an adapter

    # a LoRA preference run cannot start from a full SFT run: said clearly
    from copilot.training.dpo import train_preference

    cfg = config_from_preset("smoke", dataset=str(ds), method="dpo", from_run=str(full_run))
    with pytest.raises(ConfigError, match="is a finetune=full run but this run is finetune=lora"):
        train_preference(cfg, tmp_path / "lora-dpo", base=smoke_base, log=quiet)
