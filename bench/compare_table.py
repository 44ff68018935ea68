"""Print the comparison table of bench/compare_methods.sh: python bench/compare_table.py OUT [SFT_RUN]."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def arm(run: Path, name: str, skip_steps: int = 0) -> str:
    st = json.loads((run / "status.json").read_text())
    ev = st.get("final_eval") or {}
    ms = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    ms = [m for m in ms if m["step"] > skip_steps]
    tokens = sum(m.get("tokens", 0) for m in ms)
    secs = sum(m.get("step_time_s", 0) for m in ms)
    b = ev.get("val_by_bucket", {})
    bucket = " ".join(f"{k} {v['top1']:.2f}" for k, v in b.items())

    def f(x):
        return "-" if x is None else f"{x:.3f}"
    return (f"| {name} | {ev.get('val_n')} picks / {ev.get('val_drafts')} drafts | {f(ev.get('val_top1'))} ± "
            f"{f(ev.get('val_top1_se'))} | {f(ev.get('val_top3'))} ± {f(ev.get('val_top3_se'))} | {bucket} | "
            f"{len(ms)} | {tokens} | {secs:.0f} s |")


def main() -> None:
    out = Path(sys.argv[1])
    print("| arm | validation | top-1 ± SE | top-3 ± SE | top-1 by pick bucket | steps | train tokens | step time |")
    print("|---|---|---|---|---|---|---|---|")
    if len(sys.argv) > 2:
        print(arm(Path(sys.argv[2]), "SFT (start of every arm)"))
    base = json.loads((out / "sft-more" / "config.json").read_text())["max_steps"]
    sft_steps = json.loads((Path(sys.argv[2]) / "config.json").read_text())["max_steps"] if len(sys.argv) > 2 else 0
    print(arm(out / "sft-more", f"SFT alone (+{base - sft_steps} steps)", skip_steps=sft_steps))
    for name in ("dpo", "spin"):
        if (out / name / "status.json").exists():
            print(arm(out / name, f"SFT + {name.upper()}"))


if __name__ == "__main__":
    main()
