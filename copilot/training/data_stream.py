"""The training data: a dataset folder's JSONL files read by offset, and the deterministic example stream.

The stream is a pure function of (seed, cursor): position k is example perm_epoch(k mod n) with a permutation per
epoch seeded from the run's seed, so resuming at a checkpoint's cursor replays nothing and skips nothing. Examples
longer than max_seq_len are skipped and counted.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from copilot.training.chat_encoding import ChatEncoder
from copilot.training.dataset import DatasetError


class JsonlFile:
    """Random access to the lines of a (possibly large) JSONL file via an offset index."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offsets: list[int] = []
        pos = 0
        with open(self.path, "rb") as f:
            for line in f:
                if line.strip():
                    self.offsets.append(pos)
                pos += len(line)

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: int) -> dict:
        with open(self.path, "rb") as f:
            f.seek(self.offsets[i])
            return json.loads(f.readline())


def load_dataset_dir(dataset: str | Path) -> tuple[Path, dict]:
    d = Path(dataset).expanduser()
    if not d.is_dir():
        raise DatasetError(f"dataset folder {d} does not exist (make one with `copilot dataset build`)")
    for name in ("train.jsonl", "val.jsonl"):
        if not (d / name).is_file():
            raise DatasetError(f"dataset folder {d} has no {name} (make it with `copilot dataset build`)")
    manifest = {}
    if (d / "manifest.json").is_file():
        try:
            manifest = json.loads((d / "manifest.json").read_text())
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{d / 'manifest.json'} is not valid JSON: {exc}") from None
    return d, manifest


def dataset_prompt_format(manifest: dict, first_example: dict | None) -> str:
    for key in ("prompt_format", "format"):
        v = manifest.get(key)
        if isinstance(v, str) and v:
            return v
    if first_example:
        v = first_example.get("meta", {}).get("format")
        if isinstance(v, str) and v:
            return v
    return "unknown"


class DataStream:
    """Deterministic stream of training examples: position k -> example perm_{epoch}(k mod n)."""

    def __init__(self, jsonl: JsonlFile, encoder: ChatEncoder, max_len: int, seed: int, limit: int = 0):
        self.jsonl, self.enc, self.max_len, self.seed = jsonl, encoder, max_len, seed
        self.n = min(len(jsonl), limit) if limit else len(jsonl)
        if self.n == 0:
            raise DatasetError(f"{jsonl.path} has no examples")
        self._perms: dict[int, list[int]] = {}
        self._cache: dict[int, tuple[list[int], list[int]] | None] = {}
        self.skipped = 0

    def _index(self, pos: int) -> int:
        epoch, k = divmod(pos, self.n)
        if epoch not in self._perms:
            perm = list(range(self.n))
            random.Random(self.seed * 1000003 + epoch).shuffle(perm)
            self._perms = {epoch: perm}
        return self._perms[epoch][k]

    def encoded(self, idx: int):
        if idx not in self._cache:
            ids, labels = self.enc.encode(self.jsonl[idx])
            self._cache[idx] = (ids, labels) if len(ids) <= self.max_len else None
            if len(self._cache) > 50000:
                self._cache.clear()
        return self._cache[idx]

    def take(self, cursor: int, count: int) -> tuple[list[tuple[list[int], list[int]]], int]:
        """`count` examples that fit max_len, starting at stream position `cursor`; returns (examples, new cursor)."""
        out = []
        tries = 0
        while len(out) < count:
            item = self.encoded(self._index(cursor))
            cursor += 1
            tries += 1
            if item is None:
                self.skipped += 1
                if tries > 1000 + 10 * count and not out:
                    raise DatasetError(f"no training example fits max_seq_len={self.max_len}; raise max_seq_len")
                continue
            out.append(item)
        return out, cursor

    def epoch_of(self, cursor: int) -> float:
        return cursor / self.n


def collate(batch, pad_id: int):
    import torch

    width = max(len(ids) for ids, _ in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    attn = torch.zeros((len(batch), width), dtype=torch.long)
    for i, (ids, lab) in enumerate(batch):
        input_ids[i, :len(ids)] = torch.tensor(ids)
        labels[i, :len(lab)] = torch.tensor(lab)
        attn[i, :len(ids)] = 1
    return input_ids, labels, attn
