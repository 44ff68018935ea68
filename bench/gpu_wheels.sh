#!/usr/bin/env bash
# Build the folder of files bench/gpu_check.sh carries to a CUDA machine that has only torch, transformers, peft and
# accelerate and no network: the bitsandbytes wheel (NF4, paged 8-bit AdamW), the SmolLM2 tokenizer (no weights),
# 64 real DSK validation prompts and the project's own package. Prints the folder's size (limit 64 MiB).
#   bench/gpu_wheels.sh OUT_DIR [DATASET_DIR]
set -euo pipefail
OUT=$1; DS=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python}
mkdir -p "$OUT/wheels" "$OUT/tokenizer"
$PY -m pip download --no-deps --only-binary :all: -d "$OUT/wheels" bitsandbytes==0.50.2
$PY - "$OUT/tokenizer" <<'PY'
import sys
from transformers import AutoTokenizer
from copilot.training.base_models import resolve_base_model
AutoTokenizer.from_pretrained(str(resolve_base_model("smollm2-135m-instruct").path)).save_pretrained(sys.argv[1])
PY
if [ -z "$DS" ]; then
  DS=$(mktemp -d)/ds
  $PY -m copilot dataset build --picks "${COPILOT_SHARED:-../shared}/data/picks/DSK/draft_data_public.DSK.PremierDraft.dev-sample.csv.gz" \
      --out "$DS" --format v1 --max-drafts 20 --val-drafts 4 --quiet
fi
head -n 64 "$DS/val.jsonl" > "$OUT/val.jsonl"
git -C "$ROOT" archive HEAD copilot bench/gpu_check.py bench/gpu_check.sh | tar -x -C "$OUT"
du -sh "$OUT"; du -sb "$OUT" | awk '{printf "%.1f MiB of 64\n", $1/1048576}'
