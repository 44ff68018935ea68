#!/usr/bin/env bash
# The GPU check (issue 14 item 5): under 10 minutes on one CUDA GPU with only torch, transformers, peft and
# accelerate installed and no network. Run it from the folder bench/gpu_wheels.sh built (it holds the bitsandbytes
# wheel, a tokenizer, real DSK prompts and the project's package):
#   bash bench/gpu_check.sh            (in that folder)
# It installs bitsandbytes from the carried wheel, builds a random Mistral-7B-shaped model (written to ./work once,
# ~14.5 GB), runs each GPU preset's QLoRA steps (NF4, paged 8-bit AdamW, gradient checkpointing) and bf16 LoRA at the
# same settings, and prints tokens/s and peak memory against each preset's estimate.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && [ -d copilot ] && pwd || cd .. && pwd)
cd "$HERE"
PY=${PYTHON:-python}
$PY -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU'; print(torch.__version__, torch.cuda.get_device_name(0))"
$PY -m pip install --no-index --no-deps wheels/bitsandbytes-*.whl -q
export PYTHONPATH=$HERE
timeout 570 $PY bench/gpu_check.py --work ./work --tokenizer ./tokenizer --data ./val.jsonl --steps ${STEPS:-4} "$@"
