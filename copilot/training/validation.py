"""Pick accuracy on validation drafts during training, scored by the `hf` engine's scorer.

Each example's candidates (`meta.candidates`, the pack) are ranked by `copilot.picking.scoring.score_answers`
(Σ log p(name + end marker | prompt)); top-1 / top-3 count how often the human's pick is first / among the first
three. Examples with fewer than two distinct candidates, or whose answer is not among them, are skipped.

With `first_token` (formats whose answers start with a label, "C) Name": what the `gguf` engine scores by default
for them) a candidate is scored by its first token alone, and the picks of one conversation share ONE forward pass
(`scoring.next_token_logprobs`): a per-pack conversation of 14 picks costs one prompt instead of fourteen. A pick
whose candidates share a first token, or whose prompt is not a prefix of its conversation's, is scored on its own.

Validation uses WHOLE drafts (`select_drafts`): the picks of one draft are correlated, so the standard error is
computed over drafts (cluster standard error), and a handful of picks from the top of the file would measure
mostly first picks. Results are also split by pick bucket (picks 1-4, 5-9, 10+ within a pack).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from copilot.picking.scoring import next_token_logprobs, score_answers
from copilot.training.chat_encoding import ChatEncoder
from copilot.training.config import TrainConfig
from copilot.training.model_setup import autocast_ctx

BUCKETS = ((1, 4, "p1-4"), (5, 9, "p5-9"), (10, 99, "p10+"))


def bucket_of(pick: int | None) -> str:
    for lo, hi, name in BUCKETS:
        if pick is not None and lo <= pick <= hi:
            return name
    return "unknown"


def pick_examples(example: dict) -> list[dict]:
    """The scoreable picks of one dataset line: a single-turn pick, or each assistant turn of a whole-draft chat
    (meta.turns[i].candidates, when the line carries them)."""
    msgs = example.get("messages") or []
    meta = example.get("meta", {})
    turns = meta.get("turns")
    if isinstance(turns, list) and sum(m.get("role") == "assistant" for m in msgs) == len(turns) > 0:
        out, t = [], 0
        for k, m in enumerate(msgs):
            if m.get("role") == "assistant":
                tm = turns[t] if isinstance(turns[t], dict) else {}
                out.append({"messages": msgs[:k + 1], "meta": {**meta, **tm, "turns": None}})
                t += 1
        return out
    return [example]


def select_drafts(examples, n_drafts: int, n_examples: int = 0) -> list[dict]:
    """Validation picks: all picks of the first `n_drafts` drafts (by order of appearance); with n_drafts 0,
    the first `n_examples` lines (the old behaviour, kept for tiny test datasets)."""
    picks = []
    if n_drafts <= 0:
        for i in range(min(n_examples, len(examples))):
            picks += pick_examples(examples[i])
        return picks
    seen: list[str] = []
    for i in range(len(examples)):
        ex = examples[i]
        d = str(ex.get("meta", {}).get("draft_id", f"line{i}"))
        if d not in seen:
            if len(seen) == n_drafts:
                break
            seen.append(d)
        picks += pick_examples(ex)
    return picks


def rank_candidates(model, encoder: ChatEncoder, example: dict, device: str,
                    cfg: TrainConfig | None = None) -> dict[str, float]:
    """{candidate: log-probability} for one example's pack, under the run's autocast when `cfg` is given."""
    cands = example.get("meta", {}).get("candidates") or []
    return score_answers(model, encoder, example["messages"][:-1], cands, device=device,
                         autocast=autocast_ctx(cfg, device) if cfg is not None else None)


@dataclass
class PickTally:
    n: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, hit1: bool, hit3: bool) -> None:
        self.n += 1
        self.top1 += hit1
        self.top3 += hit3


def cluster_se(per_draft: dict[str, PickTally], attr: str = "top1") -> float | None:
    """Standard error of a ratio estimate with drafts as clusters (None with fewer than two drafts)."""
    d = len(per_draft)
    total = sum(t.n for t in per_draft.values())
    if d < 2 or total == 0:
        return None
    p = sum(getattr(t, attr) for t in per_draft.values()) / total
    s = sum((getattr(t, attr) - p * t.n) ** 2 for t in per_draft.values())
    return math.sqrt(s * d / (d - 1)) / total


def scoreable(example: dict) -> bool:
    cands = example.get("meta", {}).get("candidates") or []
    return len(set(cands)) >= 2 and example["messages"][-1]["content"] in cands


def conversations(examples: list[dict]) -> list[list[int]]:
    """Indices of `examples` grouped by conversation: consecutive picks whose chat continues the previous one's."""
    groups: list[list[int]] = []
    for i, ex in enumerate(examples):
        if groups:
            prev = examples[groups[-1][-1]]["messages"]
            if len(ex["messages"]) > len(prev) and ex["messages"][:len(prev)] == prev:
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def first_token_scores(model, encoder: ChatEncoder, examples: list[dict], group: list[int], device: str,
                       cfg: TrainConfig | None = None) -> dict[int, dict[str, float]]:
    """{index: {candidate: log p(its first token | prompt)}} for the picks of one conversation that can be scored
    from one forward pass (distinct first tokens, prompt a prefix of the conversation's last prompt)."""
    prompts = {i: encoder.prompt_ids(examples[i]["messages"][:-1]) for i in group}
    longest = prompts[group[-1]]
    firsts: dict[int, dict[str, int]] = {}
    for i in group:
        cands = dict.fromkeys(examples[i]["meta"]["candidates"])
        first = {a: encoder.candidate_ids(a)[0] for a in cands}
        if len(set(first.values())) == len(first) and longest[:len(prompts[i])] == prompts[i]:
            firsts[i] = first
    if not firsts:
        return {}
    logps = next_token_logprobs(model, longest, [len(prompts[i]) for i in firsts], device=device,
                                autocast=autocast_ctx(cfg, device) if cfg is not None else None)
    return {i: {a: float(lp[t]) for a, t in first.items()} for (i, first), lp in zip(firsts.items(), logps)}


