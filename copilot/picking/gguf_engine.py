"""The local LLM pick engine: a GGUF model run by llama.cpp (llama-cpp-python).

Scoring: the prompt (the prompt format's messages rendered with the model's own chat template, tokenized with
special tokens) is evaluated once; then for each distinct card of the pack the answer text (`fmt.answers(ctx)`)
followed by the template's end-of-turn token is teacher-forced on top of the kept KV cache, and its log-probability
is Σ log p(token). Each candidate is decoded as one batch with logits on its positions through llama.cpp's public
C API (`llama_decode`, `llama_get_logits_ith`, `llama_memory_seq_rm`), then removed from the KV cache: the method
M5 of stack-notes §2.3, which matched the naive full re-evaluation exactly there. The last token of a candidate
never needs evaluating (only its probability is read), so a one-token name costs one token.

KV reuse: the engine keeps what llama.cpp has evaluated (`llm.input_ids[:llm.n_tokens]`); a new prompt is
compared with it and only the part after the longest common prefix is evaluated. The v1 prompt layout puts the pool
(which only grows) before the volatile pick/pack lines, so consecutive picks of one draft share most of their prompt.
`Recommendation.tokens_evaluated` counts prompt + candidate tokens actually evaluated for the pick.

Conversation formats (``conversation``, prompt format v2): the prompt of pick N+1 is the prompt of pick N plus the
answer taken and the new user turn, so the same prefix reuse keeps the draft's conversation in the KV cache and each
pick evaluates only those new tokens. The context is sized for a whole draft from the start (`CONVERSATION_CTX`,
at most the model's training context), so it never reloads mid-draft; a conversation longer than the training
window is cut to the current pack (with the pool reminder), and ``segment=pack`` always cuts it there, as does a
model whose GGUF says it was trained on per-pack sequences (``copilot.segment``, written by `copilot export`): the
model then sees each pick as in training, and packs 2-3 evaluate a shorter context. One engine holds one
conversation: the simulator gives each LLM seat its own engine.

`rank_many` loops: llama-cpp-python builds its context with one sequence, so independent prompts cannot be batched.

First-token scoring (`score=first`; `auto`, the default, uses it for formats that answer with a label): with
``answer=label`` every candidate starts with its own letter, the decision, and the name after it copies the pack
line; a candidate is then scored by the log-probability of its first token alone, read from the logits the prompt
already gave, so a pick evaluates only its new turn and no candidate tokens. Where two candidates share a first
token the full sum is used. `score=full` always sums every token (what training's validation computes).

Grammar mode (`grammar=True`): greedy generation constrained to a GBNF alternation of the pack's names; fast, always
a pack card, but only the top card is meaningful (the rest keep pack order with score -inf).
"""
from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Sequence

from copilot.picking.engine import CardScore, EngineBase, PickContext, Recommendation
from copilot.picking.model_files import GGUFInfo, ModelFileError, validate_gguf

CTX_STEP = 512
MIN_CTX = 2048
CONVERSATION_CTX = 8192  # a whole DSK draft in the conversation format is ~6k tokens (bench/bench_formats.py)
SCORE_MODES = ("auto", "full", "first")


class EngineError(RuntimeError):
    """A configuration or runtime problem with a clear message."""


def default_threads() -> int:
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
        if n:
            return int(n)
    except Exception:  # noqa: BLE001 - psutil is optional
        pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


OPTION_KEYS = frozenset({"model", "model_path", "adapter", "format", "n_threads", "threads", "n_ctx", "grammar",
                         "kv_reuse", "store_root", "segment", "score"})


def _truthy(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "on", "grammar")
    return bool(v)


