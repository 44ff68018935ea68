"""Export a training run: merge the LoRA adapter into the base, write GGUF, quantize, validate, register.

    merge (peft) -> safetensors folder -> GGUF f16 -> llama_model_quantize (Q8_0 / Q4_K_M) -> the `gguf` pick
    engine loads it and ranks one validation pick -> ModelStore.register(gguf, manifest)

GGUF conversion routes (stack-notes §6):
- ``direct`` (route c, `gguf_llama.write_llama_gguf`): for llama-architecture models (SmolLM2, Mistral and the
  smoke model) whose tokenizer exists in a GGUF (SmolLM2's): hyper-parameters from config.json, tokenizer
  metadata copied from that GGUF, tensors renamed with gguf's tensor map and q/k re-permuted. Needs only `gguf`.
- ``script`` (route b): llama.cpp's own `convert_hf_to_gguf.py` with its `conversion/` and `gguf-py/`, extracted once
  from the pinned llama-cpp-python sdist into ``user_cache_dir()/llama-cpp-src`` (downloaded only when allowed).
  Used for hub models such as Mistral-7B whose tokenizer is not in any GGUF here.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from copilot.fileio import atomic_write_json, utc_now
from copilot.paths import user_cache_dir
from copilot.training.checkpoints import checkpoint_dirs, verify_checkpoint
from copilot.training.config import TrainConfig
from copilot.training.gguf_llama import ExportError, write_llama_gguf
from copilot.training.lora_gguf import export_lora_gguf
from copilot.training.run_folder import ADAPTER_DIR, MODEL_DIR, RUN_INFO
from copilot.training.validation import pick_examples

QUANTS = ("Q8_0", "Q4_K_M", "F16")
LLAMA_CPP_VERSION = "0.3.36"


@dataclass
class ExportResult:
    gguf: dict[str, Path] = field(default_factory=dict)  # quant -> file
    registered: dict[str, str] = field(default_factory=dict)  # quant -> store name
    validation: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    merged_dir: Path | None = None
    manifest: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ run -> adapter
def find_adapter(run_dir: Path, checkpoint: str | None = None) -> tuple[Path, int]:
    """The final adapter/ (LoRA) or model/ (full fine-tuning) of a finished run, or the newest valid checkpoint
    (or a named one)."""
    run_dir = Path(run_dir)
    if checkpoint:
        p = Path(f"step-{int(checkpoint):06d}" if str(checkpoint).isdigit() else checkpoint)  # --checkpoint 99
        if not p.is_absolute():
            p = run_dir / "checkpoints" / p
        why = verify_checkpoint(p) if (p / "MANIFEST.json").exists() or p.parent.name == "checkpoints" else ""
        if not p.is_dir() or why:
            raise ExportError(f"checkpoint {p} is not usable: {why or 'not found'}")
        man = p / "MANIFEST.json"  # checkpoints.finalize_checkpoint writes the step there
        return p, int(json.loads(man.read_text()).get("step", -1)) if man.exists() else -1
    for final in (run_dir / ADAPTER_DIR, run_dir / MODEL_DIR):
        if (final / "manifest.json").is_file() and ((final / "adapter_model.safetensors").is_file()
                                                   or (final / "config.json").is_file()):
            return final, int(json.loads((final / "manifest.json").read_text()).get("steps", -1))
    for step, p in reversed(checkpoint_dirs(run_dir)):
        if not verify_checkpoint(p):
            return p, step
    raise ExportError(f"{run_dir} has no adapter and no valid checkpoint to export (has the run started? "
                      f"`copilot train --status {run_dir}`)")


# ------------------------------------------------------------------------------------------------ merge
def merge_adapter(base_dir: Path, adapter_dir: Path, out_dir: Path) -> Path:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    merged.save_pretrained(str(out_dir), safe_serialization=True)
    AutoTokenizer.from_pretrained(str(base_dir)).save_pretrained(str(out_dir))
    return out_dir


def full_model_folder(base_dir: Path, weights_dir: Path, out_dir: Path) -> Path:
    """A full fine-tuning run's weights need no merge: its model/ folder (or a checkpoint) is linked into `out_dir`
    (hard links where the file system allows, else copies), with the base's tokenizer where the folder lacks one,
    so that the run's own folders are never written to."""
    from transformers import AutoTokenizer

    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for f in weights_dir.iterdir():
        if f.is_file() and f.name not in ("optimizer.pt", "scheduler.pt") and not f.name.startswith("rng_state"):
            try:
                os.link(f, out_dir / f.name)
            except OSError:
                shutil.copy2(f, out_dir / f.name)
    if not (out_dir / "tokenizer_config.json").is_file():
        AutoTokenizer.from_pretrained(str(base_dir)).save_pretrained(str(out_dir))
    return out_dir


