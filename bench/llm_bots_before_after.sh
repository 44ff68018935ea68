#!/usr/bin/env bash
# Item 6 of issue 10: whole tables of 8 LLM seats of one exported model, before and after the seat-format fix, with
# the ratings bots on the same boosters. "before" runs what the old seat spec ran for the recipe's format
# (format=conversation:answer=label; the other format options were dropped); "after" gives no format, so the engine
# takes the model's own (copilot.prompt_format) and serves it per pack (segment=pack for files exported earlier).
#   bench/llm_bots_before_after.sh MODEL.gguf OUT [SEEDS]      e.g. SEEDS="0 1"
# Then: python bench/bots_table.py OUT/after-*.json --agreement ratings (and before-*, ratings.json).
set -euo pipefail
M=$(realpath "$1"); OUT=$2; SEEDS=${3:-"0 1"}
PY=${PYTHON:-python}
mkdir -p "$OUT"
N=$(wc -w <<< "$SEEDS"); FIRST=${SEEDS%% *}
$PY -m copilot simulate --set DSK --drafts "$N" --seed "$FIRST" --json > "$OUT/ratings.json"
for S in $SEEDS; do
  for KIND in after before; do
    OPT="segment=pack"; [ "$KIND" = before ] && OPT="format=conversation:answer=label"
    SEATS=(); for _ in 1 2 3 4 5 6 7 8; do SEATS+=(--seat "gguf:model=$M,n_threads=2,$OPT"); done
    $PY -m copilot simulate --set DSK --drafts 1 --seed "$S" --json "${SEATS[@]}" > "$OUT/$KIND-$S.json"
  done
done
echo "done: $OUT"
