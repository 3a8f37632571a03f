"""Stateful layers and Sequential: the course's recursion, against finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_ref import layers
from backprop_ref.losses import softmax_cross_entropy
from backprop_ref.modules import Linear, Module, ReLU, Sequential, Sigmoid, Tanh
from tests._fd import assert_close, contract, crossed_kinks, fd_gradient

FD = {"rtol": 1e-5, "atol": 1e-7}


def net(
    widths: list[int], act: type[Module] = ReLU, seed: int = 0, dtype: type = np.float64
) -> Sequential:
    mods: list[Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        mods.append(Linear(a, b, rng=seed + i, dtype=dtype))
        mods.append(act())
    return Sequential(*mods[:-1])  # no activation after the last layer


def test_linear_init_he_and_glorot() -> None:
    W_he = Linear(400, 300, rng=0).params["W"]
    W_gl = Linear(400, 300, rng=0, init="glorot").params["W"]
    assert W_he.shape == (400, 300) and W_he.dtype == np.float64
    assert W_he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert W_gl.std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    np.testing.assert_array_equal(Linear(400, 300, rng=0).params["b"], np.zeros(300))
    np.testing.assert_array_equal(Linear(4, 3, rng=7).params["W"], Linear(4, 3, rng=7).params["W"])
    W32 = Linear(4, 3, rng=7, dtype=np.float32).params["W"]
    assert W32.dtype == np.float32
    np.testing.assert_allclose(W32, Linear(4, 3, rng=7).params["W"], rtol=1e-7)


def test_linear_refuses_other_dtypes() -> None:
    with pytest.raises(TypeError, match="astype"):
        Linear(3, 2, rng=0, dtype=np.float32).forward(np.ones((1, 3)))
    with pytest.raises(TypeError, match="floating"):
        Linear(3, 2, dtype=np.int64)


@pytest.mark.parametrize("module", [Linear(3, 2, rng=0), ReLU(), Sigmoid(), Tanh()])
def test_backward_before_forward_says_so(module: Module) -> None:
    with pytest.raises(RuntimeError, match="call forward first"):
        module.backward(np.ones((1, 2)))


@st.composite
def module_case(draw: st.DrawFn) -> tuple[Module, np.ndarray, np.ndarray]:
    kind = draw(st.sampled_from(["linear", "relu", "sigmoid", "tanh"]))
    N, M_in, M_out = (draw(st.integers(1, 4)) for _ in range(3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.uniform(-3, 3, (N, M_in))
    if kind == "linear":
        module: Module = Linear(M_in, M_out, rng=rng)
        module.params["b"][:] = rng.standard_normal(M_out)
    else:
        module, M_out = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}[kind](), M_in
        x[np.abs(x) < 1e-3] = 0.5  # off the ReLU kink
    return module, x, rng.standard_normal((N, M_out))


@given(module_case())
@settings(max_examples=80, deadline=None)
def test_module_backward_matches_finite_differences(
    case: tuple[Module, np.ndarray, np.ndarray],
) -> None:
    module, x, dL_dy = case

    def L() -> float:
        return contract(module.forward(x), dL_dy)

    module.forward(x)
    dL_dx = module.backward(dL_dy)
    grads = {k: g.copy() for k, g in module.grads.items()}
    assert grads.keys() == module.params.keys()
    assert_close(dL_dx, fd_gradient(L, x), "dL/dx", **FD)
    for name, W in module.params.items():
        assert_close(grads[name], fd_gradient(L, W), f"dL/d{name}", **FD)


@st.composite
def network_case(draw: st.DrawFn) -> tuple[Sequential, np.ndarray, np.ndarray]:
    widths = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    act = draw(st.sampled_from([ReLU, Tanh, Sigmoid]))
    seed = draw(st.integers(0, 2**16))
    model = net(widths, act, seed)
    rng = np.random.default_rng(seed)
    for name, W in model.parameters().items():
        if name.endswith(".b"):
            W[:] = 0.5 * rng.standard_normal(W.shape)  # non-zero biases: no unit sits on a kink
    N = draw(st.integers(1, 4))
    return model, rng.standard_normal((N, widths[0])), rng.integers(0, widths[-1], N)


@given(network_case())
@settings(max_examples=40, deadline=None)
def test_sequential_gradients_match_finite_differences(
    case: tuple[Sequential, np.ndarray, np.ndarray],
) -> None:
    model, x, labels = case

    def L() -> float:
        return softmax_cross_entropy(model.forward(x), labels)[0]

    def branches() -> np.ndarray:
        return model.branches(x)

    _, dL_dy = softmax_cross_entropy(model.forward(x), labels)
    dL_dx = model.backward(dL_dy)
    grads = {k: g.copy() for k, g in model.gradients().items()}
    for name, v in [("x", x), *model.parameters().items()]:
        expected = fd_gradient(L, v)
        got = dL_dx if name == "x" else grads[name]
        smooth = ~crossed_kinks(branches, v)  # an FD step across a kink is not a gradient
        assert_close(got[smooth], expected[smooth], f"dL/d{name}", **FD)


def test_sequential_runs_the_recursion() -> None:
    """x^{l+1} = y^l going up, dL/dy^{l-1} = dL/dx^l coming down."""
    model = net([3, 5, 4, 2], ReLU, seed=3)
    x = np.random.default_rng(0).standard_normal((6, 3))
    y = model.forward(x)
    inputs = [layer.x for layer in model.layers]  # type: ignore[attr-defined]  # the caches
    assert inputs[0] is x
    for l, layer in enumerate(model.layers):  # x^{l+1} = y^l(x^l)
        y_l = layer.forward(inputs[l])
        np.testing.assert_array_equal(y_l, inputs[l + 1] if l + 1 < len(inputs) else y)
    W0, b0, W2, b2, W4, b4 = model.parameters().values()
    z0 = x @ W0 + b0
    z2 = np.maximum(z0, 0) @ W2 + b2
    np.testing.assert_allclose(y, np.maximum(z2, 0) @ W4 + b4, rtol=1e-12)

    dL_dy = np.random.default_rng(1).standard_normal(y.shape)
    dL_dx = model.backward(dL_dy)
    d4 = dL_dy
    d3 = d4 @ W4.T  # dL/dx^4 = dL/dy^3
    d2 = layers.relu_backward(d3, z2)
    d1 = d2 @ W2.T
    d0 = layers.relu_backward(d1, z0)
    g = model.gradients()
    np.testing.assert_allclose(g["4.W"], np.maximum(z2, 0).T @ d4, rtol=1e-12)
    np.testing.assert_allclose(g["2.W"], np.maximum(z0, 0).T @ d2, rtol=1e-12)
    np.testing.assert_allclose(g["0.W"], x.T @ d0, rtol=1e-12)
    np.testing.assert_allclose(g["0.b"], d0.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(dL_dx, d0 @ W0.T, rtol=1e-12)


def test_parameter_names_and_references() -> None:
    model = net([2, 3, 3, 1], Tanh)
    assert list(model.parameters()) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    model.parameters()["0.b"] += 1.0  # the dict holds the model's own arrays
    np.testing.assert_array_equal(model.layers[0].params["b"], np.ones(3))
    model.backward(model.forward(np.ones((2, 2))))
    assert list(model.gradients()) == list(model.parameters())


def test_backward_accumulates_gradients_until_zero_grad() -> None:
    model = net([3, 4, 2])
    x = np.random.default_rng(0).standard_normal((5, 3))
    dL_dy = np.ones((5, 2))
    model.forward(x)
    model.backward(dL_dy)
    first = {k: g.copy() for k, g in model.gradients().items()}
    arrays = model.gradients()
    model.forward(x)
    model.backward(dL_dy)
    for name, g in model.gradients().items():
        np.testing.assert_allclose(g, 2 * first[name], rtol=1e-12)  # added, as in PyTorch
    model.zero_grad()
    for name, g in model.gradients().items():
        assert g is arrays[name]  # zeroed in place
        np.testing.assert_array_equal(g, np.zeros_like(first[name]))
    model.forward(x)
    model.backward(dL_dy)
    for name, g in model.gradients().items():
        np.testing.assert_allclose(g, first[name], rtol=1e-12)


def test_a_weight_that_feeds_two_layers_gets_the_sum_of_their_gradients() -> None:
    """Tied weights: two Linear layers share one W and b (and their gradient arrays). The
    loss depends on W through both layers; its gradient is the sum of both contributions,
    which accumulation gives and an overwrite would lose (the second layer's backward would
    replace what the first wrote)."""
    rng = np.random.default_rng(4)
    first, second = Linear(3, 3, rng=rng), Linear(3, 3, rng=rng)
    second.params, second.grads = first.params, first.grads  # one W, one b, one gradient
    first.params["b"][:] = rng.standard_normal(3)
    model = Sequential(first, Tanh(), second)
    assert list(model.parameters()) == ["0.W", "0.b"]  # listed once: stepped once
    x, dL_dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def L() -> float:
        return contract(model.forward(x), dL_dy)

    model.zero_grad()
    model.forward(x)
    model.backward(dL_dy)
    W, b = first.params["W"], first.params["b"]
    assert_close(model.gradients()["0.W"], fd_gradient(L, W), "dL/dW (tied)", **FD)
    assert_close(model.gradients()["0.b"], fd_gradient(L, b), "dL/db (tied)", **FD)
    h = np.tanh(x @ W + b)  # what the second layer saw
    only_second = h.T @ dL_dy  # the gradient an overwrite would leave
    assert not np.allclose(model.gradients()["0.W"], only_second)


@pytest.mark.parametrize("act", [ReLU, Sigmoid, Tanh])
def test_float32_model_stays_float32(act: type[Module]) -> None:
    model = net([4, 8, 8, 3], act, dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    seen = []
    h = x
    for layer in model.layers:
        h = layer.forward(h)
        seen.append(h.dtype)
    _, dL_dy = softmax_cross_entropy(model.forward(x), np.array([0, 1, 2, 0, 1]))
    seen.append(model.backward(dL_dy).dtype)
    seen += [g.dtype for g in model.gradients().values()]
    assert set(seen) == {np.dtype(np.float32)}


def test_branches_are_the_relu_masks() -> None:
    model = net([3, 5, 4, 2], ReLU, seed=1)
    x = np.random.default_rng(2).standard_normal((6, 3))
    W0, b0, W2, b2, *_ = model.parameters().values()
    z0 = x @ W0 + b0
    z2 = np.maximum(z0, 0) @ W2 + b2
    expected = np.concatenate([(z0 > 0).ravel(), (z2 > 0).ravel()])
    np.testing.assert_array_equal(model.branches(x), expected)
    assert model.branches(x).dtype == bool
    assert net([3, 2, 2], Tanh).branches(x).shape == (0,)


def test_matches_pytorch_float64() -> None:
    torch = pytest.importorskip("torch")
    model = net([4, 6, 5, 3], ReLU, seed=5)
    rng = np.random.default_rng(0)
    for name, b in model.parameters().items():
        if name.endswith(".b"):
            b[:] = rng.standard_normal(b.shape)
    x, labels = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    L, dL_dy = softmax_cross_entropy(model.forward(x), labels)
    dL_dx = model.backward(dL_dy)

    tp = {k: torch.tensor(v, requires_grad=True) for k, v in model.parameters().items()}
    xt = torch.tensor(x, requires_grad=True)
    h = torch.relu(xt @ tp["0.W"] + tp["0.b"])
    h = torch.relu(h @ tp["2.W"] + tp["2.b"])
    Lt = torch.nn.functional.cross_entropy(h @ tp["4.W"] + tp["4.b"], torch.tensor(labels))
    Lt.backward()
    assert L == pytest.approx(Lt.item(), rel=1e-12)
    np.testing.assert_allclose(dL_dx, xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    for name, g in model.gradients().items():
        np.testing.assert_allclose(g, tp[name].grad.numpy(), rtol=1e-10, atol=1e-14)
