"""check_gradient: its API, invalid gradients, determinism, untouched inputs, large
tensors (bisection, errors throughout) and float32 gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backprop_ref.gradcheck import Entry, GradCheckResult, check_gradient
from tests.test_gradcheck_corpus import make_net


def _quartic(x: Any) -> float:
    """sum(x^4) / 4 + sum(sin(3 x)); gradient x^3 + 3 cos(3 x). Smooth, any shape."""
    return float(np.sum(x**4) / 4 + np.sum(np.sin(3 * x)))


def _quartic_grad(x: Any) -> Any:
    return x**3 + 3 * np.cos(3 * x)


def test_correct_gradients_pass_with_a_few_evaluations() -> None:
    net = make_net(0)
    result = check_gradient(net.loss, net.point, net.grads(), directions=5)
    assert isinstance(result, GradCheckResult) and result.passed and bool(result)
    assert result.evaluations == 1 + 5 * 2 * 5  # f(x), then 5 tensors x 5 directions x 2
    assert set(result.directional) == {"x", "W1", "b1", "W2", "b2"}
    assert all(r <= 1 for r in result.directional.values())
    assert result.worst == () and result.skipped == () and result.localised == {}
    assert result.max_rel_error < 1e-6
    assert "agree" in result.message


def test_a_single_array_and_its_gradient() -> None:
    x = np.random.default_rng(0).standard_normal((4, 5))
    assert check_gradient(_quartic, x, _quartic_grad(x)).passed
    wrong = _quartic_grad(x)
    wrong[2, 3] += 0.5
    result = check_gradient(_quartic, x, wrong)
    assert not result.passed
    assert result.message.startswith("dx: 1 of 20 entries disagree; worst at (2, 3): yours ")
    (entry,) = result.worst
    assert entry == Entry("x", (2, 3), wrong[2, 3], entry.numerical, entry.rel_error)
    assert entry.numerical == pytest.approx(_quartic_grad(x)[2, 3], rel=1e-8)
    assert entry.rel_error > 0.1 and result.max_rel_error == entry.rel_error


def test_shape_mismatch_fails_with_a_message_not_an_exception() -> None:
    net = make_net(1)
    grads = net.grads()
    grads["W2"] = grads["W2"].T
    grads["b1"] = np.tile(grads["b1"], (3, 1))
    result = check_gradient(net.loss, net.point, grads)
    assert not result.passed
    assert "dW2 has shape (4, 6) but W2 has shape (6, 4)" in result.message
    assert "transpose" in result.message
    assert "sum over the batch" in result.message
    assert result.directional["W2"] == np.inf and result.max_rel_error == np.inf
    assert result.directional["W1"] <= 1  # the others are still checked


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.nan, "contains NaN or inf (1 of 24 entries, first at (2, 1))"),
        (np.inf, "contains NaN or inf"),
    ],
)
def test_nan_or_inf_in_a_gradient_fails(value: float, expected: str) -> None:
    net = make_net(2)
    grads = net.grads()
    grads["W2"] = grads["W2"].copy()
    grads["W2"][2, 1] = value
    result = check_gradient(net.loss, net.point, grads)
    assert not result.passed and expected in result.message


def test_missing_none_and_unknown_gradients() -> None:
    net = make_net(3)
    grads = net.grads()
    del grads["b2"]
    grads["W1"] = None
    result = check_gradient(net.loss, net.point, grads)
    assert not result.passed
    assert "no gradient given for b2" in result.message
    assert "dW1 is None: did you forget to return it?" in result.message
    extra = check_gradient(net.loss, net.point, {**net.grads(), "W3": np.zeros(2)})
    assert not extra.passed and "W3" in extra.message and extra.evaluations == 0
    words = check_gradient(net.loss, net.point, {**net.grads(), "b2": "zero"})
    assert "db2 should be an array of numbers" in words.message


def test_structure_mismatch_between_point_and_grads() -> None:
    x = np.ones(3)
    result = check_gradient(_quartic, x, {"x": _quartic_grad(x)})
    assert not result.passed and "one array" in result.message
    net = make_net(0)
    result = check_gradient(net.loss, net.point, net.grads()["W1"])
    assert not result.passed and "must map the point's names" in result.message


def test_deterministic_for_a_given_seed() -> None:
    net = make_net(4, N=20, D=30, H=70)  # W1 has 2,100 entries: bisection
    grads = net.grads()
    grads["W1"] = grads["W1"] * (1 + 1e-4 * np.arange(grads["W1"].size).reshape(30, 70))
    runs = [str(check_gradient(net.loss, net.point, grads, seed=7, max_entries=500)) for _ in "ab"]
    assert runs[0] == runs[1]
    same = [check_gradient(net.loss, net.point, grads, seed=s) for s in (1, 1)]
    assert same[0] == same[1]


def test_the_callers_arrays_are_never_modified() -> None:
    net = make_net(5)
    point = {k: v.astype(np.float32) for k, v in net.point.items()}
    grads = net.grads()
    grads["W1"] = grads["W1"] * 2
    saved = [{k: v.copy() for k, v in d.items()} for d in (point, grads)]
    check_gradient(net.loss, point, grads, branches=net.branches)
    for before, after in zip(saved, (point, grads), strict=True):
        for k in before:
            assert after[k].dtype == before[k].dtype
            np.testing.assert_array_equal(after[k], before[k])


def test_an_error_in_f_propagates_and_leaves_the_point_alone() -> None:
    x = np.arange(6.0).reshape(2, 3)
    calls = []

    def f(v: Any) -> float:
        calls.append(1)
        if len(calls) > 4:
            raise ZeroDivisionError("in f")
        return _quartic(v)

    with pytest.raises(ZeroDivisionError):
        check_gradient(f, x, _quartic_grad(x))
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))


def test_a_loss_that_is_not_finite() -> None:
    with np.errstate(invalid="ignore"):
        result = check_gradient(lambda x: float(np.log(x).sum()), np.array([-1.0, 1.0]), np.ones(2))
    assert not result.passed and "the loss is nan" in result.message


def test_a_loss_that_modifies_its_arguments_is_reported() -> None:
    def f(x: Any) -> float:
        value = _quartic(x)
        x *= 1.0 + 1e-12  # a buggy in-place update inside the loss
        return value

    x = np.linspace(0.1, 1, 5)
    result = check_gradient(f, x, _quartic_grad(x))
    assert not result.passed and "f modified its argument" in result.message


def test_str_shows_the_message_and_the_figures() -> None:
    x = np.linspace(-1, 1, 8)
    g = _quartic_grad(x)
    g[5] *= -1
    text = str(check_gradient(_quartic, x, g))
    assert text.startswith("dx: 1 of 8 entries disagree; worst at 5: yours")
    for part in ("max rel. error", "gate (gap / threshold): x ", "wrong: x at 5", "evaluations:"):
        assert part in text


def test_directions_zero_checks_every_entry() -> None:
    x = np.linspace(-1, 1, 7)
    result = check_gradient(_quartic, x, _quartic_grad(x), directions=0)
    assert result.passed and result.localised == {"x": "entries"}
    assert result.evaluations == 1 + 2 * 7


# ------------------------------------------------------------------ large tensors


def _large() -> tuple[Any, Any]:
    x = np.random.default_rng(11).standard_normal((100, 60))  # 6,000 entries
    return x, _quartic_grad(x)


def test_bisection_finds_a_single_wrong_entry_in_a_large_tensor() -> None:
    x, g = _large()
    g[37, 41] *= 1 + 1e-3
    result = check_gradient(_quartic, x, g)
    assert not result.passed and result.localised == {"x": "bisection"}
    assert [e.index for e in result.worst] == [(37, 41)]
    assert "1 entry disagrees (found by bisection among 6,000)" in result.message
    assert result.evaluations < 400  # against 12,000 for every entry


def test_bisection_finds_a_wrong_row() -> None:
    x, g = _large()
    g[12] += 0.3
    result = check_gradient(_quartic, x, g)
    assert not result.passed
    assert result.worst and all(e.index[0] == 12 for e in result.worst)


def test_errors_throughout_are_reported_from_a_sample() -> None:
    x, g = _large()
    result = check_gradient(_quartic, x, 2 * g)
    assert not result.passed and result.localised == {"x": "sample"}
    assert "dx: errors throughout (" in result.message
    assert result.evaluations < 800  # against 12,000 for every entry


def test_a_correct_large_gradient_passes_at_the_gate() -> None:
    x, g = _large()
    result = check_gradient(_quartic, x, g)
    assert result.passed and result.evaluations == 11


# ------------------------------------------------------------------------ float32


@pytest.mark.parametrize("seed", range(20))
def test_a_correct_float32_gradient_passes(seed: int) -> None:
    sizes = [(8, 6, 6, 4), (16, 50, 40, 10), (4, 3, 5, 3), (32, 20, 64, 10)][seed % 4]
    net = make_net(seed, *sizes)
    net.point = {k: v.astype(np.float32) for k, v in net.point.items()}
    grads = net.grads()  # computed by the layers in float32
    assert grads["W1"].dtype == np.float32
    result = check_gradient(net.loss, net.point, grads, seed=seed, branches=net.branches)
    assert result.passed, result


def test_a_wrong_float32_gradient_fails() -> None:
    net = make_net(0, 16, 50, 40, 10)
    net.point = {k: v.astype(np.float32) for k, v in net.point.items()}
    grads = net.grads()
    W = grads["W2"].copy()
    W.flat[np.argmax(np.abs(W))] *= 1.01
    result = check_gradient(net.loss, net.point, {**grads, "W2": W})
    assert not result.passed and result.message.startswith("dW2: 1 of 400 entries disagree")


def test_a_float32_loss_is_flagged_as_coarse() -> None:
    x = np.linspace(-1, 1, 5)
    result = check_gradient(lambda v: np.float32(_quartic(v)), x, _quartic_grad(x))
    assert result.passed and "f returns float32" in result.message


def test_the_gate_noise_model_has_a_margin() -> None:
    """Correct ReLU-MLP gradients (kinks avoided with branches) use under a fifth of the
    gate's threshold: the gaps stay below 2 * eps * (|L| + 1) / h, the threshold is 10x."""
    for seed in range(30):
        sizes = [(8, 6, 6, 4), (16, 50, 40, 10), (4, 3, 5, 3)][seed % 3]
        net = make_net(seed, *sizes)
        result = check_gradient(net.loss, net.point, net.grads(), seed=seed, branches=net.branches)
        assert result.passed and result.localised == {}
        assert max(result.directional.values()) < 0.2, result


