"""Benchmark: the ``conversation`` prompt format (v2) against v1, in one run.

1. Training cost: the same drafts built into datasets by `copilot.training.dataset.build_dataset` in every format
   and card-knowledge variant; every line of train.jsonl + val.jsonl rendered with SmolLM2's own chat template and
   tokenized by its tokenizer (llama.cpp, vocab only). Prints tokens per supervised pick (a v1 line is one pick, a
   conversation line one per assistant turn), the ratio to v1, the longest sequence, and characters per token.
2. Live cost: the same held-out DSK drafts (the first N validation drafts of the dataset split, val-frac 0.1, seed
   0, in file order) ranked pick by pick by two GGUF engines on the same model, v1 with its KV-prefix reuse and the
   conversation format with the draft's conversation kept in the KV cache, interleaved (the order alternates at
   every pick, so both see the same machine load). Prints tokens evaluated per pick (prompt and candidates) and
   latency p50/p95; checks at every pick that the conversation engine evaluated only the new turn (the previous
   pick's prompt was reused whole), and once, at the end, compares its scores with a full re-evaluation.

    nice -n 10 .venv/bin/python bench/bench_formats.py                         # all of it (the live part: minutes)
    .venv/bin/python bench/bench_formats.py --skip-live --drafts 200           # training tokens only
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gguf_scoring import DEFAULT_MODEL, agreement, pct, resolve_inputs  # noqa: E402 - the GGUF bench's defaults

TRAIN_FORMATS = ("v1", "v1-compact", "conversation", "conversation:knowledge=name", "conversation:knowledge=text",
                 "conversation:knowledge=stats", "conversation:repeat=1", "conversation:knowledge=text,repeat=1",
                 "conversation:signals=1", "conversation:reminder=pack")
LIVE_FORMATS = ("v1", "conversation")


class Tokenizer:
    """SmolLM2's chat template + tokenizer, as the GGUF engine uses them."""

    def __init__(self, model: Path):
        import llama_cpp

        from copilot.picking.chat_template import from_metadata

        self.llm = llama_cpp.Llama(str(model), vocab_only=True, verbose=False)
        self.tmpl = from_metadata(self.llm.metadata, token_text=lambda i: self.llm.detokenize([i], special=True)
                                  .decode("utf-8", errors="replace"))

    def count(self, messages: list[dict]) -> tuple[int, int]:
        text = self.tmpl.render(messages, add_generation_prompt=False)
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)), len(text)


def training_tokens(picks: Path, drafts: int, tok: Tokenizer, formats=TRAIN_FORMATS) -> list[dict]:
    from copilot.training.dataset import DatasetConfig, build_dataset

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            out = Path(tmp) / fmt.replace(":", "_").replace(",", "_").replace("=", "-")
            t = time.perf_counter()
            m = build_dataset(DatasetConfig(picks=picks, out=out, prompt_format=fmt, val_frac=0.1, seed=0,
                                            max_drafts=drafts))
            build_s = time.perf_counter() - t
            n_tok = n_chars = n_picks = n_lines = 0
            longest = 0
            ratios = []
            for split in ("train", "val"):
                with open(out / f"{split}.jsonl", encoding="utf-8") as fh:
                    for line in fh:
                        ex = json.loads(line)
                        k, c = tok.count(ex["messages"])
                        n_tok += k
                        n_chars += c
                        longest = max(longest, k)
                        ratios.append(c / k)
                        n_picks += int(ex["meta"].get("n_picks", 1))
                        n_lines += 1
            conv = m.get("conversation") or {}
            rows.append({"format": m["prompt_format"], "lines": n_lines, "picks": n_picks, "tokens": n_tok,
                         "per_pick": n_tok / n_picks, "longest": longest, "chars_per_token": n_chars / n_tok,
                         "min_chars_per_token": min(ratios), "max_chars_per_token": max(ratios),
                         "segments": conv.get("sequences"), "build_s": build_s})
    base = next(r for r in rows if r["format"] == "v1")["per_pick"]
    for r in rows:
        r["vs_v1"] = r["per_pick"] / base
    return rows


