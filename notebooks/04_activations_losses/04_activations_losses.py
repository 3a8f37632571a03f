# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 4: Activations and losses
# *Diagonal Jacobians, and where the backward recursion starts*
#
# In lesson 3 you pushed a gradient backwards through a linear layer. A network is more than
# linear layers: between them sit **activation functions** (ReLU, sigmoid, tanh), and at the
# very end sits a **loss** that turns the network's output into a single number. This lesson
# handles both, and with them you have every piece of a trainable network (lesson 5 puts
# them together).
#
# The two kinds of pieces sit at opposite ends of the story:
#
# * an activation is applied **entry by entry**, so its Jacobian is **diagonal**, and
#   backpropagating through it is an element-wise product;
# * the loss is where the recursion **starts**: it hands the last layer the first upstream
#   gradient $\partial L / \partial y^K$.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. explain why an element-wise layer has a diagonal Jacobian, give the shape of its
#    derivative tensor and count its non-zero entries;
# 2. turn that diagonal Jacobian into a one-line backward pass,
#    $\partial L/\partial x = \partial L/\partial y \odot f'(x)$, and say why the Jacobian
#    itself is never formed;
# 3. derive and implement the backward passes of ReLU (with the convention at 0), sigmoid and
#    tanh, expressing the last two through their outputs;
# 4. implement mean squared error and softmax cross-entropy as functions returning
#    $(L, \partial L/\partial y)$ with the course's batch-mean convention, and derive the
#    gradient $(p - \text{onehot})/N$;
# 5. make softmax cross-entropy numerically stable with the log-sum-exp trick;
# 6. recognise saturation: where sigmoid and tanh pass almost no gradient, and why
#    cross-entropy does not suffer from it.
#
# **Before you start:** lesson 1 (Jacobians, the chain rule) and lesson 3 (derivative
# tensors, the compact backward pass of the linear layer).
#
# ## What is graded
#
# Eight functions, graded automatically, and one written derivation, graded by hand.
# Expect about two hours.
#
# | part | graded | points |
# | --- | --- | --- |
# | 2. Element-wise layers | `elementwise_jacobian_shape` | 2 |
# | 2. Element-wise layers | `sigmoid_jacobian` | 2 + 1 hidden |
# | 3. Three activation functions | `relu_backward` | 2 + 1 hidden |
# | 3. Three activation functions | `sigmoid_backward` | 2 + 1 hidden |
# | 3. Three activation functions | `tanh_backward` | 1 + 1 hidden |
# | 4. Losses | `mse_loss` | 2 + 1 hidden |
# | 4. Losses | `uniform_scores_loss` | 1 |
# | 4. Losses | written: the gradient of softmax cross-entropy | 4 by hand |
# | 4. Losses | `softmax_cross_entropy` | 3 + 2 hidden |
# | total | 8 functions, 1 written answer | 22 + 4 by hand |
#
# Each exercise has a cell of visible tests (run them as often as you like: when something
# is wrong they say what) and a cell of hidden tests that runs the same checks on other
# shapes and seeds when your notebook is graded.

# %% [markdown]
# ## Notation
#
# The same in every lesson and in the README.
#
# - A **batch** holds $N$ examples, one per **row**.
# - A network has $K$ layers, numbered $l = 1, \dots, K$. Layer $l$ maps its input
#   $x^l \in \mathbb{R}^{N \times M^{l-1}}$ to its output
#   $y^l = y^l(x^l; W^l) \in \mathbb{R}^{N \times M^l}$, where $W^l$ stands for all of the
#   layer's parameters. The output is the next layer's input, $x^{l+1} = y^l$. The data is
#   $x^1$, with $M^0$ features, and the loss $L(y^K)$ is one number. The widths are
#   `sizes = [M^0, M^1, ..., M^K]`.
# - In the networks of lessons 5 and 6 a layer is an affine map and an activation: the pre-activation
#   $z^l = x^l W^l + b^l$, with $W^l \in \mathbb{R}^{M^{l-1} \times M^l}$ and
#   $b^l \in \mathbb{R}^{M^l}$ (`W1, b1, ..., WK, bK` in code), then $y^l = \mathrm{relu}(z^l)$,
#   except for the last layer, whose output is the scores, $y^K = z^K$.
# - For one layer we drop the $l$: $x \in \mathbb{R}^{N \times M_\text{in}}$ and
#   $y \in \mathbb{R}^{N \times M_\text{out}}$, with $M_\text{in} = M^{l-1}$ and
#   $M_\text{out} = M^l$. Code comments and docstrings have no superscripts: they write
#   $M^l$ as `M_l` and the layer sizes as `M_in`, `M_out`.
# - Backward, from $\frac{dL}{dy^K}$ (the loss gives it) down to layer 1:
#   $\frac{dL}{dW^l} = \frac{dL}{dy^l} \cdot \frac{dy^l}{dW^l}$ and
#   $\frac{dL}{dx^l} = \frac{dL}{dy^l} \cdot \frac{dy^l}{dx^l}$, which is
#   $\frac{dL}{dy^{l-1}}$ since $x^l = y^{l-1}$.
# - One derivative, two layouts: in the math (Jacobian layout, one row per output)
#   $\frac{dL}{dy}$ has the transposed shape of $y$, $M_\text{out} \times N$; in code the
#   array `dL_dy` has the shape of `y`, $N \times M_\text{out}$.
# - Indices count from 1 in the math (the first example, feature, class or layer is number
#   1) and from 0 in code (the first row is `x[0]`; class labels run from `0` to `C - 1`).
#
# The lecture notes write a layer as $x^l \to y^l(x^l; W^l)$ but start at
# $y^0 = y^0(x^0; W^1)$; here a layer's input, output and parameters all carry its number,
# from 1, so the notes' first layer $y^0(x^0; W^1)$ is our $y^1(x^1; W^1)$.

# %% [markdown]
# ## Set-up
#
# Run this cell first. `check` runs the tests of an exercise; the rest are course helpers for
# the experiments (figures in the course style, and lesson 3's linear layer for the last
# section).

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

from backprop_kit import check
from backprop_kit.gradcheck import check_gradient
from backprop_kit.plots import course_style

rng = np.random.default_rng(0)

