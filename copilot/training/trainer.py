"""SFT on TRL: LoRA / QLoRA on a causal LM with assistant-only loss, through the run protocol's callbacks.

`train(cfg, RUN)` builds the PEFT model (`model_setup`), the pre-tokenized dataset (`sft_data`: loss on every
assistant turn), and runs TRL's `SFTTrainer` (transformers' Trainer: accelerate, DDP/FSDP/DeepSpeed, gradient
checkpointing, 8-bit/paged optimizers). The run folder behaves as users and the training panel know it
(`callbacks.RunProtocol`): config.json, run.json, metrics.jsonl per step, status.json, STOP, checksummed
checkpoints renamed into place, exact resume (the Trainer restores optimizer, scheduler, RNG states and skips the
batches already seen), validation on whole drafts. Heavy imports live inside functions.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from copilot.fileio import atomic_write_json, utc_now
from copilot.training.checkpoints import checkpoint_dirs, clear_unfinished, find_resume_checkpoint
from copilot.training.config import TrainConfig
from copilot.training.run_folder import (METRICS, RUN_INFO, STOP_FILE, finished_result,  # noqa: F401
                                         read_status, result_dir_name, truncate_metrics, write_status)
from copilot.training.run_state import RunState


@dataclass
class TrainResult:
    state: RunState  # DONE | STOPPED
    step: int
    run_dir: Path
    last_checkpoint: Path | None
    adapter_dir: Path | None
    final_eval: dict | None = None


@dataclass
class RunContext:
    """What every method (SFT, DPO, SPIN) sets up the same way."""
    cfg: TrainConfig
    run_dir: Path
    base: object  # ResolvedBase
    device: str
    precision: object  # precision.PrecisionChoice
    world: int
    is_main: bool
    tok: object
    encoder: object
    dataset_dir: Path
    ds_manifest: dict
    prompt_format: str
    val_picks: list


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def prepare_run(cfg: TrainConfig, run_dir: Path, base, log) -> RunContext:
    import torch
    from transformers import AutoTokenizer

    from copilot.training import precision as prec
    from copilot.training.base_models import resolve_base_model
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.data_stream import JsonlFile, dataset_prompt_format, load_dataset_dir
    from copilot.training.model_setup import pick_device
    from copilot.training.validation import select_drafts

    run_dir.mkdir(parents=True, exist_ok=True)
    cfg.validate()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    world = world_size()
    is_main = int(os.environ.get("RANK", "0")) == 0
    device = pick_device(cfg)
    if base is None:
        base = resolve_base_model(cfg.base_model, log=log)
    refuse_if_too_big(cfg, base.spec, device)
    dataset_dir, ds_manifest = load_dataset_dir(cfg.dataset)
    tok = AutoTokenizer.from_pretrained(str(base.path))
    encoder = ChatEncoder(tok)
    if tok.pad_token_id is None:
        tok.pad_token_id = encoder.pad_id  # the end-of-turn token; labels mask it
    train_file = JsonlFile(dataset_dir / "train.jsonl")
    val_file = JsonlFile(dataset_dir / "val.jsonl")
    val_picks = select_drafts(val_file, cfg.eval_drafts, cfg.eval_examples)
    prompt_format = cfg.prompt_format or dataset_prompt_format(ds_manifest, train_file[0] if len(train_file) else None)
    choice = prec.choose(cfg.precision, device)
    log(f"precision {choice.precision}: {choice.reason}")
    return RunContext(cfg, run_dir, base, device, choice, world, is_main, tok, encoder, dataset_dir, ds_manifest,
                      prompt_format, val_picks)


def refuse_if_too_big(cfg: TrainConfig, spec, device: str) -> None:
    """Full fine-tuning beyond the GPU's memory or the machine's RAM stops here with the estimate (ConfigError)."""
    from copilot.training.config import ConfigError
    from copilot.training.presets import check_memory, detect_gpu

    problem = check_memory(cfg, spec, detect_gpu() if device == "cuda" else None)
    if problem:
        raise ConfigError(problem)


def resume_point(ctx: RunContext, resume: bool, log) -> tuple[int, Path | None]:
    """(step, checkpoint folder) to resume from, after dropping metric lines beyond it; (0, None) for a fresh run."""
    run_dir = ctx.run_dir
    if ctx.is_main:
        clear_unfinished(run_dir)
    if not resume:
        if ctx.is_main:
            for _, p in checkpoint_dirs(run_dir):
                shutil.rmtree(p, ignore_errors=True)
            (run_dir / METRICS).unlink(missing_ok=True)
            write_status(run_dir, last_checkpoint_step=0, last_checkpoint=None)
        return 0, None
    found = find_resume_checkpoint(run_dir, log=log)
    if found is None:
        if (run_dir / METRICS).exists() and ctx.is_main:
            truncate_metrics(run_dir, 0)
        return 0, None
    step, path = found
    dropped = truncate_metrics(run_dir, step) if ctx.is_main else 0
    log(f"resumed from {path.name} (step {step}); {dropped} metric line(s) after it discarded")
    return step, path


def label_answers(prompt_format: str) -> bool:
    """Whether the format's answers start with a label ("C) Name"): validation then scores the label's token, as
    the `gguf` engine does by default (score=auto)."""
    from copilot.picking.prompts import UnknownPromptFormat, get_format

    try:
        return bool(prompt_format) and get_format(prompt_format).answers_differ_from_names
    except UnknownPromptFormat:  # a hand-made dataset's own format: its answers are what it says
        return False


def validation_fn(ctx: RunContext):
    from copilot.training.validation import evaluate_picks

    cfg = ctx.cfg.replace(precision=ctx.precision.precision)
    if not ctx.val_picks:
        return None
    first_token = label_answers(ctx.prompt_format)

    def run(model):
        inner = model.module if hasattr(model, "module") else model
        return evaluate_picks(inner, ctx.encoder, ctx.val_picks, ctx.device, cfg, first_token=first_token)

    return run


def write_run_info(ctx: RunContext, method: str, extra: dict) -> None:
    if not ctx.is_main:
        return
    atomic_write_json(ctx.run_dir / RUN_INFO, {
        "method": method, "base_model": ctx.base.to_dict(),
        "dataset": {"path": str(ctx.dataset_dir), "manifest": ctx.ds_manifest}, "prompt_format": ctx.prompt_format,
        "device": ctx.device, "world_size": ctx.world, "precision": ctx.precision.to_dict(),
        "finetune": ctx.cfg.finetune, "result": result_dir_name(ctx.cfg.finetune),
        "val_picks": len(ctx.val_picks), "created": utc_now(), **extra})


def train(cfg: TrainConfig, run_dir: str | Path, *, resume: bool = True, base=None,
          on_step: Callable[[dict], None] | None = None, log=print) -> TrainResult:
    """SFT until max_steps or until STOP appears. `base` is a ResolvedBase (resolved from cfg when None)."""
    from trl import SFTConfig, SFTTrainer

    from copilot.training import token_cache
    from copilot.training.callbacks import RunProtocol
    from copilot.training.data_stream import JsonlFile
    from copilot.training.hf_args import trainer_kwargs
    from copilot.training.model_setup import load_model_for_training
    from copilot.training.sft_data import encode_jsonl

    run_dir = Path(run_dir)
    ctx = prepare_run(cfg, run_dir, base, log)
    start_step, ckpt = resume_point(ctx, resume, log)
    done = finished_result(run_dir)
    if start_step >= cfg.max_steps and done is not None:
        log(f"nothing to do: {run_dir} already finished {start_step} steps (raise max_steps to train on)")
        return TrainResult(RunState.DONE, start_step, run_dir, ckpt, done, read_status(run_dir).get("final_eval"))
    data = encode_jsonl(JsonlFile(ctx.dataset_dir / "train.jsonl"), ctx.encoder, cfg.max_seq_len,
                        cfg.max_train_examples, cache_dir=ctx.dataset_dir / token_cache.FOLDER, log=log)
    import torch

    torch.manual_seed(cfg.seed)
    model = load_model_for_training(cfg.replace(precision=ctx.precision.precision), ctx.base.path, ctx.device)
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    write_run_info(ctx, "sft", {"trainable_params": n_trainable, "train_examples": data.n,
                                "skipped_too_long": data.skipped})
    finetune = "full fine-tuning" if cfg.finetune == "full" else "LoRA"
    if ctx.is_main:
        write_status(run_dir, state=RunState.RUNNING, pid=os.getpid(), step=start_step, max_steps=cfg.max_steps,
                     message=f"training ({finetune}) on {ctx.device}, precision {ctx.precision.reason}",
                     started=utc_now(), precision=ctx.precision.precision, precision_reason=ctx.precision.reason,
                     finetune=cfg.finetune, **start_eta(ctx, start_step))
    log(f"training {ctx.base.spec.display} on {ctx.device} with TRL SFT ({finetune}): {n_trainable:,} trainable params, "
        f"{data.n} train examples ({data.skipped} too long), steps {start_step}->{cfg.max_steps}")
    protocol = RunProtocol(run_dir, device=ctx.device, max_steps=cfg.max_steps, eval_every=cfg.eval_every,
                           keep=cfg.keep_checkpoints, is_main=ctx.is_main, evaluate=validation_fn(ctx),
                           on_step=on_step, on_checkpoint=lambda: keep_speed(ctx),
                           max_seconds=60.0 * cfg.max_minutes, seconds_before=step_seconds(run_dir) if ckpt else 0.0)
    args = SFTConfig(**trainer_kwargs(cfg, run_dir, ctx.device, ctx.precision.precision, world=ctx.world),
                     max_length=cfg.max_seq_len, packing=False, dataset_num_proc=None, shuffle_dataset=False)
    trainer = SFTTrainer(model=model, args=args, train_dataset=data.dataset, processing_class=ctx.tok,
                         callbacks=[protocol])
    use_project_schedule(trainer, cfg)
    try:
        trainer.train(resume_from_checkpoint=str(ckpt) if ckpt else None)
    finally:
        protocol.close()
    return finish(ctx, trainer, protocol, log, skipped=data.skipped)


def step_seconds(run_dir: Path) -> float:
    """The step time the run's metrics record so far (a time budget counts every process of a run)."""
    from copilot.training.run_folder import read_metrics

    return sum(r.get("step_time_s") or 0.0 for r in read_metrics(run_dir))


