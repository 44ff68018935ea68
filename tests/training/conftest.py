"""Fixtures for training/export tests: an isolated COPILOT_HOME per session and tiny dataset folders.

Dataset folders are made by hand in the exact shape `copilot dataset build` writes (train.jsonl, val.jsonl,
manifest.json; each line {"messages": [system, user, assistant], "meta": {...}}).
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

CARDS = ["Anthropede", "Clammy Prowler", "Conductive Machete", "Defiled Crypt // Cadaver Lab", "Fear of Surveillance",
         "Found Footage", "Gremlin Tamer", "Hand That Feeds", "Manifest Dread", "Silent Hallcreeper",
         "The Swarmweaver", "Wildfire Wickerfolk", "Winter's Intervention", "Miasma Demon", "Friendly Ghost",
         "Growing Dread", "Lakeside Shack", "Overgrown Zealot", "Possessed Goat", "Say Its Name"]
SYSTEM = "You are a Magic: The Gathering draft expert. Answer with the name of the card to pick."


def make_example(rng: random.Random, draft: int, pick: int, favourite: str | None) -> dict:
    pack = rng.sample(CARDS, 8)
    if favourite and favourite not in pack:
        pack[rng.randrange(len(pack))] = favourite
    pool = rng.sample(CARDS, pick - 1) if pick > 1 else []
    answer = favourite if favourite in pack else pack[0]
    user = (f"Pack 1, pick {pick}.\nYour pool: {', '.join(pool) or 'nothing yet'}.\n"
            f"Cards in the pack: {'; '.join(pack)}.\nWhich card do you pick?")
    return {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
                         {"role": "assistant", "content": answer}],
            "meta": {"draft_id": f"d{draft:04d}", "pack": 1, "pick": pick, "set": "DSK", "format": "test-v0",
                     "candidates": pack, "pool": pool}}


def write_dataset(folder: Path, n_train: int = 24, n_val: int = 6, favourite: str | None = "Miasma Demon",
                  seed: int = 0) -> Path:
    """A learnable toy task: always pick `favourite` (placed in every pack)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n, off in (("train.jsonl", n_train, 0), ("val.jsonl", n_val, 10_000)):
        with open(folder / name, "w", encoding="utf-8") as f:
            for i in range(n):
                f.write(json.dumps(make_example(rng, off + i, 1 + i % 5, favourite)) + "\n")
    (folder / "manifest.json").write_text(json.dumps({
        "kind": "dataset", "prompt_format": "test-v0", "sets": ["DSK"], "counts": {"train": n_train, "val": n_val},
        "source": "hand-made by tests/training/conftest.py"}, indent=2))
    return folder


@pytest.fixture(scope="session")
def copilot_home(tmp_path_factory, smollm_gguf):
    """One COPILOT_HOME for the session so the smoke base model is built once (~5 s)."""
    home = tmp_path_factory.mktemp("copilot-home")
    old = {k: os.environ.get(k) for k in ("COPILOT_HOME", "COPILOT_SMOLLM_GGUF")}
    os.environ["COPILOT_HOME"] = str(home)
    os.environ["COPILOT_SMOLLM_GGUF"] = str(smollm_gguf)
    yield home
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def smoke_base(copilot_home):
    from copilot.training.base_models import resolve_base_model

    return resolve_base_model("smoke-mistral", log=lambda *a: None)


@pytest.fixture()
def toy_dataset(tmp_path) -> Path:
    return write_dataset(tmp_path / "dataset")


@pytest.fixture(autouse=True)
def _threads():
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:
        pass
