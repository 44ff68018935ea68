#!/usr/bin/env bash
# Set up the environment (first run: a few minutes) and start Magic Copilot.
# With no arguments the desktop app opens; any arguments go to the `copilot` command instead
# (e.g. `scripts/start.sh live`, `scripts/start.sh replay Player.log`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ $# -eq 0 ]; then exec .venv/bin/copilot gui; else exec .venv/bin/copilot "$@"; fi
