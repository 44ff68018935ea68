"""Encoding a dataset's training conversations for SFT: the linear-time encoder against the reference that tokenizes
every answer's whole prompt again, on the same examples, in one process.

    .venv/bin/python bench/bench_chat_encoding.py DATASET [--n 20] [--base smollm2-135m-instruct]

Prints seconds per example and tokens per example for each way, their ratio, and whether the ids and masks are the
same (they must be). A first training start encodes every example of DATASET/train.jsonl before step 1.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from transformers import AutoTokenizer

    from copilot.training.base_models import resolve_base_model
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.data_stream import JsonlFile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--n", type=int, default=20, help="examples (the first N of train.jsonl)")
    ap.add_argument("--base", default="smollm2-135m-instruct",
                    help="base model whose tokenizer encodes (default %(default)s)")
    args = ap.parse_args()
    base = resolve_base_model(args.base, log=lambda *a: None)
    enc = ChatEncoder(AutoTokenizer.from_pretrained(str(base.path)))
    jsonl = JsonlFile(args.dataset / "train.jsonl")
    examples = [jsonl[i] for i in range(min(args.n, len(jsonl)))]
    results, seconds = {}, {}
    for name, fn in (("reference (every prompt again)", lambda ex: enc._encode_by_prefixes(ex["messages"])),
                     ("linear (new text only)", enc.encode_masked)):
        start = time.perf_counter()
        results[name] = [fn(ex) for ex in examples]
        seconds[name] = time.perf_counter() - start
    tokens = sum(len(ids) for ids, _ in results["linear (new text only)"]) / len(examples)
    print(f"{args.dataset.name}: {len(examples)} examples, {tokens:,.0f} tokens each on average ({args.base})")
    for name, s in seconds.items():
        print(f"  {name:32s} {1000 * s / len(examples):9.1f} ms per example")
    ref, lin = seconds["reference (every prompt again)"], seconds["linear (new text only)"]
    same = results["reference (every prompt again)"] == results["linear (new text only)"]
    print(f"  speed-up {ref / lin:.1f}x; identical ids and masks: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