def start_eta(ctx: RunContext, start_step: int) -> dict:
    """status.json's ETA before the first step: the measured speed of an earlier run here, or the probe's."""
    from copilot.training.speed import estimate_speed

    if ctx.device != "cpu":
        return {}
    cfg = ctx.cfg.replace(precision=ctx.precision.precision)
    speed = estimate_speed(cfg, ctx.base.spec, choice=ctx.precision if ctx.precision.fp32_gflops else None)
    if speed is None:
        return {}
    sps = speed.seconds_per_step(cfg)  # each process takes its own batch: a step takes one batch's time
    return {"eta_s": round(sps * max(0, cfg.max_steps - start_step), 1), "seconds_per_step": round(sps, 3),
            "eta_source": speed.detail}


def keep_speed(ctx: RunContext) -> None:
    """An SFT run's measured tokens/s for the next estimate on this machine (speed.py); at every checkpoint and at
    the end, so that a run that is killed still leaves its speed."""
    from copilot.training.run_folder import read_metrics
    from copilot.training.speed import record_run_speed

    if ctx.is_main and ctx.cfg.method == "sft" and ctx.device == "cpu":
        record_run_speed(ctx.run_dir, ctx.cfg, ctx.base.spec, ctx.device, ctx.precision.precision,
                         read_metrics(ctx.run_dir))


