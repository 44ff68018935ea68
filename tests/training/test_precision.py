"""precision=auto picks the faster of fp32 and bf16 on the machine running the test."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


def test_the_chosen_precision_is_the_faster_here():
    from copilot.training.precision import choose, matmul_gflops

    torch.set_num_threads(1)
    choice = choose("auto", "cpu", seconds=1.0)
    assert choice.precision in ("fp32", "bf16") and choice.fp32_gflops and choice.bf16_gflops
    assert choice.precision in choice.reason
    # measured again, independently: the chosen dtype is not slower than the other one (20% margin: a shared
    # 2-core machine moves a half-second measurement by that much; a wrong choice costs 2-140x, not 20%)
    again = {d: max(matmul_gflops(d, 0.3), matmul_gflops(d, 0.3)) for d in ("fp32", "bf16")}
    other = "fp32" if choice.precision == "bf16" else "bf16"
    assert again[choice.precision] >= 0.8 * again[other], (choice, again)


def test_explicit_precision_is_kept_and_cpu_fp16_is_refused(tmp_path):
    from copilot.training.hf_args import trainer_kwargs
    from copilot.training.precision import choose
    from copilot.training.presets import config_from_preset

    assert choose("fp32", "cpu").precision == "fp32" and "set in the config" in choose("fp32", "cpu").reason
    cfg = config_from_preset("cpu-small", dataset="-")
    assert cfg.precision == "auto"
    with pytest.raises(ValueError, match="fp16 is GPU-only"):
        trainer_kwargs(cfg, tmp_path, "cpu", "fp16")
    kw = trainer_kwargs(cfg, tmp_path, "cpu", "bf16")
    assert kw["bf16"] and not kw["fp16"] and kw["use_cpu"] and kw["ddp_backend"] is None