# %% nbgrader={"grade": false, "grade_id": "blocks_01_jacobians", "locked": true, "schema_version": 3, "solution": false, "task": false} building_blocks=["01_jacobians"]
# Building blocks from lesson 1 (provided): numerical_jacobian, your exercise there.
def numerical_jacobian(f, x, h=1e-5):
    """Central-difference Jacobian of f: R^n -> R^m at x: an (m, n) array whose column k is
    (f(x + h e_k) - f(x - h e_k)) / (2h). x (n,) is not modified."""
    x = np.array(x, dtype=float)  # a private float copy: the caller's x is never touched
    columns = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        f_plus = np.asarray(f(x + e), dtype=float)
        f_minus = np.asarray(f(x - e), dtype=float)
        columns.append((f_plus - f_minus) / (2 * h))  # how every output moves with x_k: (m,)
    return np.stack(columns, axis=1)  # n columns of m entries side by side: (m, n)


# %% nbgrader={"grade": false, "grade_id": "blocks_03_linear_layer", "locked": true, "schema_version": 3, "solution": false, "task": false} building_blocks=["03_linear_layer"]
# Building blocks from lesson 3 (provided): the linear layer.
def linear_forward(x, W, b):
    """Affine layer y = x W + b: x (N, M_in), W (M_in, M_out), b (M_out,) -> y (N, M_out)."""
    return x @ W + b


def linear_backward(dL_dy, x, W):
    """Gradients of y = x W + b, given dL_dy (N, M_out) and the forward pass's x and W.

    Returns dL_dx (N, M_in), dL_dW (M_in, M_out), dL_db (M_out,).
    """
    dL_dx = dL_dy @ W.T  # (N, M_out) @ (M_out, M_in)
    dL_dW = x.T @ dL_dy  # (M_in, N) @ (N, M_out)
    dL_db = dL_dy.sum(axis=0)  # every row of y received b
    return dL_dx, dL_dW, dL_db

# %% [markdown]
# The forward passes of the three activations are given: you will write their backward
# passes. They work on arrays of any shape, entry by entry.
#
# A remark on `sigmoid_forward`: the textbook formula `1 / (1 + np.exp(-x))` is correct, but
# for $x < -709$ the `exp` overflows to `inf` and numpy prints a `RuntimeWarning`. Writing
# $\sigma(x) = \exp(-\log(1 + e^{-x}))$ with `np.logaddexp(0, -x)` $= \log(e^0 + e^{-x})$
# computes the same number without ever overflowing. You may call these three functions in
# your answers.

