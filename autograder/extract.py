"""Taking a student's definitions out of a notebook, by AST, without running anything.

Verification runs only what this module keeps: imports of allowed modules, function
definitions, and assignments of literal constants, from every code cell in order. Any other
top-level code (prints, loops, experiments, monkeypatching, ``sys.modules`` tricks, class
bodies) is left out, and imports of anything else (the reference package above all) are
reported, so a function that relies on them fails verification with a reason the student
can read.

A ``def`` itself runs code when it is executed: its decorators, its default values and its
annotations. So nothing of that kind is kept either: decorators and annotations are
removed (they change nothing the grader calls), and a function whose default values are
not literals (numbers, strings, None, True/False, tuples, lists, dicts and sets of them,
negative numbers, arithmetic on number literals) or names (``h=H``, ``dtype=np.float64``) is
refused, with a reason naming the function and the parameter (:attr:`Extracted.refused_functions`).
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
    refused_functions: dict[str, str] = field(default_factory=dict)  # name -> why (defaults)
    syntax_errors: list[str] = field(default_factory=list)


def _allowed(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in ALLOWED_MODULES


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def _number(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and type(node.value) in (int, float, complex)
        and not isinstance(node.value, bool)
    )


def _inert(node: ast.expr) -> bool:
    """Whether evaluating ``node`` at definition time runs nothing but a literal, a name
    lookup, an attribute of a name (a module's constant), or small arithmetic on numbers."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Attribute):
        return _inert(node.value) and isinstance(node.value, ast.Name | ast.Attribute)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _inert(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
        small = not isinstance(node.op, ast.Pow) or _small_exponent(node.right)
        operands = [node.left, node.right]
        return small and all(_number(x) or _inert_number(x) for x in operands)
    return _is_literal(node)


def _small_exponent(node: ast.expr) -> bool:
    """A number literal (or its negative) of at most 64: ``2 ** -52``, never ``10 ** 10 ** 10``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return _number(node) and abs(node.value) <= 64  # type: ignore[attr-defined]


def _inert_number(node: ast.expr) -> bool:
    return (isinstance(node, ast.UnaryOp | ast.BinOp)) and _inert(node)


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.expr]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(
        zip(
            [a.arg for a in positional[len(positional) - len(args.defaults) :]],
            args.defaults,
            strict=True,
        )
    )
    pairs += [
        (a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    ]
    return pairs


def _definition_problem(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """Why running this ``def`` would run the student's code ('' if it would not)."""
    for name, default in _defaults(node):
        try:
            inert = _inert(default)
        except RecursionError:
            inert = False
        if not inert:
            shown = ast.unparse(default)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return (
                f"{node.name}: the default value of its parameter {name} ({shown}) is not a "
                "literal, and default values run when the function is defined, before any "
                "test; use a literal (a number, a string, None, True/False or a tuple of "
                "them) and compute the value inside the function"
            )
    return ""


def _strip_definition_time(node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """Remove what a ``def`` evaluates besides its defaults: decorators and annotations."""
    node.decorator_list = []
    node.returns = None
    args = node.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if a is not None:
            a.annotation = None
    if hasattr(node, "type_params"):  # Python 3.12: def f[T: bound]()
        node.type_params = []


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
        problem = _definition_problem(node)
        if problem:
            out.refused_functions[node.name] = problem
            return False
        out.refused_functions.pop(node.name, None)  # a later definition replaces it
        _strip_definition_time(node)
        out.functions.append(node.name)
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = all(isinstance(t, ast.Name) and not t.id.startswith("__") for t in targets)
        return names and _is_literal(node.value)
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
    # a refused definition hides any earlier one, as running the notebook would replace it
    refused = out.refused_functions
    kept = [
        n
        for n in kept
        if not (isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name in refused)
    ]
    out.functions = [f for f in out.functions if f not in refused]
    body = [
        ast.Assign(targets=[n.target], value=n.value, lineno=0)  # annotations run too
        if isinstance(n, ast.AnnAssign)
        else n
        for n in kept
    ]
    out.source = ast.unparse(ast.Module(body=body, type_ignores=[]))
    return out