def print_training(rows: list[dict], drafts: int) -> None:
    print(f"\n1. Training files: the first {drafts} drafts of the file, train + val, SmolLM2 chat template + tokenizer")
    head = f"{'format':40s}{'lines':>7s}{'picks':>7s}{'tokens':>10s}{'tok/pick':>10s}{'vs v1':>7s}" \
           f"{'longest':>9s}{'chars/tok':>11s}  segments (draft/pack)"
    print(head)
    print("-" * len(head))
    for r in rows:
        seg = f"{r['segments']['draft']}/{r['segments']['pack']}" if r["segments"] else "-"
        print(f"{r['format']:40s}{r['lines']:7d}{r['picks']:7d}{r['tokens']:10d}{r['per_pick']:10.1f}"
              f"{r['vs_v1']:7.3f}{r['longest']:9d}{r['min_chars_per_token']:6.2f}-{r['max_chars_per_token']:4.2f}"
              f"  {seg}")


def held_out_drafts(picks: Path, n: int, catalog) -> tuple[dict[str, list], object]:
    """The first n validation drafts (FracSplit 0.1, seed 0: the dataset build's default split), in file order, and
    the first pick of the file's first training draft (to load the engines on, outside the timing)."""
    from copilot.datasets.picks import iter_contexts, iter_pick_rows
    from copilot.training.split import FracSplit

    split = FracSplit(0.1, 0)
    chosen: list[str] = []
    warm_id = None
    for row in iter_pick_rows(picks):
        if warm_id is None and split.route(row.draft_id) == "train":
            warm_id = row.draft_id
        if row.draft_id not in chosen and split.route(row.draft_id) == "val":
            chosen.append(row.draft_id)
            if len(chosen) == n:
                break
    out: dict[str, list] = {d: [] for d in chosen}
    warm = None
    for row, ctx in iter_contexts(picks, catalog, draft_ids=set(chosen) | {warm_id}):
        if row.draft_id == warm_id:
            warm = warm or ctx
            continue
        out[row.draft_id].append(ctx)
        if all(len(v) == 42 for v in out.values()):
            break
    return out, warm


def live_cost(model: Path, drafts: dict[str, list], warm_ctx, threads: int, formats=LIVE_FORMATS) -> dict:
    from copilot.picking.gguf_engine import GGUFEngine

    engines = {f: GGUFEngine(model=model, format=f, n_threads=threads, kv_reuse=True) for f in formats}
    for e in engines.values():  # load the models outside the timing, on another draft: as live, a new draft starts
        rec = e.rank(warm_ctx)  # with the previous draft in the cache (only the system prompt is shared)
        if rec.error:
            raise SystemExit(f"{e}: {rec.error}")
    stats = {f: {"ms": [], "tok": [], "prompt": [], "cand": []} for f in formats}
    only_new_turn = checked = 0
    i = 0
    for did, ctxs in drafts.items():
        prev_len = None
        for ctx in ctxs:
            order = list(formats) if i % 2 == 0 else list(reversed(formats))
            i += 1
            for f in order:
                e = engines[f]
                rec = e.rank(ctx)
                if rec.error:
                    raise SystemExit(f"{f} {ctx.draft_key} P{ctx.pack_number}p{ctx.pick_number}: {rec.error}")
                s = stats[f]
                s["ms"].append(rec.latency_ms)
                s["tok"].append(rec.tokens_evaluated)
                s["prompt"].append(e.last_split[0])
                s["cand"].append(e.last_split[1])
                if f == "conversation":
                    n = len(e.prompt_tokens(ctx)[0])
                    if prev_len is not None:
                        checked += 1
                        only_new_turn += e.last_split[0] == n - prev_len
                    prev_len = n
            print(f"  {did[:8]} P{ctx.pack_number}p{ctx.pick_number:<2} " + " | ".join(
                f"{f} {stats[f]['tok'][-1]:5d} tok {stats[f]['ms'][-1]:7.0f} ms" for f in formats), flush=True)
    conv = engines.get("conversation")
    check = None
    if conv is not None:
        last = list(drafts.values())[-1][-1]
        warm = conv.rank(last)
        cold = conv.rank(last, reuse=False)
        same_top, max_diff = agreement(warm, cold)
        check = {"prompt_tokens": len(conv.prompt_tokens(last)[0]), "cold_tokens": cold.tokens_evaluated,
                 "warm_tokens": warm.tokens_evaluated, "max_abs_diff": max_diff, "same_top": same_top}
    for e in engines.values():
        e.close()
    return {"stats": stats, "only_new_turn": only_new_turn, "checked": checked, "check": check,
            "threads": next(iter(engines.values())).n_threads}


