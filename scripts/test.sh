#!/usr/bin/env bash
# Set up the environment (first run: a few minutes) and run the test suite.
#   scripts/test.sh            fast suite + slow integration tests (real models, servers, training)
#   scripts/test.sh -m "not slow"   fast suite only; any pytest arguments pass through
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
exec .venv/bin/python -m pytest "$@"
