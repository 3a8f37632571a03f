"""Taking a student's definitions out of a notebook, by AST, without running anything.

Verification runs only what this module keeps: imports of allowed modules, function
definitions, assignments of literal constants, and plain class definitions (see
:func:`_keep_class`), from every code cell in order. Any other top-level code (prints, loops,
experiments, monkeypatching, ``sys.modules`` tricks) is left out, and imports of anything
else (the reference package above all) are reported, so a function that relies on them
fails verification with a reason the student can read.

A ``def`` itself runs code when it is executed: its decorators, its default values and its
annotations. So nothing of that kind is kept either: decorators and annotations are
removed (they change nothing the grader calls), and a function whose default values are
not literals (numbers, strings, None, True/False, tuples, lists, dicts and sets of them,
negative numbers, arithmetic on number literals) or names (``h=H``, ``dtype=np.float64``) is
refused, with a reason naming the function and the parameter (:attr:`Extracted.refused_functions`).
A class body is held to the same rule (:func:`_keep_class`).
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
    classes: list[str] = field(default_factory=list)
    refused_classes: dict[str, str] = field(default_factory=dict)  # class name -> why


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
    if isinstance(node, ast.ClassDef):
        return _keep_class(node, out)
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


# ----------------------------------------------------------------------------- classes

#: The only decorators a kept method may have (besides ``@<a property>.setter``/``.deleter``).
METHOD_DECORATORS = frozenset({"staticmethod", "classmethod", "property"})
#: Names a kept class relies on meaning the builtins: a class is refused when the notebook
#: defines one of them first (``@property`` would then run the student's code).
_CLASS_BUILTINS = METHOD_DECORATORS | {"object"}
#: Methods Python calls while *another* class is being defined: they would run then.
_DEFINITION_HOOKS = frozenset({"__init_subclass__", "__set_name__", "__mro_entries__"})


class _Refused(Exception):
    """Why a class definition is left out (raised while checking it)."""


def _keep_class(node: ast.ClassDef, out: Extracted) -> bool:
    """Keep a class whose definition runs no code of the student's.

    Defining a class runs its body. A kept class's body may hold only methods, docstrings,
    ``pass`` and assignments of literal constants; methods may be decorated only with
    ``staticmethod``, ``classmethod``, ``property`` (or ``@name.setter``/``.deleter`` of a
    property defined above), have literal default values, and lose their annotations (they
    would be evaluated when the class is defined). Bases may only be ``object`` or classes
    kept earlier in the notebook; no class decorators, keywords (``metaclass=``) or
    ``__init_subclass__``. Anything else leaves the whole class out, with the reason in
    ``out.refused_classes``.
    """
    try:
        _check_class_header(node, out)
        node.body = _class_body(node)
    except _Refused as why:
        out.refused_classes[node.name] = f"class {node.name} (line {node.lineno}): {why}"
        return False
    out.classes.append(node.name)
    return True


def _check_class_header(node: ast.ClassDef, out: Extracted) -> None:
    if node.decorator_list:
        raise _Refused("class decorators are not allowed")
    if node.keywords:
        raise _Refused("keyword arguments in the class statement (metaclass=...) are not allowed")
    if getattr(node, "type_params", None):
        raise _Refused("type parameters are not allowed")
    shadowed = _CLASS_BUILTINS.intersection(out.functions + out.classes)
    if shadowed:
        names = ", ".join(sorted(shadowed))
        raise _Refused(
            f"the notebook defines {names} before it, which defining the class would call"
        )
    for base in node.bases:
        name = base.id if isinstance(base, ast.Name) else None
        if name != "object" and (name not in out.classes or name in out.functions):
            what = ast.unparse(base)
            raise _Refused(
                f"base class {what} is not allowed: only object or a class defined "
                "(and kept) earlier in the notebook"
            )


def _class_body(node: ast.ClassDef) -> list[ast.stmt]:
    """The class body to keep (annotations dropped), or :class:`_Refused`."""
    body: list[ast.stmt] = []
    properties: set[str] = set()
    for stmt in node.body:
        where = f"line {stmt.lineno}"
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            _check_method(stmt, properties, where)
            body.append(stmt)
        elif isinstance(stmt, ast.Pass) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        ):
            body.append(stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None and names:
                continue  # an annotation alone: nothing to keep, nothing to evaluate
            if len(names) != len(targets) or stmt.value is None or not _is_literal(stmt.value):
                raise _Refused(f"{where}: only constants may be assigned in a class body")
            if _CLASS_BUILTINS.intersection(names):
                raise _Refused(f"{where}: the class body may not rebind {', '.join(names)}")
            body.append(ast.Assign(targets=targets, value=stmt.value, lineno=stmt.lineno))
        else:
            kind = type(stmt).__name__
            raise _Refused(
                f"{where}: a {kind} statement in the class body (only methods, docstrings "
                "and constants are kept)"
            )
    return body or [ast.Pass()]


def _check_method(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, properties: set[str], where: str
) -> None:
    """Refuse a method whose definition would run code; drop its annotations."""
    if fn.name in _CLASS_BUILTINS or fn.name in _DEFINITION_HOOKS:
        raise _Refused(f"{where}: a method may not be called {fn.name}")
    if getattr(fn, "type_params", None):
        raise _Refused(f"{where}: type parameters are not allowed")
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in METHOD_DECORATORS:
            if deco.id == "property":
                properties.add(fn.name)
            continue
        accessor = (
            isinstance(deco, ast.Attribute)
            and isinstance(deco.value, ast.Name)
            and deco.value.id in properties
            and deco.attr in ("setter", "deleter")
        )
        if not accessor:
            raise _Refused(
                f"{where}: decorator @{ast.unparse(deco)} on {fn.name} is not allowed (only "
                "staticmethod, classmethod and property)"
            )
    args = fn.args
    defaults = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
    if not all(_is_literal(d) for d in defaults):
        raise _Refused(f"{where}: {fn.name} has a default value that is not a constant")
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            arg.annotation = None
    fn.returns = None


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
        refused_classes = set(out.refused_classes)
        kept += [node for node in tree.body if _keep(node, out)]
        for name in set(out.refused_classes) - refused_classes:  # say which cell
            out.refused_classes[name] = f"{label}: {out.refused_classes[name]}"
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
