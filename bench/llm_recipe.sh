#!/usr/bin/env bash
# One row of the LLM recipe table (issue 10): build the dataset in a prompt format, SFT SmolLM2-135M-Instruct on it
# (LoRA, cpu-small preset, one per-pack conversation per step), export GGUF Q8_0, and evaluate it with the live gguf
# engine (KV cache kept across the conversation) on N whole held-out drafts (seeded sample) of the same split.
#   bench/llm_recipe.sh FORMAT OUT [STEPS] [N] [LR] [MINUTES]
# MINUTES (optional) also ends training after that much step time (max_minutes): rows at equal time budget.
# e.g. bench/llm_recipe.sh "conversation:colours=1,knowledge=rated,order=rating,repeat=1,answer=label" lab 120 5
# Figures: OUT/run/metrics.jsonl (tokens, step time, memory, validation top-1 on 2 drafts every 60 steps),
# OUT/eval.json (top-1/top-3, by pick, latency). Run it alone: one training process on these 2 cores.
set -euo pipefail
FMT=$1; OUT=$2; STEPS=${3:-210}; N=${4:-5}; LR=${5:-1e-3}; MINUTES=${6:-0}
PY=${PYTHON:-python}
SHARED=${COPILOT_SHARED:-$(dirname "$0")/../../shared}
mkdir -p "$OUT"; OUT=$(realpath "$OUT")
[ -f "$OUT/ds/manifest.json" ] || $PY -m copilot dataset build --picks "$SHARED/data/picks/DSK/dsk_picks.dev.jsonl.gz" \
  --out "$OUT/ds" --segment pack --format "$FMT" --quiet
if [ -d "$OUT/run/adapter" ]; then :  # trained already
elif [ -f "$OUT/run/config.json" ]; then $PY -m copilot train --resume "$OUT/run"  # an interrupted run continues
else $PY -m copilot train --preset cpu-small --dataset "$OUT/ds" --out "$OUT/run" --steps "$STEPS" --accum 1 --seq 4096 \
  --lr "$LR" --set lr_scheduler=constant --set warmup_steps=3 --set eval_every=60 --set eval_drafts=2 \
  --set save_every=10 --set seed=1234 --set max_minutes="$MINUTES"
fi
$PY -m copilot export "$OUT/run" --quant Q8_0 --no-register --out "$OUT/model.gguf" > "$OUT/export.out" 2>&1
$PY -m copilot eval --picks "$OUT/ds/val.picks.jsonl" --engine gguf --model "$OUT/model.gguf" --format "$FMT" \
  --sample "$N" --seed 0 --opt gguf.n_threads=2 --quiet --json > "$OUT/eval.json"
echo "done: $OUT/eval.json"
