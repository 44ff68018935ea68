"""Validate GGUF model and adapter files before llama.cpp ever sees them.

llama.cpp segfaults the whole process on a bad `lora_path` (stack-notes §6) and gives unhelpful messages on a
bad model path, so every file is checked here first: it exists, is a readable regular file, starts with the GGUF
magic, its header and metadata parse (tensor data is never read), `general.architecture` is present, and for an
adapter `general.type == "adapter"` with the architecture of the base model.

The reader is a minimal, dependency-free parser of the GGUF header (v2/v3; v1 is refused). It keeps scalar and
string values and records only the length of arrays, so a 49k-token vocabulary is skipped in milliseconds.
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

GGUF_MAGIC = b"GGUF"
EXPORT_HINT = "Re-export it with `copilot export`, or pick another file."

# GGUF value types -> struct format (None: variable length)
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# ggml tensor type -> (elements per block, bytes per block); same figures as gguf.GGML_QUANT_SIZES (a test checks)
GGML_BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 40),
               10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
               16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
               22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
               29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17)}
_MAX_KV = 1_000_000
_MAX_STR = 1 << 30


class ModelFileError(ValueError):
    """A model or adapter file that cannot be used; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class GGUFArray:
    """An array value: its element type and length (elements are not kept)."""

    type: int
    length: int


@dataclass
class GGUFInfo:
    path: Path
    version: int
    tensor_count: int
    metadata: dict = field(default_factory=dict)
    file_size: int = 0
    data_end: int | None = None  # where the last tensor's data ends (None when a tensor type is unknown)

    @property
    def architecture(self) -> str | None:
        v = self.metadata.get("general.architecture")
        return v if isinstance(v, str) else None

    @property
    def file_type(self) -> str:
        """"model" or "adapter" (GGUF files without general.type are models)."""
        v = self.metadata.get("general.type")
        return v if isinstance(v, str) else "model"

    @property
    def name(self) -> str | None:
        v = self.metadata.get("general.name")
        return v if isinstance(v, str) else None

    @property
    def context_length(self) -> int | None:
        arch = self.architecture
        v = self.metadata.get(f"{arch}.context_length") if arch else None
        return int(v) if isinstance(v, int) else None

    @property
    def prompt_format(self) -> str | None:
        """The prompt format `copilot export` wrote into the file (copilot.prompt_format): what the model was trained
        on. None for other GGUF files."""
        v = self.metadata.get("copilot.prompt_format")
        return v if isinstance(v, str) and v not in ("", "unknown") else None

    @property
    def trained_segment(self) -> str | None:
        """'pack' when the model was trained on one pack of the draft per sequence, 'draft' on whole drafts
        (copilot.segment); None when the file does not say."""
        v = self.metadata.get("copilot.segment")
        return v if v in ("pack", "draft") else None

    @property
    def trained_seq_len(self) -> int | None:
        """The training window in tokens (copilot.train_seq_len), None when the file does not say."""
        v = self.metadata.get("copilot.train_seq_len")
        try:
            return int(v) if v is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def chat_template(self) -> str | None:
        v = self.metadata.get("tokenizer.chat_template")
        return v if isinstance(v, str) else None


