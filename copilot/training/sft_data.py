"""A dataset folder's train.jsonl as TRL's pre-tokenized SFT dataset (`input_ids` + `assistant_masks`).

Every line is a conversational "messages" example, single-turn (one pick) or a whole draft as a multi-turn chat;
`chat_encoding.ChatEncoder.encode_masked` puts the loss on every assistant turn with the scorer's own tokens, so
no chat-template `{% generation %}` markers are needed. Examples longer than max_seq_len are skipped and counted,
as before. TRL builds the labels from the mask; the Trainer's seeded sampler orders the examples and skips the
consumed batches on resume. The encoded examples are cached beside the dataset (`token_cache`), so a resume or a
second run on the same dataset and tokenizer starts at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from copilot.training.chat_encoding import ChatEncoder
from copilot.training.data_stream import JsonlFile
from copilot.training.dataset import DatasetError


FAIL_FAST = 50  # examples, all too long, after which encoding stops


@dataclass
class EncodedSet:
    dataset: object  # datasets.Dataset with input_ids, assistant_masks
    n: int
    skipped: int
    tokens: int


def encode_jsonl(jsonl: JsonlFile, encoder: ChatEncoder, max_len: int, limit: int = 0,
                 cache_dir: Path | None = None, log: Callable[[str], None] = print) -> EncodedSet:
    """The examples as TRL's pre-tokenized dataset; with `cache_dir`, read from (or written to) the token cache."""
    if cache_dir is None:
        return _encode(jsonl, encoder, max_len, limit, log)
    from copilot.training import token_cache

    key = token_cache.cache_key(jsonl.path, encoder, max_len, limit)
    hit = token_cache.load(cache_dir, key, log)
    if hit is not None:
        data, info = hit
        log(f"tokenized examples from the cache ({cache_dir / key})")
        return EncodedSet(data, info["n"], info["skipped"], info["tokens"])
    enc = _encode(jsonl, encoder, max_len, limit, log)
    token_cache.store(cache_dir, key, enc.dataset, {"n": enc.n, "skipped": enc.skipped, "tokens": enc.tokens,
                                                    "file": jsonl.path.name, "max_len": max_len, "limit": limit},
                      log)
    return enc


def _encode(jsonl: JsonlFile, encoder: ChatEncoder, max_len: int, limit: int,
            log: Callable[[str], None] = print, every_s: float = 30.0) -> EncodedSet:
    """Every example encoded once (a first run waits for it: 17 minutes for the 4,929 per-pack conversations of a
    `knowledge=text` DSK dataset on 2 cores before the linear-time encoding), with a progress line every `every_s`
    seconds. When the first FAIL_FAST examples are all longer than `max_len`, it stops there with the length that
    would fit, instead of encoding the rest to find that nothing does."""
    import time

    from datasets import Dataset

    n = min(len(jsonl), limit) if limit else len(jsonl)
    if n == 0:
        raise DatasetError(f"{jsonl.path} has no examples")
    ids_col, mask_col, skipped, tokens, shortest = [], [], 0, 0, 1 << 62
    start = last = time.monotonic()
    for i in range(n):
        if time.monotonic() - last >= every_s:
            last = time.monotonic()
            log(f"encoding {jsonl.path.name}: {i:,} of {n:,} examples ({last - start:.0f} s; once per dataset "
                "and tokenizer, then read from the cache)")
        ids, mask = encoder.encode_masked(jsonl[i])
        if len(ids) > max_len:
            skipped += 1
            shortest = min(shortest, len(ids))
            if skipped == FAIL_FAST and not ids_col:
                raise DatasetError(f"the first {FAIL_FAST} training examples are all longer than max_seq_len="
                                   f"{max_len} (the shortest has {shortest:,} tokens): raise max_seq_len (--seq), "
                                   "or build the dataset with shorter sequences (--segment pack, fewer details "
                                   "per card)")
            continue
        ids_col.append(ids)
        mask_col.append(mask)
        tokens += len(ids)
    if not ids_col:
        raise DatasetError(f"no training example fits max_seq_len={max_len} (the shortest has {shortest:,} tokens); "
                           "raise max_seq_len (--seq)")
    return EncodedSet(Dataset.from_dict({"input_ids": ids_col, "assistant_masks": mask_col}), len(ids_col), skipped,
                      tokens)
