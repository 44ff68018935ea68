"""Training examples as token ids: {"messages": [..., assistant]} -> (input ids, labels on the answer only).

The encoder is the scorer's (`copilot.picking.scoring.ChatEncoder`), so the prompt a model is trained on and the
prompt its validation picks (and the `hf` engine) score are the same tokens; this class adds the loss mask
(stack-notes §4) and reports an unusable chat template as a DatasetError.
"""
from __future__ import annotations

from copilot.picking.scoring import ChatEncoder as ScoringEncoder
from copilot.picking.scoring import ScoringError
from copilot.training.dataset import DatasetError

IGNORE = -100  # label of a token the loss skips


class ChatEncoder(ScoringEncoder):
    def __init__(self, tok):
        try:
            super().__init__(tok)
        except ScoringError as exc:
            raise DatasetError(str(exc)) from None

    def encode(self, example: dict) -> tuple[list[int], list[int]]:
        msgs = example.get("messages")
        if not msgs or msgs[-1].get("role") != "assistant":
            raise DatasetError("example has no assistant answer as its last message")
        p = self.prompt_ids(msgs[:-1])
        a = self.answer_ids(msgs[-1]["content"])
        return p + a, [IGNORE] * len(p) + a
