"""Tokens per training sequence of a dataset under a base model's tokenizer: what a preset's max_seq_len must hold.

    .venv/bin/python bench/preset_seq_len.py DATASET/train.jsonl --tokenizer PATH [--tokenizer PATH ...] [--every N]

PATH is a Hugging Face tokenizer folder (its chat template is applied) or a SentencePiece `.model` file (Mistral's
v3 tokenizer, used by Mistral-7B-Instruct-v0.3, ships in the `mistral-common` wheel:
`pip download mistral-common --no-deps`, then unzip `mistral_common/data/mistral_instruct_tokenizer_240323.model.v3`).
For a SentencePiece file the [INST] chat layout is counted as Mistral's v3 template writes it: BOS once, [INST] and
[/INST] around each user turn, EOS after each answer (the system prompt goes inside a user turn). Prints mean, p50,
p95, p99 and max per tokenizer, and the share of sequences longer than each preset's window.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def counter(path: Path):
    """messages -> token count, for one tokenizer."""
    if path.is_file():
        import sentencepiece

        sp = sentencepiece.SentencePieceProcessor(model_file=str(path))

        def count(msgs: list[dict]) -> int:
            n = 1  # BOS
            for m in msgs:
                n += len(sp.encode(m["content"])) + {"user": 2, "assistant": 1}.get(m["role"], 0)
            return n
        return count
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))

    def count_hf(msgs: list[dict]) -> int:
        text = tok.apply_chat_template(msgs, tokenize=False)
        return len(tok(text, add_special_tokens=False)["input_ids"])
    return count_hf


def quantile(xs: list[int], q: float) -> int:
    s = sorted(xs)
    return s[int(q * (len(s) - 1))]


def main() -> int:
    from copilot.training.presets import PRESETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train", type=Path, help="a dataset's train.jsonl (chat messages per line)")
    ap.add_argument("--tokenizer", type=Path, action="append", required=True)
    ap.add_argument("--every", type=int, default=1, help="read every Nth line (default: all)")
    args = ap.parse_args()
    lines = [json.loads(x)["messages"] for i, x in enumerate(args.train.open(encoding="utf-8")) if i % args.every == 0]
    windows = sorted({p.overrides["max_seq_len"] for p in PRESETS.values()})
    print(f"{args.train}: {len(lines):,} sequences")
    for path in args.tokenizer:
        count = counter(path)
        xs = [count(m) for m in lines]
        over = ", ".join(f">{w}: {sum(x > w for x in xs) / len(xs):.1%}" for w in windows)
        print(f"{path.name}: mean {statistics.mean(xs):,.0f}, p50 {quantile(xs, .5):,}, p95 {quantile(xs, .95):,}, "
              f"p99 {quantile(xs, .99):,}, max {max(xs):,}; longer than a preset window: {over}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
