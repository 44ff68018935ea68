"""Preference pairs from draft data, for DPO and SPIN (`copilot train --method dpo|spin --from SFT_RUN`).

A pair is TRL's conversational preference example: {"prompt": the pick's messages, "chosen": [the human's pick],
"rejected": [another card of the same pack]}.

- dpo: `pairs_per_pick` rejected cards per human pick, drawn uniformly from the rest of the pack with the run's
  seed (a fixed, cheap choice: it teaches "the pick over the pack" without a model in the loop);
- spin: the current model picks on training picks; where its top card differs from the human's, that card is the
  rejected side (SPIN, Chen et al. 2024, adapted to drafting: the model's own choice is the "synthetic" answer);
  where they agree, its runner-up is (`spin_agreements`, on by default).

A whole-draft (conversation) line holds many picks: each assistant turn is a pick of its own (prompt: the
conversation up to it; candidates: its turn's pack), expanded with `validation.pick_examples` as validation does.

`pair_margin` is the held-out check: the mean of log p(human pick) - log p(rejected card) through the one scorer.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from copilot.picking.scoring import score_answers
from copilot.training.validation import pick_examples


@dataclass(frozen=True)
class Pair:
    messages: tuple  # the prompt messages (system, user, ...), the answer excluded
    chosen: str
    rejected: str

    def to_trl(self, fold: bool = False) -> dict:
        """TRL's conversational pair; `fold` joins the system prompt to the first user turn (ChatEncoder.fold: TRL
        renders the tokenizer's template itself)."""
        from copilot.picking.chat_template import fold_system

        prompt = [dict(m) for m in self.messages]
        return {"prompt": fold_system(prompt) if fold else prompt,
                "chosen": [{"role": "assistant", "content": self.chosen}],
                "rejected": [{"role": "assistant", "content": self.rejected}]}


def _pick_parts(example: dict) -> tuple[tuple, str, list[str]] | None:
    msgs = example.get("messages") or []
    if not msgs or msgs[-1].get("role") != "assistant":
        return None
    answer = msgs[-1]["content"]
    cands = list(dict.fromkeys(example.get("meta", {}).get("candidates") or []))
    if answer not in cands or len(cands) < 2:
        return None
    prompt = tuple({"role": m["role"], "content": m["content"]} for m in msgs[:-1])
    return prompt, answer, [c for c in cands if c != answer]


def _picks(examples):
    """Every pick of the dataset lines: a single-pick line itself, each assistant turn of a conversation."""
    for ex in examples:
        yield from pick_examples(ex)


def sample_pools(examples, n: int, rounds: int, rng: random.Random) -> list[list[dict]]:
    """SPIN's self-play pools: for each round, `n` picks drawn without replacement from all picks of the lines
    (expanded once)."""
    picks = list(_picks(examples))
    return [rng.sample(picks, min(n, len(picks))) for _ in range(rounds)]


def random_pairs(examples, per_pick: int, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    out = []
    for ex in _picks(examples):
        parts = _pick_parts(ex)
        if parts is None:
            continue
        prompt, answer, others = parts
        for rej in rng.sample(others, min(per_pick, len(others))):
            out.append(Pair(prompt, answer, rej))
    return out


def pairs_for_steps(pairs: list[Pair], needed: int, seed: int) -> list[Pair]:
    """The pairs a run of `needed` pair-steps uses: all of them when they fit, else `needed` drawn with the seed
    (the trainer tokenizes every pair it is given: 64k conversation pairs took 11 minutes for a 12-step run)."""
    if needed >= len(pairs):
        return pairs
    return random.Random(seed).sample(pairs, needed)


def self_play_pairs(model, encoder, examples, device: str, autocast=None,
                    agreements: bool = True) -> tuple[list[Pair], int, int]:
    """The round's pairs, how many picks were scored and on how many the model disagreed with the human.

    Where the model's top card differs from the human pick, that card is rejected. Where they agree (and
    `agreements`), the human pick is paired with the model's runner-up: without those pairs, a model that mostly
    answers one way (say the first listed card) gets pairs that all reject that answer, and DPO teaches it to
    avoid the answer everywhere instead of where it is wrong (measured: 55% -> 20% top-1 on DSK, one round).
    """
    was = model.training
    model.eval()
    out, n, disagree = [], 0, 0
    try:
        for ex in _picks(examples):
            parts = _pick_parts(ex)
            if parts is None:
                continue
            prompt, answer, others = parts
            scores = score_answers(model, encoder, list(prompt), [answer, *others], device=device, autocast=autocast)
            n += 1
            top, runner_up = sorted(scores, key=scores.get, reverse=True)[:2]
            if top != answer:
                disagree += 1
                out.append(Pair(prompt, answer, top))
            elif agreements:
                out.append(Pair(prompt, answer, runner_up))
    finally:
        if was:
            model.train()
    return out, n, disagree


def pair_margin(model, encoder, pairs: list[Pair], device: str, autocast=None) -> dict:
    """Mean log p(chosen) - log p(rejected) over held-out pairs, and the fraction with a positive margin."""
    was = model.training
    model.eval()
    margins = []
    try:
        for p in pairs:
            s = score_answers(model, encoder, list(p.messages), [p.chosen, p.rejected], device=device,
                              autocast=autocast)
            margins.append(s[p.chosen] - s[p.rejected])
    finally:
        if was:
            model.train()
    n = len(margins)
    return {"pairs": n, "margin": sum(margins) / n if n else None,
            "positive": sum(m > 0 for m in margins) / n if n else None}
