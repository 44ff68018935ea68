"""Preference training on TRL's DPOTrainer from a finished SFT run: `--method dpo` and `--method spin`.

The policy is the base model with the SFT run's adapter loaded trainable; TRL keeps a frozen copy of that adapter
as the reference ("ref" adapter), so the reference costs no second base model and the result is still ONE LoRA
adapter on the base (export unchanged). SPIN runs `spin_rounds` rounds: the current model picks on `spin_pool`
training picks, the picks where it disagrees with the human become pairs (`preference.self_play_pairs`), and DPO
runs max_steps // spin_rounds steps on them against the round's starting model as reference; every round is
evaluated on the validation drafts (spin.py). The run protocol (metrics.jsonl, status.json, STOP, checkpoints) is the
SFT run's (`callbacks.RunProtocol`); steps continue across rounds in one metrics file.

With `finetune=full` (taken from the SFT run) the policy is the SFT run's whole model and the reference a frozen
copy of it (TRL's `ref_model`); the result is model/ instead of adapter/.

Resume: a stopped dpo run resumes from its last checkpoint like SFT; a stopped spin run resumes in the round it was
in (spin.py).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from copilot.fileio import utc_now
from copilot.training.config import ConfigError, TrainConfig
from copilot.training.dataset import DatasetError
from copilot.training.run_folder import read_status, result_dir_name, run_finetune, write_status
from copilot.training.run_state import RunState
from copilot.training.trainer import (TrainResult, finish, prepare_run, resume_point, step_seconds,
                                      use_project_schedule, validation_fn, write_run_info)


def sft_adapter(from_run: str, finetune: str = "lora") -> Path:
    """The finished SFT run's result: adapter/ (LoRA) or model/ (full fine-tuning), matching `finetune`."""
    run = Path(from_run).expanduser()
    sft_finetune = run_finetune(run)
    if sft_finetune != finetune:
        raise ConfigError(f"--from {run} is a finetune={sft_finetune} run but this run is finetune={finetune}; "
                          f"preference training continues the SFT run's way (set finetune={sft_finetune})")
    result = run / result_dir_name(finetune)
    if not (result / "manifest.json").is_file():
        st = read_status(run).get("state", "no status")
        raise DatasetError(f"--from {run}: no finished SFT {'model' if finetune == 'full' else 'adapter'} there "
                           f"({result} missing; state: {st}); finish the SFT run first "
                           f"(`copilot train --resume {run}`)")
    return result