def print_live(res: dict, drafts: dict, model: Path) -> None:
    n = sum(len(v) for v in drafts.values())
    print(f"\n2. Live cost: {len(drafts)} held-out DSK drafts ({n} picks), {model.name}, n_threads={res['threads']}")
    head = f"{'format':16s}{'tok/pick':>10s}{'prompt':>8s}{'cands':>7s}{'p50 ms':>9s}{'p95 ms':>9s}{'mean ms':>9s}" \
           f"{'total s':>9s}"
    print(head)
    print("-" * len(head))
    st = res["stats"]
    for f, s in st.items():
        print(f"{f:16s}{statistics.mean(s['tok']):10.1f}{statistics.mean(s['prompt']):8.1f}"
              f"{statistics.mean(s['cand']):7.1f}{pct(s['ms'], 0.5):9.0f}{pct(s['ms'], 0.95):9.0f}"
              f"{statistics.mean(s['ms']):9.0f}{sum(s['ms']) / 1000:9.1f}")
    if "v1" in st and "conversation" in st:
        a, b = st["v1"], st["conversation"]
        print(f"v1 / conversation: tokens per pick {statistics.mean(a['tok']) / statistics.mean(b['tok']):.2f}x, "
              f"p50 {pct(a['ms'], 0.5) / pct(b['ms'], 0.5):.2f}x, p95 {pct(a['ms'], 0.95) / pct(b['ms'], 0.95):.2f}x, "
              f"total {sum(a['ms']) / sum(b['ms']):.2f}x")
    print(f"conversation evaluated exactly its new turn (answer + user turn) at {res['only_new_turn']}/{res['checked']} "
          f"picks after the first of each draft")
    c = res["check"]
    if c:
        print(f"full re-evaluation of the last pick ({c['prompt_tokens']} prompt tokens): cold {c['cold_tokens']} "
              f"tokens vs warm {c['warm_tokens']}; max |score difference| {c['max_abs_diff']:.4f} nats, "
              f"same top card: {c['same_top']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--picks", type=Path, default=None, help="picks file (default: shared DSK dev picks)")
    ap.add_argument("--drafts", type=int, default=100, help="drafts for the training-token part (default 100)")
    ap.add_argument("--live-drafts", type=int, default=3, help="held-out drafts for the live part (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (default 1: the machine is shared)")
    ap.add_argument("--skip-live", action="store_true")
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    a = ap.parse_args(argv)

    picks = resolve_inputs(a.picks, a.model)
    if picks is None:
        return 2
    out: dict = {"model": str(a.model), "picks": str(picks)}
    t0 = time.perf_counter()
    if not a.skip_training:
        tok = Tokenizer(a.model)
        rows = training_tokens(picks, a.drafts, tok)
        print_training(rows, a.drafts)
        out["training"] = rows
    if not a.skip_live:
        from copilot.cards.catalog import default_catalog

        drafts, warm = held_out_drafts(picks, a.live_drafts, default_catalog())
        print(f"\nheld-out drafts: {', '.join(drafts)} ({', '.join(str(len(v)) for v in drafts.values())} picks); "
              f"engines loaded on draft {warm.draft_key}")
        res = live_cost(a.model, drafts, warm, a.threads)
        print_live(res, drafts, a.model)
        out["live"] = {k: v for k, v in res.items()}
        out["live"]["drafts"] = list(drafts)
    print(f"\nbench_formats: {time.perf_counter() - t0:.0f} s")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