class GGUFEngine(EngineBase):
    name = "gguf"

    def __init__(self, model: str | os.PathLike | None = None, adapter: str | os.PathLike | None = None,
                 format: str | None = None, n_threads: int | None = None, n_ctx: int | None = None,
                 grammar: bool = False, kv_reuse: bool = True, store_root: str | os.PathLike | None = None,
                 verbose: bool = False, segment: str = "auto", score: str = "auto"):
        self._model_opt = Path(model).expanduser() if model else None
        self._adapter_opt = Path(adapter).expanduser() if adapter else None
        self._format_opt = format
        self.n_threads = int(n_threads) if n_threads else default_threads()
        self._n_ctx_opt = int(n_ctx) if n_ctx else None
        self.grammar = bool(grammar)
        self.kv_reuse = bool(kv_reuse)
        self._store_root = store_root
        self.verbose = verbose
        if segment not in ("auto", "pack"):
            raise ValueError(f"segment={segment!r}: expected auto (the whole draft when it fits) or pack")
        self.segment = segment
        if score not in SCORE_MODES:
            raise ValueError(f"score={score!r}: expected one of {', '.join(SCORE_MODES)}")
        self.score = score
        self._llm = None
        self._info: GGUFInfo | None = None
        self._template = None
        self._end_ids: list[int] | None = None
        self._fmt = None
        self._resolved: tuple[Path, str | None, str] | None = None
        self._lock = threading.RLock()
        self._draft_key: str | None = None
        self.loads = 0  # how many times a llama.cpp context was created (context growth reloads)
        self.last_split: tuple[int, int] = (0, 0)  # (prompt, candidate) tokens evaluated by the last ranking
        self._last_tokens: tuple | None = None  # (messages list, llama context, its tokens)

    @classmethod
    def from_options(cls, options: dict | None) -> "GGUFEngine":
        o = dict(options or {})
        unknown = sorted(set(o) - OPTION_KEYS)
        if unknown:  # an ignored option would silently run the model another way than asked
            raise ValueError(f"unknown gguf option(s) {', '.join(unknown)}; known: {', '.join(sorted(OPTION_KEYS))}. "
                             f"In a seat spec commas separate options, so format= cannot carry a format with "
                             f"options (conversation:a=1,b=2): leave it out, a model exported by `copilot export` "
                             f"names its own format")
        return cls(model=o.get("model") or o.get("model_path"), adapter=o.get("adapter") or None,
                   format=o.get("format") or None, n_threads=o.get("n_threads") or o.get("threads"),
                   n_ctx=o.get("n_ctx"), grammar=_truthy(o.get("grammar", False)),
                   kv_reuse=_truthy(o.get("kv_reuse", True)), store_root=o.get("store_root"),
                   segment=str(o.get("segment") or "auto"), score=str(o.get("score") or "auto"))

    def __repr__(self) -> str:
        return f"GGUFEngine(model={str(self._model_opt) if self._model_opt else 'active'!r}, grammar={self.grammar})"

    # ---------------------------------------------------------------- configuration
    def _resolve(self) -> tuple[Path, str | None, str]:
        """(gguf path, prompt format name or None, label) from the options or the model store's active model."""
        if self._resolved is not None:
            return self._resolved
        if self._model_opt is not None:
            res = (self._model_opt, self._format_opt or self._own_format(), self._model_opt.name)
        else:
            from copilot.store.model_store import ModelStore

            entry = ModelStore(self._store_root).active()
            if entry is None:
                raise EngineError("no model configured and no active model in the model store: train and export "
                                  "one (`copilot train`, `copilot export`), activate one with `copilot models "
                                  "activate NAME`, or pass a GGUF file with --model")
            problem = getattr(entry, "problem", None)
            if problem:
                raise EngineError(f"the active model {entry.name!r} cannot be used: {problem}")
            # the model's own prompt format wins over a --format option: it is what it was trained on
            res = (Path(entry.gguf_path), entry.prompt_format or self._format_opt, entry.name)
        self._resolved = res
        return res

    def _own_format(self) -> str | None:
        """The prompt format the model file names itself (an export's copilot.prompt_format), so that `--model m.gguf`
        without a format runs the model as it was trained; None when it names none (or cannot be read: loading it
        then reports the file's problem). The parsed header is kept for `_load`."""
        try:
            self._info = validate_gguf(self._model_opt, "model")
        except ModelFileError:
            return None
        return self._info.prompt_format

    def available(self) -> tuple[bool, str]:
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            return False, ("llama-cpp-python is not installed: `pip install 'magic-copilot[llm]'` "
                           "(it compiles llama.cpp, ~4 minutes)")
        except Exception as exc:  # noqa: BLE001 - a broken native build
            return False, f"llama-cpp-python cannot be loaded: {type(exc).__name__}: {exc}"
        try:
            path, fmt, _ = self._resolve()
            info = validate_gguf(path, "model")
            if self._adapter_opt is not None:
                validate_gguf(self._adapter_opt, "adapter", base=info)
            from copilot.picking.prompts import get_format

            get_format(fmt)
        except (EngineError, ModelFileError, ValueError) as exc:
            return False, str(exc)
        return True, ""

    @property
    def conversational(self) -> bool:
        """Whether the prompt format replays the draft as one conversation (then one engine per draft/seat)."""
        try:
            from copilot.picking.prompts import get_format

            return bool(getattr(get_format(self._resolve()[1]), "conversational", False))
        except (EngineError, ValueError):
            return False

    @property
    def model_label(self) -> str | None:
        try:
            label = self._resolve()[2]
        except EngineError:
            return None
        if self._adapter_opt is not None:
            label += f" + {self._adapter_opt.name}"
        return label

    # ---------------------------------------------------------------- loading
    def _load(self, n_ctx_needed: int = 0):
        """Create (or grow) the llama.cpp context. Validates the files first: a bad lora_path segfaults llama.cpp."""
        import llama_cpp

        path, fmt_name, _ = self._resolve()
        if self._fmt is None:
            self._info = self._info or validate_gguf(path, "model")
            if self._adapter_opt is not None:
                validate_gguf(self._adapter_opt, "adapter", base=self._info)
            from copilot.picking.prompts import get_format

            self._fmt = get_format(fmt_name)
        n_train = self._info.context_length
        floor = CONVERSATION_CTX if getattr(self._fmt, "conversational", False) else MIN_CTX
        want = max(self._n_ctx_opt or floor, n_ctx_needed)
        want = int(math.ceil(want / CTX_STEP) * CTX_STEP)
        if n_train:
            if n_ctx_needed > n_train:
                raise EngineError(f"the prompt needs {n_ctx_needed} tokens but {path.name} was trained with a "
                                  f"context of {n_train}: use a more compact prompt format (e.g. v1-compact) or a "
                                  f"model with a longer context")
            want = min(want, n_train)
        if self._llm is not None and self._llm.n_ctx() >= want:
            return self._llm
        if self._llm is not None:
            self._llm.close()
            self._llm = None
        self._llm = llama_cpp.Llama(model_path=str(path), n_ctx=want, n_batch=min(512, want),
                                    n_threads=self.n_threads, n_threads_batch=self.n_threads, logits_all=False,
                                    lora_path=str(self._adapter_opt) if self._adapter_opt else None,
                                    verbose=self.verbose)
        self.loads += 1
        self._template = None
        self._end_ids = None
        return self._llm

    def _chat_template(self):
        if self._template is None:
            from copilot.picking.chat_template import from_metadata

            meta = dict(self._info.metadata)
            if not isinstance(meta.get("tokenizer.chat_template"), str):
                meta.pop("tokenizer.chat_template", None)
            llm = self._llm
            self._template = from_metadata(meta, token_text=lambda i: llm.detokenize([i], special=True)
                                           .decode("utf-8", errors="replace"))
        return self._template

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    # ---------------------------------------------------------------- prompt
    def _tokenize(self, text: str, special: bool, add_bos: bool = False) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)

    def prompt_tokens(self, ctx: PickContext) -> tuple[list[int], list[dict]]:
        msgs = self.messages(ctx)
        return self._message_tokens(msgs), msgs

    def messages(self, ctx: PickContext) -> list[dict]:
        """The chat for this pick, as the model saw its training sequences: a conversation is cut to the current
        pack (with the pool reminder) with segment=pack, or when the model was trained on per-pack sequences
        (copilot.segment), or when the whole draft would not fit its training window (copilot.train_seq_len, else
        the model's context length)."""
        if not getattr(self._fmt, "conversational", False):
            return self._fmt.messages(ctx)
        info = self._info
        if self.segment == "pack" or (info is not None and info.trained_segment == "pack"):
            return self._fmt.messages(ctx, since_pack=ctx.pack_number)
        msgs = self._fmt.messages(ctx)
        windows = [n for n in (info.context_length, info.trained_seq_len) if n] if info is not None else []
        n_train = min(windows) if windows else 0
        if n_train and len(self._message_tokens(msgs)) + 64 > n_train:
            msgs = self._fmt.messages(ctx, since_pack=ctx.pack_number)
        return msgs

    def _message_tokens(self, msgs: list[dict]) -> list[int]:
        last = self._last_tokens  # `messages` tokenized this very list to check its length: not twice per pick
        if last is not None and last[0] is msgs and last[1] is self._llm:
            return last[2]
        tmpl = self._chat_template()
        text = tmpl.render(msgs, add_generation_prompt=True)
        add_bos = not (tmpl.bos_token and text.startswith(tmpl.bos_token))
        tokens = self._tokenize(text, special=True, add_bos=add_bos)
        self._last_tokens = (msgs, self._llm, tokens)
        return tokens

    def end_ids(self, msgs: list[dict]) -> list[int]:
        """The end-of-turn token the template writes after an answer (e.g. <|im_end|>); EOS if it writes none."""
        if self._end_ids is None:
            suffix = self._chat_template().answer_suffix(msgs)
            ids = self._tokenize(suffix, special=True) if suffix else []
            self._end_ids = ids[:1] or [self._llm.token_eos()]
        return self._end_ids

    # ---------------------------------------------------------------- evaluation
    def _eval_prompt(self, tokens: list[int], reuse: bool) -> int:
        """Bring the KV cache to `tokens`, reusing the longest common prefix; returns tokens evaluated."""
        llm = self._llm
        keep = 0
        if reuse and llm.n_tokens:
            cached = llm.input_ids[:llm.n_tokens]
            n = min(len(cached), len(tokens))
            while keep < n and cached[keep] == tokens[keep]:
                keep += 1
            keep = min(keep, len(tokens) - 1)  # always evaluate >= 1 token: its logits start the scoring
        else:
            llm.reset()
        llm.n_tokens = keep
        llm.eval(tokens[keep:])
        return len(tokens) - keep

    def _last_logprobs(self, i: int = -1):
        import llama_cpp
        import numpy as np

        nv = self._llm.n_vocab()
        ptr = llama_cpp.llama_get_logits_ith(self._llm.ctx, i)
        if not ptr:
            raise EngineError(f"llama.cpp returned no logits for output {i}")
        x = np.ctypeslib.as_array(ptr, shape=(nv,)).astype(np.float64)
        m = x.max()
        return x - (m + math.log(np.exp(x - m).sum()))

    def _score_candidates(self, n_prompt: int, cands: dict[str, list[int]]) -> tuple[dict[str, float], int]:
        """Teacher-forced log-prob of each candidate on top of the prompt KV. Returns (scores, tokens evaluated)."""
        import llama_cpp

        llm = self._llm
        first = self._last_logprobs(-1)
        longest = max(len(t) for t in cands.values())
        batch = llama_cpp.llama_batch_init(max(1, longest), 0, 1)
        mem = llama_cpp.llama_get_memory(llm.ctx)
        scores: dict[str, float] = {}
        evaluated = 0
        try:
            for key, toks in cands.items():
                lp = float(first[toks[0]])
                feed = toks[:-1]  # the last token is only read, never evaluated
                if feed:
                    batch.n_tokens = len(feed)
                    for j, t in enumerate(feed):
                        batch.token[j] = t
                        batch.pos[j] = n_prompt + j
                        batch.n_seq_id[j] = 1
                        batch.seq_id[j][0] = 0
                        batch.logits[j] = True
                    rc = llama_cpp.llama_decode(llm.ctx, batch)
                    if rc != 0:
                        raise EngineError(f"llama_decode failed with code {rc} while scoring {key!r}")
                    for j in range(len(feed)):
                        lp += float(self._last_logprobs(j)[toks[j + 1]])
                    llama_cpp.llama_memory_seq_rm(mem, 0, n_prompt, -1)
                    evaluated += len(feed)
                scores[key] = lp
        finally:
            llama_cpp.llama_batch_free(batch)
        return scores, evaluated

    # ---------------------------------------------------------------- ranking
    def rank(self, ctx: PickContext, reuse: bool | None = None) -> Recommendation:
        """Rank the pack; `reuse=False` evaluates the whole prompt again (a cold pick, for comparisons)."""
        try:
            return self._rank(ctx, reuse)
        except (EngineError, ModelFileError, ValueError) as exc:
            return Recommendation(engine=self.name, model=self.model_label, error=str(exc))

    def _rank(self, ctx: PickContext, reuse: bool | None) -> Recommendation:
        start = time.perf_counter()
        if not ctx.pack:
            return Recommendation(engine=self.name, model=self.model_label, error="the pack is empty")
        reuse = self.kv_reuse if reuse is None else reuse
        with self._lock:
            if self._llm is None:
                self._load()
            self._draft_key = ctx.draft_key  # informative: the prefix check alone decides what is reused
            msgs = self.messages(ctx)
            unique = self._fmt.answers(ctx)
            if self.grammar:
                tokens, _ = self._prepare(msgs, list(unique))
                return self._rank_grammar(ctx, tokens, unique, reuse, start)
            scores, evaluated = self._score(msgs, list(unique), reuse)
        m = max(scores.values())
        z = sum(math.exp(s - m) for s in scores.values())
        ranked = [CardScore(card=unique[a], score=s, probability=math.exp(s - m) / z)
                  for a, s in sorted(scores.items(), key=lambda kv: -kv[1])]
        order_note = getattr(self._fmt, "order_note", None)
        return Recommendation(engine=self.name, ranked=ranked, model=self.model_label,
                              latency_ms=(time.perf_counter() - start) * 1000.0, tokens_evaluated=evaluated,
                              note=order_note(ctx.set_code) if order_note else None)

    def score_messages(self, messages: list[dict], answers: Sequence[str],
                       reuse: bool | None = None) -> dict[str, float]:
        """{answer: Σ log p(answer + end-of-turn | messages)} for the distinct `answers`: what `rank` computes for
        a pack, on messages that are already rendered (e.g. a dataset's validation example). Raises EngineError,
        ModelFileError or ValueError (chat template) with a clear message."""
        if not answers:
            return {}
        reuse = self.kv_reuse if reuse is None else reuse
        with self._lock:
            if self._llm is None:
                self._load()
            return self._score(list(messages), list(dict.fromkeys(answers)), reuse)[0]

    def load(self) -> None:
        """Validate the files and create the llama.cpp context now (otherwise the first pick does it)."""
        with self._lock:
            if self._llm is None:
                self._load()

    @property
    def n_vocab(self) -> int | None:
        return self._llm.n_vocab() if self._llm is not None else None

    def _prepare(self, msgs: list[dict], answers: list[str]) -> tuple[list[int], dict[str, list[int]]]:
        """Prompt tokens and candidate tokens; grows the context (a reload) when the prompt needs it."""
        tokens = self._message_tokens(msgs)
        end = self.end_ids(msgs)
        cands = {ans: self._tokenize(ans, special=False) + end for ans in answers}
        need = len(tokens) + max(len(t) for t in cands.values()) + 8
        if need > self._llm.n_ctx():
            self._load(need)  # grows the context (reload); raises when n_ctx_train is exceeded
            tokens = self._message_tokens(msgs)
        return tokens, cands

    def _score(self, msgs: list[dict], answers: list[str], reuse: bool) -> tuple[dict[str, float], int]:
        """(scores, prompt + candidate tokens evaluated); the caller holds the lock with a loaded context."""
        tokens, cands = self._prepare(msgs, answers)
        evaluated = self._eval_prompt(tokens, reuse)
        if self._first_token_only(cands):
            first = self._last_logprobs(-1)
            scores, n_cand = {k: float(first[t[0]]) for k, t in cands.items()}, 0
        else:
            scores, n_cand = self._score_candidates(len(tokens), cands)
        self.last_split = (evaluated, n_cand)
        return scores, evaluated + n_cand

    def _first_token_only(self, cands: dict[str, list[int]]) -> bool:
        """Score by the first token alone: asked for (score=first), or score=auto with a format that answers with
        a label; only when no two candidates share their first token."""
        wanted = self.score == "first" or (self.score == "auto" and self._fmt.answers_differ_from_names)
        return wanted and len({t[0] for t in cands.values()}) == len(cands)

    def _rank_grammar(self, ctx, tokens, unique, reuse, start) -> Recommendation:
        from llama_cpp import LlamaGrammar

        llm = self._llm
        gbnf = "root ::= " + " | ".join(json.dumps(a, ensure_ascii=False) for a in unique)
        grammar = LlamaGrammar.from_string(gbnf, verbose=self.verbose)
        if not reuse:
            llm.reset()
        keep = 0
        if llm.n_tokens:
            cached = llm.input_ids[:llm.n_tokens]
            n = min(len(cached), len(tokens))
            while keep < n and cached[keep] == tokens[keep]:
                keep += 1
        keep = min(keep, len(tokens) - 1)
        llm.n_tokens = keep  # generate() re-evaluates from here (>= 1 token, so its logits are fresh)
        longest = max(len(self._tokenize(a, special=False)) for a in unique)
        out = llm.create_completion(prompt=tokens, grammar=grammar, max_tokens=longest + 2, temperature=0.0,
                                    top_k=1, stream=False)
        text = out["choices"][0]["text"]
        n_gen = int(out.get("usage", {}).get("completion_tokens") or 0)
        chosen = text.strip()
        if chosen not in unique:
            return Recommendation(engine=self.name, model=self.model_label,
                                  latency_ms=(time.perf_counter() - start) * 1000.0,
                                  error=f"grammar generation ended before a full card name: {text!r}")
        ranked = [CardScore(card=unique[chosen], score=0.0, probability=None)]
        ranked += [CardScore(card=c, score=float("-inf"), probability=None) for a, c in unique.items()
                   if a != chosen]
        return Recommendation(engine=self.name, ranked=ranked, model=self.model_label,
                              latency_ms=(time.perf_counter() - start) * 1000.0,
                              tokens_evaluated=len(tokens) - keep + n_gen,
                              note="grammar mode: greedy constrained answer; only the top card is ranked")

    def rank_many(self, ctxs: Sequence[PickContext]) -> list[Recommendation]:
        from copilot.picking.engine import safe_rank

        return [safe_rank(self, c) for c in ctxs]
