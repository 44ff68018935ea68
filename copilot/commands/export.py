"""`copilot export RUN`: merge the run's adapter, convert to GGUF, quantize, validate with llama.cpp, register."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from copilot.progress import EventKind, ProgressWriter, add_flag


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="turn a training run into a quantized GGUF in the model store",
        description="Merge the LoRA adapter into its base model, write GGUF, quantize with llama.cpp, check that "
                    "llama-cpp-python loads it and ranks a validation pack, and register it in the model store "
                    "with a manifest (base model, prompt format, dataset manifest, eval figures).")
    p.add_argument("run", help="run folder (or its name under the user data folder's runs/)")
    p.add_argument("--quant", action="append", metavar="Q",
                   help="Q4_K_M, Q8_0 or F16; repeat or comma-separate for several (default Q4_K_M)")
    p.add_argument("--out", metavar="PATH", help="output folder, or a .gguf file for a single quantization "
                                                 "(default RUN/export/)")
    p.add_argument("--name", help="model name stem in the store (default <run>-s<steps>)")
    p.add_argument("--checkpoint", metavar="STEP", help="export checkpoints/step-NNNNNN instead of the final adapter")
    p.add_argument("--route", choices=("auto", "direct", "script"), default="auto",
                   help="GGUF conversion: direct (gguf package, llama arch) or script (llama.cpp converter)")
    p.add_argument("--no-register", action="store_true", help="write the files only")
    p.add_argument("--activate", action="store_true", help="make the (first) exported model the active one")
    p.add_argument("--eval", type=int, default=0, metavar="N",
                   help="rank N held-out validation picks of the run's dataset with the (first) exported model and "
                        "record top-1/top-3 in the model store (the training panel's Evaluate & export)")
    p.add_argument("--store", metavar="DIR", help="model store folder (default: user data folder/models)")
    p.add_argument("--lora-gguf", action="store_true", help="also write the adapter as a GGUF LoRA")
    p.add_argument("--keep-merged", action="store_true", help="keep the merged safetensors folder")
    p.add_argument("--download", action="store_true", help="allow downloads (base model, llama.cpp converter)")
    p.add_argument("--threads", type=int, default=1,
                   help="llama.cpp threads for quantizing and the validation pick (1 is safest on a busy CPU)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_flag(p)
    p.set_defaults(func=_main)


def _main(args) -> int:
    from copilot.commands.train import _resolve_run
    from copilot.training.config import ConfigError
    from copilot.picking.model_files import ModelFileError
    from copilot.store.model_store import StoreError
    from copilot.training.export import QUANTS, ExportError, export_run

    quants = []
    for q in args.quant or ["Q4_K_M"]:
        quants += [x.strip().upper() for x in q.split(",") if x.strip()]
    bad = [q for q in quants if q not in QUANTS]
    if bad:
        print(f"error: unknown quantization {', '.join(bad)}; choose {', '.join(QUANTS)}", file=sys.stderr)
        return 2
    run = _resolve_run(args.run)
    try:
        res = export_run(run, quants=tuple(dict.fromkeys(quants)), out=args.out, name=args.name,
                         route=args.route, register=not args.no_register,
                         store_root=Path(args.store) if args.store else None, checkpoint=args.checkpoint,
                         keep_merged=args.keep_merged, allow_download=args.download, lora_gguf=args.lora_gguf,
                         threads=args.threads)
    except (ExportError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # store errors (name taken, ...) are actionable messages too
        if isinstance(exc, (StoreError, ModelFileError)):  # UnknownModelError is a StoreError
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
    events = ProgressWriter(args.json_progress)
    summary = _evaluate_and_activate(args, run, res, events)
    if events:
        events.emit(EventKind.RESULT, **summary)
    elif args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("timings: " + ", ".join(f"{k} {v}" for k, v in res.timings.items()))
    return 0


def _evaluate_and_activate(args, run: Path, res, events: ProgressWriter) -> dict:
    """`--eval N` on the first exported file, then `--activate`; the summary printed or sent as the result."""
    from copilot.commands.export_eval import evaluate_export

    store_root = Path(args.store) if args.store else None
    first_quant = next(iter(res.gguf), None)
    name = res.registered.get(first_quant) if first_quant else None
    evaluation = None
    if args.eval and first_quant:
        evaluation = evaluate_export(run, res.gguf[first_quant], res.manifest.get("prompt_format", "v1"), args.eval,
                                     threads=args.threads, store_name=name, store_root=store_root,
                                     events=events).to_dict()
    active = None
    if args.activate and name:
        from copilot.store.model_store import ModelStore

        active = ModelStore(store_root).activate(name).name
        if not events:
            print(f"{active} is now the active model")
    summary = {"files": {k: str(v) for k, v in res.gguf.items()}, "registered": res.registered,
               "validation": res.validation, "timings_s": res.timings, "model": name, "active": active,
               "eval": evaluation}
    return summary
