"""`copilot export RUN --eval N`: top-1/top-3 of the exported GGUF on N held-out validation picks of its dataset.

The picks are the run's dataset's `val.picks.jsonl` (the validation drafts `copilot dataset build` kept out of
training); the model ranks them through the `gguf` engine, as the live panel would. The figures are recorded in the
model store's entry (`copilot models list` shows them).

A format that lists the pack in an engine's order (`conversation:order=pick|picknet|rating`) also gets
`first_listed`: the top-1 of always taking the first card listed ("A)"), and how often the model's pick was that
card. A small model can learn the order rather than the cards; at 100% it picks what the ordering engine picks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from copilot.progress import EventKind, ProgressWriter


@dataclass
class ExportEval:
    figures: dict = field(default_factory=dict)  # n, top1, top3, valid (fractions)
    picks_file: str | None = None
    error: str | None = None  # why there are no figures

    def to_dict(self) -> dict:
        return {**self.figures, "picks_file": self.picks_file, "error": self.error}


def validation_picks(run: Path) -> Path:
    """The held-out picks of the run's dataset (ConfigError when the run has no readable config)."""
    from copilot.training.config import TrainConfig
    from copilot.training.dataset import VAL_PICKS

    return Path(TrainConfig.load(run).dataset) / VAL_PICKS


def evaluate_gguf(gguf: Path, prompt_format: str, picks: Path, limit: int, threads: int,
                  events: ProgressWriter) -> dict:
    from copilot.cards.catalog import default_catalog
    from copilot.datasets.evaluate import evaluate
    from copilot.picking.registry import create_engine

    engine = create_engine("gguf", {"model": str(gguf), "format": prompt_format, "n_threads": threads})
    ok, why = engine.available()
    if not ok:
        raise RuntimeError(f"the gguf engine cannot load {gguf.name}: {why}")
    listed = listed_order(prompt_format)

    def progress(msg: str) -> None:
        if events:
            events.emit(EventKind.PROGRESS, message=msg)
        else:
            print(f"  {msg}", flush=True)

    try:
        report = evaluate(picks, [engine] + ([listed] if listed else []), default_catalog(), limit=limit,
                          progress=progress, progress_every=2.0)
    finally:
        close = getattr(engine, "close", None)
        if callable(close):
            close()
    model, *rest = [score.to_dict() for score in report.scores]
    figures = {k: model.get(k) for k in ("n", "top1", "top3", "valid")}
    if rest:
        figures["first_listed"] = {"top1": rest[0]["top1"], "model_picked_it": rest[0].get("same_top_as_first")}
    return figures


def listed_order(prompt_format: str):
    """The `ListedOrder` engine of a format that lists packs in an engine's order; None for other formats."""
    from copilot.picking.pack_order import ListedOrder
    from copilot.picking.prompts import get_format

    fmt = get_format(prompt_format)
    order = getattr(fmt, "order", None)
    return ListedOrder(fmt) if order is not None and order.value != "pack" else None


def evaluate_export(run: Path, gguf: Path, prompt_format: str, limit: int, *, threads: int,
                    store_name: str | None, store_root: Path | None, events: ProgressWriter) -> ExportEval:
    """Evaluate and record; a failure is reported in the result (the exported model stays), never raised."""
    from copilot.training.config import ConfigError

    def say(msg: str) -> None:
        if events:
            events.log(msg)
        else:
            print(msg, flush=True)

    try:
        picks = validation_picks(run)
    except ConfigError as exc:
        return ExportEval(error=str(exc))
    if not picks.is_file():
        out = ExportEval(error=f"no {picks.name} in the run's dataset folder {picks.parent}: rebuild the dataset "
                               f"with `copilot dataset build` to get held-out picks")
        say(f"evaluation skipped: {out.error}")
        return out
    say(f"evaluating {gguf.name} on {limit} held-out validation picks ({picks})…")
    try:
        figures = evaluate_gguf(gguf, prompt_format, picks, limit, threads, events)
    except Exception as exc:  # noqa: BLE001 - llama.cpp/engine errors: the model is exported all the same
        out = ExportEval(picks_file=str(picks), error=f"evaluation failed: {type(exc).__name__}: {exc}")
        say(out.error)
        return out
    if not figures.get("n"):
        out = ExportEval(picks_file=str(picks), error=f"no pick of {picks} could be ranked (empty or unreadable)")
        say(out.error)
        return out
    say(f"  top-1 {figures['top1']:.3f}, top-3 {figures['top3']:.3f} on {figures['n']} picks")
    first = figures.get("first_listed")
    if first and first.get("model_picked_it") is not None:
        say(f"  always the first card listed would score top-1 {first['top1']:.3f}; the model picked it at "
            f"{first['model_picked_it']:.1%} of picks")
    if store_name:
        from copilot.store.model_store import ModelStore

        ModelStore(store_root).update_eval(store_name, {**figures, "picks_file": str(picks)})
    return ExportEval(figures=figures, picks_file=str(picks))