# %%
def relu_forward(x):
    """ReLU, max(x, 0), entry by entry."""
    return np.maximum(x, 0)


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), entry by entry, without overflow."""
    return np.exp(-np.logaddexp(0, -x))


def tanh_forward(x):
    """Hyperbolic tangent, entry by entry."""
    return np.tanh(x)


# %% [markdown]
# ## 1. Where this lesson sits in the recursion
#
# A network of $K$ layers maps a batch $x^1 \in \mathbb{R}^{N \times M^0}$ ($N$ samples, one
# per row) through
#
# $$x^1 \xrightarrow{\;y^1 = y^1(x^1;\,W^1)\;} y^1 = x^2 \xrightarrow{\;y^2(x^2;\,W^2)\;}
#   \cdots \longrightarrow y^K \longrightarrow L(y^K),$$
#
# with $x^{l+1} = y^l$ and $x^l \in \mathbb{R}^{N \times M^{l-1}}$. Backpropagation walks this
# chain backwards, one layer at a time:
#
# $$\frac{\partial L}{\partial W^l} = \frac{\partial L}{\partial y^l} \cdot
#   \frac{\partial y^l}{\partial W^l}, \qquad
#   \frac{\partial L}{\partial x^l} = \frac{\partial L}{\partial y^l} \cdot
#   \frac{\partial y^l}{\partial x^l}, \qquad
#   \frac{\partial L}{\partial y^{l-1}} = \frac{\partial L}{\partial x^l}.$$
#
# Lesson 3 did this for the linear layer $y = xW + b$. Two pieces are missing:
#
# * **activation layers** $y = f(x)$, applied entry by entry, with no parameters: only
#   $\partial L/\partial x$ is needed (sections 2 and 3);
# * **the start**: the recursion needs a first upstream gradient $\partial L/\partial y^K$,
#   and the loss provides it (section 4).
#
# Throughout, a gradient in code has **the shape of its variable**: `dL_dy` has the shape of
# `y`, `dL_dx` the shape of `x`.

# %% [markdown]
# ## 2. Element-wise layers have diagonal Jacobians
#
# An activation layer applies one scalar function $f$ to every entry:
#
# $$y_{ni} = f(x_{ni}), \qquad x, y \in \mathbb{R}^{N \times M}.$$
#
# ### Warm-up: predict the shape
#
# Before any formula, predict for $x$ of shape $(N, M)$:
#
# 1. the shape of the derivative tensor $\partial y / \partial x$ as lesson 3 built it: a
#    4-D array with the two axes of $y$ first, then the two axes of $x$, so that entry
#    `[n, i, m, j]` is $\partial y_{ni} / \partial x_{mj}$ (the 4-D tensor, not the
#    matrix you get by flattening it);
# 2. how many of its entries can be non-zero (for a general $f$). *Hint:* on how many
#    entries of $x$ does one entry of $y$ depend?
#
# Write your answer as a function of `N` and `M`: return the 4-D shape as a tuple of four
# ints, in that axis order, and the count as an int.

# %% nbgrader={"grade": false, "grade_id": "sol_elementwise_jacobian_shape", "locked": false, "schema_version": 3, "solution": true, "task": false}
def elementwise_jacobian_shape(N, M):
    """Shape of dy/dx for an element-wise layer on x of shape (N, M), and the number of its
    entries that can be non-zero.

    Returns
    -------
    shape : tuple of ints
    n_nonzero : int
    """
    ### BEGIN SOLUTION
    return (N, M, N, M), N * M
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_elementwise_jacobian_shape", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("elementwise_jacobian_shape", elementwise_jacobian_shape)

# %% [markdown]
# The answer, as a formula. Entry $y_{ni}$ depends on exactly one entry of $x$, the one in
# the same place, so
#
# $$\frac{\partial y_{ni}}{\partial x_{mj}} = \delta_{nm}\,\delta_{ij}\,f'(x_{ni}),$$
#
# where $\delta_{nm}$ is 1 when $n = m$ and 0 otherwise: of the $(NM)^2$ entries, only the
# $NM$ with $(m, j) = (n, i)$ can be non-zero. Flatten $y$ and $x$ into vectors of length
# $NM$ and the tensor becomes lesson 1's Jacobian matrix, $NM \times NM$, with $f'(x)$ on
# its diagonal and zeros everywhere else: **a diagonal Jacobian**.
#
# ### Worked example: one sample, three features
#
# Take a single sample ($N = 1$) with three features, and the sigmoid. Lesson 1's
# `numerical_jacobian` estimates the $3 \times 3$ Jacobian of a vector function by central
# differences, without knowing anything about $f$:

# %%
x_row = np.array([-2.0, 0.0, 1.5])
J_row = numerical_jacobian(sigmoid_forward, x_row)
print("finite-difference Jacobian of the sigmoid at", x_row)
print(np.round(J_row, 5))
s_row = sigmoid_forward(x_row)
print("s (1 - s) at the same points:", np.round(s_row * (1 - s_row), 5))

# %% [markdown]
# Off the diagonal: zeros (nudging $x_2$ does nothing to $y_1$). On the diagonal: the
# derivative of the sigmoid at each input, which (section 3.2) is $s(1-s)$ with
# $s = \sigma(x)$.
#
# ### Exercise: the full derivative tensor, once
#
# Build the whole tensor for a batch, so you can see it, and then see why nobody builds it.
# Write `sigmoid_jacobian(x)` returning `J` of shape $(N, M, N, M)$ with
#
# $$J_{nimj} = \frac{\partial y_{ni}}{\partial x_{mj}} = \delta_{nm}\,\delta_{ij}\,
#   \sigma(x_{ni})\bigl(1 - \sigma(x_{ni})\bigr).$$
#
# *Hint:* start from zeros and fill the "diagonal" entries `J[n, i, n, i]`; `np.indices`
# (or two `for` loops) gives you all pairs `(n, i)`. `np.einsum` with identity matrices for
# the two deltas works too.

# %% nbgrader={"grade": false, "grade_id": "sol_sigmoid_jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_jacobian(x):
    """The derivative tensor dy/dx of y = sigmoid(x), entry by entry.

    Parameters
    ----------
    x : ndarray of shape (N, M)

    Returns
    -------
    J : ndarray of shape (N, M, N, M)
        J[n, i, m, j] = dy[n, i] / dx[m, j].
    """
    ### BEGIN SOLUTION
    N, M = x.shape
    s = sigmoid_forward(x)
    J = np.zeros((N, M, N, M))
    n, i = np.indices((N, M))  # every position (n, i) of x
    J[n, i, n, i] = s * (1 - s)  # the only non-zero entries
    return J
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_jacobian", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("sigmoid_jacobian", sigmoid_jacobian)

# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_jacobian_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: the same checks on other shapes and seeds.
### BEGIN HIDDEN TESTS
check("sigmoid_jacobian", sigmoid_jacobian, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Applying it: the contraction collapses to a product
#
# The backward pass contracts the upstream gradient with this tensor over the axes of $y$:
#
# $$\frac{\partial L}{\partial x_{mj}} = \sum_{n,i} \frac{\partial L}{\partial y_{ni}}\,
#   \delta_{nm}\,\delta_{ij}\,f'(x_{ni})
#   = \frac{\partial L}{\partial y_{mj}}\, f'(x_{mj}).$$
#
# The two deltas kill every term of the sum but one. What remains is an **element-wise
# product** of two arrays of the shape of $x$:
#
# $$\boxed{\;\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \odot f'(x)\;}$$
#
# Let us confirm it on a small batch, contracting with `np.einsum` exactly as in lesson 3:

# %%
x_small = rng.standard_normal((3, 4))
dL_dy_small = rng.standard_normal((3, 4))
J_small = sigmoid_jacobian(x_small)
via_tensor = np.einsum("ni,nimj->mj", dL_dy_small, J_small)  # dL/dy . dy/dx
s_small = sigmoid_forward(x_small)
via_product = dL_dy_small * s_small * (1 - s_small)  # dL/dy (*) f'(x)
print("J has", J_small.size, "entries, of which", np.count_nonzero(J_small), "are non-zero")
print("largest difference between the two results:", np.max(np.abs(via_tensor - via_product)))

# %% [markdown]
# ### Experiment: why we never form it
#
# The tensor has $(NM)^2$ entries, almost all zero; the product needs $NM$ of them. For a
# modest batch of 64 samples and a layer of 1024 units, the tensor would need
# $(64 \cdot 1024)^2 \cdot 8$ bytes $\approx 34$ GB. The left figure shows memory against
# width (computed, not allocated). The right one times the two ways of computing the same
# gradient on sizes small enough to build: the contraction does $(NM)^2$ multiplications to
# find $NM$ numbers.

# %%
def best_time(fn, repeat=5):
    """The fastest of a few runs of fn(), in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


N_batch = 64
widths = 2 ** np.arange(3, 14)
tensor_bytes = 8.0 * (N_batch * widths) ** 2
product_bytes = 8.0 * N_batch * widths

timed_widths = [8, 16, 32, 64]
t_tensor, t_product = [], []
for M in timed_widths:
    x_t = rng.standard_normal((16, M))
    g_t = rng.standard_normal((16, M))
    t_tensor.append(best_time(lambda: np.einsum("ni,nimj->mj", g_t, sigmoid_jacobian(x_t))))
    t_product.append(best_time(lambda: g_t * sigmoid_forward(x_t) * (1 - sigmoid_forward(x_t))))

with course_style():
    fig, (ax_mem, ax_time) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_mem.loglog(widths, tensor_bytes, marker="o", ms=4, label="the tensor $(NM)^2$")
    ax_mem.loglog(widths, product_bytes, marker="o", ms=4, label="the product $NM$")
    ax_mem.axhline(16e9, ls="--", lw=1, color="#8C8C8C")
    ax_mem.text(widths[0], 2.2e10, "16 GB of RAM", color="#8C8C8C")
    ax_mem.set_xlabel("width M (N = 64)")
    ax_mem.set_ylabel("bytes (float64)")
    ax_mem.set_title("memory")
    ax_mem.legend()
    ax_time.loglog(timed_widths, t_tensor, marker="o", ms=4, label="build J, then contract")
    ax_time.loglog(timed_widths, t_product, marker="o", ms=4, label="element-wise product")
    ax_time.set_xticks(timed_widths, [str(M) for M in timed_widths])
    ax_time.set_xticks([], minor=True)
    ax_time.set_xlabel("width M (N = 16)")
    ax_time.set_ylabel("seconds")
    ax_time.set_title("time")
    ax_time.legend()
    fig.tight_layout()
    plt.show()