def use_project_schedule(trainer, cfg: TrainConfig) -> None:
    """The project's LR schedule (warmup (s+1)/(w+1), so step 1 trains; then cosine/linear/constant) instead of
    the Trainer's (whose warmup starts at lr 0); saved and restored with the checkpoint like any scheduler."""
    from torch.optim.lr_scheduler import LambdaLR

    from copilot.training.model_setup import lr_lambda_for

    def create_scheduler(num_training_steps: int, optimizer=None):
        if trainer.lr_scheduler is None:
            trainer.lr_scheduler = LambdaLR(optimizer or trainer.optimizer, lr_lambda_for(cfg))
        return trainer.lr_scheduler

    trainer.create_scheduler = create_scheduler


def finish(ctx: RunContext, trainer, protocol, log, **manifest_extra) -> TrainResult:
    """Stopped: status and the way to resume. Done: adapter/ (LoRA) or model/ (full) with its manifest."""
    run_dir, step = ctx.run_dir, trainer.state.global_step + protocol.step_offset
    last = protocol.last_checkpoint or (checkpoint_dirs(run_dir)[-1][1] if checkpoint_dirs(run_dir) else None)
    keep_speed(ctx)
    if protocol.stopped:
        if ctx.is_main:
            (run_dir / STOP_FILE).unlink(missing_ok=True)
            write_status(run_dir, state=RunState.STOPPED, step=step, pid=None,
                         message=f"stopped at step {step} by the STOP file; resume with "
                                 f"`copilot train --resume {run_dir}`")
        log(f"stopped at step {step} (checkpoint {last.name if last else 'none'})")
        return TrainResult(RunState.STOPPED, step, run_dir, last, None)
    adapter_dir = None
    final_eval = protocol.final_eval
    if ctx.is_main:
        adapter_dir = write_final_adapter(ctx, trainer.model, step, final_eval, **manifest_extra)
        what = "adapter" if ctx.cfg.finetune == "lora" else "model"
        write_status(run_dir, state=RunState.DONE, step=step, pid=None, message=f"finished; {what} in {adapter_dir}",
                     final_eval=final_eval, skipped_too_long=manifest_extra.get("skipped", 0),
                     finetune=ctx.cfg.finetune, result=str(adapter_dir), **{what: str(adapter_dir)})
    if protocol.out_of_time:
        log(f"time budget of {ctx.cfg.max_minutes:g} min of step time reached at step {step} of "
            f"{ctx.cfg.max_steps}")
    log(f"done: {step} steps; {ctx.cfg.finetune} result in {adapter_dir}"
        + (f"; validation {final_eval}" if final_eval else ""))
    return TrainResult(RunState.DONE, step, run_dir, last, adapter_dir, final_eval)


