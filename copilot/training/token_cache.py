"""A dataset's tokenized training examples kept beside it, so that a run's start, and every resume, does not encode
the whole train.jsonl again (about 3.5 minutes for the 4,929 DSK per-pack conversations on 2 cores).

    <dataset>/tokenized/<key>/data/     datasets.Dataset.save_to_disk: input_ids, assistant_masks
    <dataset>/tokenized/<key>/info.json n, skipped, tokens and what the key was made of

The key is a sha256 over the file's bytes, the tokenizer (its serialised vocabulary and merges), the encoder's chat
markers and template, max_len, the example limit and CACHE_VERSION: another tokenizer, template or length gets its
own entry. An entry is written into a temporary folder and renamed into place, so a reader sees a whole entry or
none; one that does not load (a partial copy, files from another `datasets` version) is encoded again, with a
message. A dataset folder that cannot be written trains without the cache, and says so. The newest KEEP entries
are kept.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

CACHE_VERSION = 1
KEEP = 3
FOLDER = "tokenized"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tokenizer_fingerprint(encoder) -> str:
    """sha256 of what decides the tokens: the tokenizer's vocabulary and rules, the template and its markers."""
    tok = encoder.tok
    backend = getattr(tok, "backend_tokenizer", None)
    vocab = backend.to_str() if backend is not None else json.dumps(tok.get_vocab(), sort_keys=True)
    parts = [vocab, str(getattr(tok, "chat_template", None)), repr(encoder.has_template), encoder.answer_prefix,
             encoder.prompt_tail, repr(encoder.fold), encoder.answer_suffix, repr(encoder.end_ids),
             repr(tok.bos_token), repr(tok.eos_token)]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def cache_key(jsonl_path: Path, encoder, max_len: int, limit: int) -> str:
    parts = [f"v{CACHE_VERSION}", file_sha256(jsonl_path), tokenizer_fingerprint(encoder), str(max_len), str(limit)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def load(cache_dir: Path, key: str, log: Callable[[str], None]):
    """(dataset, info) of the entry `key`, or None (absent, or unreadable: then it is removed and said)."""
    entry = cache_dir / key
    if not (entry / "info.json").exists():
        return None
    try:
        from datasets import load_from_disk

        info = json.loads((entry / "info.json").read_text())
        data = load_from_disk(str(entry / "data"), keep_in_memory=True)  # the entry stays as written
        if len(data) != info["n"] or data.column_names != ["input_ids", "assistant_masks"]:
            raise ValueError(f"{len(data)} rows with columns {data.column_names}, info says {info['n']}")
        os.utime(entry)  # the newest entries are the ones kept
        return data, info
    except Exception as exc:  # noqa: BLE001 - any unreadable entry is encoded again
        log(f"tokenized cache {entry} is unreadable ({exc}); encoding the dataset again")
        shutil.rmtree(entry, ignore_errors=True)
        return None


def store(cache_dir: Path, key: str, data, info: dict, log: Callable[[str], None]) -> None:
    """Write the entry atomically and prune old ones; a folder that cannot be written only costs the cache."""
    try:
        cache_dir.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_dir))
        try:
            data.save_to_disk(str(tmp / "data"))
            (tmp / "info.json").write_text(json.dumps(info, indent=2))
            os.replace(tmp, cache_dir / key)
        except OSError:
            if (cache_dir / key / "info.json").exists():  # another run stored the same entry first
                shutil.rmtree(tmp, ignore_errors=True)
                return
            raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        log(f"tokenized examples not cached ({exc}): the next start encodes the dataset again")
        return
    entries = sorted((p for p in cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
