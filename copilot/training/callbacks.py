"""The run protocol as transformers Trainer callbacks (SFT, DPO and SPIN runs share it).

- `metrics.jsonl`: one flushed line per logged step: step, loss, lr, tokens, tokens/s, step time, epoch, memory
  (resident after the step, with the heap's free memory handed back: `heap.trim`; and the process's peak),
  and on validation steps the pick accuracy on whole validation drafts with its standard error (`validation`);
- `STOP` in the run folder is checked after every step: the Trainer saves a checkpoint and stops;
- `status.json`: state, step, loss, last checkpoint;
- checkpoints: the Trainer's folder is checksummed and renamed into place (`checkpoints.finalize_checkpoint`).

Only the main process writes; every process takes part in the barrier around a checkpoint.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from transformers import TrainerCallback

from copilot.training import heap
from copilot.training.checkpoints import finalize_checkpoint
from copilot.training.run_folder import METRICS, STOP_FILE, write_status

ETA_WINDOW = 10  # steps whose mean time gives the ETA


def memory_fields(device: str) -> dict:
    import psutil

    out = {"rss_mb": round(psutil.Process().memory_info().rss / 2 ** 20, 1), "peak_rss_mb": heap.peak_rss_mb()}
    if device == "cuda":
        import torch

        out["cuda_mem_mb"] = round(torch.cuda.memory_allocated() / 2 ** 20, 1)
        out["cuda_peak_mb"] = round(torch.cuda.max_memory_allocated() / 2 ** 20, 1)
    return out


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


class RunProtocol(TrainerCallback):
    """Writes the run folder's files from the Trainer's events.

    `evaluate(model) -> dict` is called on validation steps (every `eval_every`, and at `max_steps`) on the main
    process; `extra(logs) -> dict` adds method-specific fields (e.g. DPO reward margins) to a metrics line.
    """

    def __init__(self, run_dir: Path, *, device: str, max_steps: int, eval_every: int, keep: int, is_main: bool,
                 evaluate: Callable | None = None, on_step: Callable[[dict], None] | None = None,
                 step_offset: int = 0, extra_fields: dict | None = None,
                 on_checkpoint: Callable[[], None] | None = None, max_seconds: float = 0.0,
                 seconds_before: float = 0.0):
        self.run_dir = Path(run_dir)
        self.device, self.max_steps, self.eval_every, self.keep = device, max_steps, eval_every, keep
        self.is_main, self.evaluate, self.on_step = is_main, evaluate, on_step
        self.on_checkpoint = on_checkpoint  # main process, after each checkpoint is in place
        self.step_offset = step_offset  # SPIN rounds continue one metrics file
        self.extra_fields = extra_fields or {}
        self.stopped = False
        # a time budget (TrainConfig.max_minutes): step time spent by earlier processes of this run, and this one's
        self.max_seconds, self.step_seconds = max_seconds, seconds_before
        self.out_of_time = False  # ended by the budget: a finished run, like one that reached max_steps
        self.final_eval: dict | None = None
        self.last_checkpoint: Path | None = None
        self._t0 = 0.0
        self._tokens0 = 0
        self._pending: dict = {}
        self._recent: list[tuple[float, int]] = []  # (step time, tokens) of the last ETA_WINDOW logged steps
        self._metrics = open(self.run_dir / METRICS, "a", encoding="utf-8") if is_main else None

    def close(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None

    # ------------------------------------------------------------------ events
    def on_step_begin(self, args, state, control, **kw):
        self._t0 = time.perf_counter()
        self._tokens0 = state.num_input_tokens_seen

    def on_step_end(self, args, state, control, model=None, **kw):
        dt = time.perf_counter() - self._t0
        heap.trim()  # the step's freed activations back to the system (heap.py: RSS grew 4.5 -> 8.8 GB without)
        tokens = state.num_input_tokens_seen - self._tokens0
        step = state.global_step
        self._pending = {"tokens": int(tokens), "tokens_per_s": round(tokens / dt, 1) if dt > 0 else None,
                         "step_time_s": round(dt, 4)}
        self.step_seconds += dt
        if (self.run_dir / STOP_FILE).exists() and step < self.max_steps:
            self.stopped = True
            control.should_training_stop = True
            control.should_save = True
        if self.max_seconds and self.step_seconds >= self.max_seconds and step < self.max_steps and not self.stopped:
            self.out_of_time = True
            control.should_training_stop = True
        at_end = step >= self.max_steps or self.out_of_time
        if at_end:
            control.should_save = True
        if self.evaluate is not None and self.is_main and (at_end or (
                self.eval_every and step % self.eval_every == 0)):
            res = self.evaluate(model)
            self._pending.update(res)
            if at_end:
                self.final_eval = res
        if self._pending.keys() & {"val_top1"}:
            control.should_log = True
        if at_end or self.stopped:
            control.should_log = True

    def on_log(self, args, state, control, logs=None, **kw):
        if logs is None or "loss" not in logs:
            return  # the end-of-training summary (train_runtime, ...) is not a step
        if self.is_main:
            self._write(state, logs)
        if (self.run_dir / STOP_FILE).exists() and state.global_step < self.max_steps and not self.stopped:
            self.stopped = True  # written while this step was logged: checkpoint now, run no further step
            control.should_training_stop = True
            control.should_save = True

    def _write(self, state, logs: dict) -> None:
        rec = {"step": state.global_step + self.step_offset, "loss": round(float(logs["loss"]), 6),
               "lr": float(logs.get("learning_rate", 0.0)), **self._pending,
               "epoch": round(float(state.epoch or 0.0), 4), **memory_fields(self.device),
               "time": round(time.time(), 3), **self.extra_fields}
        for k in ("grad_norm", "rewards/margins", "rewards/accuracies", "rewards/chosen", "rewards/rejected"):
            if k in logs:
                rec[k.replace("/", "_")] = round(float(logs[k]), 6)
        self._pending = {}
        self._metrics.write(json.dumps(rec) + "\n")
        self._metrics.flush()
        write_status(self.run_dir, step=rec["step"], loss=rec["loss"], **self._eta(rec, state.global_step))
        if self.on_step is not None:
            self.on_step(rec)

    def _eta(self, rec: dict, step: int) -> dict:
        """status.json's speed and ETA from this run's own last steps: mean step time x steps left."""
        if isinstance(rec.get("step_time_s"), (int, float)):
            self._recent = (self._recent + [(rec["step_time_s"], rec.get("tokens") or 0)])[-ETA_WINDOW:]
        if not self._recent:
            return {}
        seconds = sum(t for t, _ in self._recent)
        per_step = seconds / len(self._recent)
        eta = per_step * max(0, self.max_steps - step)
        if self.max_seconds:  # the time budget ends the run first
            eta = min(eta, max(0.0, self.max_seconds - self.step_seconds))
        return {"eta_s": round(eta, 1), "seconds_per_step": round(per_step, 3),
                "tokens_per_s": round(sum(n for _, n in self._recent) / seconds, 1) if seconds > 0 else None,
                "eta_source": f"this run's last {len(self._recent)} step(s)"}

    def on_save(self, args, state, control, **kw):
        _barrier()  # every process has written its part (rng_state_<rank>.pth)
        if self.is_main:
            written = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            (Path(args.output_dir) / "README.md").unlink(missing_ok=True)  # TRL's model card: not a checkpoint
            self.last_checkpoint = finalize_checkpoint(self.run_dir, written, state.global_step + self.step_offset,
                                                       self.keep)
            write_status(self.run_dir, last_checkpoint_step=state.global_step + self.step_offset,
                         last_checkpoint=str(self.last_checkpoint))
            if self.on_checkpoint is not None:
                self.on_checkpoint()
        _barrier()
