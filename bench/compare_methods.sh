#!/usr/bin/env bash
# The measured comparison of issue 14: SFT alone vs SFT+DPO vs SFT+SPIN from ONE finished SFT run, each arm K more
# optimizer steps at the same batch (batch 1 x accum 2), same base (SmolLM2-135M-Instruct), same seed, evaluated on
# the same whole validation drafts (eval_drafts of the SFT run's config). Runs one arm at a time at nice 10.
#   bench/compare_methods.sh SFT_RUN DATASET OUT K
# Each arm's figures: OUT/<arm>/status.json (final_eval: top-1/top-3 with cluster SE, by pick bucket) and
# metrics.jsonl (tokens, step times); bench/compare_table.py OUT prints the table.
set -euo pipefail
SFT=$1; DS=$2; OUT=$3; K=${4:-6}
mkdir -p "$OUT"
PY=${PYTHON:-python}
BASE_STEPS=$($PY -c "import json,sys; print(json.load(open('$SFT/config.json'))['max_steps'])")
COMMON=(--dataset "$DS" --preset cpu-small --accum 2 --seq 640 --set num_threads=1 --set eval_every=0
        --set eval_drafts=2 --set max_train_examples=1000 --set save_every=100 --set warmup_steps=0 --set seed=1234)
# arm 1: SFT alone, continued for K more steps (copy of the run, resumed with max_steps + K)
rm -rf "$OUT/sft-more" && cp -r "$SFT" "$OUT/sft-more" && rm -rf "$OUT/sft-more/adapter"
/usr/bin/time -f "sft-more wall %e s" nice -n 10 $PY -m copilot train --resume "$OUT/sft-more" --steps $((BASE_STEPS + K))
# arm 2: SFT then DPO (one random other card of the pack per pick)
nice -n 10 /usr/bin/time -f "dpo wall %e s" $PY -m copilot train --method dpo --from "$SFT" --out "$OUT/dpo" --steps "$K" "${COMMON[@]}"
# arm 3: SFT then SPIN, 2 rounds of K/2 steps on the model's disagreements among 16 training picks per round
nice -n 10 /usr/bin/time -f "spin wall %e s" $PY -m copilot train --method spin --from "$SFT" --out "$OUT/spin" --steps "$K" \
  --set spin_rounds=2 --set spin_pool=16 "${COMMON[@]}"
