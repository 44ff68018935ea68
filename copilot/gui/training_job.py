"""Slow training-panel jobs run as their own process (Qt-free), so torch imports never hold the UI's GIL.

    python -m copilot.gui.training_job gpu                      -> one JSON line: {"gpu": {...} | null}
    python -m copilot.gui.training_job export RUN [--quant Q8_0] [--eval-limit N]
        merge -> GGUF -> quantize -> register in the model store -> evaluate on the dataset's validation picks
        -> activate; progress lines on stdout, last line `RESULT {json}`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _gpu() -> int:
    from copilot.training.presets import detect_gpu

    try:
        g = detect_gpu()
    except Exception as exc:  # noqa: BLE001 - a broken CUDA install is "no GPU" with a reason
        print(json.dumps({"gpu": None, "error": f"{type(exc).__name__}: {exc}"}))
        return 0
    print(json.dumps({"gpu": None if g is None else {"index": g.index, "name": g.name, "total_gib": g.total_gib}}))
    return 0


def _evaluate(gguf: Path, prompt_format: str, val_picks: Path, limit: int) -> dict:
    from copilot.cards.catalog import default_catalog
    from copilot.datasets.evaluate import evaluate
    from copilot.picking.registry import create_engine

    engine = create_engine("gguf", {"model": str(gguf), "format": prompt_format})
    ok, why = engine.available()
    if not ok:
        raise RuntimeError(f"gguf engine unavailable: {why}")
    try:
        report = evaluate(val_picks, [engine], default_catalog(), limit=limit)
    finally:
        close = getattr(engine, "close", None)
        if callable(close):
            close()
    d = report.to_dict()
    e = d["engines"][0] if "engines" in d else d
    return {k: e.get(k) for k in ("n", "top1", "top3", "valid")}


def _export(args) -> int:
    from copilot.training.config import TrainConfig
    from copilot.training.export import ExportError, export_run
    from copilot.store.model_store import ModelStore

    run = Path(args.run_dir).resolve()
    t0 = time.perf_counter()
    name = f"{run.name}-{time.strftime('%H%M%S')}"
    try:
        res = export_run(run, quants=(args.quant,), name=name, register=True, threads=args.threads,
                         log=lambda *a: print(*a, flush=True))
    except ExportError as exc:
        print(f"error: {exc}", flush=True)
        print("RESULT " + json.dumps({"ok": False, "error": str(exc)}), flush=True)
        return 2
    store = ModelStore()
    model_name = res.registered[args.quant]
    figures = {}
    cfg = TrainConfig.load(run)
    val_picks = Path(cfg.dataset) / "val.picks.jsonl"
    if args.eval_limit and val_picks.is_file():
        print(f"evaluating {model_name} on {args.eval_limit} validation picks ({val_picks.name})…", flush=True)
        try:
            figures = _evaluate(res.gguf[args.quant], res.manifest.get("prompt_format", "v1"), val_picks,
                                args.eval_limit)
            store.update_eval(model_name, {**figures, "picks_file": str(val_picks)})
            print(f"  top-1 {figures['top1']:.3f}, top-3 {figures['top3']:.3f} on {figures['n']} picks", flush=True)
        except Exception as exc:  # noqa: BLE001 - the model stays registered; the figure is just missing
            print(f"  evaluation failed: {type(exc).__name__}: {exc}", flush=True)
    else:
        print("no val.picks.jsonl in the dataset folder: skipping the pick evaluation", flush=True)
    store.activate(model_name)
    print(f"{model_name} is now the active model", flush=True)
    print("RESULT " + json.dumps({"ok": True, "model": model_name, "gguf": str(res.gguf[args.quant]),
                                  "eval": figures, "timings": res.timings,
                                  "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m copilot.gui.training_job")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("gpu")
    e = sub.add_parser("export")
    e.add_argument("run_dir")
    e.add_argument("--quant", default="Q8_0")
    e.add_argument("--eval-limit", type=int, default=40)
    e.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    return _gpu() if args.cmd == "gpu" else _export(args)


if __name__ == "__main__":
    sys.exit(main())
