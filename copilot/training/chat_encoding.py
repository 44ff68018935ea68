"""Training examples as token ids: {"messages": [...]} -> (input ids, labels on every assistant turn only).

The encoder is the scorer's (`copilot.picking.scoring.ChatEncoder`), so the prompt a model is trained on and the
prompt its validation picks (and the `hf` engine) score are the same tokens; this class adds the loss mask
(stack-notes §4) and reports an unusable chat template as a DatasetError.

A single-turn pick example ([system, user, assistant]) and a whole draft as one multi-turn chat (TRL's
conversational "messages" shape, e.g. the `conversation` prompt format: user/assistant pairs, one per pick) are
encoded the same way: the conversation is rendered turn by turn, the tokens before each assistant answer are
masked and the answer plus the template's end marker is supervised. A template that rewrites earlier turns when
later ones are added (so that turn k's prompt is not a prefix of turn k+1's) is refused with a clear message.
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
        """(input ids, labels): labels are the ids on every assistant answer (+ end marker), IGNORE elsewhere."""
        ids, mask = self.encode_masked(example)
        return ids, [i if m else IGNORE for i, m in zip(ids, mask)]

    def encode_masked(self, example: dict) -> tuple[list[int], list[int]]:
        """(input ids, assistant mask 0/1): TRL's pre-tokenized `input_ids` / `assistant_masks` columns."""
        msgs = example.get("messages")
        if not msgs or not isinstance(msgs, list) or msgs[-1].get("role") != "assistant":
            raise DatasetError("example has no assistant answer as its last message")
        ids: list[int] = []
        mask: list[int] = []
        for k, m in enumerate(msgs):
            if m.get("role") != "assistant":
                continue
            prompt = self.prompt_ids(msgs[:k])
            if prompt[:len(ids)] != ids:
                raise DatasetError(
                    f"the chat template renders turn {k} differently once later turns are added; multi-turn "
                    f"examples cannot be masked per answer with this tokenizer (use a single-turn prompt format)")
            answer = self.answer_ids(str(m.get("content", "")))
            mask += [0] * (len(prompt) - len(ids)) + [1] * len(answer)
            ids = prompt + answer
        return ids, mask
