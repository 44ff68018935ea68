"""Fixtures for the LLM pick engine tests: real DSK draft contexts, the SmolLM2 GGUF engine, a tiny random Mistral
(with the SmolLM2 tokenizer rebuilt from the GGUF), a real LoRA adapter GGUF, and a real OpenAI-compatible server
(`python -m llama_cpp.server`) on 127.0.0.1."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ (dsk_cards helper)
sys.path.insert(0, str(Path(__file__).resolve().parent))  # llm_test_servers


# ------------------------------------------------------------------ real DSK contexts
@pytest.fixture(scope="session")
def dsk_draft(shared_data):
    """The 42 PickContexts of the first real DSK dev draft, in pick order."""
    from dsk_cards import NameCatalog, load_dsk_cards

    from copilot.datasets import iter_contexts

    cat = NameCatalog(load_dsk_cards(shared_data))
    ctxs = [c for _, c in iter_contexts(shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz", cat, limit=42)]
    assert len(ctxs) == 42 and len({c.draft_key for c in ctxs}) == 1
    return ctxs


# ------------------------------------------------------------------ llama.cpp engine
@pytest.fixture(scope="session")
def gguf_engine(smollm_gguf):
    pytest.importorskip("llama_cpp")
    from copilot.picking.gguf_engine import GGUFEngine

    eng = GGUFEngine(model=smollm_gguf, n_threads=1)  # 1: the CI box is shared
    yield eng
    eng.close()


# ------------------------------------------------------------------ tiny random Mistral (transformers)
@pytest.fixture(scope="session")
def smollm_tokenizer_dir(smollm_gguf, tmp_path_factory):
    """The SmolLM2 tokenizer (with its chat template) rebuilt from the GGUF by transformers, saved once."""
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    cache = Path(os.environ.get("COPILOT_TEST_MODELS", Path.home() / ".cache" / "magic-copilot" / "test-models"))
    d = cache / "smollm2-tokenizer"
    if not (d / "tokenizer.json").exists():
        tok = AutoTokenizer.from_pretrained(str(smollm_gguf.parent), gguf_file=smollm_gguf.name)
        tmp = tmp_path_factory.mktemp("tok")
        tok.save_pretrained(tmp)
        d.parent.mkdir(parents=True, exist_ok=True)
        if not d.exists():
            os.replace(tmp, d)
    return d


@pytest.fixture(scope="session")
def tiny_mistral_dir(smollm_tokenizer_dir, tmp_path_factory):
    """A tiny random MistralForCausalLM (stack-notes §4) with the SmolLM2 tokenizer, saved as a local HF folder."""
    torch = pytest.importorskip("torch")
    from transformers import AutoTokenizer, MistralConfig, MistralForCausalLM

    tok = AutoTokenizer.from_pretrained(smollm_tokenizer_dir)
    torch.manual_seed(1234)
    cfg = MistralConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
                        pad_token_id=None, tie_word_embeddings=True, initializer_range=0.3)
    model = MistralForCausalLM(cfg)
    d = tmp_path_factory.mktemp("tiny-mistral")
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return d


# ------------------------------------------------------------------ servers (shared with tests/commentary)
from llm_test_servers import closed_port_url, free_port, llama_server, silent_server  # noqa: E402,F401
