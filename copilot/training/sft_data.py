"""A dataset folder's train.jsonl as TRL's pre-tokenized SFT dataset (`input_ids` + `assistant_masks`).

Every line is a conversational "messages" example, single-turn (one pick) or a whole draft as a multi-turn chat;
`chat_encoding.ChatEncoder.encode_masked` puts the loss on every assistant turn with the scorer's own tokens, so
no chat-template `{% generation %}` markers are needed. Examples longer than max_seq_len are skipped and counted,
as before. TRL builds the labels from the mask; the Trainer's seeded sampler orders the examples and skips the
consumed batches on resume.
"""
from __future__ import annotations

from dataclasses import dataclass

from copilot.training.chat_encoding import ChatEncoder
from copilot.training.data_stream import JsonlFile
from copilot.training.dataset import DatasetError


@dataclass
class EncodedSet:
    dataset: object  # datasets.Dataset with input_ids, assistant_masks
    n: int
    skipped: int
    tokens: int


def encode_jsonl(jsonl: JsonlFile, encoder: ChatEncoder, max_len: int, limit: int = 0) -> EncodedSet:
    from datasets import Dataset

    n = min(len(jsonl), limit) if limit else len(jsonl)
    if n == 0:
        raise DatasetError(f"{jsonl.path} has no examples")
    ids_col, mask_col, skipped, tokens = [], [], 0, 0
    for i in range(n):
        ids, mask = encoder.encode_masked(jsonl[i])
        if len(ids) > max_len:
            skipped += 1
            continue
        ids_col.append(ids)
        mask_col.append(mask)
        tokens += len(ids)
    if not ids_col:
        raise DatasetError(f"no training example fits max_seq_len={max_len}; raise max_seq_len")
    return EncodedSet(Dataset.from_dict({"input_ids": ids_col, "assistant_masks": mask_col}), len(ids_col), skipped,
                      tokens)
