#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv.
#   scripts/setup.sh          everything: live assistance, GUI, training stack, test tools
# Safe to re-run: it only installs what is missing. Needs Python 3.11, gcc/g++ and cmake
# (llama-cpp-python compiles from source once; the wheel is cached outside the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=${COPILOT_VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
STAMP="$VENV/.copilot-setup-$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ]; then exit 0; fi
$PIP install -q -U pip
# torch first and pinned: otherwise pip pulls a multi-GB CUDA build (see shared/docs/stack-notes.md).
$PIP install -q torch==2.13.0
# llama-cpp-python ships only as an sdist: build a portable wheel once and keep it.
LLAMA_VERSION=0.3.36
WH=${LLAMA_WHEEL_CACHE:-$HOME/.cache/magic-copilot/wheels/llama-$LLAMA_VERSION-portable}
mkdir -p "$WH"
if ! ls "$WH"/llama_cpp_python-$LLAMA_VERSION-*.whl >/dev/null 2>&1; then
  echo "Building llama-cpp-python $LLAMA_VERSION once (about 3-4 minutes)..."
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" $PIP wheel -q --no-cache-dir --no-deps \
    "llama-cpp-python==$LLAMA_VERSION" -w "$WH"
fi
$PIP install -q --find-links "$WH" -e ".[all,test]"
rm -f "$VENV"/.copilot-setup-*
touch "$STAMP"
