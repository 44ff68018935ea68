#!/usr/bin/env bash
# The measured comparison of issue 14 (and the recipe rows of issue 10): SFT alone vs SFT+DPO vs SFT+SPIN from ONE
# finished SFT run, each arm K more optimizer steps at the same batch (1 sequence / pair per step), same base
# (SmolLM2-135M-Instruct), same seed; every arm (and the SFT run itself) exported to GGUF Q8_0 and evaluated by the
# gguf engine (the live engine, KV cache kept across the conversation) on the same N whole held-out drafts.
#   bench/compare_methods.sh SFT_RUN DATASET OUT [K] [N]
# One process at a time. Figures: OUT/<arm>/eval.json (top-1/top-3, by pick, latency), metrics.jsonl (tokens,
# step times); bench/compare_table.py OUT SFT_RUN prints the training side.
# The session-15 figures came from (the SFT run: see the closing note):
#   copilot dataset build --picks ../shared/data/picks/DSK/dsk_picks.dev.jsonl.gz --out ds-rc --segment pack \
#     --format "conversation:knowledge=rated,order=rating,colours=1,repeat=1"
#   copilot train --preset cpu-small --dataset ds-rc --out sft-base --steps 45 --accum 1 --seq 4096 --lr 1e-3 \
#     --set lr_scheduler=constant --set warmup_steps=3 --set eval_every=0 --set eval_drafts=0 --set eval_examples=1 \
#     --set save_every=5 --set seed=1234
#   bench/compare_methods.sh sft-base ds-rc cmp 12 5
set -euo pipefail
SFT=$(realpath "$1"); DS=$(realpath "$2"); OUT=$3; K=${4:-12}; N=${5:-5}
mkdir -p "$OUT"; OUT=$(realpath "$OUT")
PY=${PYTHON:-python}
FMT=$($PY -c "import json; print(json.load(open('$DS/manifest.json'))['prompt_format'])")
BASE_STEPS=$($PY -c "import json; print(json.load(open('$SFT/status.json'))['step'])")
COMMON=(--preset cpu-small --from "$SFT" --dataset "$DS" --seq 4096 --accum 1 --lr 2e-4 --set lr_scheduler=constant
        --set warmup_steps=0 --set eval_every=0 --set eval_drafts=0 --set eval_examples=1 --set save_every=4
        --set seed=1234)
# arm 1: SFT alone, continued for K more steps (a copy of the run, resumed with max_steps + K)
rm -rf "$OUT/sft-more" && cp -r "$SFT" "$OUT/sft-more" && rm -rf "$OUT/sft-more/adapter"
$PY -m copilot train --resume "$OUT/sft-more" --steps $((BASE_STEPS + K))
# arm 2: SFT then DPO (one random other card of the pack per pick)
$PY -m copilot train --method dpo --out "$OUT/dpo" --steps "$K" "${COMMON[@]}" --set pairs_per_pick=1
# arm 3: SFT then SPIN, 2 rounds of K/2 steps on the model's disagreements among 8 training picks per round
$PY -m copilot train --method spin --out "$OUT/spin" --steps "$K" "${COMMON[@]}" --set spin_rounds=2 --set spin_pool=8
for run in "$SFT" "$OUT/sft-more" "$OUT/dpo" "$OUT/spin"; do
  $PY -m copilot export "$run" --quant Q8_0 --no-register --out "$run/model.gguf" > "$run/export.out" 2>&1
  $PY -m copilot eval --picks "$DS/val.picks.jsonl" --engine gguf --model "$run/model.gguf" --format "$FMT" \
    --sample "$N" --seed 0 --opt gguf.n_threads=2 --quiet --json > "$run/eval.json"
done
