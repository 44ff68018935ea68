"""Give the C heap's free memory back to the system between training steps.

A CPU training step on a long, variable-length sequence (a per-pack conversation: 3-5k tokens) allocates gigabytes
of activations and frees them at the end of the step. glibc keeps freed memory in its arenas for reuse; with
variable sizes it cannot reuse all of it, and the process's resident memory grows step after step although nothing
is alive: SmolLM2-135M on DSK conversations went from 4.5 GB at step 1 to 8.8 GB at step 45, and `malloc_trim(0)`
after a step brought it back to about 2 GB (`bench/bench_train_memory.py --trim`). `trim()` asks glibc to release
that memory after every step; the peak during a step (`peak_rss_mb`, the process's high-water mark) is unchanged.
Elsewhere (macOS, Windows, musl) it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import platform
import resource
import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def _glibc():
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def trim() -> bool:
    """Release the free memory of every malloc arena to the system; True when glibc did (it says whether any was)."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def peak_rss_mb() -> float:
    """The process's resident-memory high-water mark (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2 ** 20 if sys.platform == "darwin" else 2 ** 10), 1)
