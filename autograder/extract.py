"""Taking a student's definitions out of a notebook, by AST, without running anything.

Verification runs only what this module keeps: imports of allowed modules, function
definitions, and assignments of literal constants, from every code cell in order. Any other
top-level code (prints, loops, experiments, monkeypatching, ``sys.modules`` tricks) is left
out, and imports of anything else (the reference package above all) are reported, so a
function that relies on them fails verification with a reason the student can read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Modules a student's functions may import (and their submodules).
ALLOWED_MODULES = frozenset({"numpy", "math", "functools", "itertools", "typing", "collections"})


@dataclass
class Extracted:
    """The kept source, the names it defines, and what was left out (for the report)."""

    source: str = ""
    functions: list[str] = field(default_factory=list)
    refused_imports: list[str] = field(default_factory=list)
    refused_names: list[str] = field(default_factory=list)  # names those imports would bind
    refused_from: dict[str, str] = field(default_factory=dict)  # each such name -> its module
    syntax_errors: list[str] = field(default_factory=list)


def _allowed(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in ALLOWED_MODULES


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _keep(node: ast.stmt, out: Extracted) -> bool:
    if isinstance(node, ast.Import):  # `import numpy, os`: numpy is kept
        refused = [a for a in node.names if not _allowed(a.name)]
        for a in refused:
            out.refused_imports.append(a.name)
            out.refused_names.append(a.asname or a.name.split(".")[0])
            out.refused_from[out.refused_names[-1]] = a.name
        node.names = [a for a in node.names if _allowed(a.name)]
        return bool(node.names)
    if isinstance(node, ast.ImportFrom):
        if node.level == 0 and _allowed(node.module):
            return True
        module = "." * node.level + (node.module or "")
        out.refused_imports.append(module)
        for a in node.names:
            out.refused_names.append(a.asname or a.name)
            out.refused_from[out.refused_names[-1]] = module
        return False
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        node.decorator_list = []  # decorators are top-level code; they do not run
        out.functions.append(node.name)
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, ast.Name) for t in targets) and _is_literal(node.value)
    return False


def _strip_magics(source: str) -> str:
    """IPython magics and shell escapes are not Python; blank them so the cell still parses."""
    lines = source.split("\n")
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def extract(cells: Iterable[tuple[str, str]]) -> Extracted:
    """Keep the definitions of a notebook's code cells, given as ``(label, source)`` pairs."""
    out = Extracted()
    kept: list[ast.stmt] = []
    for label, source in cells:
        try:
            tree = ast.parse(_strip_magics(source))
        except SyntaxError as exc:
            out.syntax_errors.append(f"{label}: line {exc.lineno}: {exc.msg}")
            continue
        kept += [node for node in tree.body if _keep(node, out)]
    out.source = ast.unparse(ast.Module(body=kept, type_ignores=[]))
    return out
