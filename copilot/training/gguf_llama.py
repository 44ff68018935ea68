"""GGUF writing for llama-architecture models, shared by the model export (`export`) and the LoRA export
(`lora_gguf`): the architectures covered, the q/k head permutation, and route c of the export (a merged Hugging Face
folder written as GGUF with the tokenizer metadata copied from an existing GGUF). Needs only the `gguf` package.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

LLAMA_ARCHS = {"LlamaForCausalLM", "MistralForCausalLM"}


class ExportError(RuntimeError):
    """Export cannot proceed; the message says what is missing and what to do."""


def _load_state_dict(folder: Path) -> dict:
    from safetensors.torch import load_file

    sd = {}
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ExportError(f"no *.safetensors weights in {folder}")
    for f in files:
        sd.update(load_file(str(f)))
    return sd


def permute_heads(w, n_head: int):
    """q/k weights from the Hugging Face rotary layout to llama.cpp's (as convert_hf_to_gguf.py does)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_llama_gguf(hf_dir: Path, out_path: Path, tokenizer_gguf: Path, *, name: str, outtype: str = "f16",
                     extra_meta: dict | None = None) -> Path:
    """Write a llama-architecture HF checkpoint as GGUF, taking the tokenizer metadata from `tokenizer_gguf`."""
    import gguf
    import numpy as np
    import torch

    cfg = json.loads((hf_dir / "config.json").read_text())
    arch_name = (cfg.get("architectures") or ["?"])[0]
    if arch_name not in LLAMA_ARCHS:
        raise ExportError(f"direct GGUF export covers {sorted(LLAMA_ARCHS)}, not {arch_name}; use --route script")
    n_layers, n_head = cfg["num_hidden_layers"], cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads") or n_head
    hidden = cfg["hidden_size"]
    head_dim = cfg.get("head_dim") or hidden // n_head
    rope = cfg.get("rope_theta") or (cfg.get("rope_parameters") or {}).get("rope_theta") or 10000.0
    reader = gguf.GGUFReader(str(tokenizer_gguf))
    tok_vocab = len(reader.fields["tokenizer.ggml.tokens"].data)
    if tok_vocab != cfg["vocab_size"]:
        raise ExportError(f"vocabulary mismatch: the model has {cfg['vocab_size']} tokens, the tokenizer GGUF "
                          f"{tokenizer_gguf.name} has {tok_vocab}; use --route script")

    tmp = out_path.with_name(out_path.name + ".part")
    w = gguf.GGUFWriter(str(tmp), "llama")
    w.add_type("model")
    w.add_name(name)
    for k, v in (extra_meta or {}).items():
        w.add_string(k, str(v))
    w.add_context_length(int(cfg.get("max_position_embeddings", 2048)))
    w.add_embedding_length(hidden)
    w.add_block_count(n_layers)
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-5)))
    w.add_rope_freq_base(float(rope))
    w.add_rope_dimension_count(head_dim)
    w.add_vocab_size(cfg["vocab_size"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if outtype == "f16" else gguf.LlamaFileType.ALL_F32)
    for key, f in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        vtype = f.types[0]
        sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        w.add_key_value(key, f.contents(), vtype, sub_type=sub)

    sd = _load_state_dict(hf_dir)
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layers)
    tied = cfg.get("tie_word_embeddings", False)
    for hf_name, t in sd.items():
        if hf_name == "lm_head.weight" and tied:
            continue
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        gname = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gname is None:
            raise ExportError(f"no GGUF name for tensor {hf_name}")
        a = t.to(torch.float32).numpy()
        if hf_name.endswith("q_proj.weight"):
            a = permute_heads(a, n_head)
        elif hf_name.endswith("k_proj.weight"):
            a = permute_heads(a, n_kv)
        a = a.astype(np.float16) if (a.ndim == 2 and outtype == "f16") else a.astype(np.float32)
        w.add_tensor(gname, np.ascontiguousarray(a))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, out_path)
    return out_path
