"""`copilot models list|info|activate|remove|add|verify`: the local GGUF model store."""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser("models", help="list, inspect, activate or remove local fine-tuned models",
                              description="The local model store (default: the user data folder's models/; "
                                          "$COPILOT_HOME overrides). The active model is the one the GGUF engine "
                                          "uses.")
    p.add_argument("--store", metavar="DIR", help="model store folder (default: user data folder/models)")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)  # lets --store follow the action too
    common.add_argument("--store", metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    ls = sub.add_parser("list", parents=[common], help="list registered models (* = active)")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=_list)

    info = sub.add_parser("info", parents=[common], help="show a model's manifest (default: the active model)")
    info.add_argument("name", nargs="?")
    info.set_defaults(func=_info)

    act = sub.add_parser("activate", parents=[common], help="make a model the one the GGUF engine uses")
    act.add_argument("name")
    act.set_defaults(func=_activate)

    rm = sub.add_parser("remove", parents=[common], help="delete a model from the store")
    rm.add_argument("name")
    rm.add_argument("--force", action="store_true",
                    help="also remove the active model (no model is active afterwards)")
    rm.set_defaults(func=_remove)

    add = sub.add_parser("add", parents=[common], help="register an existing GGUF file (copied into the store)")
    add.add_argument("gguf", help="path of the .gguf file")
    add.add_argument("--prompt-format", help="prompt format the model was trained with (e.g. v1); default: the one "
                     "the file names (a `copilot export` writes it), needed for other files")
    add.add_argument("--name", help="store name (default: the file name without extension)")
    add.add_argument("--base-model", help="base model id, e.g. HuggingFaceTB/SmolLM2-135M-Instruct")
    add.add_argument("--quantization", help="e.g. Q4_K_M")
    add.add_argument("--move", action="store_true", help="move the file instead of copying it")
    add.add_argument("--activate", action="store_true", help="make it the active model")
    add.set_defaults(func=_add)

    ver = sub.add_parser("verify", parents=[common], help="recompute a model's sha256 and compare it with its manifest")
    ver.add_argument("name")
    ver.set_defaults(func=_verify)

    p.set_defaults(func=_list, json=False)


def _store(args):
    from copilot.store.model_store import ModelStore

    return ModelStore(getattr(args, "store", None))


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def _human_size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    entries = store.list()
    if getattr(args, "json", False):
        print(json.dumps([e.to_dict() for e in entries], indent=2, default=str))
        return 0
    if not entries:
        print(f"no models in {store.root} (train one with `copilot train` + `copilot export`, "
              "or add a GGUF with `copilot models add FILE`; a GGUF made elsewhere also needs --prompt-format)")
        return 0
    print(f"models in {store.root}:")
    for e in entries:
        top1 = e.eval.get("top1")
        figures = f"  top1={top1:.3f}" if isinstance(top1, (int, float)) else ""
        problem = f"  [{e.problem}]" if e.problem else ""
        print(f"{'*' if e.active else ' '} {e.name}  format={e.prompt_format or '?'}  "
              f"base={e.base_model or '?'}  quant={e.quantization or '?'}  {_human_size(e.size_bytes)}"
              f"{figures}{problem}")
    if store.active() is None:
        print("(no active model: `copilot models activate NAME`)")
    return 0


def _info(args: argparse.Namespace) -> int:
    from copilot.store.model_store import StoreError

    store = _store(args)
    try:
        entry = store.get(args.name) if args.name else store.active()
    except StoreError as exc:
        return _fail(str(exc))
    if entry is None:
        return _fail("no active model; name one: `copilot models info NAME` (see `copilot models list`)")
    print(json.dumps(entry.to_dict(), indent=2, default=str))
    return 0


def _activate(args: argparse.Namespace) -> int:
    from copilot.store.model_store import StoreError

    try:
        entry = _store(args).activate(args.name)
    except StoreError as exc:
        return _fail(str(exc))
    print(f"active model: {entry.name} (prompt format {entry.prompt_format})")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from copilot.store.model_store import StoreError

    try:
        entry = _store(args).remove(args.name, force=args.force)
    except StoreError as exc:
        return _fail(str(exc))
    print(f"removed {entry.name}" + (" (it was active: no model is active now)" if entry.active else ""))
    return 0


def _add(args: argparse.Namespace) -> int:
    from copilot.store.model_store import StoreError

    from copilot.picking.model_files import ModelFileError, validate_gguf

    fmt = args.prompt_format
    if not fmt:
        try:
            fmt = validate_gguf(args.gguf, "model").prompt_format
        except ModelFileError as exc:
            return _fail(str(exc))
        if not fmt:
            return _fail(f"{args.gguf} does not name the prompt format it was trained with: give it with "
                         f"--prompt-format (e.g. v1)")
    manifest = {"prompt_format": fmt, "base_model": args.base_model,
                "quantization": args.quantization, "source": "added by hand (copilot models add)"}
    try:
        entry = _store(args).register(args.gguf, manifest, name=args.name, move=args.move, activate=args.activate)
    except StoreError as exc:
        return _fail(str(exc))
    print(f"registered {entry.name} ({_human_size(entry.size_bytes)}, sha256 {entry.sha256[:12]}...)"
          + (" and activated it" if entry.active else ""))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from copilot.store.model_store import StoreError

    try:
        ok, msg = _store(args).verify(args.name)
    except StoreError as exc:
        return _fail(str(exc))
    print(f"{args.name}: {msg}")
    return 0 if ok else 1
