"""No top-level code of a student's runs in verification, not even what a ``def`` runs when
it is defined: decorators, default values, annotations (autograder.grading.extract)."""

from __future__ import annotations

import nbformat
import pytest

from autograder.grading.extract import extract
from autograder.grading.verify import verify
from autograder.sandbox.base import Unsandboxed
from backprop_ref.specs import LESSONS

LINEAR = LESSONS["03_linear_layer"]
BODY = "    return x @ W + b\n"

#: Definitions whose ``def`` would run code: (label, source, the parameter named).
RUNS_CODE = [
    ("call", "def linear_forward(x, W, b, h=print('ran')):\n" + BODY, "h"),
    ("keyword-only", "def linear_forward(x, W, b, *, h=open('/etc/passwd')):\n" + BODY, "h"),
    ("lambda", "def linear_forward(x, W, b, g=lambda: 0):\n" + BODY, "g"),
    ("lambda called", "def linear_forward(x, W, b, g=(lambda: exec('1'))()):\n" + BODY, "g"),
    ("walrus", "def linear_forward(x, W, b, h=(y := __import__('os'))):\n" + BODY, "h"),
    ("subscript", "def linear_forward(x, W, b, h={'a': 1}['a']):\n" + BODY, "h"),
    ("comprehension", "def linear_forward(x, W, b, h=[i for i in range(9)]):\n" + BODY, "h"),
    ("f-string", "def linear_forward(x, W, b, h=f'{x!r}'):\n" + BODY, "h"),
    ("huge power", "def linear_forward(x, W, b, h=10 ** 10 ** 10):\n" + BODY, "h"),
    ("list product", "def linear_forward(x, W, b, h=[0] * 10 ** 9):\n" + BODY, "h"),
    ("method call", "def linear_forward(x, W, b, h=np.zeros(3)):\n" + BODY, "h"),
    ("positional-only", "def linear_forward(x, W, b=print('b'), /):\n" + BODY, "b"),
]

#: Definitions that run nothing of the student's: kept (literal defaults, names, modules).
INERT = [
    "def linear_forward(x, W, b, h=1e-5, n=None, shape=(2, 3), on=True, name='x'):\n" + BODY,
    "def linear_forward(x, W, b, h=-1e-5, eps=2 ** -52, third=1 / 3, big=-(3 * 4)):\n" + BODY,
    "def linear_forward(x, W, b, *, dtype=np.float64, pi=math.pi, c=EPS, d={'a': [1, 2]}):\n"
    + BODY,
]


@pytest.mark.parametrize(("label", "source", "param"), RUNS_CODE, ids=[r[0] for r in RUNS_CODE])
def test_non_literal_defaults_are_refused_with_a_reason(
    label: str, source: str, param: str
) -> None:
    found = extract([("1", "import numpy as np\n" + source)])
    assert "linear_forward" not in found.functions
    assert "def linear_forward" not in found.source
    why = found.refused_functions["linear_forward"]
    assert f"parameter {param} " in why and "literal" in why


@pytest.mark.parametrize("source", INERT)
def test_literal_defaults_are_kept(source: str) -> None:
    found = extract([("1", "import numpy as np\nimport math\nEPS = 1e-12\n" + source)])
    assert found.refused_functions == {}
    assert found.functions == ["linear_forward"]
    namespace: dict[str, object] = {}
    exec(found.source, namespace)  # runs: the kept code defines what it says


def test_annotations_and_decorators_are_removed() -> None:
    source = (
        "@print\n@functools.lru_cache(maxsize=open('x'))\n"
        "def linear_forward(x: print('a'), W: 'np.ndarray', *args: exec('1'), b: f() = None,"
        " **kw: g()) -> h():\n" + BODY + "LIMIT: print('annotated') = 3\n"
    )
    found = extract([("1", source)])
    for gone in ("print", "exec", "open", "f()", "g()", "h()", "lru_cache"):
        assert gone not in found.source, gone
    assert "LIMIT = 3" in found.source


def test_class_bodies_globals_and_dunders_are_left_out() -> None:
    source = (
        "class Cheat:\n    print('class body runs')\n"
        "global linear_forward\n"
        "__builtins__ = {}\n"
        "__name__ = 'x'\n"
        "def linear_forward(x, W, b):\n" + BODY
    )
    found = extract([("1", source)])
    assert "class" not in found.source and "global" not in found.source
    assert "__builtins__" not in found.source and "__name__" not in found.source
    assert found.functions == ["linear_forward"]


def test_the_last_definition_decides() -> None:
    good = "def linear_forward(x, W, b):\n" + BODY
    bad = "def linear_forward(x, W, b, h=print('x')):\n" + BODY
    refused_last = extract([("1", good), ("2", bad)])
    assert "linear_forward" in refused_last.refused_functions
    assert "def linear_forward" not in refused_last.source
    kept_last = extract([("1", bad), ("2", good)])
    assert kept_last.refused_functions == {} and "def linear_forward" in kept_last.source


def test_the_verdict_names_the_function_and_parameter() -> None:
    source = (
        "import numpy as np\n"
        "def linear_forward(x, W, b, h=open('/tmp/defaults-ran', 'w').write('x')):\n"
        "    return x @ W + b\n"
        "def linear_backward(dL_dy, x, W, *, check=print('defined')):\n"
        "    return dL_dy @ W.T, x.T @ dL_dy, dL_dy.sum(axis=0)\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    verdicts = verify(LINEAR, nb, seed=4, sandbox=Unsandboxed()).verdicts
    forward, backward = verdicts["linear_forward"], verdicts["linear_backward"]
    assert not forward.passed and "parameter h " in forward.message
    assert forward.message.startswith("linear_forward: the default value")
    assert not backward.passed and "parameter check " in backward.message
