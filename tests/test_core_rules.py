"""Architecture invariants that every change must keep."""
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "copilot"
HEAVY = ("torch", "transformers", "peft", "bitsandbytes", "llama_cpp", "openai", "PySide6")


def test_qt_only_under_gui():
    offenders = []
    for py in PKG.rglob("*.py"):
        if "gui" in py.relative_to(PKG).parts:
            continue
        text = py.read_text(encoding="utf-8")
        if "PySide6" in text or "from PyQt" in text or "import PyQt" in text:
            offenders.append(str(py))
    assert offenders == []


def test_help_is_instant_and_imports_no_heavy_library():
    code = ("import sys; from copilot.cli import build_parser; build_parser();"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"heavy modules imported by the CLI parser: {out}"


def test_cli_help_runs():
    r = subprocess.run([sys.executable, "-m", "copilot", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "copilot" in r.stdout
