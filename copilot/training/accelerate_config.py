"""Multi-GPU training through Hugging Face accelerate (no home-made distribution).

With more than one CUDA GPU, `copilot train` writes `RUN/accelerate.json` and launches

    accelerate launch --config_file RUN/accelerate.json -m copilot.training.runner RUN

accelerate reads JSON config files (by extension), so no YAML dependency. Two layouts:

- ``multi_gpu`` (default for LoRA/QLoRA): one full copy of the (4-bit) base per GPU, data parallel (DDP). The
  trainer shards each step's examples by rank and averages the loss (trainer.train, `WORLD_SIZE` > 1).
- ``multi_cpu``: `--nproc N` on a CPU: N processes started by torchrun (accelerate launch would need mpirun on
  one machine), torch.distributed with the gloo backend inside the Trainer's accelerate state (tested:
  tests/training/test_multiprocess.py);
- ``deepspeed``: ZeRO-2 over GPUs (needs the deepspeed package; not installable/tested on this CPU machine);
- ``fsdp``: fully sharded data parallel for bf16 LoRA on models that do not fit one GPU; transformer-layer
  auto-wrap, sharded state dict, activation checkpointing left to the trainer's own setting. Untested here: accelerate
  applies FSDP only to GPU-like distributed types, so on a CPU the Trainer falls back to DDP; sharded save/resume
  itself (FSDP2 + torch.distributed.checkpoint over gloo) is tested in tests/training/test_fsdp_cpu.py.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from copilot.training.config import ConfigError, TrainConfig

CONFIG_NAME = "accelerate.json"


def accelerate_config(n_gpus: int, mode: str = "multi_gpu", mixed_precision: str = "bf16",
                      layer_cls: str = "MistralDecoderLayer") -> dict:
    if n_gpus < 2:
        raise ValueError("accelerate launch is only used with 2 or more processes")
    base = {"compute_environment": "LOCAL_MACHINE", "debug": False, "machine_rank": 0, "num_machines": 1,
            "num_processes": n_gpus, "gpu_ids": "all", "main_training_function": "main",
            "mixed_precision": mixed_precision, "rdzv_backend": "static", "same_network": True,
            "use_cpu": False, "downcast_bf16": "no"}
    if mode == "multi_cpu":  # data parallel CPU processes (torch.distributed gloo), e.g. `--nproc 2`
        return {**base, "distributed_type": "MULTI_CPU", "use_cpu": True, "gpu_ids": None, "mixed_precision": "no"}
    if mode == "multi_gpu":
        return {**base, "distributed_type": "MULTI_GPU"}
    if mode == "deepspeed":  # ZeRO-2 for LoRA on several GPUs (optimizer states and gradients sharded)
        return {**base, "distributed_type": "DEEPSPEED", "deepspeed_config": {
            "zero_stage": 2, "offload_optimizer_device": "none", "offload_param_device": "none",
            "gradient_accumulation_steps": "auto", "gradient_clipping": "auto", "zero3_init_flag": False}}
    if mode == "fsdp":
        return {**base, "distributed_type": "FSDP", "fsdp_config": {
            "fsdp_version": 1,
            "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "fsdp_transformer_layer_cls_to_wrap": layer_cls,
            "fsdp_sharding_strategy": "FULL_SHARD",
            "fsdp_backward_prefetch": "BACKWARD_PRE",
            "fsdp_state_dict_type": "SHARDED_STATE_DICT",
            "fsdp_offload_params": False,
            "fsdp_use_orig_params": True,  # LoRA: frozen and trainable parameters share flat params
            "fsdp_cpu_ram_efficient_loading": True,
            "fsdp_sync_module_states": True,
            "fsdp_activation_checkpointing": False}}
    raise ValueError(f"unknown accelerate mode {mode!r} (multi_cpu, multi_gpu, deepspeed or fsdp)")


def write_accelerate_config(run_dir: str | Path, n_gpus: int, mode: str | None = None, cpu: bool = False) -> Path:
    """Write RUN/accelerate.json; the mode comes from the run's config (fsdp for unquantised LoRA on GPUs,
    multi_cpu for CPU processes)."""
    run_dir = Path(run_dir)
    if cpu:
        mode, precision = "multi_cpu", "no"
    elif mode is None:
        mode = "multi_gpu"
        try:
            cfg = TrainConfig.load(run_dir)
            mode = "fsdp" if cfg.quant == "none" and cfg.device == "cuda" else "multi_gpu"
            precision = cfg.precision if cfg.precision != "fp32" else "no"
        except (ConfigError, OSError):  # reported by the runner itself
            precision = "bf16"
    else:
        precision = "bf16"
    path = run_dir / CONFIG_NAME
    path.write_text(json.dumps(accelerate_config(n_gpus, mode, precision), indent=2))
    return path


def launch_command(config_file: Path, run_dir: Path, extra: list[str] | None = None) -> list[str]:
    cfg = json.loads(Path(config_file).read_text())
    if cfg.get("distributed_type") == "MULTI_CPU":
        # accelerate launch starts several CPU processes on one machine only through mpirun; torch's own launcher
        # (torchrun) sets the same environment (RANK, WORLD_SIZE, MASTER_ADDR...), and inside the processes the
        # Trainer's accelerate state takes the gloo backend from it
        return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1",
                "--nproc_per_node", str(cfg["num_processes"]), "-m", "copilot.training.runner", str(run_dir),
                *(extra or [])]
    exe = shutil.which("accelerate")
    head = [exe] if exe else [sys.executable, "-m", "accelerate.commands.launch"]
    if exe:
        head.append("launch")
    return [*head, "--config_file", str(config_file), "-m", "copilot.training.runner", str(run_dir), *(extra or [])]
