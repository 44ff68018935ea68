"""Card catalog load times: each shared source alone, the full cold build, and the cached load the CLI uses.

Usage: .venv/bin/python bench/bench_catalog.py   (prints wall and CPU seconds; needs ../shared)
"""
from __future__ import annotations

import os
import tempfile
import time


def timed(label, fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    print(f"{label:<58} wall {time.perf_counter() - w:6.2f}s  cpu {time.process_time() - c:6.2f}s")
    return out


def main() -> int:
    os.environ["COPILOT_HOME"] = tempfile.mkdtemp(prefix="bench-catalog-")
    from copilot.cards.catalog import CardCatalog, default_catalog, shared_card_files
    from copilot.cards.sources import load_file

    files = shared_card_files()
    if not files:
        print("no shared data folder: nothing to measure")
        return 1
    for f in files:
        kind, cards = timed(f"read {f.name}", lambda f=f: load_file(f))
    cat = timed("cold build: all shared files merged (no cache)", lambda: default_catalog(use_cache=False))
    timed("cold build + write cache", lambda: default_catalog())
    cat = timed("cached load (what `copilot cards ...` pays)", lambda: default_catalog())
    print(f"catalog: {len(cat)} cards, {len(cat.sets())} sets, {sum(c.text is not None for c in cat)} with text")
    ids = [c.arena_id for c in cat if c.arena_id is not None][:20000]
    names = [c.name for c in cat][:20000]
    timed(f"{len(ids)} get(id)", lambda: [cat.get(i) for i in ids])
    timed(f"{len(names)} by_name(name)", lambda: [cat.by_name(n) for n in names])
    timed("cards_in_set('DSK') x100", lambda: [cat.cards_in_set("DSK") for _ in range(100)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
