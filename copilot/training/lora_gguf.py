"""A PEFT LoRA adapter as a GGUF LoRA for llama.cpp (`Llama(model_path=base.gguf, lora_path=adapter.gguf)`).

Written directly with the `gguf` package for llama-architecture bases (the layout of llama.cpp's
`convert_lora_to_gguf.py`): `general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`, and per adapted
weight `<gguf tensor name>.lora_a` (r x in) and `.lora_b` (out x r), float32, with q/k's B re-permuted like the base
weights. Every written file is checked with `copilot.picking.model_files.validate_gguf(kind="adapter")`, because
llama.cpp segfaults on a bad adapter instead of raising (stack-notes §6).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from copilot.picking.model_files import validate_gguf
from copilot.training.gguf_llama import LLAMA_ARCHS, ExportError, permute_heads


def export_lora_gguf(adapter_dir: Path, base, out_path: Path, *, allow_download: bool = False) -> Path:
    import gguf
    import numpy as np
    from safetensors.torch import load_file

    adapter_dir = Path(adapter_dir)
    acfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    cfg = json.loads((Path(base.path) / "config.json").read_text())
    arch = (cfg.get("architectures") or ["?"])[0]
    if arch not in LLAMA_ARCHS:
        raise ExportError(f"GGUF LoRA export covers {sorted(LLAMA_ARCHS)}, not {arch}")
    if acfg.get("use_dora") or acfg.get("use_rslora"):
        raise ExportError("DoRA / rsLoRA adapters cannot be written as a llama.cpp LoRA")
    n_layers, n_head = cfg["num_hidden_layers"], cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads") or n_head
    sd = load_file(str(adapter_dir / "adapter_model.safetensors"))
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layers)

    tmp = out_path.with_name(out_path.name + ".part")
    w = gguf.GGUFWriter(str(tmp), "llama")
    w.add_type(gguf.GGUFType.ADAPTER)
    w.add_string(gguf.Keys.Adapter.TYPE, "lora")
    w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(acfg["lora_alpha"]))
    w.add_name(f"{base.spec.name} LoRA")
    pairs = 0
    for key in sorted(sd):
        if ".lora_A." not in key:
            continue
        module = key.split(".lora_A.")[0]
        hf = module.removeprefix("base_model.model.") + ".weight"
        gname = tmap.get_name(hf, try_suffixes=(".weight",))
        if gname is None:
            raise ExportError(f"no GGUF name for adapted weight {hf}")
        a = sd[key].float().numpy()
        b = sd[key.replace(".lora_A.", ".lora_B.")].float().numpy()
        if hf.endswith("q_proj.weight"):
            b = permute_heads(b, n_head)
        elif hf.endswith("k_proj.weight"):
            b = permute_heads(b, n_kv)
        w.add_tensor(f"{gname}.lora_a", np.ascontiguousarray(a, dtype=np.float32))
        w.add_tensor(f"{gname}.lora_b", np.ascontiguousarray(b, dtype=np.float32))
        pairs += 1
    if not pairs:
        raise ExportError(f"{adapter_dir} holds no LoRA A/B tensors")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, out_path)
    validate_gguf(out_path, kind="adapter")
    return out_path