# ------------------------------------------------------------------------------------------------ GGUF (route b)
def converter_dir(allow_download: bool = False) -> Path:
    """llama.cpp's converter (from the llama-cpp-python sdist), extracted once into the user cache."""
    root = Path(os.environ.get("COPILOT_LLAMA_CPP_SRC", user_cache_dir() / "llama-cpp-src" / LLAMA_CPP_VERSION))
    script = root / "convert_hf_to_gguf.py"
    if script.is_file():
        return root
    from copilot.training.base_models import offline_forced

    if not allow_download or offline_forced():
        raise ExportError(f"llama.cpp's convert_hf_to_gguf.py is not in {root}; pass --download to extract it "
                          f"from the llama-cpp-python=={LLAMA_CPP_VERSION} sdist (77 MB), or set "
                          f"COPILOT_LLAMA_CPP_SRC to a llama.cpp checkout")
    import subprocess
    import sys
    import tarfile

    dl = root.parent / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        f"llama-cpp-python=={LLAMA_CPP_VERSION}", "-d", str(dl)], capture_output=True, text=True)
    sdists = sorted(dl.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}.tar.gz"))
    if r.returncode != 0 or not sdists:
        raise ExportError(f"could not download the llama-cpp-python sdist: {r.stderr.strip()[-300:]}")
    prefix = f"llama_cpp_python-{LLAMA_CPP_VERSION}/vendor/llama.cpp/"
    wanted = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion/", "gguf-py/")
    tmp = root.with_name(root.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(sdists[0]) as tf:
        for m in tf.getmembers():
            if m.name.startswith(prefix) and m.name[len(prefix):].startswith(wanted) and m.isfile():
                m.name = m.name[len(prefix):]
                tf.extract(m, tmp, filter="data")
    os.replace(tmp, root)
    return root


def convert_with_script(hf_dir: Path, out_path: Path, *, allow_download: bool = False, outtype: str = "f16") -> Path:
    import subprocess
    import sys

    src = converter_dir(allow_download)
    tmp = out_path.with_name(out_path.name + ".part")
    r = subprocess.run([sys.executable, str(src / "convert_hf_to_gguf.py"), str(hf_dir), "--outfile", str(tmp),
                        "--outtype", outtype], capture_output=True, text=True)
    if r.returncode != 0 or not tmp.is_file():
        raise ExportError(f"convert_hf_to_gguf.py failed (exit {r.returncode}): {r.stderr.strip()[-800:]}")
    os.replace(tmp, out_path)
    return out_path


# ------------------------------------------------------------------------------------------------ quantize
def quantize(src: Path, dst: Path, quant: str, threads: int = 2) -> Path:
    import llama_cpp

    ftypes = {"Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0, "Q4_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M,
              "F16": llama_cpp.LLAMA_FTYPE_MOSTLY_F16}
    if quant not in ftypes:
        raise ExportError(f"unknown quantization {quant!r}; choose {', '.join(QUANTS)}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftypes[quant]
    params.nthread = threads
    tmp = dst.with_name(dst.name + ".part")
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(), params)
    if rc != 0 or not tmp.is_file():
        raise ExportError(f"llama_model_quantize({quant}) failed with code {rc}")
    os.replace(tmp, dst)
    return dst


# ------------------------------------------------------------------------------------------------ validate
def validate_with_llama_cpp(gguf_path: Path, example: dict | None, threads: int = 1,
                            lora_path: Path | None = None) -> dict:
    """Load the GGUF in the `gguf` pick engine (the one live ranking uses) and rank the candidates of one validation
    example by log-probability.

    The engine validates the files first (llama.cpp crashes on a bad file or adapter instead of raising) and scores
    the example's prompt messages with the model's own chat template and tokenizer. `lora_path`: a GGUF LoRA applied
    on top. Any failure is an ExportError naming the file."""
    import math

    from copilot.picking.gguf_engine import EngineError, GGUFEngine
    from copilot.picking.model_files import ModelFileError

    # the example's messages are scored as they are, so the engine's prompt format (else the file's own) is unused
    engine = GGUFEngine(model=gguf_path, adapter=lora_path, format="v1", n_threads=threads, kv_reuse=False)
    try:
        t0 = time.perf_counter()
        engine.load()
        out = {"load_s": round(time.perf_counter() - t0, 3), "n_vocab": engine.n_vocab}
        if example is None:
            return out
        cands = list(dict.fromkeys(example.get("meta", {}).get("candidates") or []))
        answer = example["messages"][-1]["content"]
        t1 = time.perf_counter()
        scores = engine.score_messages(example["messages"][:-1], cands)
    except (EngineError, ModelFileError, ValueError) as exc:
        raise ExportError(f"{Path(gguf_path).name}: the gguf engine cannot rank a validation pick: {exc}") from None
    finally:
        engine.close()
    if not all(math.isfinite(v) for v in scores.values()):
        raise ExportError(f"{Path(gguf_path).name}: non-finite candidate scores {scores}")
    ranked = sorted(scores, key=scores.get, reverse=True)
    out.update({"score_s": round(time.perf_counter() - t1, 3), "answer": answer,
                "predicted": ranked[0] if ranked else None,
                "answer_rank": ranked.index(answer) + 1 if answer in ranked else None, "n_candidates": len(cands),
                "answer_logprob": round(scores.get(answer, float("nan")), 4)})
    return out


# ------------------------------------------------------------------------------------------------ the pipeline
def training_window_meta(cfg: TrainConfig, dataset_manifest: dict | None) -> dict:
    """GGUF metadata on what the model saw in training, so that the engine serves it the same way:
    copilot.train_seq_len (the training window) and, for a conversation format, copilot.segment ("pack" when every
    training sequence was one pack of the draft, "draft" when every one was a whole draft)."""
    meta = {"copilot.train_seq_len": str(cfg.max_seq_len)}
    seqs = ((dataset_manifest or {}).get("conversation") or {}).get("sequences") or {}
    if seqs.get("pack") and not seqs.get("draft"):
        meta["copilot.segment"] = "pack"
    elif seqs.get("draft") and not seqs.get("pack"):
        meta["copilot.segment"] = "draft"
    return meta


def export_run(run_dir: str | Path, *, quants: tuple[str, ...] = ("Q8_0",), out: str | Path | None = None,
               name: str | None = None, route: str = "auto", register: bool = True, store_root: Path | None = None,
               checkpoint: str | None = None, keep_merged: bool = False, allow_download: bool = False,
               lora_gguf: bool = False, threads: int = 1, log=print) -> ExportResult:
    from copilot.training.base_models import BaseModelError, resolve_base_model

    run_dir = Path(run_dir).resolve()
    res = ExportResult()
    cfg = TrainConfig.load(run_dir)
    info = json.loads((run_dir / RUN_INFO).read_text()) if (run_dir / RUN_INFO).is_file() else {}
    adapter, steps = find_adapter(run_dir, checkpoint)
    try:
        base = resolve_base_model(cfg.base_model, allow_download=allow_download, log=log)
    except BaseModelError as exc:
        raise ExportError(f"base model for {run_dir.name}: {exc}") from None
    prompt_format = cfg.prompt_format or info.get("prompt_format") or "unknown"
    name = name or f"{run_dir.name}-s{steps}"
    out_dir = Path(out) if out else run_dir / "export"
    single_file = out_dir.suffix == ".gguf"
    work = (out_dir.parent if single_file else out_dir)
    work.mkdir(parents=True, exist_ok=True)
    log(f"exporting {run_dir.name} ({adapter.name}, step {steps}) on {base.spec.display}")

    t = time.perf_counter()
    full = cfg.finetune == "full"
    if full and lora_gguf:
        raise ExportError(f"{run_dir.name} is a full fine-tuning run: it has no LoRA adapter to write as a GGUF "
                          f"LoRA (export the model itself)")
    if full:
        merged = full_model_folder(base.path, adapter, work / f".merged-{name}")
    else:
        merged = merge_adapter(base.path, adapter, work / f".merged-{name}")
    res.timings["merge_s" if not full else "link_s"] = round(time.perf_counter() - t, 2)
    res.merged_dir = merged

    ad_manifest = json.loads((adapter / "manifest.json").read_text()) if (adapter / "manifest.json").is_file() else {}
    ds_manifest = info.get("dataset", {}).get("manifest") or ad_manifest.get("dataset", {}).get("manifest")
    t = time.perf_counter()
    f16 = work / f"{name}-F16.gguf"
    use_direct = route == "direct" or (route == "auto" and base.tokenizer_gguf is not None)
    if use_direct:
        if base.tokenizer_gguf is None:
            raise ExportError("route direct needs a tokenizer GGUF for the base model; use --route script")
        write_llama_gguf(merged, f16, base.tokenizer_gguf, name=name,
                         extra_meta={"copilot.prompt_format": prompt_format, "copilot.base_model": base.spec.name,
                                     **training_window_meta(cfg, ds_manifest)})
    else:
        convert_with_script(merged, f16, allow_download=allow_download)
    res.timings["convert_s"] = round(time.perf_counter() - t, 2)

    ds_path = Path(cfg.dataset)
    val_example = None
    if (ds_path / "val.jsonl").is_file():
        with open(ds_path / "val.jsonl", encoding="utf-8") as fh:
            line = fh.readline()
        # a pick with a choice, as validation scores it: a conversation line's last turn is a one-card pack, and a
        # label format's candidates are the turn's answer texts (validation.pick_examples gives each turn its own)
        picks = pick_examples(json.loads(line)) if line.strip() else []
        val_example = next((x for x in picks if len(set(x.get("meta", {}).get("candidates") or [])) > 1),
                           picks[-1] if picks else None)
    manifest = {
        "kind": "model", "prompt_format": prompt_format,
        "base_model": base.spec.name, "base_model_info": base.to_dict(),
        ("weights" if full else "adapter"): {"path": str(adapter), "steps": steps, "finetune": cfg.finetune},
        "training": {"run": str(run_dir), "config": cfg.to_dict(), "steps": steps},
        "dataset": {"path": str(ds_path), "manifest": ds_manifest},
        "eval": {"validation_picks": ad_manifest["eval"]["validation_picks"]}
        if ad_manifest.get("eval", {}).get("validation_picks") else {},
        "export": {"route": "direct" if use_direct else "script", "created": utc_now()},
    }
    for quant in quants:
        t = time.perf_counter()
        dst = out_dir if (single_file and len(quants) == 1) else work / f"{name}-{quant}.gguf"
        if quant == "F16":
            if dst != f16:
                shutil.copy2(f16, dst)
        else:
            quantize(f16, dst, quant, threads)
        res.timings[f"quantize_{quant}_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        v = validate_with_llama_cpp(dst, val_example, threads)
        res.timings[f"validate_{quant}_s"] = round(time.perf_counter() - t, 2)
        res.validation[quant] = v
        res.gguf[quant] = dst
        log(f"  {quant}: {dst.name} {dst.stat().st_size / 2 ** 20:.1f} MB; llama.cpp loaded it in {v['load_s']} s"
            + (f", picked {v['predicted']!r} (human: {v['answer']!r}, rank {v['answer_rank']}/{v['n_candidates']})"
               if "predicted" in v else ""))
        m = dict(manifest, quantization=quant, validation=v, name=f"{name}-{quant.lower()}")
        atomic_write_json(dst.with_suffix(".manifest.json"), m)
        if register:
            from copilot.store.model_store import ModelStore

            store = ModelStore(store_root)
            entry = store.register(dst, m, name=f"{name}-{quant.lower().replace('_', '-')}")
            res.registered[quant] = entry.name
            log(f"  registered as {entry.name!r} in {store.root}")
    if lora_gguf:
        t = time.perf_counter()
        lp = export_lora_gguf(adapter, base, work / f"{name}-lora.gguf", allow_download=allow_download)
        res.timings["lora_gguf_s"] = round(time.perf_counter() - t, 2)
        res.gguf["lora"] = lp
    if "F16" not in quants:
        f16.unlink(missing_ok=True)
    if not keep_merged:
        shutil.rmtree(merged, ignore_errors=True)
        res.merged_dir = None
    res.manifest = manifest
    return res
