#!/usr/bin/env bash
# Item 6 of issue 10 at full size: N whole tables of 8 LLM seats of one exported model (one conversation per seat,
# the model's own prompt format), and the ratings and picknet bots on the same boosters (seeds 0..N-1).
# Resumable: one JSON per LLM table (OUT/llm-SEED.json); a table already written is skipped, so a killed run goes on
# where it stopped.
#   bench/llm_bots_tables.sh MODEL.gguf OUT [N] [SEAT_OPTIONS]   (N=20; about 5 minutes a table on 2 cores)
# SEAT_OPTIONS are added to every LLM seat, e.g. temperature=0.75 (a personality: the pick is drawn from the model's
# probabilities sharpened by 1/T instead of always its top card). Use one OUT per SEAT_OPTIONS.
# Then: python bench/bots_table.py OUT/llm-*.json --agreement picknet   (and OUT/ratings.json, OUT/picknet.json)
set -euo pipefail
M=$(realpath "$1"); OUT=$2; N=${3:-20}; EXTRA=${4:+,$4}
PY=${PYTHON:-python}
mkdir -p "$OUT"
[ -s "$OUT/ratings.json" ] || $PY -m copilot simulate --set DSK --drafts "$N" --seed 0 --humans --json > "$OUT/ratings.json"
[ -s "$OUT/picknet.json" ] || $PY -m copilot simulate --set DSK --drafts "$N" --seed 0 --json \
  $(for _ in 1 2 3 4 5 6 7 8; do echo --seat picknet; done) > "$OUT/picknet.json"
SEATS=(); for _ in 1 2 3 4 5 6 7 8; do SEATS+=(--seat "gguf:model=$M,n_threads=2$EXTRA"); done
for ((S = 0; S < N; S++)); do
  [ -s "$OUT/llm-$S.json" ] && continue
  $PY -m copilot simulate --set DSK --drafts 1 --seed "$S" --json "${SEATS[@]}" > "$OUT/llm-$S.json.part"
  mv "$OUT/llm-$S.json.part" "$OUT/llm-$S.json"
done
echo "done: $OUT"
