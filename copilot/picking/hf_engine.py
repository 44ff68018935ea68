"""Pick engine on a transformers causal LM from a local folder (+ an optional PEFT/LoRA adapter folder).

Same scoring as the GGUF engine: the prompt (prompt format messages through the tokenizer's chat template with
`add_generation_prompt=True`) is run once and its `past_key_values` kept; then every distinct card's answer
tokens + the template's end-of-turn token are scored on top of that cache in ONE batched forward pass (the prompt
cache is expanded to the number of candidates, candidates right-padded and masked). Σ log p(token) per card,
probabilities normalised over the pack.

4-bit NF4 (bitsandbytes) when CUDA and bitsandbytes are present, bf16 on CUDA otherwise, fp32 on CPU. Loads only
local folders (never the hub). `rank_many` loops.
"""
from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

from copilot.backends import missing
from copilot.picking.engine import CardScore, EngineBase, PickContext, Recommendation


class HFEngineError(RuntimeError):
    pass


class HFEngine(EngineBase):
    name = "hf"

    def __init__(self, model: str | os.PathLike | None = None, adapter: str | os.PathLike | None = None,
                 format: str | None = None, quantize: str | None = "auto", device: str | None = None,
                 n_threads: int | None = None):
        self.model_dir = Path(model).expanduser() if model else None
        self.adapter_dir = Path(adapter).expanduser() if adapter else None
        self.format_name = format
        self.quantize = quantize  # "auto" (4-bit on CUDA when bitsandbytes exists), "4bit", "none"
        self.device = device
        self.n_threads = int(n_threads) if n_threads else None
        self._model = None
        self._tok = None
        self._fmt = None
        self._end_ids: list[int] | None = None
        self._lock = threading.RLock()
        self.load_info: dict = {}

    @classmethod
    def from_options(cls, options: dict | None) -> "HFEngine":
        o = dict(options or {})
        return cls(model=o.get("model"), adapter=o.get("adapter") or None, format=o.get("format") or None,
                   quantize=o.get("quantize", "auto"), device=o.get("device"),
                   n_threads=o.get("n_threads") or o.get("threads"))

    def __repr__(self) -> str:
        return f"HFEngine(model={str(self.model_dir)!r}, adapter={str(self.adapter_dir) if self.adapter_dir else None!r})"

    # ---------------------------------------------------------------- checks
    def _check_dirs(self) -> None:
        if self.model_dir is None:
            raise HFEngineError("no model folder configured: pass --model DIR (a transformers folder with "
                                "config.json, the weights and the tokenizer)")
        if not self.model_dir.is_dir():
            raise HFEngineError(f"{self.model_dir} is not a folder: the hf engine loads a local transformers "
                                f"folder (a .gguf file needs the gguf engine)")
        if not (self.model_dir / "config.json").is_file():
            raise HFEngineError(f"{self.model_dir} has no config.json: not a transformers model folder")
        if self.adapter_dir is not None:
            if not (self.adapter_dir / "adapter_config.json").is_file():
                raise HFEngineError(f"{self.adapter_dir} has no adapter_config.json: not a PEFT adapter folder")

    def available(self) -> tuple[bool, str]:
        if missing("torch", "transformers"):
            return False, "torch/transformers are not installed: `pip install 'magic-copilot[train]'`"
        if self.adapter_dir is not None and missing("peft"):
            return False, "an adapter needs peft: `pip install 'magic-copilot[train]'`"
        try:
            self._check_dirs()
            from copilot.picking.prompts import get_format

            get_format(self.format_name)
        except (HFEngineError, ValueError) as exc:
            return False, str(exc)
        return True, ""

    @property
    def model_label(self) -> str | None:
        if self.model_dir is None:
            return None
        return self.model_dir.name + (f" + {self.adapter_dir.name}" if self.adapter_dir else "")

    # ---------------------------------------------------------------- loading
    def load(self):
        if self._model is not None:
            return self._model
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from copilot.picking.prompts import get_format

        self._check_dirs()
        self._fmt = get_format(self.format_name)
        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        cuda = torch.cuda.is_available() and self.device in (None, "cuda")
        kwargs: dict = {"local_files_only": True}
        quant = "none"
        if cuda:
            want4 = self.quantize in ("auto", "4bit", "nf4")
            bnb = False
            if want4:
                try:
                    import bitsandbytes  # noqa: F401

                    bnb = True
                except ImportError:
                    bnb = False
            if want4 and bnb:
                from transformers import BitsAndBytesConfig

                kwargs["quantization_config"] = BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                    bnb_4bit_compute_dtype=torch.bfloat16)
                kwargs["device_map"] = {"": 0}
                quant = "nf4"
            else:
                kwargs["dtype"] = torch.bfloat16
            device = "cuda"
        else:
            kwargs["dtype"] = torch.float32
            device = "cpu"
        tok = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(str(self.model_dir), **kwargs)
        if self.adapter_dir is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(self.adapter_dir), is_trainable=False)
        if quant == "none":
            model.to(device)
        model.eval()
        self._tok, self._model, self._device = tok, model, device
        self.load_info = {"device": device, "quantization": quant, "dtype": str(kwargs.get("dtype", "nf4"))}
        return model

    def close(self) -> None:
        self._model = None

    # ---------------------------------------------------------------- tokens
    def prompt_ids(self, ctx: PickContext) -> tuple[list[int], list[dict]]:
        msgs = self._fmt.messages(ctx)
        tok = self._tok
        if getattr(tok, "chat_template", None):
            ids = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True, return_dict=False)
            if isinstance(ids, dict) or hasattr(ids, "input_ids"):
                ids = ids["input_ids"]
            return list(ids), msgs
        from copilot.picking.chat_template import PLAIN_TEMPLATE, ChatTemplate

        text = ChatTemplate(PLAIN_TEMPLATE).render(msgs)
        return tok(text, add_special_tokens=True)["input_ids"], msgs

    def end_ids(self, msgs: list[dict]) -> list[int]:
        if self._end_ids is None:
            tok = self._tok
            suffix = ""
            if getattr(tok, "chat_template", None):
                from copilot.picking.chat_template import ChatTemplate

                try:
                    suffix = ChatTemplate(tok.chat_template, tok.bos_token or "", tok.eos_token or "") \
                        .answer_suffix(msgs)
                except Exception:  # noqa: BLE001 - an exotic template: fall back to EOS
                    suffix = ""
            else:
                suffix = "\n"
            ids = tok(suffix, add_special_tokens=False)["input_ids"] if suffix else []
            if not ids and tok.eos_token_id is not None:
                ids = [tok.eos_token_id]
            if not ids:
                raise HFEngineError("the tokenizer has neither a chat template end marker nor an EOS token")
            self._end_ids = ids[:1]
        return self._end_ids

    def candidate_ids(self, answer: str, end: list[int]) -> list[int]:
        return self._tok(answer, add_special_tokens=False)["input_ids"] + end

    # ---------------------------------------------------------------- scoring
    def score(self, prompt_ids: list[int], cands: dict[str, list[int]]) -> dict[str, float]:
        """Σ log p over each candidate's tokens after the prompt: prompt once, candidates in one batch."""
        import torch
        from transformers import DynamicCache

        model = self._model
        dev = self._device
        keys = list(cands)
        with torch.inference_mode():
            p = torch.tensor([prompt_ids], device=dev)
            out = model(input_ids=p, use_cache=True)
            first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            cache = out.past_key_values
            scores = {k: float(first[cands[k][0]]) for k in keys}
            feeds = [cands[k][:-1] for k in keys]  # the last token is only read
            longest = max(len(f) for f in feeds)
            if longest == 0:
                return scores
            n = len(keys)
            if isinstance(cache, DynamicCache):
                cache.batch_repeat_interleave(n)
            else:  # pragma: no cover - legacy tuple caches
                cache = tuple((k.repeat_interleave(n, 0), v.repeat_interleave(n, 0)) for k, v in cache)
            pad = self._tok.pad_token_id if self._tok.pad_token_id is not None else 0
            ids = torch.full((n, longest), pad, dtype=torch.long, device=dev)
            cand_mask = torch.zeros((n, longest), dtype=torch.long, device=dev)
            for i, f in enumerate(feeds):
                if f:
                    ids[i, :len(f)] = torch.tensor(f, device=dev)
                    cand_mask[i, :len(f)] = 1
            attn = torch.cat([torch.ones((n, len(prompt_ids)), dtype=torch.long, device=dev), cand_mask], dim=1)
            pos = torch.arange(len(prompt_ids), len(prompt_ids) + longest, device=dev).unsqueeze(0).expand(n, -1)
            out2 = model(input_ids=ids, attention_mask=attn, position_ids=pos, past_key_values=cache,
                         use_cache=True)
            logp = torch.log_softmax(out2.logits.float(), dim=-1)
            for i, k in enumerate(keys):
                toks = cands[k]
                for j in range(len(toks) - 1):
                    scores[k] += float(logp[i, j, toks[j + 1]])
        return scores

    def rank(self, ctx: PickContext) -> Recommendation:
        start = time.perf_counter()
        if not ctx.pack:
            return Recommendation(engine=self.name, model=self.model_label, error="the pack is empty")
        try:
            with self._lock:
                self.load()
                prompt, msgs = self.prompt_ids(ctx)
                end = self.end_ids(msgs)
                unique: dict[str, object] = {}
                for card in ctx.pack:
                    unique.setdefault(self._fmt.answer(card), card)
                cands = {a: self.candidate_ids(a, end) for a in unique}
                limit = getattr(self._model.config, "max_position_embeddings", None)
                need = len(prompt) + max(len(c) for c in cands.values())
                if limit and need > limit:
                    raise HFEngineError(f"the prompt needs {need} tokens but the model handles {limit}: use a "
                                        f"more compact prompt format (e.g. v1-compact)")
                scores = self.score(prompt, cands)
        except (HFEngineError, ValueError, OSError) as exc:
            return Recommendation(engine=self.name, model=self.model_label, error=str(exc),
                                  latency_ms=(time.perf_counter() - start) * 1000.0)
        m = max(scores.values())
        z = sum(math.exp(s - m) for s in scores.values())
        ranked = [CardScore(card=unique[a], score=s, probability=math.exp(s - m) / z)
                  for a, s in sorted(scores.items(), key=lambda kv: -kv[1])]
        evaluated = len(prompt) + sum(max(0, len(c) - 1) for c in cands.values())
        return Recommendation(engine=self.name, ranked=ranked, model=self.model_label,
                              latency_ms=(time.perf_counter() - start) * 1000.0, tokens_evaluated=evaluated)