def write_final_adapter(ctx: RunContext, model, step: int, final_eval: dict | None, **extra) -> Path:
    """adapter/ (the LoRA adapter) or, with finetune=full, model/ (weights, config and tokenizer: a model folder
    that loads and exports on its own), with manifest.json; written under a temporary name, then renamed."""
    name = result_dir_name(ctx.cfg.finetune)
    out = ctx.run_dir / name
    tmp = ctx.run_dir / f".tmp-{name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    inner = model.module if hasattr(model, "module") else model
    if ctx.cfg.finetune == "full":
        inner.save_pretrained(str(tmp), safe_serialization=True)
        ctx.tok.save_pretrained(str(tmp))
    else:
        kept = ["default"] if "default" in getattr(inner, "peft_config", {}) else None  # not DPO's "ref" copy
        inner.save_pretrained(str(tmp), safe_serialization=True, selected_adapters=kept)
    atomic_write_json(tmp / "manifest.json", {
        "kind": "full-model" if ctx.cfg.finetune == "full" else "lora-adapter", "finetune": ctx.cfg.finetune,
        "base_model": ctx.base.to_dict(), "prompt_format": ctx.prompt_format,
        "dataset": {"path": ctx.cfg.dataset, "manifest": ctx.ds_manifest}, "steps": step,
        "config": ctx.cfg.to_dict(), "precision": ctx.precision.to_dict(),
        "eval": {"validation_picks": final_eval} if final_eval else {},
        "skipped_too_long": extra.pop("skipped", 0), **extra, "created": utc_now()})
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
