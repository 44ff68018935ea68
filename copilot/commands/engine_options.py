"""Engine options from the command line, one parser for every command: `--opt ENGINE.KEY=VALUE` (eval, deck) and
`--engine-option KEY=VALUE` (live, for its one engine)."""
from __future__ import annotations


def key_values(items: list[str], flag: str) -> dict[str, str]:
    """{KEY: VALUE} from KEY=VALUE items; ValueError names the flag and the bad item."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def per_engine(items: list[str], flag: str = "--opt") -> dict[str, dict[str, str]]:
    """{engine: {KEY: VALUE}} from ENGINE.KEY=VALUE items (e.g. gguf.n_threads=2, hybrid.mlp.model=m.pt: the key
    is everything after the first dot)."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        target, dot, field = key.strip().partition(".")
        if not sep or not dot or not target or not field:
            raise ValueError(f"{flag} {item!r}: expected ENGINE.KEY=VALUE, e.g. gguf.n_threads=2")
        out.setdefault(target, {})[field] = value
    return out
