"""The model side of a training run: device, autocast, the base model wrapped with LoRA, optimizer, LR schedule.

Heavy imports (torch, transformers, peft, bitsandbytes) live inside the functions.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable

from copilot.training.config import TrainConfig


def pick_device(cfg: TrainConfig) -> str:
    if cfg.device == "cpu":
        return "cpu"
    import torch

    if cfg.device == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device=cuda but no CUDA GPU is visible; use a cpu preset or device=cpu")
        return "cuda"
    return "cuda" if torch.cuda.is_available() else "cpu"


def autocast_ctx(cfg: TrainConfig, device: str):
    import contextlib

    import torch

    if cfg.precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if cfg.precision == "bf16" else torch.float16
    if device == "cpu" and dtype == torch.float16:
        raise RuntimeError("precision=fp16 is GPU-only; use bf16 or fp32 on CPU")
    return torch.autocast(device_type=device, dtype=dtype)


def load_model_for_training(cfg: TrainConfig, base_path: Path, device: str):
    """Base model (plain, or 4-bit/8-bit through bitsandbytes) wrapped with a fresh LoRA adapter; with
    finetune=full the plain model in fp32 with every weight trainable (autocast still applies)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    kwargs = {"dtype": torch.float32}
    if cfg.quant != "none":
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if cfg.precision == "bf16" else (
            torch.float16 if cfg.precision == "fp16" else torch.float32)
        if cfg.quant == "nf4":
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=compute)
        else:
            kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        kwargs["device_map"] = {"": local_rank if device == "cuda" else "cpu"}
    elif device == "cuda" and cfg.precision in ("bf16", "fp16") and cfg.finetune != "full":
        kwargs["dtype"] = torch.bfloat16 if cfg.precision == "bf16" else torch.float16  # full: fp32 master weights
    model = AutoModelForCausalLM.from_pretrained(str(base_path), **kwargs)
    if cfg.quant != "none":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing,
                                                gradient_checkpointing_kwargs={"use_reentrant": False})
    elif cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    if cfg.gradient_checkpointing:
        model.config.use_cache = False
    if cfg.finetune == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model.to(device) if device == "cuda" else model
    present = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    targets = [t for t in cfg.target_modules if t in present]
    if not targets:
        raise RuntimeError(f"none of target_modules {cfg.target_modules} exist in {base_path}")
    lcfg = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=targets, task_type="CAUSAL_LM", bias="none")
    model = get_peft_model(model, lcfg)
    if device == "cuda" and cfg.quant == "none":
        model.to(device)
    return model


def make_optimizer(cfg: TrainConfig, params, device: str):
    import torch

    if cfg.optimizer in ("adamw_8bit", "paged_adamw_8bit"):
        try:
            import bitsandbytes as bnb
        except ImportError as exc:
            raise RuntimeError(f"optimizer={cfg.optimizer} needs bitsandbytes ({exc}); use optimizer=adamw") from None
        cls = bnb.optim.PagedAdamW8bit if (cfg.optimizer == "paged_adamw_8bit" and device == "cuda") \
            else bnb.optim.AdamW8bit
        return cls(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)


def lr_lambda_for(cfg: TrainConfig) -> Callable[[int], float]:
    warm, total, kind = cfg.warmup_steps, cfg.max_steps, cfg.lr_scheduler

    def f(step: int) -> float:
        if warm and step < warm:
            return (step + 1) / (warm + 1)
        if kind == "constant":
            return 1.0
        progress = min(1.0, (step - warm) / max(1, total - warm))
        if kind == "linear":
            return max(0.0, 1.0 - progress)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return f
