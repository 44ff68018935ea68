"""The training loop: LoRA / QLoRA on a causal LM with assistant-only loss, checkpoints, stop file, resume.

A small explicit loop rather than the HF Trainer, because every piece of run-folder behaviour is ours to define:

- the data stream is a pure function of (seed, cursor): resuming at step N replays nothing and skips nothing
  (`data_stream`);
- a checkpoint holds the adapter, optimizer, scheduler, RNG states and the step, with a sha256 manifest, renamed
  into place when complete (`checkpoints`);
- `STOP` in the run folder is checked between steps: the loop saves a checkpoint and exits with state "stopped";
- `metrics.jsonl` gets one flushed line per logged step (step, loss, lr, tokens/s, memory, and on evaluation steps
  the pick accuracy on validation drafts by scoring `meta.candidates`: `validation`); `status.json` says where the
  run is (`run_folder`, `run_state`).

Heavy imports (torch, transformers, peft, bitsandbytes) live inside functions.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from copilot.fileio import atomic_write_json, utc_now
from copilot.training.chat_encoding import ChatEncoder
from copilot.training.checkpoints import checkpoint_dirs, find_resume_checkpoint, load_checkpoint, save_checkpoint
from copilot.training.config import TrainConfig
from copilot.training.data_stream import DataStream, JsonlFile, collate, dataset_prompt_format, load_dataset_dir
from copilot.training.model_setup import (autocast_ctx, load_model_for_training, lr_lambda_for, make_optimizer,
                                          pick_device)
from copilot.training.run_folder import (ADAPTER_DIR, METRICS, RUN_INFO, STOP_FILE, read_status, truncate_metrics,
                                         write_status)
from copilot.training.run_state import RunState
from copilot.training.validation import evaluate_picks


@dataclass
class TrainResult:
    state: RunState  # DONE | STOPPED
    step: int
    run_dir: Path
    last_checkpoint: Path | None
    adapter_dir: Path | None
    final_eval: dict | None = None


def _memory_fields(device: str) -> dict:
    out = {}
    try:
        import psutil

        out["rss_mb"] = round(psutil.Process().memory_info().rss / 2 ** 20, 1)
    except ImportError:  # pragma: no cover
        pass
    if device == "cuda":
        import torch

        out["cuda_mem_mb"] = round(torch.cuda.memory_allocated() / 2 ** 20, 1)
        out["cuda_peak_mb"] = round(torch.cuda.max_memory_allocated() / 2 ** 20, 1)
    return out


def train(cfg: TrainConfig, run_dir: str | Path, *, resume: bool = True, base=None,
          on_step: Callable[[dict], None] | None = None, log=print) -> TrainResult:
    """Train until max_steps or until STOP appears. `base` is a ResolvedBase (resolved from cfg when None)."""
    import torch

    from copilot.training.base_models import resolve_base_model

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg.validate()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    dist = None
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from accelerate import Accelerator

        dist = Accelerator(mixed_precision="no")  # autocast is ours; accelerate does DDP/FSDP wrapping
    is_main = dist is None or dist.is_main_process
    device = "cuda" if dist is not None and dist.device.type == "cuda" else pick_device(cfg)

    if base is None:
        base = resolve_base_model(cfg.base_model, log=log)
    dataset_dir, ds_manifest = load_dataset_dir(cfg.dataset)

    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base.path))
    encoder = ChatEncoder(tok)
    pad_id = encoder.pad_id  # the tokenizer's pad token, else the end-of-turn token (labels mask it)
    train_file = JsonlFile(dataset_dir / "train.jsonl")
    val_file = JsonlFile(dataset_dir / "val.jsonl")
    stream = DataStream(train_file, encoder, cfg.max_seq_len, cfg.seed, cfg.max_train_examples)
    val_examples = [val_file[i] for i in range(min(cfg.eval_examples, len(val_file)))]
    prompt_format = cfg.prompt_format or dataset_prompt_format(ds_manifest, train_file[0])

    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    model = load_model_for_training(cfg, base.path, device)
    params = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in params)
    optimizer = make_optimizer(cfg, params, device)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda_for(cfg))
    scaler = torch.amp.GradScaler("cuda") if (cfg.precision == "fp16" and device == "cuda") else None

    step, cursor = 0, 0
    if resume:
        found = find_resume_checkpoint(run_dir, log=log)
        if found is not None:
            ck_step, ck_path = found
            state = load_checkpoint(ck_path, model, optimizer, scheduler, scaler)
            step, cursor = int(state["step"]), int(state["cursor"])
            dropped = truncate_metrics(run_dir, step) if is_main else 0
            log(f"resumed from {ck_path.name} (step {step}); {dropped} metric line(s) after it discarded")
        elif (run_dir / METRICS).exists() and is_main:
            truncate_metrics(run_dir, 0)
    elif is_main:
        for _, p in checkpoint_dirs(run_dir):
            shutil.rmtree(p, ignore_errors=True)
        (run_dir / METRICS).unlink(missing_ok=True)
        write_status(run_dir, last_checkpoint_step=0, last_checkpoint=None)

    if dist is not None:
        model, optimizer = dist.prepare(model, optimizer)
    world = dist.num_processes if dist is not None else 1
    rank = dist.process_index if dist is not None else 0
    if is_main:
        atomic_write_json(run_dir / RUN_INFO, {
            "base_model": base.to_dict(), "dataset": {"path": str(dataset_dir), "manifest": ds_manifest},
            "prompt_format": prompt_format, "device": device, "world_size": world,
            "trainable_params": n_trainable, "train_examples": stream.n, "val_examples": len(val_file),
            "created": utc_now()})
        write_status(run_dir, state=RunState.RUNNING, pid=os.getpid(), step=step, max_steps=cfg.max_steps,
                     message=f"training on {device}", started=utc_now())
    log(f"training {base.spec.display} on {device}: {n_trainable:,} trainable params, {stream.n} train examples, "
        f"steps {step}->{cfg.max_steps}")

    model.train()
    start_step = step
    metrics_f = open(run_dir / METRICS, "a", encoding="utf-8") if is_main else None
    stop_path = run_dir / STOP_FILE
    last_ckpt = checkpoint_dirs(run_dir)[-1][1] if checkpoint_dirs(run_dir) else None
    final_eval = None
    stopped = False

    def checkpoint():
        nonlocal last_ckpt
        if not is_main:
            return
        unwrapped = dist.unwrap_model(model) if dist is not None else model
        last_ckpt = save_checkpoint(run_dir, unwrapped, optimizer, scheduler,
                                    {"step": step, "cursor": cursor, "saved": utc_now()}, cfg.keep_checkpoints,
                                    scaler)
        write_status(run_dir, last_checkpoint_step=step, last_checkpoint=str(last_ckpt))

    try:
        while step < cfg.max_steps:
            if stop_path.exists():
                stopped = True
                break
            t0 = time.perf_counter()
            total_loss, n_tokens = 0.0, 0
            for _ in range(cfg.grad_accum):
                batch, cursor = stream.take(cursor, cfg.batch_size * world)
                mine = batch[rank * cfg.batch_size:(rank + 1) * cfg.batch_size]
                input_ids, labels, attn = collate(mine, pad_id)
                input_ids, labels, attn = input_ids.to(device), labels.to(device), attn.to(device)
                with autocast_ctx(cfg, device):
                    out = model(input_ids=input_ids, attention_mask=attn, labels=labels)
                loss = out.loss / cfg.grad_accum
                if scaler is not None:
                    scaler.scale(loss).backward()
                elif dist is not None:
                    dist.backward(loss)
                else:
                    loss.backward()
                total_loss += float(loss.detach())
                n_tokens += int(attn.sum())
            if scaler is not None:
                scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            lr = scheduler.get_last_lr()[0]
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            dt = time.perf_counter() - t0
            if dist is not None:
                total_loss = float(dist.reduce(torch.tensor(total_loss, device=device), reduction="mean"))
            rec = {"step": step, "loss": round(total_loss, 6), "lr": lr, "tokens": n_tokens * world,
                   "tokens_per_s": round(n_tokens * world / dt, 1), "step_time_s": round(dt, 4),
                   "epoch": round(stream.epoch_of(cursor), 4), **_memory_fields(device), "time": round(time.time(), 3)}
            if val_examples and cfg.eval_every and step % cfg.eval_every == 0 and step < cfg.max_steps and is_main:
                rec.update(evaluate_picks(model, encoder, val_examples, device, cfg))
            if step == cfg.max_steps and val_examples and is_main:
                final_eval = evaluate_picks(model, encoder, val_examples, device, cfg)
                rec.update(final_eval)
            if is_main and (step % cfg.log_every == 0 or step == cfg.max_steps or "val_top1" in rec):
                metrics_f.write(json.dumps(rec) + "\n")
                metrics_f.flush()
                write_status(run_dir, step=step, loss=rec["loss"])
            if step % cfg.save_every == 0 or step == cfg.max_steps:
                checkpoint()
            if on_step is not None:
                on_step(rec)
        if stopped and (last_ckpt is None or checkpoint_dirs(run_dir)[-1][0] != step):
            checkpoint()
    finally:
        if metrics_f is not None:
            metrics_f.close()

    adapter_dir = None
    if not stopped and start_step >= cfg.max_steps and (run_dir / ADAPTER_DIR / "manifest.json").is_file():
        log(f"nothing to do: {run_dir} already finished {start_step} steps (raise max_steps to train on)")
        return TrainResult(RunState.DONE, step, run_dir, last_ckpt, run_dir / ADAPTER_DIR, read_status(run_dir).get(
            "final_eval"))
    if stopped:
        if is_main:
            try:
                stop_path.unlink()
            except FileNotFoundError:
                pass
            write_status(run_dir, state=RunState.STOPPED, step=step, pid=None,
                         message=f"stopped at step {step} by the STOP file; resume with "
                                 f"`copilot train --resume {run_dir}`")
        log(f"stopped at step {step} (checkpoint {last_ckpt.name if last_ckpt else 'none'})")
        return TrainResult(RunState.STOPPED, step, run_dir, last_ckpt, None)
    if is_main:
        adapter_dir = write_final_adapter(run_dir, model if dist is None else dist.unwrap_model(model), cfg, base,
                                          ds_manifest, prompt_format, step, final_eval, stream)
        write_status(run_dir, state=RunState.DONE, step=step, pid=None, message="finished", final_eval=final_eval,
                     adapter=str(adapter_dir), skipped_too_long=stream.skipped)
    log(f"done: {step} steps; adapter in {adapter_dir}" + (f"; validation {final_eval}" if final_eval else ""))
    return TrainResult(RunState.DONE, step, run_dir, last_ckpt, adapter_dir, final_eval)


def write_final_adapter(run_dir: Path, model, cfg: TrainConfig, base, ds_manifest: dict, prompt_format: str,
                        step: int, final_eval: dict | None, stream: DataStream) -> Path:
    out = Path(run_dir) / ADAPTER_DIR
    tmp = Path(run_dir) / f".tmp-{ADAPTER_DIR}"
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(str(tmp), safe_serialization=True)
    atomic_write_json(tmp / "manifest.json", {
        "kind": "lora-adapter", "base_model": base.to_dict(), "prompt_format": prompt_format,
        "dataset": {"path": cfg.dataset, "manifest": ds_manifest}, "steps": step, "config": cfg.to_dict(),
        "eval": {"validation_picks": final_eval} if final_eval else {}, "skipped_too_long": stream.skipped,
        "created": utc_now()})
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
