"""Where things are: the project's shared data folder and the user's app folders."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    """The `shared/` data folder: $COPILOT_SHARED, else `../shared` beside the repo, else None."""
    env = os.environ.get("COPILOT_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared", REPO_ROOT / "shared"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def user_data_dir() -> Path:
    """Per-user data (model store, run folders, saved draft state). $COPILOT_HOME overrides."""
    env = os.environ.get("COPILOT_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir as _udd

    return Path(_udd("magic-copilot", "MagicCopilot"))


def user_config_dir() -> Path:
    env = os.environ.get("COPILOT_HOME")
    if env:
        return Path(env) / "config"
    from platformdirs import user_config_dir as _ucd

    return Path(_ucd("magic-copilot", "MagicCopilot"))


def user_cache_dir() -> Path:
    env = os.environ.get("COPILOT_HOME")
    if env:
        return Path(env) / "cache"
    from platformdirs import user_cache_dir as _ucd

    return Path(_ucd("magic-copilot", "MagicCopilot"))
