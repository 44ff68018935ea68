"""`copilot dataset build|info`: chat-format pick datasets from 17lands draft data."""
from __future__ import annotations

import argparse
import json
import sys

from copilot.progress import EventKind, ProgressWriter, add_flag


def register(subparsers) -> None:
    p = subparsers.add_parser("dataset", help="build a fine-tuning dataset from 17lands picks",
                              description="Build train/val chat datasets (JSONL + manifest) from a 17lands "
                                          "draft_data CSV(.gz) or a picks JSONL(.gz), split by draft.")
    sub = p.add_subparsers(dest="dataset_command", metavar="ACTION")

    b = sub.add_parser("build", help="stream a pick file into train.jsonl / val.jsonl / manifest.json")
    b.add_argument("--picks", required=True, metavar="FILE",
                   help="draft_data_public.<SET>.<EVENT>.csv.gz or a picks .jsonl(.gz)")
    b.add_argument("--out", required=True, metavar="DIR", help="dataset folder to create")
    b.add_argument("--format", default="v1", dest="prompt_format",
                   help="prompt format: v1, v1-compact, or conversation (the draft as one chat, every pick supervised; "
                        "options after a colon: conversation:knowledge=name|basic|text|stats|rated,repeat=0|1,signals=0|1,"
                        "reminder=auto|pack,order=pack|rating|pick|picknet,colours=0|1,answer=name|label); or picks: no prompt, the "
                        "picks alone, for train-baseline and the quick model (several times faster to build)")
    b.add_argument("--segment", choices=("auto", "draft", "pack"), default="auto",
                   help="conversation formats: one sequence per draft, per pack, or per draft when it fits "
                        "--max-tokens (auto, default)")
    b.add_argument("--max-tokens", type=int, default=8192, metavar="N",
                   help="conversation formats: the base model's context length (default 8192, SmolLM2-135M)")
    g = b.add_mutually_exclusive_group()
    g.add_argument("--val-frac", type=float, metavar="F", help="fraction of drafts for validation (default 0.1)")
    g.add_argument("--val-drafts", type=int, metavar="N", help="exactly N validation drafts")
    b.add_argument("--seed", type=int, default=0, help="split seed (default 0)")
    b.add_argument("--max-drafts", type=int, metavar="N", help="use only the first N drafts of the file")
    f = b.add_argument_group("filters (applied only where the file fills the column; the manifest says so)")
    f.add_argument("--min-rank", metavar="RANK", help="bronze, silver, gold, platinum, diamond or mythic")
    f.add_argument("--min-event-wins", type=int, metavar="N", help="drafter's final event wins >= N")
    f.add_argument("--min-win-rate", type=float, metavar="F",
                   help="user_game_win_rate_bucket >= F (a fraction, e.g. 0.55)")
    f.add_argument("--min-games", type=int, metavar="N", help="user_n_games_bucket >= N")
    f.add_argument("--picks-range", dest="pick_range", metavar="A-B", help="picks within the pack, 1-based, e.g. 1-8")
    f.add_argument("--packs", metavar="A-B", help="packs, 1-based, e.g. 1-2")
    b.add_argument("--catalog", choices=("default", "none"), default="default",
                   help="card data for the prompts (default: the bundled catalog; none: names only)")
    b.add_argument("--force", action="store_true", help="replace --out if it exists")
    b.add_argument("--allow-truncated", action="store_true",
                   help="build from the readable rows of a file that ends abruptly (recorded in the manifest)")
    b.add_argument("--quiet", action="store_true")
    add_flag(b)
    b.set_defaults(func=_build)

    i = sub.add_parser("info", help="summarise a dataset folder's manifest")
    i.add_argument("folder")
    i.add_argument("--json", action="store_true", help="print the whole manifest")
    i.set_defaults(func=_info)

    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from copilot.training.dataset import DatasetConfig, DatasetError, build_dataset
    from copilot.training.filters import FilterSpec

    spec = FilterSpec(min_rank=args.min_rank, min_event_wins=args.min_event_wins, min_win_rate=args.min_win_rate,
                      min_games=args.min_games, picks=args.pick_range, packs=args.packs)
    cfg = DatasetConfig(picks=Path(args.picks), out=Path(args.out), prompt_format=args.prompt_format,
                        val_frac=args.val_frac, val_drafts=args.val_drafts, seed=args.seed, filters=spec,
                        max_drafts=args.max_drafts, catalog=args.catalog, force=args.force,
                        allow_truncated=args.allow_truncated, segment=args.segment, max_tokens=args.max_tokens)

    events = ProgressWriter(args.json_progress)

    def progress(p: dict) -> None:
        if events:
            events.emit(EventKind.PROGRESS, **p)
        elif not args.quiet:
            rate = p["rows"] / p["seconds"] if p["seconds"] else 0.0
            print(f"  {p['rows']:,} rows, {p['examples']:,} examples ({rate:,.0f} rows/s)", file=sys.stderr)

    def log(message: str) -> None:
        if events:
            events.emit(EventKind.LOG, message=message)
        elif not args.quiet:
            print(f"  {message}", file=sys.stderr)

    try:
        m = build_dataset(cfg, progress=progress, log=log)
    except DatasetError as exc:
        events.error(str(exc))
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
    _print_summary(m, args.out)
    events.emit(EventKind.RESULT, folder=str(Path(args.out).resolve()), manifest=m)
    return 0


def _print_summary(m: dict, folder) -> None:
    c = m["counts"]
    print(f"dataset {folder}: {m['source']['name']} ({', '.join(m['set_codes'])}, {', '.join(m['event_types'])}), "
          f"prompt format {m['prompt_format']}")
    print(f"  train: {c['examples']['train']:,} examples / {c['drafts']['train']:,} drafts;  "
          f"val: {c['examples']['val']:,} examples / {c['drafts']['val']:,} drafts  "
          f"({m['split']['method']}, seed {m['seed']})")
    conv = m.get("conversation")
    if conv:
        picks = c.get("picks", {})
        print(f"  conversation: {conv['sequences']['draft']:,} whole-draft and {conv['sequences']['pack']:,} per-pack "
              f"sequences (--segment {conv['segment']}, --max-tokens {conv['max_tokens']}); supervised picks: "
              f"train {picks.get('train', 0):,}, val {picks.get('val', 0):,}"
              + (f"; {conv['drafts_dropped_by_filters']} drafts dropped by filters"
                 if conv["drafts_dropped_by_filters"] else ""))
    print(f"  rows read {c['rows_read']:,}, malformed {c['rows_malformed']:,}, filtered out {c['rows_filtered']:,}"
          + (f", stopped after {m['limits']['max_drafts']} drafts" if m["limits"].get("stopped_early") else ""))
    for name, r in m["filters"]["results"].items():
        print(f"  filter {name}={r['value']}: rejected {r['rows_rejected']:,} of {r['rows_checked']:,} checked"
              + (f" — {r['note']}" if r.get("note") else ""))
    for ex in m["input"]["malformed_examples"][:5]:
        print(f"  malformed: {ex}")
    if m["input"].get("truncated"):
        print(f"  WARNING: {m['input']['truncated']}")
    print(f"  {m['card_count']} card names; card data: {m['catalog']['source']}"
          + (f" ({m['catalog']['names_without_card_data']} names without card data)"
             if m["catalog"]["names_without_card_data"] else ""))


def _info(args: argparse.Namespace) -> int:
    from copilot.training.dataset import DatasetError, load_manifest

    try:
        m = load_manifest(args.folder)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(m, indent=2, ensure_ascii=False))
    else:
        _print_summary(m, args.folder)
    return 0
