"""Training precision chosen from what the CPU does fast, not assumed.

On a CPU with native bf16 (AVX512_BF16 / AMX) bf16 autocast halves a LoRA step; on one without (AVX2 only) a bf16
matrix product can run 100x slower than fp32 (issue 14: 0.9 against 129 GFLOP/s on an AVX2 EPYC). `precision=auto`
measures both for about a second (`measure`) and takes the faster; the reason and the figures go to run.json /
status.json, the estimate uses the measured speed. On CUDA, bf16 when the GPU supports it, else fp16.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

N = 512  # matrix side of the probe: a LoRA-sized product


@dataclass(frozen=True)
class PrecisionChoice:
    precision: str  # "fp32" | "bf16" | "fp16"
    reason: str
    fp32_gflops: float | None = None
    bf16_gflops: float | None = None
    cpu_flags: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


def cpu_bf16_flags() -> tuple[str, ...]:
    """The bf16-related flags in /proc/cpuinfo (empty where it cannot be read, e.g. macOS/Windows)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ()
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    return tuple(sorted(f for f in flags if f in ("avx512_bf16", "amx_bf16", "avx2", "avx512f")))


def matmul_gflops(dtype_name: str, seconds: float = 0.5, n: int = N) -> float:
    """GFLOP/s of n x n matrix products in `dtype_name` ("fp32" | "bf16") on the CPU, measured for ~`seconds`."""
    import torch

    dtype = torch.bfloat16 if dtype_name == "bf16" else torch.float32
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    a @ b  # warm-up (kernel selection)
    count, t0 = 0, time.perf_counter()
    while True:
        a @ b
        count += 1
        dt = time.perf_counter() - t0
        if dt >= seconds or (count >= 1 and dt > 4 * seconds):
            break
    return 2 * n ** 3 * count / dt / 1e9


def measure(seconds: float = 1.0) -> PrecisionChoice:
    """Both dtypes for seconds/2 each, interleaved twice to soften a noisy shared CPU; the faster wins."""
    half = seconds / 4
    fp32 = max(matmul_gflops("fp32", half), matmul_gflops("fp32", half))
    bf16 = max(matmul_gflops("bf16", half), matmul_gflops("bf16", half))
    flags = cpu_bf16_flags()
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    if bf16 > fp32:
        why = (f"bf16 autocast: bf16 matmul {bf16:.0f} GFLOP/s > fp32 {fp32:.0f} GFLOP/s on this CPU"
               + (" (native bf16: " + ", ".join(f for f in flags if "bf16" in f) + ")" if native else ""))
        return PrecisionChoice("bf16", why, round(fp32, 1), round(bf16, 1), flags)
    why = (f"fp32: bf16 matmul {bf16:.1f} GFLOP/s <= fp32 {fp32:.0f} GFLOP/s on this CPU"
           + ("" if native else " (no native bf16: AVX2 only)"))
    return PrecisionChoice("fp32", why, round(fp32, 1), round(bf16, 1), flags)


def choose(requested: str, device: str, seconds: float = 1.0) -> PrecisionChoice:
    """The precision a run uses: `requested` unless it is "auto"."""
    if requested != "auto":
        return PrecisionChoice(requested, f"{requested}: set in the config")
    if device == "cuda":
        import torch

        if torch.cuda.is_bf16_supported():
            return PrecisionChoice("bf16", "bf16: the GPU supports it")
        return PrecisionChoice("fp16", "fp16: the GPU has no bf16")
    return measure(seconds)
