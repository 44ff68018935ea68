"""Pick accuracy on validation examples during training, scored by the `hf` engine's scorer.

Each example's candidates (`meta.candidates`, the pack) are ranked by `copilot.picking.scoring.score_answers`
(Σ log p(name + end marker | prompt)); top-1 / top-3 count how often the human's pick is first / among the first
three. Examples with fewer than two distinct candidates, or whose answer is not among them, are skipped.
"""
from __future__ import annotations

from copilot.picking.scoring import score_answers
from copilot.training.chat_encoding import ChatEncoder
from copilot.training.config import TrainConfig
from copilot.training.model_setup import autocast_ctx


def rank_candidates(model, encoder: ChatEncoder, example: dict, device: str,
                    cfg: TrainConfig | None = None) -> dict[str, float]:
    """{candidate: log-probability} for one example's pack, under the run's autocast when `cfg` is given."""
    cands = example.get("meta", {}).get("candidates") or []
    return score_answers(model, encoder, example["messages"][:-1], cands, device=device,
                         autocast=autocast_ctx(cfg, device) if cfg is not None else None)


def evaluate_picks(model, encoder: ChatEncoder, examples: list[dict], device: str,
                   cfg: TrainConfig | None = None) -> dict:
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
            scores = rank_candidates(model, encoder, ex, device, cfg)
            ranked = sorted(scores, key=scores.get, reverse=True)
            n += 1
            top1 += ranked[0] == answer
            top3 += answer in ranked[:3]
    finally:
        if was_training:
            model.train()
    return {"val_n": n, "val_top1": top1 / n if n else None, "val_top3": top3 / n if n else None}
