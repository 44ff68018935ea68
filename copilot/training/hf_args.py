"""TrainConfig -> the keyword arguments of TRL's SFTConfig / DPOConfig (transformers TrainingArguments).

One place maps the project's config onto the Trainer's: steps, batch, accumulation, schedule, optimizer, precision,
seed, checkpoint cadence (the Trainer saves into RUN/checkpoints/checkpoint-N; `callbacks.RunProtocol` makes it a
checksummed step-NNNNNN), CPU vs CUDA and the DDP backend (gloo on CPU, nccl on CUDA).
"""
from __future__ import annotations

from pathlib import Path

from copilot.training.config import TrainConfig
from copilot.training.run_folder import CHECKPOINTS

OPTIM = {"adamw": "adamw_torch", "adamw_8bit": "adamw_bnb_8bit", "paged_adamw_8bit": "paged_adamw_8bit"}
SCHEDULE = {"cosine": "cosine", "linear": "linear", "constant": "constant_with_warmup"}


def trainer_kwargs(cfg: TrainConfig, run_dir: Path, device: str, precision: str, *, max_steps: int | None = None,
                   world: int = 1) -> dict:
    if device == "cpu" and precision == "fp16":
        raise ValueError("precision=fp16 is GPU-only; use bf16, fp32 or auto on CPU")
    return dict(
        output_dir=str(Path(run_dir) / CHECKPOINTS),
        max_steps=max_steps or cfg.max_steps, per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum, learning_rate=cfg.learning_rate,
        lr_scheduler_type=SCHEDULE[cfg.lr_scheduler], warmup_steps=cfg.warmup_steps, weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm, optim=OPTIM[cfg.optimizer], seed=cfg.seed, data_seed=cfg.seed,
        bf16=precision == "bf16", fp16=precision == "fp16", use_cpu=device == "cpu",
        logging_steps=cfg.log_every, logging_first_step=True, save_strategy="steps", save_steps=cfg.save_every,
        save_total_limit=None, eval_strategy="no", report_to=[], disable_tqdm=True,
        include_num_input_tokens_seen="non_padding", dataloader_num_workers=0, remove_unused_columns=True,
        gradient_checkpointing=False,  # set up on the model itself (model_setup), QLoRA included
        ddp_backend=("gloo" if device == "cpu" else "nccl") if world > 1 else None,
        ddp_find_unused_parameters=False if world > 1 else None,
    )
