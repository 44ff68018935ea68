"""Training sequences in the ``conversation`` prompt format: one chat per draft (or per pack), every pick supervised.

`DraftSequencer` collects the rows of one draft (17lands files keep a draft's rows together) and, when the draft
ends, renders its sequences. A sequence is one JSON line of train.jsonl / val.jsonl in TRL's conversational
format, so an SFT trainer with assistant-only loss puts loss on every assistant turn, i.e. on every pick::

    {"messages": [{"role": "system", ...},
                  {"role": "user", "content": "Pack 1 pick 1:\\n<pack lines>"},
                  {"role": "assistant", "content": "<card taken>"},        <- supervised (every assistant turn)
                  {"role": "user", "content": "Pack 1 pick 2:\\n..."},
                  ...,
                  {"role": "assistant", "content": "<last card taken>"}],
     "meta": {"draft_id", "set", "event", "format" (canonical name, e.g. "conversation"), "format_version": 2,
              "segment": "draft" | "pack", "packs": [1, 2, 3] (or the one pack), "n_picks" (assistant turns),
              "turns": [{"pack", "pick", "candidates" (pack names, pack order), "picked", "picked_2"?}, ...]
                       (one per assistant turn, in order; with answer=label the candidates and picks are the
                       answer texts, "C) Name", and "cards" keeps the pack's names),
              "est_tokens" (characters / CHARS_PER_TOKEN, the estimate the segmenting used),
              and, for readers of per-pick datasets, the LAST turn's "pack", "pick", "candidates", "pool",
              "picked", "pool_ordered"}}

To score pick i of a sequence (validation, a DPO pair): the prompt is ``messages[:k]`` where k is the index of the
i-th assistant message, the candidates are ``meta.turns[i].candidates`` (`pick_prompts` yields exactly that;
`per_pick_examples` turns any dataset line, per-pick or conversation, into per-pick examples of the v1 shape). Code
that reads only ``messages[:-1]`` and ``meta.candidates`` sees the LAST pick of a draft, a forced one-card pack.

Segmenting: ``draft`` writes the whole draft as one sequence; ``pack`` writes one sequence per pack, each starting
with the system prompt and a "Our pool so far" reminder of the earlier packs' picks; ``auto`` (default) writes the
whole draft when its estimated length fits ``max_tokens`` (the base model's context: 8192 for SmolLM2-135M), else
per pack. The estimate is characters / 2.7: SmolLM2's tokenizer gave 2.82-3.61 characters per token on DSK
conversations of every knowledge variant (bench/bench_formats.py), so the estimate errs towards splitting.

A draft is written only when every one of its rows passed the filters (17lands' rank / wins / skill columns are
per-draft); pick and pack range filters cannot apply to whole conversations and are refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator

from copilot.cards.model import Card
from copilot.datasets.picks import PickRow
from copilot.picking.engine import PickContext

CHARS_PER_TOKEN = 2.7
DEFAULT_MAX_TOKENS = 8192  # SmolLM2-135M-Instruct's training context (GGUF llama.context_length)
RANGE_FILTERS = ("picks", "packs")


class Segment(str, Enum):
    AUTO = "auto"
    DRAFT = "draft"
    PACK = "pack"


class ConversationDataError(ValueError):
    pass


@dataclass
class Finished:
    """A completed draft: its sequences (example dicts) and rows (for val.picks.jsonl)."""

    draft_id: str
    examples: list[dict]
    rows: list[PickRow]
    kept: bool  # False: a row failed a filter, nothing of the draft is written


def estimate_tokens(messages: list[dict]) -> int:
    chars = sum(len(m["content"]) + 16 for m in messages)  # + role markers of a chat template
    return int(chars / CHARS_PER_TOKEN) + 1


@dataclass
class DraftSequencer:
    fmt: object  # a conversational prompt format (copilot.picking.conversation.ConversationFormat)
    segment: Segment = Segment.AUTO
    max_tokens: int = DEFAULT_MAX_TOKENS
    segments_written: dict[str, int] = field(default_factory=lambda: {"draft": 0, "pack": 0})
    _draft: str | None = None
    _rows: list[tuple[PickRow, PickContext, tuple[Card, ...]]] = field(default_factory=list)
    _kept: bool = True
    _done: set[str] = field(default_factory=set)

    def add(self, row: PickRow, ctx: PickContext, picked: tuple[Card, ...], kept: bool) -> list[Finished]:
        """Add a row; returns the previous draft once a new one starts."""
        out: list[Finished] = []
        if row.draft_id != self._draft:
            out = self.finish()
            if row.draft_id in self._done:
                raise ConversationDataError(
                    f"the rows of draft {row.draft_id!r} are not together in the file: the conversation format needs "
                    "each draft's picks in one block (17lands files are; sort the file by draft_id and pick)")
            self._draft = row.draft_id
        self._rows.append((row, ctx, picked))
        self._kept = self._kept and kept
        return out

    def finish(self) -> list[Finished]:
        if self._draft is None:
            return []
        rows, kept, draft = self._rows, self._kept, self._draft
        self._done.add(draft)
        self._draft, self._rows, self._kept = None, [], True
        examples = self.sequences(rows) if kept else []
        return [Finished(draft, examples, [r for r, _, _ in rows], kept)]

    def sequences(self, rows: list[tuple[PickRow, PickContext, tuple[Card, ...]]]) -> list[dict]:
        last_row, last_ctx, last_picked = rows[-1]
        if self.segment is not Segment.PACK:
            msgs = self.fmt.sequence(last_ctx, last_picked)
            est = estimate_tokens(msgs)
            if self.segment is Segment.DRAFT or est <= self.max_tokens:
                self.segments_written["draft"] += 1
                return [self._example(msgs, rows, "draft", est)]
        out = []
        for p in sorted({r.pack_number for r, _, _ in rows}):
            part = [t for t in rows if t[0].pack_number == p]
            _, ctx, picked = part[-1]
            msgs = self.fmt.sequence(ctx, picked, since_pack=p)
            out.append(self._example(msgs, part, "pack", estimate_tokens(msgs)))
            self.segments_written["pack"] += 1
        return out

    def _example(self, msgs: list[dict], rows, segment: str, est: int) -> dict:
        last = rows[-1][0]
        turns = []
        for r, ctx, picked in rows:
            t = {"pack": r.pack_number, "pick": r.pick_number, "candidates": list(r.pack), "picked": r.pick}
            if r.pick_2:
                t["picked_2"] = r.pick_2
            if self.fmt.answers_differ_from_names:  # answer=label: what is scored is "C) Name", not the name
                t["cards"], t["candidates"] = t["candidates"], list(self.fmt.answers(ctx))
                t["picked"] = self.fmt.answer(picked[0], ctx)
                if r.pick_2 and len(picked) > 1:
                    t["picked_2"] = self.fmt.answer(picked[1], ctx)
            turns.append(t)
        n_answers = sum(1 for m in msgs if m["role"] == "assistant")
        if n_answers != len(turns):  # a draft with gaps: earlier rows the history had but this segment lacks
            turns = turns[-n_answers:]
        meta = {"draft_id": last.draft_id, "set": last.set_code, "event": last.event_type, "format": self.fmt.name,
                "format_version": self.fmt.version, "segment": segment,
                "packs": sorted({t["pack"] for t in turns}), "n_picks": len(turns), "turns": turns,
                "est_tokens": est, "pack": last.pack_number, "pick": last.pick_number, "candidates": list(last.pack),
                "pool": list(last.pool), "picked": last.pick, "pool_ordered": last.pool_ordered}
        if last.pick_2:
            meta["picked_2"] = last.pick_2
        return {"messages": msgs, "meta": meta}


def pick_prompts(example: dict) -> Iterator[tuple[list[dict], list[str], str]]:
    """(prompt messages, candidate names, the human's pick) for every supervised pick of a sequence."""
    msgs = example["messages"]
    turns = example["meta"]["turns"]
    answers = [i for i, m in enumerate(msgs) if m["role"] == "assistant"]
    for k, turn in zip(answers, turns):
        yield msgs[:k], list(turn["candidates"]), turn["picked"]


def per_pick_examples(example: dict) -> list[dict]:
    """Any dataset line as per-pick examples {"messages": prompt + [answer], "meta": {...}}: a per-pick (v1) line
    unchanged, a conversation line one example per assistant turn (for validation and preference pairs)."""
    meta = example.get("meta") or {}
    if "turns" not in meta:
        return [example]
    out = []
    for (prompt, cands, picked), turn in zip(pick_prompts(example), meta["turns"]):
        answer = next(m["content"] for m in example["messages"][len(prompt):] if m["role"] == "assistant")
        out.append({"messages": prompt + [{"role": "assistant", "content": answer}],
                    "meta": {"draft_id": meta.get("draft_id"), "set": meta.get("set"), "format": meta.get("format"),
                             "pack": turn["pack"], "pick": turn["pick"], "candidates": cands, "picked": picked}})
    return out
