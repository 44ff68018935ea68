"""Pick engine on a transformers causal LM from a local folder (+ an optional PEFT/LoRA adapter folder).

Scoring is `copilot.picking.scoring` (the scorer the trainer's validation uses too): the prompt (prompt format
messages through the tokenizer's chat template with `add_generation_prompt=True`) is run once and its
`past_key_values` kept; then every distinct card's answer tokens + the template's end-of-turn token are scored on
top of that cache in ONE batched forward pass. Σ log p(token) per card, probabilities normalised over the pack.

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
from copilot.picking.scoring import ChatEncoder, ScoringError, candidate_logprobs


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
        self._encoder: ChatEncoder | None = None
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
        try:
            self._encoder = ChatEncoder(tok)
        except ScoringError as exc:
            raise HFEngineError(f"{self.model_dir}: {exc}") from None
        self._tok, self._model, self._device = tok, model, device
        self.load_info = {"device": device, "quantization": quant, "dtype": str(kwargs.get("dtype", "nf4"))}
        return model

    def close(self) -> None:
        self._model = None

    # ---------------------------------------------------------------- tokens
    def prompt_ids(self, ctx: PickContext) -> tuple[list[int], list[dict]]:
        """The prompt's token ids for `ctx` and the messages they were rendered from."""
        msgs = self._fmt.messages(ctx)
        return self._encoder.prompt_ids(msgs), msgs

    def candidate_ids(self, answer: str) -> list[int]:
        return self._encoder.candidate_ids(answer)

    def rank(self, ctx: PickContext) -> Recommendation:
        start = time.perf_counter()
        if not ctx.pack:
            return Recommendation(engine=self.name, model=self.model_label, error="the pack is empty")
        try:
            with self._lock:
                self.load()
                prompt, _ = self.prompt_ids(ctx)
                unique = self._fmt.answers(ctx)
                cands = {a: self.candidate_ids(a) for a in unique}
                limit = getattr(self._model.config, "max_position_embeddings", None)
                need = len(prompt) + max(len(c) for c in cands.values())
                if limit and need > limit:
                    raise HFEngineError(f"the prompt needs {need} tokens but the model handles {limit}: use a "
                                        f"more compact prompt format (e.g. v1-compact)")
                scores = candidate_logprobs(self._model, prompt, cands, device=self._device,
                                            pad_id=self._encoder.pad_id)
        except (HFEngineError, ValueError, OSError) as exc:  # ScoringError is a ValueError
            return Recommendation(engine=self.name, model=self.model_label, error=str(exc),
                                  latency_ms=(time.perf_counter() - start) * 1000.0)
        m = max(scores.values())
        z = sum(math.exp(s - m) for s in scores.values())
        ranked = [CardScore(card=unique[a], score=s, probability=math.exp(s - m) / z)
                  for a, s in sorted(scores.items(), key=lambda kv: -kv[1])]
        evaluated = len(prompt) + sum(max(0, len(c) - 1) for c in cands.values())
        return Recommendation(engine=self.name, ranked=ranked, model=self.model_label,
                              latency_ms=(time.perf_counter() - start) * 1000.0, tokens_evaluated=evaluated)
