"""A dataset folder's JSONL files read by offset, the folder check and its prompt format.

(The old loop's own example stream lived here; the Trainer's seeded sampler replaces it: `sft_data`.)
"""
from __future__ import annotations

import json
from pathlib import Path

from copilot.training.dataset import PICKS_ONLY, DatasetError


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
    if manifest.get("prompt_format") == PICKS_ONLY:
        raise DatasetError(f"{d} holds picks without prompts (--format {PICKS_ONLY}, for `copilot train-baseline`); "
                           "build a dataset for the LLM with --format v1 or conversation")
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
