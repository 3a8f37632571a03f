"""The layout keeps its promises: what runs inside the sandbox imports only what its README
allows, the autograder's modules import each other without a circle, and no module
imports one of ours inside a function to get round one."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "autograder"
INSIDE = PACKAGE / "sandbox" / "inside"
#: What each file copied into the sandbox may import (README.md there), beyond the stdlib.
ALLOWED = {
    "kernel_exec.py": {"nbformat", "nbclient", "jupyter_client"},
    "runner.py": {"harness"},  # the kit's harness.py, copied beside it
}
#: Imports kept inside a function on purpose, for a reason other than a circle.
LAZY = {("autograder.commands.cli", "autograder.commands.actions")}  # --help without nbgrader


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> list[tuple[ast.stmt, list[str]]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.append((node, [a.name for a in node.names]))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node, [node.module] + [f"{node.module}.{a.name}" for a in node.names]))
    return out


def test_the_files_run_inside_the_sandbox_import_only_what_they_may() -> None:
    files = sorted(p.name for p in INSIDE.glob("*.py") if p.name != "__init__.py")
    assert files == sorted(ALLOWED)
    readme = (INSIDE / "README.md").read_text(encoding="utf-8")
    assert "untrusted territory" in readme.lower() and "copied into the sandbox" in readme
    for name, extra in ALLOWED.items():
        assert f"`{name}`" in readme
        for _, names in _imports(ast.parse((INSIDE / name).read_text(encoding="utf-8"))):
            top = names[0].split(".")[0]
            assert top in sys.stdlib_module_names or top in extra, f"{name} imports {top}"


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str, int]]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    inner: list[tuple[str, str, int]] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_function = {
            id(n)
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            for n in ast.walk(f)
        }
        for node, names in _imports(tree):
            ours = [n for n in names if n in modules and n != name]
            if not ours:
                continue
            target = max(ours, key=len)
            edges[name].add(target)
            if id(node) in in_function:
                inner.append((name, target, node.lineno))
    return edges, inner


def test_no_import_circle_in_the_autograder() -> None:
    edges, _ = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(edges[m]):
            assert state.get(n) != 1, "import circle: " + " -> ".join([*path, m, n])
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [])


def test_no_import_of_ours_inside_a_function() -> None:
    _, inner = _graph()
    assert [(a, b) for a, b, _ in inner if (a, b) not in LAZY] == []


def test_a_course_config_written_before_the_move_is_repointed(tmp_path: Path) -> None:
    """nbgrader skips a missing ``load_subconfig`` file silently: a course made before the
    config moved would lose the sandboxed executor. Loading the course repoints it."""
    from autograder.nbgrader_glue import nbg

    old = ROOT / "autograder" / "nbgrader_config.py"
    own = tmp_path / "nbgrader_config.py"
    own.write_text(f"c = get_config()\nload_subconfig({str(old)!r})\n", encoding="utf-8")
    config = nbg.load_config(tmp_path)
    assert "SandboxedExecute" in str(config.Autograde.autograde_preprocessors)
    assert f"load_subconfig({str(nbg.CONFIG_FILE)!r})" in own.read_text(encoding="utf-8")
