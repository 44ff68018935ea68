"""The GPU check's Python part (run by bench/gpu_check.sh on a CUDA machine; `--tiny` runs the same code on CPU).

A Mistral-7B-shaped model with random weights is built here (speed and memory do not depend on the weights),
saved once, then for each GPU preset loaded the project's way (`model_setup.load_model_for_training`: NF4 base,
LoRA on all linear layers, gradient checkpointing) and trained for a few steps with transformers' Trainer (paged
8-bit AdamW from bitsandbytes) on real DSK prompts (a val.jsonl carried with the script, encoded by the project's
ChatEncoder with the SmolLM2 tokenizer carried beside it: vocab 49152 instead of Mistral's 32000, +0.14 GiB of
embeddings). Prints tokens/s and peak memory against the preset's own estimate, and bf16 LoRA (no quantisation) at
the same settings for the speed ratio. TRL is not used: its `datasets`/`pyarrow` dependencies do not fit the
64 MiB the check may carry (trl 0.9 MB + datasets 0.6 + pyarrow 55 + pandas 12 + bitsandbytes 43 MB).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_model(out: Path, tok_dir: Path, tiny: bool) -> None:
    import torch
    from transformers import AutoTokenizer, MistralConfig, MistralForCausalLM

    tok = AutoTokenizer.from_pretrained(str(tok_dir))
    shape = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2) if tiny else dict(hidden_size=4096, intermediate_size=14336,
                                                          num_hidden_layers=32, num_attention_heads=32,
                                                          num_key_value_heads=8)
    cfg = MistralConfig(vocab_size=len(tok), max_position_embeddings=4096, tie_word_embeddings=False,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"), **shape)
    dev = "cpu" if tiny else "cuda"
    with torch.device(dev):
        model = MistralForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(str(out), safe_serialization=True)
    tok.save_pretrained(str(out))
    del model
    if dev == "cuda":
        torch.cuda.empty_cache()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--data", required=True, help="a dataset folder's val.jsonl (real DSK prompts)")
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--tiny", action="store_true", help="tiny shape on CPU, no quantisation: checks the script")
    ap.add_argument("--presets", default="gpu-8gb,gpu-12gb,gpu-16gb,gpu-24gb")
    a = ap.parse_args()
    work = Path(a.work)
    model_dir = work / "mistral-7b-random"
    if not (model_dir / "config.json").exists():
        t0 = time.time()
        build_model(model_dir, Path(a.tokenizer), a.tiny)
        print(f"random Mistral-7B-shaped model written in {time.time() - t0:.0f} s", flush=True)
    rows = []
    for name in a.presets.split(","):
        for quant in (("none",) if a.tiny else ("nf4", "none")):
            rows.append(steps_for(name, quant, model_dir, Path(a.data), a.steps, a.tiny))
            print(json.dumps(rows[-1]), flush=True)
    print("| preset | base | seq | batch x accum | tokens/s | peak GiB | estimate GiB | bf16/NF4 speed |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = ""
        if r["quant"] == "none":
            q = next((x for x in rows if x["preset"] == r["preset"] and x["quant"] == "nf4"), None)
            ratio = f"{r['tokens_per_s'] / q['tokens_per_s']:.2f}" if q and q["tokens_per_s"] else ""
        print(f"| {r['preset']} | {r['quant']} | {r['seq']} | {r['batch']}x{r['accum']} | {r['tokens_per_s']:.0f} | "
              f"{r['peak_gib']:.2f} | {r['estimate_gib']:.2f} | {ratio} |")


def steps_for(name: str, quant: str, model_dir: Path, data: Path, steps: int, tiny: bool) -> dict:
    import torch
    from transformers import AutoTokenizer, Trainer, TrainerCallback, TrainingArguments

    from copilot.training.base_models import CATALOG
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.data_stream import JsonlFile
    from copilot.training.model_setup import load_model_for_training
    from copilot.training.presets import config_from_preset, estimate_peak_memory

    cfg = config_from_preset(name, dataset=str(data.parent), quant=quant, precision="bf16",
                             optimizer="paged_adamw_8bit" if quant == "nf4" else "adamw")
    if tiny:
        cfg = cfg.replace(device="cpu", max_seq_len=512, batch_size=1, grad_accum=1, gradient_checkpointing=False)
    device = "cpu" if tiny else "cuda"
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    enc = ChatEncoder(tok)
    f = JsonlFile(data)
    examples = []
    for i in range(len(f)):
        ids, labels = enc.encode(f[i])
        if len(ids) <= cfg.max_seq_len:
            examples.append({"input_ids": ids, "labels": labels})
        if len(examples) >= steps * cfg.batch_size * cfg.grad_accum + 4:
            break
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    model = load_model_for_training(cfg, model_dir, device)

    def collate(batch):
        w = max(len(b["input_ids"]) for b in batch)
        pad = enc.pad_id
        ids = torch.tensor([b["input_ids"] + [pad] * (w - len(b["input_ids"])) for b in batch])
        lab = torch.tensor([b["labels"] + [-100] * (w - len(b["labels"])) for b in batch])
        att = torch.tensor([[1] * len(b["input_ids"]) + [0] * (w - len(b["input_ids"])) for b in batch])
        return {"input_ids": ids, "labels": lab, "attention_mask": att}

    times: list[tuple[float, int]] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            self.t0, self.n0 = time.perf_counter(), state.num_input_tokens_seen

        def on_step_end(self, args, state, control, **kw):
            if device == "cuda":
                torch.cuda.synchronize()
            times.append((time.perf_counter() - self.t0, state.num_input_tokens_seen - self.n0))

    optim = {"adamw": "adamw_torch", "paged_adamw_8bit": "paged_adamw_8bit"}[cfg.optimizer]
    args = TrainingArguments(output_dir=str(model_dir.parent / f"out-{name}-{quant}"), max_steps=steps,
                             per_device_train_batch_size=cfg.batch_size, gradient_accumulation_steps=cfg.grad_accum,
                             learning_rate=cfg.learning_rate, optim=optim, bf16=True, use_cpu=tiny, save_strategy="no",
                             report_to=[], disable_tqdm=True, logging_steps=1, remove_unused_columns=False,
                             include_num_input_tokens_seen="non_padding")
    Trainer(model=model, args=args, train_dataset=examples, data_collator=collate, callbacks=[Clock()]).train()
    later = times[1:] or times
    tps = sum(n for _, n in later) / sum(t for t, _ in later)
    peak = torch.cuda.max_memory_allocated() / 2 ** 30 if device == "cuda" else 0.0
    est = estimate_peak_memory(CATALOG[cfg.base_model], cfg, on_gpu=True)["total"] / 2 ** 30
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return {"preset": name, "quant": quant, "seq": cfg.max_seq_len, "batch": cfg.batch_size, "accum": cfg.grad_accum,
            "tokens_per_s": tps, "peak_gib": peak, "estimate_gib": est, "steps": len(times)}


if __name__ == "__main__":
    main()
