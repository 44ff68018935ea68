"""Training throughput on this machine: tokens/s of LoRA steps for the smoke model and SmolLM2-135M.

    python bench/bench_train.py [--steps 5] [--seq 512] [--threads 2] [--only smoke,fp32,bf16,nf4]

Variants: smoke (tiny random Mistral, fp32), SmolLM2 fp32, SmolLM2 bf16 autocast, SmolLM2 NF4 4-bit base
(bitsandbytes on CPU, fp32 compute). Every variant runs real optimizer steps on one real-shaped example (a ChatML
draft prompt padded with a long pool to ~--seq tokens, loss on the answer only) and reports the median step time,
tokens/s and the ratio to SmolLM2 fp32. The first step is a warm-up and is not counted. On a shared 2-vCPU VM the
figures are noisy: repeat and compare medians.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def example_messages(n_pool: int) -> list[dict]:
    pool = ", ".join(f"Card {i}" for i in range(n_pool))
    return [{"role": "system", "content": "You are a Magic: The Gathering draft expert."},
            {"role": "user", "content": f"Pool: {pool}.\nPack: Miasma Demon; Friendly Ghost; Anthropede.\nPick?"},
            {"role": "assistant", "content": "Miasma Demon"}]


def run_variant(label: str, base, precision: str, quant: str, steps: int, seq: int, threads: int) -> dict:
    import torch
    from transformers import AutoTokenizer

    from copilot.training.config import TrainConfig
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.model_setup import autocast_ctx, load_model_for_training, make_optimizer

    torch.set_num_threads(threads)
    cfg = TrainConfig(dataset="-", base_model=str(base.path), precision=precision, quant=quant, device="cpu",
                      max_seq_len=seq, lora_r=16, lora_alpha=32)
    tok = AutoTokenizer.from_pretrained(str(base.path))
    enc = ChatEncoder(tok)
    n_pool = 10
    while True:
        ids, labels = enc.encode({"messages": example_messages(n_pool)})
        if len(ids) >= seq - 8 or n_pool > 2000:
            break
        n_pool = int(n_pool * max(1.05, (seq / max(len(ids), 1)) ** 0.9))
    ids, labels = ids[-seq:], labels[-seq:]
    t0 = time.perf_counter()
    model = load_model_for_training(cfg, base.path, "cpu")
    load_s = time.perf_counter() - t0
    opt = make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad], "cpu")
    x = torch.tensor([ids])
    y = torch.tensor([labels])
    times, losses = [], []
    for i in range(steps + 1):
        t = time.perf_counter()
        with autocast_ctx(cfg, "cpu"):
            loss = model(input_ids=x, labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i:
            times.append(time.perf_counter() - t)
        losses.append(float(loss))
    med = statistics.median(times)
    return {"variant": label, "tokens": len(ids), "load_s": round(load_s, 2), "median_step_s": round(med, 3),
            "tokens_per_s": round(len(ids) / med, 1), "loss_first": round(losses[0], 3),
            "loss_last": round(losses[-1], 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="smoke,fp32,bf16,nf4")
    args = ap.parse_args()
    os.environ.setdefault("COPILOT_NO_NETWORK", "1")
    from copilot.training.base_models import resolve_base_model

    want = [w.strip() for w in args.only.split(",")]
    rows = []
    if "smoke" in want:
        rows.append(run_variant("smoke-mistral fp32", resolve_base_model("smoke-mistral"), "fp32", "none",
                                args.steps, args.seq, args.threads))
        print(rows[-1], flush=True)
    smol = None
    for key, label, prec, quant in (("fp32", "SmolLM2-135M fp32", "fp32", "none"),
                                    ("bf16", "SmolLM2-135M bf16 autocast", "bf16", "none"),
                                    ("nf4", "SmolLM2-135M NF4 base (bnb)", "fp32", "nf4")):
        if key in want:
            smol = smol or resolve_base_model("smollm2-135m-instruct")
            rows.append(run_variant(label, smol, prec, quant, args.steps, args.seq, args.threads))
            print(rows[-1], flush=True)
    ref = next((r for r in rows if r["variant"] == "SmolLM2-135M fp32"), None)
    print(f"\nLoRA r=16 on q,k,v,o,gate,up,down; batch 1; seq {args.seq}; {args.threads} threads; "
          f"median of {args.steps} steps after 1 warm-up")
    print(f"{'variant':30} {'tokens':>6} {'s/step':>8} {'tok/s':>8} {'vs fp32':>8} {'loss first->last':>18}")
    for r in rows:
        ratio = f"{r['tokens_per_s'] / ref['tokens_per_s']:.2f}x" if ref else "-"
        print(f"{r['variant']:30} {r['tokens']:>6} {r['median_step_s']:>8.3f} {r['tokens_per_s']:>8.1f} "
              f"{ratio:>8} {r['loss_first']:>8.3f} -> {r['loss_last']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