def test_scalar_empty_and_3d_tensors() -> None:
    rng = np.random.default_rng(0)
    at: dict[str, Any] = {"s": 1.5, "T": rng.standard_normal((2, 3, 4)), "E": np.zeros((0, 3))}

    def f(s: Any, T: Any, E: Any) -> float:
        return float(s**2 * np.sum(np.tanh(T)) + np.sum(E))

    grads = {"s": 3 * np.sum(np.tanh(at["T"])), "T": 2.25 / np.cosh(at["T"]) ** 2, "E": at["E"]}
    assert check_gradient(f, at, grads).passed
    wrong = check_gradient(f, at, {**grads, "s": grads["s"] * 1.1})
    assert wrong.message.startswith("ds: its one entry disagrees; yours ")
    T = grads["T"].copy()
    T[1, 2, 3] += 1
    assert (
        "dT: 1 of 24 entries disagree; worst at (1, 2, 3)"
        in check_gradient(f, at, {**grads, "T": T}).message
    )


def test_integer_points_and_list_gradients() -> None:
    assert check_gradient(lambda x: float(np.sum(x**2)), [1, 2, 3], [2, 4, 6]).passed
    assert not check_gradient(lambda x: float(np.sum(x**2)), [1, 2, 3], [2, 4, 7]).passed


def test_a_wrong_column_in_a_large_tensor() -> None:
    x, g = _large()
    g[:, 7] += 0.3
    result = check_gradient(_quartic, x, g)
    assert not result.passed and result.worst
    assert all(e.index[1] == 7 for e in result.worst)
