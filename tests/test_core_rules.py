"""Architecture invariants that every change must keep."""
import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "copilot"
HEAVY = ("torch", "transformers", "peft", "bitsandbytes", "llama_cpp", "openai", "PySide6")


def _imported_modules(py: Path) -> set[str]:
    tree = ast.parse(py.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_qt_only_under_gui():
    offenders = []
    for py in PKG.rglob("*.py"):
        if "gui" in py.relative_to(PKG).parts:
            continue
        if _imported_modules(py) & {"PySide6", "PyQt5", "PyQt6", "shiboken6"}:
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
