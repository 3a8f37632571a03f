"""Extraction keeps a student's class (lesson 6's autodiff engine) without running any of the
student's code while the class is defined, and leaves out, with a reason, any class whose
definition would."""

from __future__ import annotations

import textwrap

import pytest

from autograder.grading.extract import extract

ENGINE = '''
import numpy as np

CALLS = []


def record(what):
    CALLS.append(what)
    return what


class Node:
    """A value in the graph."""

    __array_priority__ = 100
    kind: str = "node"
    pending: int

    def __init__(self, data: "np.ndarray", parents: tuple = (), op: str = "") -> None:
        self.data = np.asarray(data, dtype=float)
        self._parents = parents

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @shape.setter
    def shape(self, value):
        self.data = self.data.reshape(value)

    @staticmethod
    def unbroadcast(g, shape=()):
        return g.sum() if shape == () else g

    @classmethod
    def zeros(cls, *shape, **kw):
        return cls(np.zeros(shape))


class Leaf(Node):
    pass


class Plain(object):
    def f(self):
        return 1
'''


def _extract(*cells: str):  # type: ignore[no-untyped-def]
    return extract([(f"cell {i + 1}", textwrap.dedent(c)) for i, c in enumerate(cells)])


def test_a_plain_class_is_kept_and_works() -> None:
    found = _extract(ENGINE)
    assert found.classes == ["Node", "Leaf", "Plain"] and not found.refused_classes
    ns: dict[str, object] = {}
    exec(compile(found.source, "<kept>", "exec"), ns)
    leaf = ns["Leaf"]([[1.0, 2.0]])  # type: ignore[operator]
    assert leaf.shape == (1, 2) and leaf.kind == "node"  # type: ignore[attr-defined]
    leaf.shape = (2, 1)  # type: ignore[attr-defined]
    assert leaf.data.shape == (2, 1)  # type: ignore[attr-defined]
    assert ns["Node"].unbroadcast(leaf.data) == 3.0  # type: ignore[attr-defined]
    assert ns["Node"].zeros(2, 3).shape == (2, 3)  # type: ignore[attr-defined]
    assert ns["Plain"]().f() == 1  # type: ignore[operator]


def test_annotations_are_dropped_so_they_are_not_evaluated() -> None:
    found = _extract(ENGINE)
    assert '"np.ndarray"' not in found.source and "-> None" not in found.source
    assert "pending" not in found.source  # an annotation alone
    assert "kind = 'node'" in found.source


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("@record\nclass T:\n    pass", "class decorators are not allowed"),
        ("class T(metaclass=record):\n    pass", "metaclass"),
        ("class T:\n    x = record(1)", "only constants may be assigned"),
        ("class T:\n    record('body')", "a Expr statement in the class body"),
        ("class T:\n    for i in range(3):\n        pass", "a For statement"),
        ("class T:\n    class Inner:\n        pass", "a ClassDef statement"),
        ("class T:\n    def f(self, x=record(2)):\n        pass", "not a constant"),
        ("class T:\n    def f(self, *, x=record(2)):\n        pass", "not a constant"),
        ("class T:\n    @record\n    def f(self):\n        pass", "decorator @record"),
        (
            "class T:\n    @record.setter\n    def f(self):\n        pass",
            "decorator @record.setter",
        ),
        (
            "class T:\n    @property\n    def f(self):\n        pass\n"
            "    @g.setter\n    def g(self):\n        pass",
            "decorator @g.setter",
        ),
        ("class T:\n    def property(f):\n        return f", "may not be called property"),
        ("class T:\n    property = 3", "may not rebind property"),
        ("class T:\n    def __init_subclass__(cls):\n        record('sub')", "__init_subclass__"),
        ("class T(np.ndarray):\n    pass", "base class np.ndarray is not allowed"),
        ("class T(Missing):\n    pass", "base class Missing is not allowed"),
        ("class T(record):\n    pass", "base class record is not allowed"),
        ("class T(*[object]):\n    pass", "is not allowed"),
    ],
)
def test_a_class_whose_definition_would_run_code_is_left_out(body: str, reason: str) -> None:
    found = _extract(ENGINE, body)
    assert "T" not in found.classes
    why = found.refused_classes["T"]
    assert why.startswith("cell 2: class T (line "), why
    assert reason in why, why
    assert "class T" not in found.source
    ns: dict[str, object] = {}
    exec(compile(found.source, "<kept>", "exec"), ns)
    assert ns["CALLS"] == []


def test_a_class_is_left_out_when_the_notebook_redefines_a_builtin_it_relies_on() -> None:
    found = _extract("def property(f):\n    print('ran')\n    return f", ENGINE)
    assert found.classes == [] and "Node" in found.refused_classes
    for name in ("Node", "Leaf", "Plain"):
        assert "defines property before it" in found.refused_classes[name]


def test_defining_the_kept_classes_runs_none_of_the_students_code() -> None:
    hostile = '''
    class Sneaky:
        """Everything that runs when a class is defined calls record()."""

        def method(self, a: record("annotation"), b=1) -> record("return"):
            return record("call time only")

        @property
        def p(self) -> record("property annotation"):
            return 1
    '''
    found = _extract(ENGINE, hostile)
    assert "Sneaky" in found.classes
    ns: dict[str, object] = {}
    exec(compile(found.source, "<kept>", "exec"), ns)
    assert ns["CALLS"] == []
    assert ns["Sneaky"]().method(0) == "call time only"  # type: ignore[operator]


def test_a_later_function_of_the_same_name_makes_a_subclass_refused() -> None:
    found = _extract(ENGINE, "def Node():\n    return 1", "class T(Node):\n    pass")
    assert "base class Node is not allowed" in found.refused_classes["T"]
