"""Benchmark: GGUF pick scoring over one whole real draft, with KV-prefix reuse against a fresh prompt each pick.

Two engines on the same GGUF run side by side, pick by pick (so both see the same machine load): one keeps its
KV cache between consecutive picks (only the tokens after the longest common prefix are evaluated), the other
evaluates the whole prompt every pick. Prints latency per pick (p50, p95, total), tokens evaluated per pick, the
ratios, and how far the two rankings differ.

    .venv/bin/python bench/bench_gguf_scoring.py                      # SmolLM2 test model, first DSK dev draft
    .venv/bin/python bench/bench_gguf_scoring.py --model my.gguf --format v1-compact --threads 2 --draft 3
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_MODEL = Path.home() / ".cache" / "magic-copilot" / "test-models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def resolve_inputs(picks: Path | None, model: Path) -> Path | None:
    """The picks file to read (default: the shared DSK dev picks) when it and the GGUF `model` are there; else None,
    with why on stderr (bench_formats.py uses this too)."""
    from copilot.paths import shared_dir

    if picks is None:
        sd = shared_dir()
        if sd is None:
            print("no --picks given and ../shared is absent", file=sys.stderr)
            return None
        picks = sd / "data" / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not model.exists():
        print(f"model {model} not found (run the test suite once to fetch the SmolLM2 test model, or pass "
              f"--model)", file=sys.stderr)
        return None
    return picks


def agreement(warm, cold) -> tuple[bool, float]:
    """How far a KV-reuse ranking is from a fresh one: the same top card?, the largest |score difference|."""
    w = {s.card.name: s.score for s in warm.ranked}
    c = {s.card.name: s.score for s in cold.ranked}
    return warm.best.name == cold.best.name, max(abs(w[k] - c[k]) for k in c)


def load_draft(picks: Path, draft_index: int, catalog_kind: str):
    from copilot.datasets import iter_contexts

    catalog = None
    if catalog_kind == "default":
        from copilot.cards.catalog import default_catalog

        catalog = default_catalog()
    drafts: dict[str, list] = {}
    order: list[str] = []
    for row, ctx in iter_contexts(picks, catalog):
        if row.draft_id not in drafts:
            if len(order) > draft_index:
                break
            order.append(row.draft_id)
            drafts[row.draft_id] = []
        drafts[row.draft_id].append(ctx)
    return drafts[order[draft_index]]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--picks", type=Path, default=None, help="17lands picks file (default: shared DSK dev picks)")
    ap.add_argument("--draft", type=int, default=0, help="which draft of the file (0 = first)")
    ap.add_argument("--format", default="v1")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--limit", type=int, default=None, help="only the first N picks")
    ap.add_argument("--methods", action="store_true",
                    help="also time the candidate scoring alone: batched per candidate (M5, the engine's) against "
                         "one token at a time through Llama.eval (M6), on the same KV-cached prompt")
    ap.add_argument("--catalog", choices=("default", "none"), default="default",
                    help="card data for the prompt (default: the app's catalog over shared card files)")
    a = ap.parse_args(argv)

    from copilot.picking.gguf_engine import GGUFEngine

    picks = resolve_inputs(a.picks, a.model)
    if picks is None:
        return 2
    t = time.perf_counter()
    ctxs = load_draft(picks, a.draft, a.catalog)
    if a.limit:
        ctxs = ctxs[:a.limit]
    print(f"draft {ctxs[0].draft_key}: {len(ctxs)} picks, contexts built in {time.perf_counter() - t:.1f} s")

    warm = GGUFEngine(model=a.model, format=a.format, n_threads=a.threads, kv_reuse=True)
    cold = GGUFEngine(model=a.model, format=a.format, n_threads=a.threads, kv_reuse=False)
    ok, why = warm.available()
    if not ok:
        print(f"engine unavailable: {why}", file=sys.stderr)
        return 2
    # load both outside the timed loop
    warm.rank(ctxs[0])
    cold.rank(ctxs[0])
    warm._llm.reset()  # the first timed pick starts from an empty cache too

    rows = []
    for i, ctx in enumerate(ctxs):
        rw = warm.rank(ctx)
        rc = cold.rank(ctx)
        for r in (rw, rc):
            if r.error:
                print(f"pick {i + 1}: error {r.error}", file=sys.stderr)
                return 1
        n_prompt = len(warm.prompt_tokens(ctx)[0])
        same_top, max_diff = agreement(rw, rc)
        rows.append({"pick": i + 1, "pack": len(ctx.pack), "prompt": n_prompt,
                     "warm_ms": rw.latency_ms, "cold_ms": rc.latency_ms,
                     "warm_tok": rw.tokens_evaluated, "cold_tok": rc.tokens_evaluated,
                     "same_top": same_top, "max_diff": max_diff})
        print(f"P{ctx.pack_number}p{ctx.pick_number:<2} pack {len(ctx.pack):2d} prompt {n_prompt:4d} tok | "
              f"reuse {rw.tokens_evaluated:4d} tok {rw.latency_ms:7.0f} ms | fresh {rc.tokens_evaluated:4d} tok "
              f"{rc.latency_ms:7.0f} ms | top {rw.best.name[:28]!r}{'' if rows[-1]['same_top'] else ' (differs)'}")

    def summary(key_ms, key_tok):
        ms = [r[key_ms] for r in rows]
        tok = [r[key_tok] for r in rows]
        return (statistics.median(ms), pct(ms, 0.95), sum(ms) / 1000.0, statistics.mean(tok), sum(tok))

    w, c = summary("warm_ms", "warm_tok"), summary("cold_ms", "cold_tok")
    print()
    print(f"model {a.model.name}, format {a.format}, threads {warm.n_threads}, {len(rows)} picks, "
          f"mean prompt {statistics.mean(r['prompt'] for r in rows):.0f} tokens, "
          f"mean pack {statistics.mean(r['pack'] for r in rows):.1f} cards")
    print(f"{'':18s}{'p50 ms':>9s}{'p95 ms':>9s}{'total s':>9s}{'tok/pick':>10s}{'tokens':>9s}")
    print(f"{'KV reuse':18s}{w[0]:9.0f}{w[1]:9.0f}{w[2]:9.1f}{w[3]:10.1f}{w[4]:9d}")
    print(f"{'fresh prefix':18s}{c[0]:9.0f}{c[1]:9.0f}{c[2]:9.1f}{c[3]:10.1f}{c[4]:9d}")
    print(f"ratio fresh/reuse: tokens {c[4] / w[4]:.2f}x, total time {c[2] / w[2]:.2f}x, p50 {c[0] / w[0]:.2f}x")
    print(f"rankings: same top card in {sum(r['same_top'] for r in rows)}/{len(rows)} picks, "
          f"max |score difference| {max(r['max_diff'] for r in rows):.3f} nats")
    if a.methods:
        compare_methods(warm, ctxs)
    warm.close()
    cold.close()
    return 0


def compare_methods(engine, ctxs) -> None:
    """Candidate scoring only (prompt already in the KV cache): M5 (engine) vs M6 (token by token, public API)."""
    import llama_cpp
    import numpy as np

    llm = engine._llm
    nv = llm.n_vocab()

    def logprobs():
        x = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(nv,)).astype(np.float64)
        return x - (x.max() + np.log(np.exp(x - x.max()).sum()))

    t5 = t6 = 0.0
    diff = 0.0
    n_cands = 0
    for ctx in ctxs:
        tokens, msgs = engine.prompt_tokens(ctx)
        end = engine.end_ids(msgs)
        cands = {}
        for c in ctx.pack:
            cands.setdefault(c.name, engine._tokenize(c.name, special=False) + end)
        engine._eval_prompt(tokens, True)
        n = len(tokens)
        t = time.perf_counter()
        m5, _ = engine._score_candidates(n, cands)
        t5 += time.perf_counter() - t
        llm.n_tokens = n - 1  # M5 overwrote the logits: re-evaluate the last prompt token (untimed)
        llm.eval(tokens[-1:])
        t = time.perf_counter()
        first = logprobs()
        for name, toks in cands.items():
            llm.n_tokens = n
            lp = first[toks[0]]
            for prev, nxt in zip(toks[:-1], toks[1:]):
                llm.eval([prev])
                lp += logprobs()[nxt]
            diff = max(diff, abs(lp - m5[name]))
        t6 += time.perf_counter() - t
        llm.n_tokens = n
        n_cands += len(cands)
    print(f"candidate scoring over {len(ctxs)} picks ({n_cands} candidates): M5 batched {t5:.2f} s, "
          f"M6 token-by-token {t6:.2f} s, ratio M6/M5 {t6 / t5:.2f}x, max |M5 - M6| {diff:.3f} nats "
          f"(M5 matches a full re-evaluation, see tests/picking/test_gguf_engine.py; the difference is M6's "
          f"single-token kernels)")


if __name__ == "__main__":
    raise SystemExit(main())
