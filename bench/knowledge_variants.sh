#!/usr/bin/env bash
# Card knowledge in the prompt at equal training budget (issue 10 item 2): the CPU recipe's format with each
# `knowledge` value (name, basic, text, rated), trained for the same minutes of step time, each evaluated by the
# live gguf engine on the same N held-out DSK drafts. Resumable: a finished variant (OUT/K/eval.json) is skipped,
# an interrupted one continues from its checkpoint (`copilot train` resumes an existing run folder).
#   bench/knowledge_variants.sh OUT [MINUTES] [N] [KNOWLEDGE...]
# ORDER=picknet lists each pack in the pick model's order instead of the ratings engine's (the dataset build finds or
# trains a PickNet that never saw the validation drafts), e.g. the session-22 rows of the recipe table:
#   ORDER=picknet bench/knowledge_variants.sh OUT 20 5 name rated
# Rows: OUT/<knowledge>/eval.json (top-1/top-3, by pick, latency, tokens per pick) and OUT/<knowledge>/run/metrics.jsonl
# (steps, tokens and step time spent). Run it alone: one training process on these 2 cores.
set -euo pipefail
OUT=$1; MINUTES=${2:-30}; N=${3:-5}; shift $(( $# < 3 ? $# : 3 ))
KINDS=${*:-rated name basic text}; ORDER=${ORDER:-pick}
HERE=$(cd "$(dirname "$0")" && pwd)
for K in $KINDS; do
  [ -s "$OUT/$K/eval.json" ] && continue
  "$HERE/llm_recipe.sh" "conversation:answer=label,colours=1,knowledge=$K,order=$ORDER,repeat=1" "$OUT/$K" 100000 "$N" \
    1e-3 "$MINUTES"
done
PY=${PYTHON:-python}
for K in $KINDS; do
  [ -s "$OUT/$K/eval.json" ] && $PY - "$OUT/$K" <<'PYEOF'
import json, sys
from pathlib import Path
d = Path(sys.argv[1])
ev = json.loads((d / "eval.json").read_text())
rows = [json.loads(x) for x in (d / "run" / "metrics.jsonl").read_text().splitlines() if x.strip()]
e = next(r for r in ev.get("engines", [ev]) if r.get("engine") == "gguf") if "engines" in ev else ev
print(f"{d.name:<6} steps {rows[-1]['step']:>4}  tokens {sum(r.get('tokens') or 0 for r in rows):>9,}  "
      f"minutes {sum(r.get('step_time_s') or 0 for r in rows) / 60:6.1f}  top1 {e['top1']:.1%}  top3 {e['top3']:.1%}")
PYEOF
done
