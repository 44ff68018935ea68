"""`copilot train --presets`: the presets, this machine's GPU and the preset recommended for it.

The recommendation is what a user meets first (the training panel opens on it): the largest GPU preset whose
memory budget the first CUDA GPU has *and* whose peak-memory estimate fits in it (Mistral-7B-Instruct, QLoRA or
bf16), else `cpu-small` (SmolLM2-135M-Instruct on the CPU). Never the `smoke` preset: its tiny random model is a
test fixture.
"""
from __future__ import annotations

from dataclasses import dataclass

from copilot.progress import EventKind, ProgressWriter

CPU_DEFAULT = "cpu-small"


@dataclass(frozen=True)
class PresetFit:
    name: str
    description: str
    base_model: str
    device: str  # cpu | cuda
    min_gpu_gib: float
    peak_gib: float  # the estimate on the device the preset trains on
    fits: bool | None  # GPU presets: the estimate fits the detected GPU (None: no GPU to compare with)
    seconds_per_step: float | None = None  # CPU presets: from the measured speed (training/speed.py)
    speed_detail: str = ""  # where that speed comes from

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "base_model": self.base_model,
                "device": self.device, "min_gpu_gib": self.min_gpu_gib, "peak_gib": round(self.peak_gib, 2),
                "fits": self.fits, "seconds_per_step": None if self.seconds_per_step is None
                else round(self.seconds_per_step, 3), "speed_detail": self.speed_detail}


def preset_fits(gpu_total_gib: float | None, choice=None) -> list[PresetFit]:
    """Every preset's memory estimate (and, on the CPU, time per step from `choice`, the precision probe's
    figures, or an earlier run's measured speed; the probe runs here when `choice` is None)."""
    from copilot.training.base_models import CATALOG
    from copilot.training.presets import GIB, PRESETS, GPUInfo, config_from_preset, estimate_device, estimate_peak_memory

    gpu = GPUInfo(0, "GPU", gpu_total_gib) if gpu_total_gib else None
    out = []
    for name, p in PRESETS.items():
        if p.name != name:
            continue  # an alias
        cfg = config_from_preset(name, dataset="-")
        spec = CATALOG[cfg.base_model]
        if cfg.device == "cuda":
            fits = estimate_device(cfg, spec, gpu).fits if gpu is not None else None
            peak = estimate_peak_memory(spec, cfg, on_gpu=True)["total"] / GIB
        else:
            est = estimate_device(cfg, spec, None, choice=choice, measure=choice is None)
            fits, peak = None, est.peak_gib
            out.append(PresetFit(name, p.description, cfg.base_model, cfg.device, p.min_gpu_gib, peak, fits,
                                 est.seconds_per_step, est.speed.detail if est.speed else ""))
            continue
        out.append(PresetFit(name, p.description, cfg.base_model, cfg.device, p.min_gpu_gib, peak, fits))
    return out


def recommend(gpu_total_gib: float | None, fits: list[PresetFit] | None = None) -> str:
    """The preset for a machine whose first CUDA GPU has `gpu_total_gib` (None: no CUDA GPU)."""
    if not gpu_total_gib:
        return CPU_DEFAULT
    fits = fits if fits is not None else preset_fits(gpu_total_gib)
    ok = [f for f in fits if f.device == "cuda" and f.min_gpu_gib * 0.93 <= gpu_total_gib and f.fits]
    return max(ok, key=lambda f: f.min_gpu_gib).name if ok else CPU_DEFAULT


def recommendation_line() -> str:
    """`copilot train --presets`'s last line: what this machine has and the preset it gets."""
    from copilot.training.base_models import CATALOG
    from copilot.training.presets import detect_gpu, get_preset

    try:
        gpu = detect_gpu()
    except Exception as exc:  # noqa: BLE001 - a broken CUDA install is "no GPU", with its reason
        gpu, why = None, f" ({type(exc).__name__}: {exc})"
    else:
        why = ""
    name = recommend(gpu.total_gib if gpu is not None else None)
    base = CATALOG[get_preset(name).overrides["base_model"]].display
    here = f"CUDA GPU {gpu.name} ({gpu.total_gib:.1f} GiB)" if gpu is not None else f"no CUDA GPU{why}"
    return f"this machine: {here} -> recommended preset {name} ({base})"


def presets_json(progress: ProgressWriter) -> int:
    """One `result` event: {"gpu": {...} | null, "gpu_error", "recommended", "presets": [...]}."""
    from copilot.training.presets import detect_gpu

    gpu, error = None, None
    try:
        gpu = detect_gpu()
    except Exception as exc:  # noqa: BLE001 - a broken CUDA install is "no GPU", with its reason
        error = f"{type(exc).__name__}: {exc}"
    from copilot.training.speed import probe

    total = gpu.total_gib if gpu is not None else None
    choice = probe()  # the CPU's matmul speed, for the time estimates of CPU presets (the GUI keeps it)
    fits = preset_fits(total, choice)
    progress.emit(EventKind.RESULT,
                  gpu=None if gpu is None else {"index": gpu.index, "name": gpu.name, "total_gib": gpu.total_gib},
                  gpu_error=error, recommended=recommend(total, fits), presets=[f.to_dict() for f in fits],
                  probe=choice.to_dict())
    return 0
