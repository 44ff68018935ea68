"""The training loop: LoRA / QLoRA on a causal LM with assistant-only loss, checkpoints, stop file, resume.

A small explicit loop rather than the HF Trainer, because every piece of run-folder behaviour is ours to define:

- the data stream is a pure function of (seed, cursor): resuming at step N replays nothing and skips nothing;
- a checkpoint (`checkpoints/step-NNNNNN/`) holds the adapter, optimizer, scheduler, RNG states and the step, and
  a `MANIFEST.json` with the sha256 of each file, written last inside a temporary folder that is renamed into place;
- `STOP` in the run folder is checked between steps: the loop saves a checkpoint and exits with state "stopped";
- `metrics.jsonl` gets one flushed line per logged step (step, loss, lr, tokens/s, memory, and on evaluation steps
  the pick accuracy on validation drafts by scoring `meta.candidates`).

Heavy imports (torch, transformers, peft, bitsandbytes) live inside functions.
"""
from __future__ import annotations

from copilot.fileio import atomic_write_text

import json
import math
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from copilot.training.config import TrainConfig

CHECKPOINTS = "checkpoints"
METRICS = "metrics.jsonl"
STATUS = "status.json"
STOP_FILE = "STOP"
ADAPTER_DIR = "adapter"
RUN_INFO = "run.json"
CKPT_MANIFEST = "MANIFEST.json"
CKPT_FILES = ("adapter_config.json", "adapter_model.safetensors", "optimizer.pt", "scheduler.pt", "rng.pt",
              "state.json")


class CheckpointError(RuntimeError):
    """No usable checkpoint; the message names the folder and what is wrong with it."""


class DatasetError(RuntimeError):
    pass


def utcnow() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_json_atomic(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2))


def write_status(run_dir: Path, **fields) -> dict:
    path = Path(run_dir) / STATUS
    try:
        status = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, json.JSONDecodeError):
        status = {}
    status.update(fields)
    status["updated"] = utcnow()
    write_json_atomic(path, status)
    return status