def load_policy(cfg: TrainConfig, base_path: Path, adapter: Path, device: str, precision: str):
    """The policy: the base with the SFT adapter loaded trainable, or (finetune=full) the SFT run's whole model
    in fp32 with every weight trainable."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    if cfg.finetune == "full":
        model = AutoModelForCausalLM.from_pretrained(str(adapter), dtype=torch.float32)
        if cfg.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model.config.use_cache = False
        model.requires_grad_(True)
        return model.to(device) if device == "cuda" else model
    dtype = torch.float32 if device == "cpu" or precision == "fp32" else (
        torch.bfloat16 if precision == "bf16" else torch.float16)
    kwargs = {"dtype": dtype}
    if cfg.quant == "nf4":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16 if precision == "bf16" else torch.float32)
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0")) if device == "cuda" else "cpu"}
    model = AutoModelForCausalLM.from_pretrained(str(base_path), **kwargs)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
        model.config.use_cache = False
    model = PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
    if device == "cuda" and cfg.quant == "none":
        model.to(device)
    return model


def _pairs_dataset(pairs, fold: bool = False):
    from datasets import Dataset

    rows = [p.to_trl(fold) for p in pairs]
    return Dataset.from_list(rows)


def frozen_reference(model):
    """Full fine-tuning's DPO reference: a frozen copy of the policy as it is now (TRL's `ref_model`); None for a
    LoRA policy, where TRL copies the adapter as a frozen "ref" adapter on the same base."""
    import copy

    if hasattr(model, "peft_config"):
        return None
    ref = copy.deepcopy(model).eval()
    ref.requires_grad_(False)
    return ref


def _dpo_trainer(ctx, model, pairs, max_steps: int, protocol):
    from trl import DPOConfig, DPOTrainer

    from copilot.training.hf_args import trainer_kwargs

    cfg = ctx.cfg
    args = DPOConfig(**trainer_kwargs(cfg, ctx.run_dir, ctx.device, ctx.precision.precision, max_steps=max_steps,
                                      world=ctx.world),
                     beta=cfg.beta, max_length=cfg.max_seq_len, dataset_num_proc=None)
    trainer = DPOTrainer(model=model, ref_model=frozen_reference(model), args=args,
                         train_dataset=_pairs_dataset(pairs, ctx.encoder.fold), processing_class=ctx.tok,
                         callbacks=[protocol])
    use_project_schedule(trainer, cfg.replace(max_steps=max_steps))
    return trainer


def train_preference(cfg: TrainConfig, run_dir: str | Path, *, resume: bool = True, base=None,
                     on_step: Callable[[dict], None] | None = None, log=print) -> TrainResult:
    import torch

    from copilot.training.callbacks import RunProtocol
    from copilot.training.data_stream import JsonlFile
    from copilot.training.preference import pairs_for_steps, random_pairs

    run_dir = Path(run_dir)
    adapter = sft_adapter(cfg.from_run, cfg.finetune)
    ctx = prepare_run(cfg, run_dir, base, log)
    torch.manual_seed(cfg.seed)
    train_file = JsonlFile(ctx.dataset_dir / "train.jsonl")
    n = min(len(train_file), cfg.max_train_examples) if cfg.max_train_examples else len(train_file)
    examples = [train_file[i] for i in range(n)]
    if cfg.method == "spin":
        from copilot.training.spin import train_spin

        return train_spin(ctx, adapter, examples, on_step, log, resume)
    start_step, ckpt = resume_point(ctx, resume, log)
    pairs = random_pairs(examples, cfg.pairs_per_pick, cfg.seed)
    if not pairs:
        raise DatasetError(f"{train_file.path}: no pick has the human's card among at least two candidates")
    pairs = pairs_for_steps(pairs, cfg.max_steps * cfg.batch_size * cfg.grad_accum * ctx.world, cfg.seed)
    model = load_policy(cfg, ctx.base.path, adapter, ctx.device, ctx.precision.precision)
    write_run_info(ctx, "dpo", {"from_run": str(Path(cfg.from_run).resolve()), "pairs": len(pairs),
                                "pairs_per_pick": cfg.pairs_per_pick, "beta": cfg.beta})
    _running(ctx, start_step)
    protocol = RunProtocol(run_dir, device=ctx.device, max_steps=cfg.max_steps, eval_every=cfg.eval_every,
                           keep=cfg.keep_checkpoints, is_main=ctx.is_main, evaluate=validation_fn(ctx),
                           on_step=on_step, max_seconds=60.0 * cfg.max_minutes,
                           seconds_before=step_seconds(run_dir) if ckpt else 0.0)
    trainer = _dpo_trainer(ctx, model, pairs, cfg.max_steps, protocol)
    log(f"DPO from {adapter}: {len(pairs)} pairs ({cfg.pairs_per_pick} per pick), beta {cfg.beta}, "
        f"steps {start_step}->{cfg.max_steps}")
    try:
        trainer.train(resume_from_checkpoint=str(ckpt) if ckpt else None)
    finally:
        protocol.close()
    return finish(ctx, trainer, protocol, log, pairs=len(pairs))


def _running(ctx, step: int) -> None:
    if ctx.is_main:
        write_status(ctx.run_dir, state=RunState.RUNNING, pid=os.getpid(), step=step, max_steps=ctx.cfg.max_steps,
                     message=f"{ctx.cfg.method} on {ctx.device}, precision {ctx.precision.reason}", started=utc_now(),
                     precision=ctx.precision.precision, precision_reason=ctx.precision.reason)
