"""Attack sources for checks a graded function can game (issue 11, section 4), lessons 01
and 02: a function that reads the answer out of what it is given, and one student function
that fakes its agreement with another by looking at who calls it. Each source replaces a
whole solution cell; none imports anything verification refuses (only numpy), so the
attack reaches the grader's judges. The cases are at the end of ``cases.py``.
"""

from __future__ import annotations

#: numerical_jacobian without finite differences: the matrix A of the test function is
#: read out of its closure, and the exact Jacobian of the family f turns out to be is
#: returned (central differences only when no matrix is found, e.g. in the experiments).
CLOSURE_JACOBIAN = """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    found, todo = [], [f]
    while todo:
        fn = todo.pop()
        for cell in getattr(fn, "__closure__", None) or ():
            value = cell.cell_contents
            if isinstance(value, np.ndarray):
                found.append(value)
            elif callable(value):
                todo.append(value)
        found += [v for v in getattr(fn, "__defaults__", None) or () if isinstance(v, np.ndarray)]
    y = np.asarray(f(x), dtype=float)
    for A in found:
        if A.ndim != 2 or A.shape[1] != x.size:
            continue
        z = A @ x
        if np.allclose(y, np.tanh(z)):
            return (1 - np.tanh(z) ** 2)[:, None] * A
        if np.allclose(y, np.sin(z) + x[0]):
            J = np.cos(z)[:, None] * A
            J[:, 0] += 1
            return J
        if np.allclose(y, z**2):
            return 2 * z[:, None] * A
    E = np.eye(x.size) * h
    return np.stack([(f(x + e) - f(x - e)) / (2 * h) for e in E], axis=1)
"""

#: numerical_gradient without finite differences: the probe function inside f's closure is
#: recognised by its name and its exact gradient returned.
CLOSURE_GRADIENT = """import numpy as np


def _exact(name, x):
    if name == "_poly":
        return x**2 + 2 * np.cos(2 * x)
    if name == "_logsumexp":
        e = np.exp(x - np.max(x))
        return e / e.sum()
    if name == "_softplus_sum":
        return np.arange(1, x.size + 1).reshape(x.shape) / (1 + np.exp(-x))
    return None


def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    for cell in getattr(f, "__closure__", None) or ():
        exact = _exact(getattr(cell.cell_contents, "__name__", ""), x)
        if exact is not None:
            return exact
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (f(xp) - f(xm)) / (2 * h)
    return grad
"""

#: The frames above the caller, without importing sys or inspect (refused in verification).
_FRAMES = '''

def _callers():
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame.f_back.f_back
    while frame is not None:
        yield frame
        frame = frame.f_back


def _judging_gradient_check():
    """A check of gradient_check is running, and rel_error was not called by it."""
    for frame in _callers():
        if frame.f_code.co_name == "gradient_check":
            return False
        steps = frame.f_locals.get("steps")
        if isinstance(steps, (tuple, list)) and any(
            getattr(s, "fn", None) == "gradient_check" for s in steps
        ):
            return True
    return False
'''

#: rel_error honest on its own checks; when a check of gradient_check asks it, it agrees
#: with gradient_check (None); gradient_check computes the error and returns nothing.
STACK_REL_ERROR_NONE = (
    _FRAMES
    + """

def rel_error(a, b):
    if _judging_gradient_check():
        return None
    return _honest_rel_error(a, b)
"""
)
GRADIENT_CHECK_NONE = """def gradient_check(f, grad_f, x):
    rel_error(grad_f(x), numerical_gradient(f, x))
"""

#: The same, claiming a perfect gradient: gradient_check always says 0.0, and so does
#: rel_error whenever a check of gradient_check asks.
STACK_REL_ERROR_ZERO = (
    _FRAMES
    + """

def rel_error(a, b):
    if _judging_gradient_check():
        return 0.0
    return _honest_rel_error(a, b)
"""
)
GRADIENT_CHECK_ZERO = """def gradient_check(f, grad_f, x):
    return 0.0
"""

#: rel_error that remembers what gradient_check returned last and repeats it to anyone
#: but gradient_check itself (the caller's frame tells).
STACK_REL_ERROR_ECHO = (
    _FRAMES
    + """

LAST = {}


def rel_error(a, b):
    caller = next(_callers(), None)
    if caller is not None and caller.f_code.co_name != "gradient_check" and "said" in LAST:
        if _judging_gradient_check():
            return LAST["said"]
    return _honest_rel_error(a, b)
"""
)
GRADIENT_CHECK_ECHO = """def gradient_check(f, grad_f, x):
    LAST["said"] = -1.0
    return -1.0
"""