def read_status(run_dir: Path) -> dict:
    path = Path(run_dir) / STATUS
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def read_metrics(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / METRICS
    out = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass  # a torn last line after a hard kill
    return out


# ================================================================================================ data
class JsonlFile:
    """Random access to the lines of a (possibly large) JSONL file via an offset index."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offsets: list[int] = []
        pos = 0
        with open(self.path, "rb") as f:
            for line in f:
                if line.strip():
                    self.offsets.append(pos)
                pos += len(line)

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: int) -> dict:
        with open(self.path, "rb") as f:
            f.seek(self.offsets[i])
            return json.loads(f.readline())


def load_dataset_dir(dataset: str | Path) -> tuple[Path, dict]:
    d = Path(dataset).expanduser()
    if not d.is_dir():
        raise DatasetError(f"dataset folder {d} does not exist (make one with `copilot dataset build`)")
    for name in ("train.jsonl", "val.jsonl"):
        if not (d / name).is_file():
            raise DatasetError(f"dataset folder {d} has no {name} (make it with `copilot dataset build`)")
    manifest = {}
    if (d / "manifest.json").is_file():
        try:
            manifest = json.loads((d / "manifest.json").read_text())
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{d / 'manifest.json'} is not valid JSON: {exc}") from None
    return d, manifest


def dataset_prompt_format(manifest: dict, first_example: dict | None) -> str:
    for key in ("prompt_format", "format"):
        v = manifest.get(key)
        if isinstance(v, str) and v:
            return v
    if first_example:
        v = first_example.get("meta", {}).get("format")
        if isinstance(v, str) and v:
            return v
    return "unknown"


class ChatEncoder:
    """Turns {"messages": [...]} into token ids with labels on the assistant answer only (stack-notes §4)."""

    def __init__(self, tok):
        self.tok = tok
        probe = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
        marker = "Xyzzy Marker"
        full = tok.apply_chat_template(probe + [{"role": "assistant", "content": marker}], tokenize=False)
        prompt = tok.apply_chat_template(probe, tokenize=False, add_generation_prompt=True)
        if not full.startswith(prompt) or marker not in full[len(prompt):]:
            raise DatasetError("the tokenizer's chat template does not put the answer after the generation prompt; "
                               "cannot mask the loss to the answer")
        rest = full[len(prompt):]
        self.answer_prefix = rest[:rest.index(marker)]
        self.answer_suffix = rest[rest.index(marker) + len(marker):]  # e.g. "<|im_end|>\n"
        suffix_ids = tok(self.answer_suffix, add_special_tokens=False)["input_ids"] if self.answer_suffix else []
        self.end_ids = suffix_ids[:1] or ([tok.eos_token_id] if tok.eos_token_id is not None else [])

    def prompt_ids(self, messages: list[dict]) -> list[int]:
        text = self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tok(text + self.answer_prefix, add_special_tokens=False)["input_ids"]

    def answer_ids(self, answer: str) -> list[int]:
        return self.tok(answer + self.answer_suffix, add_special_tokens=False)["input_ids"]

    def candidate_ids(self, name: str) -> list[int]:
        return self.tok(name, add_special_tokens=False)["input_ids"] + list(self.end_ids)

    def encode(self, example: dict) -> tuple[list[int], list[int]]:
        msgs = example.get("messages")
        if not msgs or msgs[-1].get("role") != "assistant":
            raise DatasetError("example has no assistant answer as its last message")
        p = self.prompt_ids(msgs[:-1])
        a = self.answer_ids(msgs[-1]["content"])
        return p + a, [-100] * len(p) + a


class DataStream:
    """Deterministic stream of training examples: position k -> example perm_{epoch}(k mod n)."""

    def __init__(self, jsonl: JsonlFile, encoder: ChatEncoder, max_len: int, seed: int, limit: int = 0):
        self.jsonl, self.enc, self.max_len, self.seed = jsonl, encoder, max_len, seed
        self.n = min(len(jsonl), limit) if limit else len(jsonl)
        if self.n == 0:
            raise DatasetError(f"{jsonl.path} has no examples")
        self._perms: dict[int, list[int]] = {}
        self._cache: dict[int, tuple[list[int], list[int]] | None] = {}
        self.skipped = 0

    def _index(self, pos: int) -> int:
        epoch, k = divmod(pos, self.n)
        if epoch not in self._perms:
            perm = list(range(self.n))
            random.Random(self.seed * 1000003 + epoch).shuffle(perm)
            self._perms = {epoch: perm}
        return self._perms[epoch][k]

    def encoded(self, idx: int):
        if idx not in self._cache:
            ids, labels = self.enc.encode(self.jsonl[idx])
            self._cache[idx] = (ids, labels) if len(ids) <= self.max_len else None
            if len(self._cache) > 50000:
                self._cache.clear()
        return self._cache[idx]

    def take(self, cursor: int, count: int) -> tuple[list[tuple[list[int], list[int]]], int]:
        """`count` examples that fit max_len, starting at stream position `cursor`; returns (examples, new cursor)."""
        out = []
        tries = 0
        while len(out) < count:
            item = self.encoded(self._index(cursor))
            cursor += 1
            tries += 1
            if item is None:
                self.skipped += 1
                if tries > 1000 + 10 * count and not out:
                    raise DatasetError(f"no training example fits max_seq_len={self.max_len}; raise max_seq_len")
                continue
            out.append(item)
        return out, cursor

    def epoch_of(self, cursor: int) -> float:
        return cursor / self.n


def collate(batch, pad_id: int):
    import torch

    width = max(len(ids) for ids, _ in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    attn = torch.zeros((len(batch), width), dtype=torch.long)
    for i, (ids, lab) in enumerate(batch):
        input_ids[i, :len(ids)] = torch.tensor(ids)
        labels[i, :len(lab)] = torch.tensor(lab)
        attn[i, :len(ids)] = 1
    return input_ids, labels, attn


# ================================================================================================ model
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
    """Base model (plain, or 4-bit/8-bit through bitsandbytes) wrapped with a fresh LoRA adapter."""
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
    elif device == "cuda" and cfg.precision in ("bf16", "fp16"):
        kwargs["dtype"] = torch.bfloat16 if cfg.precision == "bf16" else torch.float16
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


# ================================================================================================ checkpoints
def checkpoint_dirs(run_dir: Path) -> list[tuple[int, Path]]:
    root = Path(run_dir) / CHECKPOINTS
    out = []
    if root.is_dir():
        for p in root.iterdir():
            if p.is_dir() and p.name.startswith("step-") and p.name[5:].isdigit():
                out.append((int(p.name[5:]), p))
    return sorted(out)


def verify_checkpoint(path: Path) -> str:
    """'' if the checkpoint is complete and its files match MANIFEST.json, else the problem in words."""
    from copilot.training.base_models import sha256_file

    man_path = path / CKPT_MANIFEST
    if not man_path.is_file():
        return f"{CKPT_MANIFEST} missing (the checkpoint was not finished)"
    try:
        man = json.loads(man_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return f"{CKPT_MANIFEST} unreadable: {exc}"
    for name in CKPT_FILES:
        f = path / name
        if not f.is_file():
            return f"{name} missing"
        want = man.get("files", {}).get(name)
        if not want:
            return f"{name} not listed in {CKPT_MANIFEST}"
        if f.stat().st_size != want["bytes"]:
            return f"{name} has {f.stat().st_size} bytes, expected {want['bytes']} (truncated or overwritten)"
        if sha256_file(f) != want["sha256"]:
            return f"{name} is corrupt (sha256 mismatch)"
    return ""


def find_resume_checkpoint(run_dir: Path, log=print) -> tuple[int, Path] | None:
    """Latest valid checkpoint; corrupt ones are renamed `*.corrupt` and reported; None when there are none.

    Raises CheckpointError when checkpoints existed but none is usable, so that a run never silently restarts
    from step 0 after losing its progress.
    """
    found = checkpoint_dirs(run_dir)
    problems = []
    for step, path in reversed(found):
        why = verify_checkpoint(path)
        if not why:
            if problems:
                log(f"resuming from {path.name} instead: " + "; ".join(problems))
            return step, path
        problems.append(f"checkpoint {path} is unusable: {why}")
        bad = path.with_name(path.name + ".corrupt")
        if bad.exists():
            shutil.rmtree(bad, ignore_errors=True)
        os.replace(path, bad)
        log(f"WARNING: checkpoint {path} is unusable ({why}); moved aside to {bad.name}")
    if problems:
        raise CheckpointError("no usable checkpoint to resume from: " + "; ".join(problems) +
                              ". Start the run again from step 0 with `copilot train --resume RUN --restart`.")
    status = read_status(run_dir)
    if status.get("last_checkpoint_step"):
        raise CheckpointError(
            f"{run_dir} recorded a checkpoint at step {status['last_checkpoint_step']} but "
            f"{Path(run_dir) / CHECKPOINTS} holds none (deleted?). Start again from step 0 with "
            f"`copilot train --resume RUN --restart`.")
    return None


def save_checkpoint(run_dir: Path, model, optimizer, scheduler, state: dict, keep: int, scaler=None) -> Path:
    import torch

    from copilot.training.base_models import sha256_file

    root = Path(run_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    name = f"step-{state['step']:06d}"
    final = root / name
    tmp = root / f".tmp-{name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    model.save_pretrained(str(tmp), safe_serialization=True)
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    sched = {"scheduler": scheduler.state_dict()}
    if scaler is not None:
        sched["scaler"] = scaler.state_dict()
    torch.save(sched, tmp / "scheduler.pt")
    rng = {"python": random.getstate(), "torch": torch.get_rng_state()}
    try:
        import numpy as np

        rng["numpy"] = np.random.get_state()
    except ImportError:  # pragma: no cover
        pass
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    torch.save(rng, tmp / "rng.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=2))
    files = {}
    for fname in CKPT_FILES:
        p = tmp / fname
        files[fname] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    write_json_atomic(tmp / CKPT_MANIFEST, {"step": state["step"], "files": files, "created": utcnow()})
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for _, old in checkpoint_dirs(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, model, optimizer, scheduler, scaler=None) -> dict:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    try:
        weights = load_file(str(path / "adapter_model.safetensors"))
        result = set_peft_model_state_dict(model, weights)
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise CheckpointError(f"{path}: adapter does not match this model (unexpected keys {unexpected[:3]})")
        optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=False))
        sched = torch.load(path / "scheduler.pt", weights_only=False)
        scheduler.load_state_dict(sched["scheduler"])
        if scaler is not None and "scaler" in sched:
            scaler.load_state_dict(sched["scaler"])
        rng = torch.load(path / "rng.pt", weights_only=False)
        random.setstate(rng["python"])
        torch.set_rng_state(rng["torch"])
        if "numpy" in rng:
            import numpy as np

            np.random.set_state(rng["numpy"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        return json.loads((path / "state.json").read_text())
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - any load failure is reported as a checkpoint problem
        raise CheckpointError(f"checkpoint {path} could not be loaded: {type(exc).__name__}: {exc}") from None


# ================================================================================================ evaluation
def score_candidates(model, encoder: ChatEncoder, prompt_msgs: list[dict], candidates: list[str], device: str,
                     cfg: TrainConfig | None = None) -> dict[str, float]:
    """Sum of log-probabilities of each candidate name (+ the end marker) after the prompt; prompt evaluated once."""
    import torch

    names = list(dict.fromkeys(candidates))
    p_ids = encoder.prompt_ids(prompt_msgs)
    c_ids = [encoder.candidate_ids(n) for n in names]
    ctx = autocast_ctx(cfg, device) if cfg is not None else torch.autocast(device_type=device, enabled=False)
    with torch.no_grad(), ctx:
        out = model(input_ids=torch.tensor([p_ids], device=device), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        cache = out.past_key_values
        cache.batch_repeat_interleave(len(names))
        width = max(len(c) for c in c_ids)
        pad = c_ids[0][-1]
        inp = torch.full((len(names), width), pad, dtype=torch.long, device=device)
        attn = torch.zeros((len(names), len(p_ids) + width), dtype=torch.long, device=device)
        attn[:, :len(p_ids)] = 1
        for i, c in enumerate(c_ids):
            inp[i, :len(c)] = torch.tensor(c)
            attn[i, len(p_ids):len(p_ids) + len(c)] = 1
        out2 = model(input_ids=inp, past_key_values=cache, attention_mask=attn, use_cache=True)
        lp = torch.log_softmax(out2.logits.float(), dim=-1)
    scores = {}
    for i, (n, c) in enumerate(zip(names, c_ids)):
        s = float(first[c[0]])
        for j in range(1, len(c)):
            s += float(lp[i, j - 1, c[j]])
        scores[n] = s
    return scores


def evaluate_picks(model, encoder: ChatEncoder, examples: list[dict], device: str, cfg: TrainConfig | None = None):
    """Top-1 / top-3 pick accuracy on validation examples (answer among meta.candidates)."""
    was_training = model.training
    model.eval()
    top1 = top3 = n = 0
    try:
        for ex in examples:
            cands = ex.get("meta", {}).get("candidates") or []
            answer = ex["messages"][-1]["content"]
            if len(set(cands)) < 2 or answer not in cands:
                continue
            scores = score_candidates(model, encoder, ex["messages"][:-1], cands, device, cfg)
            ranked = sorted(scores, key=scores.get, reverse=True)
            n += 1
            top1 += ranked[0] == answer
            top3 += answer in ranked[:3]
    finally:
        if was_training:
            model.train()
    return {"val_n": n, "val_top1": top1 / n if n else None, "val_top3": top3 / n if n else None}


# ================================================================================================ the loop
@dataclass
class TrainResult:
    state: str  # done | stopped
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


def _truncate_metrics(run_dir: Path, step: int) -> int:
    """Drop metric lines after `step` (work lost with a crash is redone, so it must not appear twice)."""
    path = Path(run_dir) / METRICS
    if not path.exists():
        return 0
    keep, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            dropped += 1
            continue
        if rec.get("step", 0) <= step:
            keep.append(line)
        else:
            dropped += 1
    atomic_write_text(path, "".join(x + "\n" for x in keep))
    return dropped


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
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else (encoder.end_ids or [0])[0]
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
            dropped = _truncate_metrics(run_dir, step) if is_main else 0
            log(f"resumed from {ck_path.name} (step {step}); {dropped} metric line(s) after it discarded")
        elif (run_dir / METRICS).exists() and is_main:
            _truncate_metrics(run_dir, 0)
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
        write_json_atomic(run_dir / RUN_INFO, {
            "base_model": base.to_dict(), "dataset": {"path": str(dataset_dir), "manifest": ds_manifest},
            "prompt_format": prompt_format, "device": device, "world_size": world,
            "trainable_params": n_trainable, "train_examples": stream.n, "val_examples": len(val_file),
            "created": utcnow()})
        write_status(run_dir, state="running", pid=os.getpid(), step=step, max_steps=cfg.max_steps,
                     message=f"training on {device}", started=utcnow())
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
                                    {"step": step, "cursor": cursor, "saved": utcnow()}, cfg.keep_checkpoints,
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
        return TrainResult("done", step, run_dir, last_ckpt, run_dir / ADAPTER_DIR, read_status(run_dir).get(
            "final_eval"))
    if stopped:
        if is_main:
            try:
                stop_path.unlink()
            except FileNotFoundError:
                pass
            write_status(run_dir, state="stopped", step=step, pid=None,
                         message=f"stopped at step {step} by the STOP file; resume with "
                                 f"`copilot train --resume {run_dir}`")
        log(f"stopped at step {step} (checkpoint {last_ckpt.name if last_ckpt else 'none'})")
        return TrainResult("stopped", step, run_dir, last_ckpt, None)
    if is_main:
        adapter_dir = write_final_adapter(run_dir, model if dist is None else dist.unwrap_model(model), cfg, base,
                                          ds_manifest, prompt_format, step, final_eval, stream)
        write_status(run_dir, state="done", step=step, pid=None, message="finished", final_eval=final_eval,
                     adapter=str(adapter_dir), skipped_too_long=stream.skipped)
    log(f"done: {step} steps; adapter in {adapter_dir}" + (f"; validation {final_eval}" if final_eval else ""))
    return TrainResult("done", step, run_dir, last_ckpt, adapter_dir, final_eval)


def write_final_adapter(run_dir: Path, model, cfg: TrainConfig, base, ds_manifest: dict, prompt_format: str,
                        step: int, final_eval: dict | None, stream: DataStream) -> Path:
    out = Path(run_dir) / ADAPTER_DIR
    tmp = Path(run_dir) / f".tmp-{ADAPTER_DIR}"
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(str(tmp), safe_serialization=True)
    write_json_atomic(tmp / "manifest.json", {
        "kind": "lora-adapter", "base_model": base.to_dict(), "prompt_format": prompt_format,
        "dataset": {"path": cfg.dataset, "manifest": ds_manifest}, "steps": step, "config": cfg.to_dict(),
        "eval": {"validation_picks": final_eval} if final_eval else {}, "skipped_too_long": stream.skipped,
        "created": utcnow()})
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