# %% [markdown]
# Every activation layer in this course (and in every deep-learning library) therefore
# implements its backward pass as the product, and the Jacobian exists only on paper. The
# only thing the backward pass needs from the forward pass is $x$ (or, as you will see,
# $y$).

# %% [markdown]
# ## 3. Three activation functions
#
# For each activation, the backward pass is $\partial L/\partial x = \partial L/\partial y
# \odot f'(x)$: all the work is finding $f'$. Every backward function takes the upstream
# gradient `dL_dy` and the layer's input `x` (both of shape $(N, M)$) and returns `dL_dx` of
# the same shape. It must **not modify** `dL_dy` or `x`: the caller may still need them.
#
# ### 3.1 ReLU
#
# $$f(x) = \max(x, 0), \qquad f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}$$
#
# At $x = 0$ there is a kink and no derivative: every slope between 0 and 1 is a valid
# *subgradient*. We need one number, so we pick a convention. **The course's convention is
# $f'(0) = 0$**: the mask is `x > 0`. (PyTorch and most libraries choose the same; in
# practice inputs are rarely exactly 0, but a zero bias and a zero input row put units
# right on the kink, so the tests include exact zeros.)
#
# Backpropagating through ReLU therefore **lets the gradient through where the input was
# positive and blocks it elsewhere**. The mask comes from the forward input `x`, never from
# `dL_dy`. (For ReLU, $y > 0$ exactly when $x > 0$, so a layer that keeps its output could
# use that instead.)

# %% nbgrader={"grade": false, "grade_id": "sol_relu_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_backward(dL_dy, x):
    """Backward pass of ReLU: dL_dx = dL_dy * f'(x), with f'(0) = 0.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, M), the upstream gradient
    x : ndarray of shape (N, M), the input of the forward pass

    Returns
    -------
    dL_dx : ndarray of shape (N, M)
    """
    ### BEGIN SOLUTION
    return dL_dy * (x > 0)  # the mask: 1 where x > 0, 0 elsewhere (also at x == 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_relu_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("relu_backward", relu_backward)

# %% nbgrader={"grade": true, "grade_id": "test_relu_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: the same checks on other shapes and seeds.
### BEGIN HIDDEN TESTS
check("relu_backward", relu_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### 3.2 Sigmoid
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}.$$
#
# **Derivation.** By the chain rule on $(1 + e^{-x})^{-1}$:
#
# $$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2}
#   = \underbrace{\frac{1}{1 + e^{-x}}}_{\sigma(x)}\;
#     \underbrace{\frac{e^{-x}}{1 + e^{-x}}}_{1 - \sigma(x)},$$
#
# since $1 - \sigma(x) = \frac{(1 + e^{-x}) - 1}{1 + e^{-x}}$. So
#
# $$\boxed{\;\sigma'(x) = s\,(1 - s), \quad s = \sigma(x)\;}$$
#
# The derivative is expressed through the **output** $s$ of the layer: a layer that keeps
# its output $y = \sigma(x)$ can compute its backward pass with no further `exp` at all.
# The largest value is $\sigma'(0) = \tfrac12 \cdot \tfrac12 = \tfrac14$.
#
# A classic slip: $s(1-s)$ with $s$ replaced by the input $x$. The formula needs
# $s = \sigma(x)$, here `sigmoid_forward(x)`.

# %% nbgrader={"grade": false, "grade_id": "sol_sigmoid_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_backward(dL_dy, x):
    """Backward pass of the sigmoid: dL_dx = dL_dy * s (1 - s), s = sigmoid(x).

    Parameters
    ----------
    dL_dy : ndarray of shape (N, M), the upstream gradient
    x : ndarray of shape (N, M), the input of the forward pass

    Returns
    -------
    dL_dx : ndarray of shape (N, M)
    """
    ### BEGIN SOLUTION
    s = sigmoid_forward(x)  # the layer's output, (N, M)
    return dL_dy * s * (1 - s)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("sigmoid_backward", sigmoid_backward)

# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other shapes and seeds, and saturated inputs (|x| up to 30).
### BEGIN HIDDEN TESTS
check("sigmoid_backward", sigmoid_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### 3.3 Tanh
#
# $$\tanh x = \frac{\sinh x}{\cosh x}, \qquad
#   \tanh' x = \frac{\cosh^2 x - \sinh^2 x}{\cosh^2 x} = 1 - \tanh^2 x,$$
#
# by the quotient rule and $\cosh^2 - \sinh^2 = 1$. Again the derivative is a function of
# the output $t = \tanh x$:
#
# $$\boxed{\;\tanh'(x) = 1 - t^2, \quad t = \tanh x\;}$$
#
# *Check yourself:* $\tanh x = 2\sigma(2x) - 1$, so $\tanh'(x) = 4\sigma'(2x)$; at $x = 0$
# both formulas give 1, four times the sigmoid's best.

# %% nbgrader={"grade": false, "grade_id": "sol_tanh_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tanh_backward(dL_dy, x):
    """Backward pass of tanh: dL_dx = dL_dy * (1 - tanh(x)**2).

    Parameters
    ----------
    dL_dy : ndarray of shape (N, M), the upstream gradient
    x : ndarray of shape (N, M), the input of the forward pass

    Returns
    -------
    dL_dx : ndarray of shape (N, M)
    """
    ### BEGIN SOLUTION
    t = np.tanh(x)  # the layer's output, (N, M)
    return dL_dy * (1 - t * t)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_tanh_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("tanh_backward", tanh_backward)

# %% nbgrader={"grade": true, "grade_id": "test_tanh_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other shapes and seeds, and saturated inputs (|x| up to 30).
### BEGIN HIDDEN TESTS
check("tanh_backward", tanh_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### 3.4 Experiment: the activations and their derivatives
#
# Your backward functions compute $\partial L/\partial y \odot f'(x)$. With an upstream
# gradient of all ones they return $f'(x)$ itself, so we can plot each derivative straight
# from your code, next to its function.

# %%
xs = np.linspace(-5, 5, 401)[None, :]  # one row of 401 inputs, shape (1, 401)
ones = np.ones_like(xs)
activations = [
    ("ReLU", relu_forward, relu_backward),
    ("sigmoid", sigmoid_forward, sigmoid_backward),
    ("tanh", tanh_forward, tanh_backward),
]

with course_style():
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharex=True)
    for ax, (name, forward, backward) in zip(axes, activations):
        ax.plot(xs[0], forward(xs)[0], label="$f(x)$")
        ax.plot(xs[0], backward(ones, xs)[0], label="$f'(x)$ from your backward")
        ax.set_title(name)
        ax.set_xlabel("$x$")
        ax.set_ylim(-1.2, 2.2)
        ax.legend(loc="upper left")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# Read off the figure: ReLU's derivative is a step (0, then 1); the sigmoid's is a bump
# whose top is only $\tfrac14$; tanh's is a bump of height 1. Both bumps are nearly 0 once
# $|x|$ is larger than about 4: there the function is flat, **saturated**, and almost no
# gradient gets through.
#
# ### 3.5 Experiment: saturation
#
# How much gradient passes through an activation layer depends on where its inputs
# fall. Suppose the inputs of a layer are spread like a Gaussian of standard deviation
# $r$ (large weights give a large $r$). The left figure shows the average factor $f'(x)$
# that multiplies the gradient, as $r$ grows. The right one follows the gradient through a
# stack of $d$ such layers, each at its best (weights ignored): the factors multiply. The
# sigmoid and tanh are at their best at $x = 0$; ReLU at any $x > 0$ (at $x = 0$ its slope
# is 0 by our convention).

# %%
spreads = np.logspace(-1, 1.3, 40)
z = rng.standard_normal((1, 20000))
mean_slope = {name: [] for name, _, _ in activations}
for spread in spreads:
    x_spread = spread * z
    for name, _, backward in activations:
        mean_slope[name].append(backward(np.ones_like(x_spread), x_spread).mean())

depth = np.arange(1, 11)
with course_style():
    fig, (ax_avg, ax_depth) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name in mean_slope:
        ax_avg.semilogx(spreads, mean_slope[name], label=name)
    ax_avg.set_xlabel(r"spread $r$ of the layer's inputs")
    ax_avg.set_ylabel(r"average $f'(x)$")
    ax_avg.set_title("how much gradient one layer passes")
    ax_avg.legend()
    ax_depth.semilogy(depth, 0.25**depth, marker="o", ms=4, label=r"sigmoid at $x = 0$: $(1/4)^d$")
    ax_depth.semilogy(depth, 1.0**depth, marker="o", ms=4, label=r"tanh at $x = 0$, ReLU at $x > 0$: $1^d$")
    ax_depth.set_xlabel("number of layers $d$")
    ax_depth.set_ylabel("largest possible factor")
    ax_depth.set_title("through a stack of layers")
    ax_depth.legend()
    fig.tight_layout()
    plt.show()

# %% [markdown]
# Two lessons from these curves:
#
# * **Saturation.** As the inputs spread out, the average slope of sigmoid and tanh falls
#   towards 0: most inputs sit on the flat tails. The layers below receive almost no
#   gradient and stop learning. This is why initialisation scales the weights carefully.
# * **Depth.** Even at its best the sigmoid passes a quarter of the gradient, so ten
#   sigmoid layers shrink it by $4^{10} \approx 10^6$: the *vanishing gradient*. ReLU passes
#   the gradient unchanged wherever it is active (about half the inputs, whatever their
#   spread), one reason it became the default. Its own failure mode: a unit whose input is
#   negative for every sample passes no gradient at all (a "dead" ReLU).

# %% [markdown]
# ## 4. Losses: where the recursion starts
#
# The loss $L(y^K)$ maps the network's output $y^K \in \mathbb{R}^{N \times M}$ (and the
# targets) to **one number**. Its derivative is where backpropagation starts. Written as a
# Jacobian it has a single row (one output, $L$) and one column per entry of $y^K$: $NM$
# numbers (with the samples as column vectors, the lecture notes write them as an
# $M \times N$ matrix). In code we store it, like every gradient, with **the shape of
# $y^K$**: `dL_dy` is $N \times M$. Every layer below then receives its upstream gradient
# from the layer above.
#
# Each loss in this course is one function that returns **both** the value and that first
# gradient, `(L, dL_dy)`: the forward and backward pass side by side.
#
# **Convention: average over the batch, sum over everything else.** $L$ is the *mean* over
# the $N$ samples of a per-sample loss. Then the size of $L$ (and of a good learning rate)
# does not depend on the batch size. The price is a factor $\tfrac1N$ in every gradient;
# forgetting it is the most common backprop bug there is.
#
# ### 4.1 Mean squared error
#
# For predictions $y$ and targets $t$, both $N \times M$:
#
# $$L = \frac1N \sum_{n=1}^N \lVert y_n - t_n \rVert^2
#     = \frac1N \sum_{n=1}^{N} \sum_{i=1}^{M} (y_{ni} - t_{ni})^2 ,$$
#
# a mean over the samples, a sum over the $M$ outputs of each. Every entry appears in one
# term, so
#
# $$\boxed{\;\frac{\partial L}{\partial y_{ni}} = \frac2N\,(y_{ni} - t_{ni}),
#   \qquad \texttt{dL\_dy} = \frac2N\,(y - t)\;}$$
#
# Watch out for two conventions you may have met elsewhere and that are **not** this
# course's: `np.mean((y - t)**2)` divides by $NM$, not $N$; and some texts put a $\tfrac12$
# in front to cancel the 2. Either would be a different loss, with a gradient smaller by a
# factor $M$ or 2.
#
# **Worked example.** $N = 2$, $M = 1$, $y = (3, 1)^\top$, $t = (1, 1)^\top$: the residuals
# are $(2, 0)$, $L = \tfrac12(4 + 0) = 2$, and $\partial L/\partial y = \tfrac22 (2, 0) =
# (2, 0)$. Moving $y_2$ changes nothing to first order (it is already right); moving
# $y_1$ up by $\varepsilon$ raises $L$ by about $2\varepsilon$.

# %% nbgrader={"grade": false, "grade_id": "sol_mse_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mse_loss(y, t):
    """Mean squared error over the batch and its gradient.

    Parameters
    ----------
    y : ndarray of shape (N, M), predictions
    t : ndarray of shape (N, M), targets

    Returns
    -------
    L : float
        (1/N) sum_n ||y_n - t_n||^2
    dL_dy : ndarray of shape (N, M)
        2 (y - t) / N
    """
    ### BEGIN SOLUTION
    N = y.shape[0]
    r = y - t  # residuals, (N, M)
    L = float(np.sum(r * r)) / N  # sum over outputs and samples, mean over the batch
    dL_dy = 2.0 * r / N
    return L, dL_dy
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mse_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("mse_loss", mse_loss)

# %% nbgrader={"grade": true, "grade_id": "test_mse_loss_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: the same checks on other shapes and seeds.
### BEGIN HIDDEN TESTS
check("mse_loss", mse_loss, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### 4.2 Softmax cross-entropy
#
# For classification the last layer outputs **scores** (logits) $z \in \mathbb{R}^{N \times
# C}$, one per class, and each sample has a label $c_n \in \{1, \dots, C\}$ (in code the
# labels run from `0` to `C - 1`: class $c$ is column `c - 1`). The softmax turns a row of
# scores into probabilities,
#
# $$p_{nk} = \frac{e^{z_{nk}}}{\sum_{j=1}^{C} e^{z_{nj}}},$$
#
# and the cross-entropy is the mean over the batch of minus the log-probability of the
# correct class:
#
# $$L = -\frac1N \sum_{n=1}^N \log p_{n c_n}
#     = \frac1N \sum_{n=1}^N \Bigl( \log \sum_{j} e^{z_{nj}} \; - \; z_{n c_n} \Bigr).$$
#
# Note the contrast with section 2: **softmax is not element-wise**. Each $p_{nk}$ depends on
# every score of its row, so its Jacobian is not diagonal (you will meet it in the
# derivation). Combined with the cross-entropy, though, the gradient becomes very simple.
#
# ### Warm-up: the loss of a network that knows nothing
#
# If all $C$ scores of a row are equal (roughly what a freshly initialised network with small
# weights outputs), what is $L$? Work it out on paper, then write it as a function of $C$.
# This is the first sanity check of every classifier you will train: the loss at step 0
# should be close to this value.

# %% nbgrader={"grade": false, "grade_id": "sol_uniform_scores_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def uniform_scores_loss(C):
    """The softmax cross-entropy L when every row's C scores are equal (any labels, any N).

    Returns
    -------
    L : float
    """
    ### BEGIN SOLUTION
    return math.log(C)  # p = 1/C for every class, and L = -log(1/C)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_uniform_scores_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("uniform_scores_loss", uniform_scores_loss)

# %% [markdown]
# ### Derive: the gradient of softmax cross-entropy
#
# Show that
#
# $$\boxed{\;\frac{\partial L}{\partial z_{nk}} = \frac1N\bigl(p_{nk} - [k = c_n]\bigr),
#   \qquad \texttt{dL\_dscores} = \frac{p - \text{onehot}(c)}{N}\;}$$
#
# where $[k = c_n]$ is 1 if $k$ is the label of row $n$ and 0 otherwise. In your answer:
#
# 1. explain why the derivative with respect to $z_{nk}$ involves only row $n$'s term of the
#    mean, and where the $\tfrac1N$ comes from;
# 2. differentiate the per-sample loss $\ell_n = \log \sum_j e^{z_{nj}} - z_{nc_n}$ with
#    respect to $z_{nk}$, showing each step;
# 3. interpret the result: what is the gradient when the network is confident and right,
#    and when it is confident and wrong? What do the entries of one row of the gradient sum
#    to, and why?
#
# *Optional:* reach the same result through the chain rule, $\partial \ell_n /
# \partial z_n = \partial \ell_n / \partial p_n \cdot \partial p_n / \partial z_n$, with the
# softmax Jacobian $\partial p_{nk}/\partial z_{nj} = p_{nk}([k=j] - p_{nj})$.
#
# Write your answer in the cell below (Markdown, with LaTeX between `$ ... $`).

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_softmax_cross_entropy", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.**
#
# 1. $L = \frac1N \sum_{n'} \ell_{n'}$, and $\ell_{n'}$ depends only on row $n'$ of the scores (the
#    softmax normalises each row on its own). So $\partial \ell_{n'} / \partial z_{nk} = 0$ for
#    $n' \ne n$, and $\partial L / \partial z_{nk} = \frac1N\, \partial \ell_n / \partial
#    z_{nk}$: the $\frac1N$ is the batch mean.
# 2. With $Z_n = \sum_j e^{z_{nj}}$, $\ell_n = \log Z_n - z_{nc_n}$.
#    The first term: $\frac{\partial}{\partial z_{nk}} \log Z_n = \frac{1}{Z_n}
#    \frac{\partial Z_n}{\partial z_{nk}} = \frac{e^{z_{nk}}}{Z_n} = p_{nk}$ (the derivative
#    of log-sum-exp is the softmax). The second term: $\frac{\partial z_{nc_n}}{\partial
#    z_{nk}} = [k = c_n]$. Hence $\frac{\partial \ell_n}{\partial z_{nk}} = p_{nk} -
#    [k = c_n]$ and $\frac{\partial L}{\partial z_{nk}} = \frac1N (p_{nk} - [k = c_n])$.
# 3. Confident and right ($p_{nc_n} \approx 1$, others $\approx 0$): the row of the gradient
#    is $\approx 0$, nothing to learn. Confident and wrong ($p_{nc_n} \approx 0$, some
#    $p_{nk} \approx 1$): $\approx -\frac1N$ on the correct class (its score is pushed up)
#    and $\approx +\frac1N$ on the predicted one: the gradient does not vanish, however wrong
#    the network is. Each row sums to $\frac1N(\sum_k p_{nk} - 1) = 0$, because adding the
#    same constant to every score of a row leaves the softmax, and so $L$, unchanged.
#
# Optional route: $\partial \ell_n / \partial p_{nj} = -[j = c_n] / p_{nc_n}$, and
# $\sum_j \frac{-[j = c_n]}{p_{nc_n}}\, p_{nj}([j = k] - p_{nk}) = -([c_n = k] - p_{nk})
# = p_{nk} - [k = c_n]$.
#
# **Marking guide (4 points).**
# - 1 point: the batch mean gives $\frac1N$ and only row $n$ contributes (rows do not
#   interact); a derivation for a single sample that states the $\frac1N$ at the end is fine.
# - 2 points: a correct derivation of $p_{nk} - [k = c_n]$ with the steps shown, via
#   log-sum-exp or via the softmax Jacobian (1 point if the structure is right but one step
#   is missing or one sign or index slip is made; 0 for quoting the result).
# - 1 point: a correct interpretation: near 0 when confident and right, about $\mp\frac1N$
#   when confident and wrong (the gradient does not vanish), and rows sum to zero, with a
#   reason (shift invariance, or $\sum_k p_{nk} = 1$).
# ### END SOLUTION

# %% [markdown]
# ### Stability: the log-sum-exp trick
#
# Implemented literally, the formulas above break for large scores: `np.exp(1000.0)` is
# `inf` in float64 (anything above about 709 overflows), and then `inf / inf` is `nan`.
# Scores in the thousands are not exotic: a network trained for a while, or with a large
# learning rate, produces them. Here is what happens (with numpy's warnings silenced so this
# cell stays quiet):

# %%
row = np.array([[1000.0, 0.0, -1000.0]])
with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    p_naive = np.exp(row) / np.exp(row).sum(axis=1, keepdims=True)
    shifted = row - row.max(axis=1, keepdims=True)
    p_shifted = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    print("naive softmax:                        ", p_naive)
    print("softmax of the shifted scores:        ", p_shifted)
    print("log of that softmax, for label 2:     ", np.log(p_shifted[0, 2]))
log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
print("log-sum-exp log-probability, label 2: ", log_p[0, 2], " (so L = 2000)")

# %% [markdown]
# Two facts fix this.
#
# 1. **Shift invariance.** Subtracting the same number $a_n$ from every score of row $n$
#    changes nothing: $e^{z_{nk} - a_n} / \sum_j e^{z_{nj} - a_n} = p_{nk}$ (the factor
#    $e^{-a_n}$ cancels). Choose $a_n = \max_j z_{nj}$, **each row's own maximum**: the
#    largest exponent is then 0, so nothing overflows and the sum is at least 1.
# 2. **Never take the log of a probability that may have underflowed.** In the row above,
#    $p_{13} = e^{-2000}$ (row 1, class 3: `label 2` in code) is 0 in float64 and $\log 0 = -\infty$, although the loss is a
#    perfectly ordinary 2000. Compute the log-probabilities directly:
#
# $$\log p_{nk} = (z_{nk} - a_n) - \log \sum_j e^{z_{nj} - a_n}.$$
#
# This is the **log-sum-exp trick**. Use $\log p$ for the loss and $p = e^{\log p}$ for the
# gradient. The tests use scores as large as $10^4$, rows whose scores differ by $10^4$
# from other rows (a shift by the maximum of the whole array is not enough), and labels
# whose probability underflows to 0. A correct solution raises no warning and returns no
# `nan` or `inf`.

# %% nbgrader={"grade": false, "grade_id": "sol_softmax_cross_entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_cross_entropy(scores, labels):
    """Softmax cross-entropy, mean over the batch, and its gradient; stable for any scores.

    Parameters
    ----------
    scores : ndarray of shape (N, C), unnormalised class scores
    labels : int ndarray of shape (N,), the correct class of each row, in 0 .. C-1

    Returns
    -------
    L : float
        -(1/N) sum_n log p[n, labels[n]]
    dL_dscores : ndarray of shape (N, C)
        (p - onehot(labels)) / N
    """
    ### BEGIN SOLUTION
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)  # each row's max becomes 0
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    rows = np.arange(N)
    L = -float(log_p[rows, labels].sum()) / N
    dL_dscores = np.exp(log_p)  # p, (N, C)
    dL_dscores[rows, labels] -= 1  # p - onehot: one entry per row
    dL_dscores /= N  # the batch mean
    return L, dL_dscores
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_softmax_cross_entropy", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("softmax_cross_entropy", softmax_cross_entropy)

# %% nbgrader={"grade": true, "grade_id": "test_softmax_cross_entropy_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other shapes and seeds, including scores as large as 1e4.
### BEGIN HIDDEN TESTS
check("softmax_cross_entropy", softmax_cross_entropy, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Check your warm-up against your implementation: with all scores equal, the loss should be
# $\log C$ whatever the labels, and every row of the gradient should be
# $\tfrac1N(\tfrac1C, \dots, \tfrac1C - 1, \dots, \tfrac1C)$.

# %%
L_uniform, dL_uniform = softmax_cross_entropy(np.zeros((2, 4)), np.array([1, 3]))
print(f"L = {L_uniform:.6f}, log C = {uniform_scores_loss(4):.6f}")
print("dL_dscores * N =\n", dL_uniform * 2)

# %% [markdown]
# ### Experiment: why classifiers use cross-entropy, not squared error
#
# Take two classes and one sample whose correct class has score $z$ (the other's is 0), so
# the probability of the correct class is $\sigma(z)$. Compare two losses of that
# probability:
#
# * **cross-entropy**: `softmax_cross_entropy` on the scores $(z, 0)$;
# * **squared error of the probability**: `mse_loss` between $\sigma(z)$ and the target 1,
#   backpropagated through the sigmoid, a two-layer chain built from your functions:
#   $\partial L/\partial z = \partial L / \partial s \cdot \sigma'(z)$.
#
# Both are small when $z \gg 0$ (confident and right). The question is what happens when
# the network is confidently **wrong**, $z \ll 0$.

# %%
zs = np.linspace(-10, 10, 201)
ce_L, ce_grad, sq_L, sq_grad = [], [], [], []
for z_val in zs:
    L_ce, g_ce = softmax_cross_entropy(np.array([[z_val, 0.0]]), np.array([0]))
    ce_L.append(L_ce)
    ce_grad.append(g_ce[0, 0])
    z_arr = np.array([[z_val]])
    L_sq, dL_ds = mse_loss(sigmoid_forward(z_arr), np.ones((1, 1)))  # L(s), s = sigmoid(z)
    sq_L.append(L_sq)
    sq_grad.append(sigmoid_backward(dL_ds, z_arr)[0, 0])  # the chain rule, one layer down

with course_style():
    fig, (ax_L, ax_g) = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    ax_L.plot(zs, ce_L, label="cross-entropy")
    ax_L.plot(zs, sq_L, label=r"squared error of $\sigma(z)$")
    ax_L.set_xlabel("score of the correct class $z$")
    ax_L.set_ylabel("loss")
    ax_L.legend()
    ax_g.plot(zs, ce_grad, label="cross-entropy")
    ax_g.plot(zs, sq_grad, label=r"squared error of $\sigma(z)$")
    ax_g.set_xlabel("score of the correct class $z$")
    ax_g.set_ylabel(r"$\partial L / \partial z$")
    ax_g.legend()
    fig.tight_layout()
    plt.show()

# %% [markdown]
# On the left, cross-entropy grows linearly as the prediction gets worse; the squared error
# of a probability can never exceed 1. On the right is what matters for learning: the
# cross-entropy gradient tends to $p - 1 = -1$ when the network is confidently wrong, a
# strong push in the right direction, while the squared-error gradient carries the
# sigmoid's factor $\sigma(z)(1 - \sigma(z))$ and **saturates**: the more wrong the
# network, the less it learns. In cross-entropy the $\log$ cancels the exponential of the
# softmax, and no saturated factor is left.

# %% [markdown]
# ## 5. Putting it together: a small network, checked end to end
#
# You now have every piece of a classifier:
# $x \to$ linear $\to \tanh \to$ linear $\to$ softmax cross-entropy. Backpropagation is the
# recursion of section 1: the loss hands $\partial L/\partial z$ (the scores' gradient) to
# the last linear layer,
# whose $\partial L/\partial x$ is the tanh's $\partial L/\partial y$, and so on down. The
# linear layer is lesson 3's (the course's reference version). The last line compares all
# four parameter gradients with finite differences of the loss.

# %%
x_net = rng.standard_normal((6, 4))  # N = 6 samples, 4 features
labels_net = rng.integers(0, 3, size=6)  # C = 3 classes
params = {
    "W1": 0.5 * rng.standard_normal((4, 5)),
    "b1": 0.1 * rng.standard_normal(5),
    "W2": 0.5 * rng.standard_normal((5, 3)),
    "b2": 0.1 * rng.standard_normal(3),
}


def network_loss(W1, b1, W2, b2):
    """The loss of the two-layer network on the batch (x_net, labels_net)."""
    h = tanh_forward(linear_forward(x_net, W1, b1))
    return softmax_cross_entropy(linear_forward(h, W2, b2), labels_net)[0]


# forward, keeping what the backward pass needs
a = linear_forward(x_net, params["W1"], params["b1"])  # (6, 5)
h = tanh_forward(a)  # (6, 5)
scores = linear_forward(h, params["W2"], params["b2"])  # (6, 3)
L_net, dL_dscores = softmax_cross_entropy(scores, labels_net)  # the recursion starts here

# backward, layer by layer
dL_dh, dL_dW2, dL_db2 = linear_backward(dL_dscores, h, params["W2"])
dL_da = tanh_backward(dL_dh, a)  # through the activation: a diagonal Jacobian
_, dL_dW1, dL_db1 = linear_backward(dL_da, x_net, params["W1"])

grads = {"W1": dL_dW1, "b1": dL_db1, "W2": dL_dW2, "b2": dL_db2}
print(f"L = {L_net:.4f} (log C = {math.log(3):.4f})")
print(check_gradient(network_loss, params, grads).message)

# %% [markdown]
# ## Summary
#
# * An element-wise layer $y = f(x)$ has the derivative tensor
#   $\partial y_{ni}/\partial x_{mj} = \delta_{nm}\delta_{ij} f'(x_{ni})$, of shape
#   $(N, M, N, M)$ with only $NM$ non-zero entries: a diagonal Jacobian.
# * Contracting with it collapses to $\partial L/\partial x = \partial L/\partial y \odot
#   f'(x)$. The Jacobian is never formed: it would cost $(NM)^2$ memory for $NM$ numbers.
# * ReLU: pass the gradient where $x > 0$ (course convention: $f'(0) = 0$). Sigmoid:
#   $s(1-s)$. Tanh: $1 - t^2$. The last two are functions of the layer's output.
# * Sigmoid and tanh saturate: for large $|x|$ they pass almost no gradient, and the
#   sigmoid passes at most a quarter of it.
# * A loss returns $(L, \partial L/\partial y^K)$, the start of the recursion, with the shape
#   of $y^K$. The course averages over the batch: every gradient carries $\tfrac1N$.
# * MSE: $\frac2N(y - t)$. Softmax cross-entropy: $\frac1N(p - \text{onehot})$, computed
#   stably by shifting each row by its maximum and taking log-probabilities by log-sum-exp.
#   Uniform scores give $L = \log C$.
#
# ## Going further
#
# * **Other activations.** Derive the backward passes of leaky ReLU, softplus
#   $\log(1 + e^x)$ (its derivative is the sigmoid) and GELU $x\,\Phi(x)$. All are
#   element-wise, so all are a product.
# * **Softmax on its own.** When softmax is not followed by cross-entropy (attention layers),
#   you need its vector-Jacobian product. From $\partial p_k/\partial z_j = p_k([k=j] - p_j)$,
#   show that $\partial L/\partial z = p \odot (g - \langle g, p \rangle)$ row by row, with
#   $g = \partial L/\partial p$: again no $C \times C$ matrix is formed.
# * **Binary cross-entropy with logits.** For one output $z$ and a label $t \in \{0, 1\}$,
#   $-t \log\sigma(z) - (1-t)\log(1-\sigma(z))$ has gradient $\sigma(z) - t$; write a stable
#   version with `np.logaddexp` (libraries fuse the sigmoid into the loss for this reason).
# * **Label smoothing.** Replace the one-hot target by $q = (1-\varepsilon)\,\text{onehot} +
#   \varepsilon / C$: the gradient becomes $(p - q)/N$.
# * **Lower precision.** In float32, `exp` overflows above about 88.7. Try your
#   `softmax_cross_entropy` on float32 scores of size 100: it should still work.
# * **Memory.** Since the sigmoid and tanh derivatives are functions of the output, a layer
#   can keep $y$ instead of $x$; ReLU only needs a boolean mask (1 byte per entry instead
#   of 8). Frameworks use such tricks to save memory in the backward pass.
