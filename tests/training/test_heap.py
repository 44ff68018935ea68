"""heap.trim: freed C-heap memory that glibc keeps goes back to the system (the training runs' RSS growth)."""
from __future__ import annotations

import ctypes
import platform
import sys

import psutil
import pytest

from copilot.training import heap

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                           reason="malloc_trim is glibc's")


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2 ** 20


@glibc
def test_trim_returns_the_free_heap_that_glibc_keeps():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    heap.trim()
    before = _rss_mb()
    # 400 MB in 16 KiB blocks (below the mmap threshold: they come from the heap), each one written; free all but
    # every 64th, so the heap's top stays in use and glibc's automatic trim of the top cannot give anything back
    blocks = [libc.malloc(16384) for _ in range(25600)]
    for b in blocks:
        ctypes.memset(b, 1, 16384)
    kept = blocks[63::64]
    for i, b in enumerate(blocks):
        if i % 64 != 63:
            libc.free(b)
    held = _rss_mb()
    assert held - before > 300  # freed, but still resident
    assert heap.trim() is True
    after = _rss_mb()
    assert held - after > 300, (before, held, after)
    for b in kept:
        libc.free(b)


def test_peak_rss_is_at_least_the_current_rss():
    assert heap.peak_rss_mb() >= _rss_mb() - 1
