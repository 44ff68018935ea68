"""Candidate log-probabilities with torch: the one scorer behind the `hf` engine and the trainer's validation.

    ChatEncoder(tokenizer)            chat messages -> prompt ids; an answer -> its ids + the end-of-turn token
    candidate_logprobs(model, ...)    Σ log p(candidate tokens | prompt) for every candidate, one batched pass
    score_answers(model, enc, ...)    both together: messages + answer texts -> {answer: log-probability}
    next_token_logprobs(model, ...)   the next-token distribution after each prompt of one conversation, one pass

The prompt is the tokenizer's chat template rendered with `add_generation_prompt=True` followed by whatever the
template writes before an answer; a candidate is the answer text followed by the first token the template writes
after an answer (e.g. `<|im_end|>`), which is exactly the supervised part of a training example up to that marker.
The prompt is run once and its KV cache expanded to the number of candidates; every candidate except its last token
(which is only read) is fed in ONE right-padded, masked batch on top of it. The `gguf` engine computes the same
quantity with llama.cpp (tests/picking/test_scoring_consistency.py compares the three).

torch / transformers are imported inside the functions.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import ContextManager, Mapping, Sequence

from copilot.picking.chat_template import PLAIN_TEMPLATE, ChatTemplate, fold_system, folds_system

_MARKER = "Xyzzy Marker"
_PROBE = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


class ScoringError(ValueError):
    """The tokenizer cannot be used to score answers (the message says why)."""


class ChatEncoder:
    """Token ids for scoring and training from a Hugging Face tokenizer and its chat template.

    A tokenizer without a chat template (a base model) gets the plain-text turns of
    `copilot.picking.chat_template.PLAIN_TEMPLATE`, with BOS, as the `gguf` engine does.
    """

    def __init__(self, tok):
        self.tok = tok
        self.has_template = bool(getattr(tok, "chat_template", None))
        if not self.has_template:
            self._plain = ChatTemplate(PLAIN_TEMPLATE, tok.bos_token or "", tok.eos_token or "")
        self.fold = self.has_template and folds_system(self._render)  # the system prompt joins the first user turn
        full = self.render(_PROBE + [{"role": "assistant", "content": _MARKER}], add_generation_prompt=False)
        prompt = self.render(_PROBE, add_generation_prompt=True)
        if not full.startswith(prompt) or _MARKER not in full[len(prompt):]:
            raise ScoringError("the tokenizer's chat template does not put the answer after the generation prompt; "
                               "cannot score answers or mask the loss to the answer")
        rest = full[len(prompt):]
        self.answer_prefix = rest[:rest.index(_MARKER)]
        # A template that writes a space before each answer (Mistral's " " + content) leaves it out of the prompt:
        # the answer is tokenized on its own, as the gguf engine does, so a SentencePiece tokenizer writes it as the
        # answer's word-start marker ("[/INST]", "▁Hi", Mistral's own encoding) and not as a token of its own.
        self.prompt_tail = self.answer_prefix if self.answer_prefix.strip() else ""
        self.answer_suffix = rest[rest.index(_MARKER) + len(_MARKER):]  # e.g. "<|im_end|>\n"
        suffix_ids = tok(self.answer_suffix, add_special_tokens=False)["input_ids"] if self.answer_suffix else []
        self.end_ids: list[int] = suffix_ids[:1] or ([tok.eos_token_id] if tok.eos_token_id is not None else [])
        if not self.end_ids:
            raise ScoringError("the tokenizer has neither a chat template end marker nor an EOS token")
        self.pad_id: int = tok.pad_token_id if tok.pad_token_id is not None else self.end_ids[0]

    def render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        return self._render(fold_system(messages) if self.fold else messages, add_generation_prompt)

    def _render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        if self.has_template:
            return self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        return self._plain.render(messages, add_generation_prompt=add_generation_prompt)

    def prompt_ids(self, messages: list[dict]) -> list[int]:
        text = self.render(messages, add_generation_prompt=True) + self.prompt_tail
        return list(self.tok(text, add_special_tokens=not self.has_template)["input_ids"])

    def answer_ids(self, answer: str) -> list[int]:
        """The answer and everything the template writes after it (the supervised tokens of a training example)."""
        return list(self.tok(answer + self.answer_suffix, add_special_tokens=False)["input_ids"])

    def candidate_ids(self, answer: str) -> list[int]:
        """The answer's tokens and the end-of-turn token: what a candidate's log-probability is summed over."""
        return list(self.tok(answer, add_special_tokens=False)["input_ids"]) + list(self.end_ids)


def candidate_logprobs(model, prompt_ids: Sequence[int], candidates: Mapping[str, Sequence[int]], *,
                       device: str = "cpu", pad_id: int = 0,
                       autocast: ContextManager | None = None) -> dict[str, float]:
    """Σ log p over each candidate's tokens after the prompt: the prompt once, the candidates in one batch.

    `candidates` maps a key (the answer text) to its token ids (at least one each). `autocast` is an optional
    context (e.g. the trainer's bf16 autocast) the forward passes run in.
    """
    import torch
    from transformers import DynamicCache

    keys = list(candidates)
    if not keys:
        return {}
    if any(len(candidates[k]) == 0 for k in keys):
        raise ScoringError("a candidate has no tokens")
    n_prompt = len(prompt_ids)
    with torch.inference_mode(), (autocast if autocast is not None else nullcontext()):
        out = model(input_ids=torch.tensor([list(prompt_ids)], device=device), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        scores = {k: float(first[candidates[k][0]]) for k in keys}
        feeds = [list(candidates[k][:-1]) for k in keys]  # the last token is only read
        longest = max(len(f) for f in feeds)
        if longest == 0:
            return scores
        n = len(keys)
        cache = out.past_key_values
        if isinstance(cache, DynamicCache):
            cache.batch_repeat_interleave(n)
        else:  # pragma: no cover - legacy tuple caches
            cache = tuple((k.repeat_interleave(n, 0), v.repeat_interleave(n, 0)) for k, v in cache)
        ids = torch.full((n, longest), pad_id, dtype=torch.long, device=device)
        cand_mask = torch.zeros((n, longest), dtype=torch.long, device=device)
        for i, f in enumerate(feeds):
            if f:
                ids[i, :len(f)] = torch.tensor(f, device=device)
                cand_mask[i, :len(f)] = 1
        attn = torch.cat([torch.ones((n, n_prompt), dtype=torch.long, device=device), cand_mask], dim=1)
        pos = torch.arange(n_prompt, n_prompt + longest, device=device).unsqueeze(0).expand(n, -1)
        out2 = model(input_ids=ids, attention_mask=attn, position_ids=pos, past_key_values=cache, use_cache=True)
        logp = torch.log_softmax(out2.logits.float(), dim=-1)
        for i, k in enumerate(keys):
            toks = candidates[k]
            for j in range(len(toks) - 1):
                scores[k] += float(logp[i, j, toks[j + 1]])
    return scores


def next_token_logprobs(model, ids: Sequence[int], prompt_lengths: Sequence[int], *, device: str = "cpu",
                        autocast: ContextManager | None = None) -> list:
    """log p(next token) after each prompt of one conversation, from ONE forward pass over `ids`.

    `ids` is the conversation's longest prompt and every prompt is a prefix of it (`prompt_lengths`: their lengths,
    each >= 1). A causal model's logits at position n-1 depend only on the first n tokens, so this is what scoring
    each prompt alone gives (to float precision) for a first-token score, at the cost of one prompt instead of one
    per pick. Returns one 1-D float32 tensor per prompt; logits are computed only at those positions.
    """
    import torch

    if any(not 1 <= n <= len(ids) for n in prompt_lengths):
        raise ScoringError("a prompt length is outside the conversation's tokens")
    keep = torch.tensor([n - 1 for n in prompt_lengths], dtype=torch.long, device=device)
    with torch.inference_mode(), (autocast if autocast is not None else nullcontext()):
        out = model(input_ids=torch.tensor([list(ids)], device=device), use_cache=False, logits_to_keep=keep)
        logp = torch.log_softmax(out.logits[0].float(), dim=-1)
    return list(logp)


def score_answers(model, encoder: ChatEncoder, messages: list[dict], answers: Sequence[str], *,
                  device: str = "cpu", autocast: ContextManager | None = None) -> dict[str, float]:
    """{answer: Σ log p(answer + end marker | messages)} for the distinct `answers`, in first-seen order."""
    prompt = encoder.prompt_ids(messages)
    cands = {a: encoder.candidate_ids(a) for a in dict.fromkeys(answers)}
    return candidate_logprobs(model, prompt, cands, device=device, pad_id=encoder.pad_id, autocast=autocast)
