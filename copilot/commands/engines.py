"""`copilot engines`: which pick engines can run here, and why not when they cannot."""
from __future__ import annotations

import json


def register(subparsers) -> None:
    p = subparsers.add_parser("engines", help="list pick engines and whether each is available (and why not)")
    p.add_argument("--set", dest="set_code", help="check for this set (e.g. DSK: are there ratings for it?)")
    p.add_argument("--model", help="model file for gguf/hf/picknet/mlp")
    p.add_argument("--ratings", help="ratings file for the ratings engine")
    p.add_argument("--engine", action="append", dest="engines", metavar="NAME", help="only these engines")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_engines)


def run_engines(args) -> int:
    from copilot.picking.registry import DESCRIPTIONS, FALLBACK_ORDER, engine_status

    options: dict[str, dict] = {}
    if args.model:
        for name in ("gguf", "hf", "picknet", "mlp"):
            options[name] = {"model": args.model}
    if args.ratings:
        options["ratings"] = {"ratings": args.ratings}
    status = engine_status(options, set_code=args.set_code, names=args.engines)
    if args.json:
        print(json.dumps({"set": args.set_code, "fallback_order": list(FALLBACK_ORDER), "engines": status}, indent=2))
        return 0
    width = max(len(n) for n in status)
    for name, state in status.items():
        print(f"{name.ljust(width)}  {state}")
        print(f"{' ' * width}  ({DESCRIPTIONS.get(name, '')})")
    print(f"fallback order: {' -> '.join(FALLBACK_ORDER)}")
    return 0