class _Reader:
    def __init__(self, buf, path: Path):
        self.buf, self.pos, self.path, self.size = buf, 0, path, len(buf)

    def _need(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise ModelFileError(
                f"{self.path} is truncated (or corrupt): its GGUF header needs {n} more bytes at offset {self.pos} "
                f"but the file has {self.size} bytes. The download or export was probably interrupted. {EXPORT_HINT}")

    def scalar(self, fmt: str):
        n = struct.calcsize(fmt)
        self._need(n)
        (v,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return v

    def string(self, keep: bool = True) -> str | None:
        n = self.scalar("<Q")
        if n > _MAX_STR:
            raise ModelFileError(f"{self.path} is corrupt: a metadata string claims {n} bytes. {EXPORT_HINT}")
        self._need(n)
        raw = self.buf[self.pos:self.pos + n] if keep else None
        self.pos += n
        if raw is None:
            return None
        return bytes(raw).decode("utf-8", errors="replace")

    def value(self, vtype: int):
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            etype = self.scalar("<I")
            count = self.scalar("<Q")
            if etype in _SCALARS:
                width = struct.calcsize(_SCALARS[etype])
                self._need(width * count)
                self.pos += width * count
            elif etype == _STRING:
                for _ in range(count):
                    self.string(keep=False)
            elif etype == _ARRAY:
                for _ in range(count):
                    self.value(_ARRAY)
            else:
                raise ModelFileError(f"{self.path} is corrupt: unknown GGUF array element type {etype}. {EXPORT_HINT}")
            return GGUFArray(etype, count)
        raise ModelFileError(f"{self.path} is corrupt: unknown GGUF value type {vtype} at offset {self.pos}. "
                             f"{EXPORT_HINT}")


def read_gguf_header(path) -> GGUFInfo:
    """Parse the header and metadata of a GGUF file (no tensor data). Raises ModelFileError."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelFileError(f"{p} does not exist. Check the path, or choose a model with `copilot models`.")
    if p.is_dir():
        raise ModelFileError(f"{p} is a folder, not a GGUF file. Point to the .gguf file inside it "
                             f"(a transformers folder needs the hf engine instead).")
    if not p.is_file():
        raise ModelFileError(f"{p} is not a regular file.")
    if not os.access(p, os.R_OK):
        raise ModelFileError(f"{p} is not readable by this user (permissions). Fix its permissions or copy it.")
    size = p.stat().st_size
    if size == 0:
        raise ModelFileError(f"{p} is empty (0 bytes). The download or export did not finish. {EXPORT_HINT}")
    try:
        with open(p, "rb") as fh:
            head = fh.read(4)
            if head != GGUF_MAGIC:
                raise ModelFileError(f"{p} is not a GGUF file (starts with {head!r}, expected b'GGUF'). "
                                     f"{_not_gguf_hint(head)}{EXPORT_HINT}")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                r = _Reader(memoryview(mm), p)
                try:
                    r.pos = 4
                    version = r.scalar("<I")
                    if version == 1:
                        raise ModelFileError(f"{p} is GGUF version 1, which llama.cpp no longer reads. "
                                             f"{EXPORT_HINT}")
                    if version not in (2, 3):
                        raise ModelFileError(f"{p} has an unsupported GGUF version {version} (expected 2 or 3): "
                                             f"corrupt, or written by a newer tool. {EXPORT_HINT}")
                    n_tensors = r.scalar("<Q")
                    n_kv = r.scalar("<Q")
                    if n_kv > _MAX_KV:
                        raise ModelFileError(f"{p} is corrupt: it claims {n_kv} metadata entries. {EXPORT_HINT}")
                    meta: dict = {}
                    for _ in range(n_kv):
                        key = r.string()
                        vtype = r.scalar("<I")
                        meta[key] = r.value(vtype)
                    data_end = _tensor_data_end(r, n_tensors, meta)
                finally:
                    r.buf.release()
    except OSError as exc:
        raise ModelFileError(f"{p} cannot be read: {exc.strerror or exc}.") from None
    if data_end is not None and data_end > size:
        raise ModelFileError(f"{p} is truncated: its tensors need {data_end} bytes but the file has {size}. The "
                             f"download or export was probably interrupted. {EXPORT_HINT}")
    return GGUFInfo(path=p, version=version, tensor_count=n_tensors, metadata=meta, file_size=size,
                    data_end=data_end)


def _tensor_data_end(r: _Reader, n_tensors: int, meta: dict) -> int | None:
    """Read the tensor infos (names, shapes, types, offsets; no data) and return where the data ends."""
    end = 0
    known = True
    for _ in range(n_tensors):
        r.string(keep=False)
        n_dims = r.scalar("<I")
        if n_dims > 8:
            raise ModelFileError(f"{r.path} is corrupt: a tensor claims {n_dims} dimensions. {EXPORT_HINT}")
        n_el = 1
        for _ in range(n_dims):
            n_el *= r.scalar("<Q")
        ttype = r.scalar("<I")
        offset = r.scalar("<Q")
        block = GGML_BLOCKS.get(ttype)
        if block is None:
            known = False
            continue
        end = max(end, offset + (n_el // block[0]) * block[1])
    align = meta.get("general.alignment", 32)
    if not isinstance(align, int) or align <= 0:
        align = 32
    start = (r.pos + align - 1) // align * align
    return start + end if known else None


def _not_gguf_hint(head: bytes) -> str:
    if head.startswith(b"PK"):
        return "It looks like a zip archive (a wheel, a .zip or a PyTorch checkpoint): extract or convert it first. "
    if head[:1] in (b"{", b"["):
        return "It looks like JSON (a config or manifest), not the model weights. "
    if head[:1] == b"\x80":
        return "It looks like a pickled PyTorch checkpoint: convert it to GGUF first. "
    return ""


def validate_gguf(path, kind: str = "model", base: GGUFInfo | str | os.PathLike | None = None) -> GGUFInfo:
    """Check a GGUF file for use as `kind` ("model" or "adapter"); returns its header info.

    For an adapter, `base` (the base model's GGUFInfo or path) lets the architecture be checked against it.
    Raises ModelFileError with an actionable message.
    """
    if kind not in ("model", "adapter"):
        raise ValueError(f"kind must be 'model' or 'adapter', not {kind!r}")
    info = read_gguf_header(path)
    arch = info.architecture
    if not arch:
        raise ModelFileError(f"{info.path} has no general.architecture in its GGUF metadata, so llama.cpp cannot "
                             f"load it. {EXPORT_HINT}")
    ftype = info.file_type
    if kind == "model":
        if ftype == "adapter":
            raise ModelFileError(f"{info.path} is a LoRA adapter, not a model. Use it as the adapter on top of its "
                                 f"base model (architecture {arch}), or pick a merged model.")
        if info.tensor_count == 0:
            raise ModelFileError(f"{info.path} holds no tensors (a vocabulary-only GGUF?), not model weights. "
                                 f"{EXPORT_HINT}")
        return info
    if ftype != "adapter":
        raise ModelFileError(f"{info.path} is a {ftype}, not an adapter (general.type is {ftype!r}, expected "
                             f"'adapter'). Pass it as the model instead, or convert the PEFT adapter with "
                             f"`copilot export`.")
    if info.tensor_count == 0:
        raise ModelFileError(f"{info.path} is an adapter with no tensors. {EXPORT_HINT}")
    if base is not None:
        base_info = base if isinstance(base, GGUFInfo) else read_gguf_header(base)
        if base_info.architecture != arch:
            raise ModelFileError(f"{info.path} is an adapter for architecture {arch!r}, but the base model "
                                 f"{base_info.path.name} is {base_info.architecture!r}. Use the adapter with the "
                                 f"base model it was trained on.")
    return info
