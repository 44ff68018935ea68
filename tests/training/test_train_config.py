"""TrainConfig, presets, memory estimates, GPU detection message, base-model resolution (no training here)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.training.base_models import CATALOG, BaseModelError, check_hf_folder, prepare_hub, resolve_base_model
from copilot.training.config import ConfigError, TrainConfig
from copilot.training.presets import (GIB, PRESETS, GPUInfo, config_from_preset, detect_gpu, device_message,
                                      estimate_device, estimate_peak_memory, lora_param_count, preset_for_gpu)


def test_config_roundtrip_and_clear_errors(tmp_path):
    cfg = TrainConfig(dataset="/d", max_steps=7, target_modules=["q_proj", "v_proj"])
    path = cfg.save(tmp_path)
    assert path.name == "config.json"
    again = TrainConfig.load(tmp_path)
    assert again == cfg
    with pytest.raises(ConfigError, match="unknown key.*max_stpes"):
        TrainConfig.from_dict({"dataset": "/d", "max_stpes": 3})
    with pytest.raises(ConfigError, match="quant='nf3'"):
        TrainConfig.from_dict({"dataset": "/d", "quant": "nf3"})
    with pytest.raises(ConfigError, match="max_steps must be >= 1"):
        TrainConfig.from_dict({"dataset": "/d", "max_steps": 0})
    with pytest.raises(ConfigError, match="wrong type"):
        TrainConfig.from_dict({"dataset": "/d", "max_steps": "many"})
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        TrainConfig.load(tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        TrainConfig.load(tmp_path / "nope")


def test_presets_resolve_and_override():
    for name in PRESETS:
        cfg = config_from_preset(name, dataset="/d")
        assert cfg.preset in (name, "gpu-24gb")
        assert cfg.base_model in CATALOG
    cfg = config_from_preset("smoke", dataset="/d", max_steps=3, lora_r=4)
    assert (cfg.max_steps, cfg.lora_r, cfg.base_model) == (3, 4, "smoke-mistral")
    with pytest.raises(KeyError, match="unknown preset"):
        config_from_preset("gpu-3gb", dataset="/d")


def test_memory_estimate_matches_published_qlora_figures():
    mistral = CATALOG["mistral-7b-instruct"]
    # LoRA on all 7 projections, r=16: 41.9 M parameters for Mistral-7B (32 layers, d=4096, ffn 14336, 8 KV heads)
    assert lora_param_count(mistral, 16, PRESETS["gpu-12gb"].overrides["target_modules"]) == 41_943_040
    for name in ("gpu-8gb", "gpu-12gb", "gpu-16gb", "gpu-24gb"):
        est = estimate_peak_memory(mistral, config_from_preset(name, dataset="/d"))
        assert est["total"] <= PRESETS[name].min_gpu_gib * GIB, (name, est["total"] / GIB)
        # 4-bit Mistral-7B weights are ~4 GB (published QLoRA 7B footprints: 6-7.4 GiB at small batch)
        assert 3.4 * GIB < est["weights"] < 4.6 * GIB
    small = estimate_peak_memory(mistral, config_from_preset("gpu-8gb", dataset="/d"))
    assert 5 * GIB < small["total"] < 8 * GIB
    # no quantisation, bf16: weights alone are ~14.5 GB, so a 16 GB card cannot hold the 48 GB preset
    big = estimate_peak_memory(mistral, config_from_preset("gpu-48gb", dataset="/d"))
    assert big["weights"] > 13 * GIB and big["total"] > 16 * GIB
    # checkpointing lowers the activation estimate
    c = config_from_preset("gpu-24gb", dataset="/d")
    assert estimate_peak_memory(mistral, c.replace(gradient_checkpointing=False))["activations"] > \
        estimate_peak_memory(mistral, c)["activations"]


def test_preset_for_gpu_memory():
    assert preset_for_gpu(None) == "cpu-small"
    assert preset_for_gpu(7.6) == "gpu-8gb"
    assert preset_for_gpu(11.7) == "gpu-12gb"
    assert preset_for_gpu(23.6) == "gpu-24gb"
    assert preset_for_gpu(80) == "gpu-48gb"
    assert preset_for_gpu(4) == "cpu-small"


def test_no_gpu_message_names_model_and_speed():
    pytest.importorskip("torch")
    gpu = detect_gpu()
    cfg = config_from_preset("cpu-small", dataset="/d", max_steps=100)
    msg = device_message(cfg, CATALOG["smollm2-135m-instruct"], None)
    assert msg.startswith("no CUDA GPU: training will run on CPU with SmolLM2-135M-Instruct, expect ~")
    assert "s/step" in msg and "GiB" in msg
    if gpu is None:  # this machine: no CUDA
        assert device_message(cfg, CATALOG["smollm2-135m-instruct"], gpu) == msg


def test_device_estimate_is_typed_and_the_cli_line_is_its_message():
    mistral, smol = CATALOG["mistral-7b-instruct"], CATALOG["smollm2-135m-instruct"]
    card = GPUInfo(0, "Test GPU 16 GB", 16.0)
    ok = estimate_device(config_from_preset("gpu-16gb", dataset="/d"), mistral, card)
    assert (ok.device, ok.fits, ok.gpu) == ("cuda", True, card) and ok.peak_gib <= 16
    assert ok.message.endswith("-> fits")
    big = estimate_device(config_from_preset("gpu-48gb", dataset="/d"), mistral, card)
    assert big.fits is False and big.peak_gib > 16 and "DOES NOT FIT" in big.message
    cpu_cfg = config_from_preset("cpu-small", dataset="/d", max_steps=100)
    cpu = estimate_device(cpu_cfg, smol, None)
    assert (cpu.device, cpu.fits, cpu.gpu) == ("cpu", None, None) and cpu.seconds_per_step > 0
    assert cpu.memory["total"] == estimate_peak_memory(smol, cpu_cfg, on_gpu=False)["total"]
    for cfg, spec, gpu, est in ((config_from_preset("gpu-16gb", dataset="/d"), mistral, card, ok),
                                (config_from_preset("gpu-48gb", dataset="/d"), mistral, card, big),
                                (cpu_cfg, smol, None, cpu)):
        assert device_message(cfg, spec, gpu) == est.message


def _fake_hub_cache(root: Path, repo_id: str, commit: str, model_dir: Path) -> None:
    """Lay a model folder out as huggingface_hub does: models--org--name/{refs/main, snapshots/<commit>/...}."""
    repo = root / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for f in model_dir.iterdir():
        if f.is_file():
            (snap / f.name).write_bytes(f.read_bytes())


def test_hub_model_resolves_offline_from_local_cache(tmp_path, smoke_base, monkeypatch):
    spec = CATALOG["mistral-7b-instruct"]
    cache = tmp_path / "hub"
    monkeypatch.setenv("COPILOT_NO_NETWORK", "1")
    with pytest.raises(BaseModelError, match="not in the local cache.*downloads are disabled"):
        prepare_hub(spec, allow_download=True, cache_dir=cache, log=lambda *a: None)
    commit = "0123456789abcdef0123456789abcdef01234567"
    _fake_hub_cache(cache, spec.hub_id, commit, smoke_base.path)
    resolved = prepare_hub(spec, allow_download=True, cache_dir=cache, log=lambda *a: None)
    assert resolved.path.name == commit and check_hf_folder(resolved.path) == ""
    assert resolved.manifest["source"] == {"hub_id": spec.hub_id, "revision": "main", "commit": commit,
                                           "path": str(resolved.path)}
    # an incomplete snapshot is reported, not loaded
    (resolved.path / "model.safetensors").unlink()
    with pytest.raises(BaseModelError, match="incomplete: missing weights"):
        prepare_hub(spec, cache_dir=cache, log=lambda *a: None)


def test_local_folder_and_unknown_names(tmp_path, smoke_base):
    r = resolve_base_model(str(smoke_base.path))
    assert r.spec.kind == "local" and r.tokenizer_gguf is not None  # base.json points at the tokenizer GGUF
    with pytest.raises(BaseModelError, match="unknown base model"):
        resolve_base_model("llama-9000")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BaseModelError, match="missing config.json"):
        resolve_base_model(str(tmp_path / "empty"))
    man = json.loads((smoke_base.path / "base.json").read_text())
    assert man["kind"] == "random" and man["source"]["tokenizer_gguf"].endswith(".gguf")


def test_cpu_autocast_estimate_matches_the_measured_peak():
    """The one CPU measurement the factor comes from (presets.CPU_AUTOCAST_FACTOR): SmolLM2 LoRA under bf16 autocast on
    a 3,711-token conversation peaked at 11.0 GB; fp32 on the CPU is counted without it."""
    from copilot.training.base_models import CATALOG

    smol = CATALOG["smollm2-135m-instruct"]
    cfg = config_from_preset("cpu-small", dataset="/d").replace(max_seq_len=3711, precision="bf16")
    est = estimate_peak_memory(smol, cfg, on_gpu=False)
    assert est["total"] / 1e9 == pytest.approx(11.0, rel=0.1)
    fp32 = estimate_peak_memory(smol, cfg.replace(precision="fp32"), on_gpu=False)
    assert fp32["logits"] == est["logits"] / 2 and fp32["total"] < est["total"]


def test_gpu_presets_from_12gb_train_the_cpu_recipe_format():
    from copilot.training.presets import CPU_RECIPE_FORMAT

    recipe = PRESETS["cpu-small"].dataset_args()
    assert recipe == ["--format", CPU_RECIPE_FORMAT, "--segment", "pack"]
    mistral = CATALOG["mistral-7b-instruct"]
    for name in ("gpu-12gb", "gpu-16gb", "gpu-24gb", "gpu-48gb"):
        cfg = config_from_preset(name, dataset="/d")
        assert PRESETS[name].dataset_args() == recipe and cfg.base_model == "mistral-7b-instruct"
        # a per-pack conversation is up to 4,204 Mistral tokens (bench/preset_seq_len.py); the window holds it
        assert cfg.max_seq_len >= 4300 and cfg.method == "sft"
        assert estimate_peak_memory(mistral, cfg)["total"] <= PRESETS[name].min_gpu_gib * GIB
    # the estimate leaves an 8 GB card no room for those sequences: it keeps v1 in a short window
    eight = config_from_preset("gpu-8gb", dataset="/d")
    assert PRESETS["gpu-8gb"].dataset_args() == [] and eight.max_seq_len == 1024
    assert estimate_peak_memory(mistral, eight.replace(max_seq_len=4608))["total"] > 8 * GIB


def test_the_cpu_recipe_ends_within_its_time_budget_on_a_slow_cpu(tmp_path, monkeypatch):
    """cpu-small stops after CPU_RECIPE_MINUTES of step time (an AVX2-only CPU trains in fp32 at ~65 s a step, where
    210 steps would take almost four hours), and the estimate says where the budget ends the run."""
    from copilot.training.precision import PrecisionChoice
    from copilot.training.presets import CPU_RECIPE_MINUTES, estimate_device

    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))  # no speed recorded by an earlier run: the probe's figure
    cfg = config_from_preset("cpu-small", dataset=str(tmp_path / "none"))
    assert cfg.max_minutes == CPU_RECIPE_MINUTES <= 120 and cfg.max_steps == 210
    smol = CATALOG["smollm2-135m-instruct"]
    slow = PrecisionChoice("fp32", "AVX2 only", fp32_gflops=3.0, bf16_gflops=0.05)
    est = estimate_device(cfg, smol, None, choice=slow, measure=False)
    steps_in_budget = int(CPU_RECIPE_MINUTES * 60 / est.seconds_per_step)
    assert 1 <= steps_in_budget < 210
    assert f"the {CPU_RECIPE_MINUTES}-min time budget ends it at about step {steps_in_budget}" in est.message
    fast = PrecisionChoice("bf16", "native bf16", fp32_gflops=3000.0, bf16_gflops=6000.0)
    quick = estimate_device(cfg, smol, None, choice=fast, measure=False)
    assert "time budget" not in quick.message and "min for 210 steps" in quick.message
