#!/usr/bin/env bash
# Build the Linux desktop bundle (one folder) into dist/magic-copilot/ with PyInstaller.
#   packaging/build_linux.sh [PYTHON]      PYTHON defaults to .venv/bin/python, else python3
# Needs an environment with the live app installed (`pip install -e ".[live]"`) plus `pyinstaller==6.22.3`
# (the `package` extra). Training is not bundled: it runs from a full install (see packaging/README.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-}"
if [[ -z "$PY" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"; else PY="python3"; fi
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "error: PyInstaller is not installed for $PY." >&2
  echo "       install it with:  $PY -m pip install 'pyinstaller==6.22.3'   (or: pip install -e '.[package]')" >&2
  exit 2
fi
for mod in PySide6 copilot; do
  "$PY" -c "import $mod" 2>/dev/null || { echo "error: $mod is not importable with $PY (pip install -e '.[live]')" >&2; exit 2; }
done
cd "$ROOT"
if [[ ! -f assets/magic-copilot.png ]]; then
  QT_QPA_PLATFORM=offscreen "$PY" packaging/render_icon.py
fi
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/magic-copilot.spec
end=$(date +%s)
cp packaging/magic-copilot.desktop dist/magic-copilot/
echo "built dist/magic-copilot in $((end - start)) s, $(du -sh dist/magic-copilot | cut -f1)"
echo "smoke check: dist/magic-copilot/magic-copilot --screenshot /tmp/magic-copilot.png --panel live"