def evaluate_picks(model, encoder: ChatEncoder, examples: list[dict], device: str,
                   cfg: TrainConfig | None = None, first_token: bool = False) -> dict:
    """Top-1 / top-3 pick accuracy (answer among meta.candidates), its cluster standard error, by pick bucket;
    `first_token`: score candidates by their first token, one forward pass per conversation (see the docstring)."""
    was_training = model.training
    model.eval()
    per_draft: dict[str, PickTally] = defaultdict(PickTally)
    per_bucket: dict[str, PickTally] = defaultdict(PickTally)
    try:
        for group in conversations(examples):
            group = [i for i in group if scoreable(examples[i])]
            fast = first_token_scores(model, encoder, examples, group, device, cfg) if first_token and group else {}
            for i in group:
                ex = examples[i]
                meta = ex.get("meta", {})
                answer = ex["messages"][-1]["content"]
                scores = fast[i] if i in fast else rank_candidates(model, encoder, ex, device, cfg)
                ranked = sorted(scores, key=scores.get, reverse=True)
                hit1, hit3 = ranked[0] == answer, answer in ranked[:3]
                per_draft[str(meta.get("draft_id", f"ex{i}"))].add(hit1, hit3)
                per_bucket[bucket_of(meta.get("pick"))].add(hit1, hit3)
    finally:
        if was_training:
            model.train()
    n = sum(t.n for t in per_draft.values())
    out = {"val_n": n, "val_drafts": len(per_draft),
           "val_top1": sum(t.top1 for t in per_draft.values()) / n if n else None,
           "val_top3": sum(t.top3 for t in per_draft.values()) / n if n else None,
           "val_top1_se": cluster_se(per_draft, "top1"), "val_top3_se": cluster_se(per_draft, "top3")}
    if n:
        out["val_by_bucket"] = {b: {"n": t.n, "top1": round(t.top1 / t.n, 4), "top3": round(t.top3 / t.n, 4)}
                                for b, t in sorted(per_bucket.items())}
    return out
