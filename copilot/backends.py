"""Is an optional backend installed? Answered without importing it (torch + transformers take ~10 s to import)."""
from __future__ import annotations

import importlib.util


def missing(*modules: str) -> str | None:
    """The first of `modules` that is not installed, or None when all are."""
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None
