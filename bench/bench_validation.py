"""Training's per-start costs on a real run, old way against new, in one process:

- validation of a label format (`answer=label`): every pick scored alone with the full answer (Σ log p, the old
  way) against the label's token with one forward pass per conversation (`first_token`);
- encoding train.jsonl: without the token cache, then a cold start that stores it, then a warm start that reads it.

    bench/bench_validation.py RUN [--drafts 2] [--limit 1000] [--threads 2]

RUN is a finished SFT run folder (its `adapter/`, its config's dataset and base model). Prints seconds, the ratio,
and both validations' top-1/top-3, which differ only where a letter and the full answer rank cards differently.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path)
    ap.add_argument("--drafts", type=int, default=2, help="validation drafts (the run's eval_drafts by default: 2)")
    ap.add_argument("--limit", type=int, default=1000, help="train.jsonl lines encoded for the cache timing")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.training.base_models import resolve_base_model
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.config import TrainConfig
    from copilot.training.data_stream import JsonlFile
    from copilot.training.precision import choose
    from copilot.training.sft_data import encode_jsonl
    from copilot.training.trainer import label_answers
    from copilot.training.validation import evaluate_picks, select_drafts

    torch.set_num_threads(args.threads)
    cfg = TrainConfig.load(args.run)
    info = json.loads((args.run / "run.json").read_text())
    base = resolve_base_model(cfg.base_model, log=lambda *a: None)
    cfg = cfg.replace(precision=choose(cfg.precision, "cpu").precision)
    encoder = ChatEncoder(AutoTokenizer.from_pretrained(str(base.path)))
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(base.path), dtype=torch.float32),
                                      str(args.run / "adapter"))
    dataset = Path(cfg.dataset)
    picks = select_drafts(JsonlFile(dataset / "val.jsonl"), args.drafts)
    label = label_answers(info.get("prompt_format", ""))
    print(f"{args.run}: format {info.get('prompt_format')!r} (label answers: {label}), precision {cfg.precision}, "
          f"{len(picks)} validation picks of {args.drafts} drafts")

    out = {}
    for name, first in (("full answer, pick by pick", False), ("label token, one pass a conversation", True)):
        t = time.perf_counter()
        acc = evaluate_picks(model, encoder, picks, "cpu", cfg, first_token=first)
        out[name] = time.perf_counter() - t
        print(f"  validation, {name}: {out[name]:.1f} s, top-1 {acc['val_top1']:.3f}, top-3 {acc['val_top3']:.3f} "
              f"on {acc['val_n']} picks")
    a, b = out.values()
    print(f"  -> {a / b:.1f}x faster")

    train = JsonlFile(dataset / "train.jsonl")
    tmp = Path(tempfile.mkdtemp(prefix="bench-token-cache-"))
    try:
        times = {}
        for name, cache in (("no cache", None), ("cold, stores the cache", tmp), ("warm, reads the cache", tmp)):
            t = time.perf_counter()
            enc = encode_jsonl(train, encoder, cfg.max_seq_len, args.limit, cache_dir=cache, log=lambda *a: None)
            times[name] = time.perf_counter() - t
            print(f"  encode {args.limit} train lines, {name}: {times[name]:.2f} s ({enc.n} examples, "
                  f"{enc.tokens:,} tokens)")
        print(f"  -> a warm start encodes {times['no cache'] / times['warm, reads the cache']:.0f}x faster; "
              f"the whole file ({len(train)} lines) at the no-cache rate: "
              f"{times['no cache'] * len(train) / args.limit:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
