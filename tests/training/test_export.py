"""Export of a real (smoke) training run: merge -> GGUF -> quantize -> llama.cpp loads and scores -> model store."""
from __future__ import annotations

import json

import pytest

from copilot.training.presets import config_from_preset
from tests.training.conftest import write_dataset

torch = pytest.importorskip("torch")
pytest.importorskip("llama_cpp")


def quiet(*_a, **_k):
    pass


@pytest.fixture(scope="module")
def trained_smoke_run(smoke_base, tmp_path_factory):
    from copilot.training.trainer import train

    root = tmp_path_factory.mktemp("export")
    ds = write_dataset(root / "ds")
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=12, save_every=6, eval_examples=2)
    run = root / "run"
    cfg.save(run)
    train(cfg, run, base=smoke_base, log=quiet)
    return run


def test_export_q8_0_loads_in_llama_cpp_and_matches_the_pytorch_scores(trained_smoke_run, smoke_base, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.training.export import export_run
    from copilot.store.model_store import ModelStore
    from copilot.picking.scoring import ChatEncoder, score_answers

    store_root = tmp_path / "store"
    res = export_run(trained_smoke_run, quants=("F16", "Q8_0"), out=tmp_path / "out", store_root=store_root,
                     keep_merged=True, log=quiet)
    assert set(res.gguf) == {"F16", "Q8_0"}
    for quant, path in res.gguf.items():
        assert path.read_bytes()[:4] == b"GGUF"
        v = res.validation[quant]
        assert v["n_candidates"] == 8 and v["answer_rank"] is not None and v["load_s"] >= 0

    # the GGUF computes what the merged PyTorch model computes (names, q/k permutation, tokenizer metadata)
    ex = json.loads((trained_smoke_run.parent / "ds" / "val.jsonl").read_text().splitlines()[0])
    tok = AutoTokenizer.from_pretrained(str(res.merged_dir))
    model = AutoModelForCausalLM.from_pretrained(str(res.merged_dir), dtype=torch.float32)
    hf = score_answers(model, ChatEncoder(tok), ex["messages"][:-1], ex["meta"]["candidates"])
    hf_answer = hf[ex["messages"][-1]["content"]]
    assert res.validation["F16"]["answer_logprob"] == pytest.approx(hf_answer, abs=0.05)
    assert res.validation["Q8_0"]["answer_logprob"] == pytest.approx(hf_answer, rel=0.03, abs=0.3)
    assert res.validation["F16"]["predicted"] == max(hf, key=hf.get)

    store = ModelStore(store_root)
    names = sorted(store.names())
    assert names == sorted(res.registered.values())
    entry = store.get(res.registered["Q8_0"])
    m = entry.manifest
    assert m["prompt_format"] == "test-v0" and m["quantization"] == "Q8_0"
    assert m["base_model"] == "smoke-mistral" and m["base_model_info"]["kind"] == "random" and m["training"]["steps"] == 12
    assert m["dataset"]["manifest"]["sets"] == ["DSK"]
    assert m["eval"]["validation_picks"]["val_n"] == 2
    assert store.verify(entry.name) == (True, "ok")
    # the file itself says how it was trained: its prompt format and training window (training_window_meta)
    from copilot.picking.model_files import validate_gguf
    info = validate_gguf(res.gguf["Q8_0"])
    assert info.prompt_format == "test-v0" and info.trained_seq_len == 512 and info.trained_segment is None
    # a manifest sits beside every exported file too
    assert json.loads(res.gguf["Q8_0"].with_suffix(".manifest.json").read_text())["quantization"] == "Q8_0"


def test_export_reports_missing_run_parts(tmp_path, trained_smoke_run):
    from copilot.training.config import ConfigError
    from copilot.training.export import ExportError, export_run, find_adapter

    with pytest.raises(ConfigError, match="not found"):
        export_run(tmp_path / "no-run", log=quiet)
    empty = tmp_path / "empty-run"
    config_from_preset("smoke", dataset="/d").save(empty)
    with pytest.raises(ExportError, match="no adapter and no valid checkpoint"):
        find_adapter(empty)
    p, step = find_adapter(trained_smoke_run, checkpoint="step-000006")
    assert step == 6 and p.name == "step-000006"
    with pytest.raises(ExportError, match="not usable"):
        find_adapter(trained_smoke_run, checkpoint="step-000999")


def test_adapter_as_gguf_lora_on_the_unmerged_base_equals_the_merged_model(trained_smoke_run, smoke_base, tmp_path):
    from copilot.picking.model_files import validate_gguf
    from copilot.training.export import export_run, validate_with_llama_cpp, write_llama_gguf

    res = export_run(trained_smoke_run, quants=("F16",), out=tmp_path / "out", register=False, keep_merged=True,
                     lora_gguf=True, log=quiet)
    lora = res.gguf["lora"]
    info = validate_gguf(lora, kind="adapter")
    assert info.architecture == "llama"
    base_f16 = write_llama_gguf(smoke_base.path, tmp_path / "base-F16.gguf", smoke_base.tokenizer_gguf, name="base")
    ex = json.loads((trained_smoke_run.parent / "ds" / "val.jsonl").read_text().splitlines()[0])
    with_lora = validate_with_llama_cpp(base_f16, ex, lora_path=lora)
    without = validate_with_llama_cpp(base_f16, ex)
    merged = res.validation["F16"]["answer_logprob"]
    # f16 base + f32 LoRA vs (fp32 merge rounded to f16): equal up to f16 rounding on this large-logit toy model
    assert with_lora["answer_logprob"] == pytest.approx(merged, rel=2e-3, abs=0.05)
    # ... and the adapter really changes the model
    assert abs(without["answer_logprob"] - merged) > 5 * abs(with_lora["answer_logprob"] - merged) + 0.1


def test_a_model_file_runs_in_the_prompt_format_it_names(smoke_base, tmp_path, capsys):
    """An export writes copilot.prompt_format into the GGUF: `--model m.gguf` without a format, a `gguf:model=` seat
    and `copilot models add` then use the model's own format (they used v1 for any file); an explicit format wins,
    and a file that names none needs --prompt-format to be added."""
    from copilot.cli import main
    from copilot.picking.gguf_engine import GGUFEngine
    from copilot.picking.model_files import validate_gguf
    from copilot.store.model_store import ModelStore
    from copilot.training.export import write_llama_gguf

    fmt = "conversation:answer=label,colours=1,knowledge=rated,order=pick,repeat=1"
    named = write_llama_gguf(smoke_base.path, tmp_path / "named.gguf", smoke_base.tokenizer_gguf, name="named",
                             extra_meta={"copilot.prompt_format": fmt})
    plain = write_llama_gguf(smoke_base.path, tmp_path / "plain.gguf", smoke_base.tokenizer_gguf, name="plain")
    assert validate_gguf(named).prompt_format == fmt and validate_gguf(plain).prompt_format is None
    own = GGUFEngine(model=named)
    assert own._resolve()[1] == fmt and own.conversational
    assert GGUFEngine(model=named, format="v1")._resolve()[1] == "v1"
    assert GGUFEngine(model=plain)._resolve()[1] is None and not GGUFEngine(model=plain).conversational  # v1

    store = tmp_path / "store"
    assert main(["models", "add", str(named), "--store", str(store)]) == 0
    assert ModelStore(store).get("named").prompt_format == fmt
    assert main(["models", "add", str(plain), "--store", str(store)]) != 0
    assert "does not name the prompt format" in capsys.readouterr().err
    assert main(["models", "add", str(plain), "--store", str(store), "--prompt-format", "v1"]) == 0
