"""The layer order of docs/architecture.md, enforced: import-linter's layers contract (pyproject.toml), and an
import graph of our own over every `import` / `from ... import` in copilot/ (inside functions too, and the
"module:Class" paths that the engine registry and the GUI's panel table load by name; a subprocess started as
`python -m copilot...` is not an import)."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PKG = REPO / "copilot"
MODULE_STRING = re.compile(r"""["'](copilot(?:\.\w+)+):\w+["']""")  # "copilot.x.y:Class", loaded by name


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(path: Path, root: Path) -> set[str]:
    """Every copilot module this file imports or names as a string to import."""
    text = path.read_text(encoding="utf-8")
    mod = _module_name(path, root)
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)  # `from copilot import x` names a module too
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.update(m.group(1) for m in MODULE_STRING.finditer(repr(node.value)))
    root_name = root.name
    return {t for t in out if t == root_name or t.startswith(root_name + ".")}


def subpackage_graph(root: Path) -> dict[str, set[str]]:
    """{sub-package or top module: the other ones it imports}, e.g. {"picking": {"cards", "draft"}}."""
    def unit(name: str) -> str | None:
        parts = name.split(".")
        return parts[1] if len(parts) > 1 else None

    graph: dict[str, set[str]] = defaultdict(set)
    for path in root.rglob("*.py"):
        src = unit(_module_name(path, root))
        if src is None:
            continue
        for target in _targets(path, root):
            dst = unit(target)
            if dst is not None and dst != src and ((root / dst).is_dir() or (root / f"{dst}.py").exists()):
                graph[src].add(dst)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def test_no_subpackage_imports_one_that_imports_it_back():
    graph = subpackage_graph(PKG)
    mutual = sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, ()))
    assert mutual == [], f"sub-packages importing each other: {mutual}"
    assert cycles(graph) == []


def test_the_graph_check_sees_imports_inside_functions_and_module_strings(tmp_path):
    """The check above must be able to fail: a package with an upward import hidden in a function, and one named
    in a registry string, forms a cycle."""
    pkg = tmp_path / "copilot"
    for sub in ("low", "high", "reg"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "high" / "a.py").write_text("from copilot.low import b\n")
    (pkg / "low" / "b.py").write_text("def f():\n    from copilot.high import a\n    return a\n")
    (pkg / "reg" / "r.py").write_text('ENGINES = {"x": "copilot.low.b:Thing"}\n')
    (pkg / "low" / "c.py").write_text("from copilot import reg\n")
    graph = subpackage_graph(pkg)
    assert graph["high"] == {"low"} and graph["low"] == {"high", "reg"} and graph["reg"] == {"low"}
    assert cycles(graph) == [["high", "low", "reg"]]


def test_import_linter_layers_contract_is_kept():
    pytest.importorskip("importlinter")
    lint = Path(sys.executable).with_name("lint-imports")
    cmd = [str(lint)] if lint.exists() else [sys.executable, "-m", "importlinter.cli"]
    r = subprocess.run([*cmd, "--config", str(REPO / "pyproject.toml"), "--no-cache"], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "1 kept, 0 broken" in r.stdout


def test_no_module_over_500_lines():
    long = {str(p.relative_to(REPO)): n for p in PKG.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}


@pytest.mark.requires("surely_not_an_installed_module_2f9c")
def test_requires_marker_skips_what_a_missing_backend_cannot_run():
    raise AssertionError("the requires marker should have skipped this test")
