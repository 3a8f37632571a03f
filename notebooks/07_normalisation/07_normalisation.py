# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 7: Normalisation layers
# *Batch norm and layer norm, forward and backward*
#
# Train a deep network on raw features and two things go wrong. Features of very different
# scales give a badly conditioned loss surface: a learning rate small enough for the
# steepest direction crawls along the flat ones. And the distribution of every hidden
# layer's input keeps shifting as the layers below it learn. **Batch normalisation**
# (Ioffe and Szegedy, 2015) answers both with one layer: it makes each feature of a batch
# have mean 0 and variance 1, then lets the network learn the scale and shift it wants.
# Networks with it train at larger learning rates and care much less about initialisation;
# it is in almost every convolutional network since. **Layer normalisation** (Ba, Kiros and
# Hinton, 2016) normalises each example over its features instead, and is in every
# transformer.
#
# Their forward pass is four lines of numpy. Their backward pass is the one every course
# calls the hardest, for a reason you will see in part 2: in a batch-norm layer **every
# output depends on every input of its column**, through the batch mean and variance. The
# rows of a batch are no longer independent. We will not guess the result: we will draw the
# layer as a graph of small intermediate values, take one easy step backward per node (the
# chain rule of lesson 1, the vector-Jacobian products of lessons 3 and 4), and then
# collapse the steps into one compact formula.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. write batch norm in training mode for a batch `x` of shape `(N, D)`: the batch mean,
#    the biased variance, epsilon inside the square root, the learned `gamma` and `beta`;
# 2. explain why the variance is computed from centred values, and show what
#    $\mathbb{E}[x^2] - \mathbb{E}[x]^2$ does to a feature with a large offset;
# 3. backpropagate through the layer node by node, adding the gradients where a value
#    feeds two nodes, and derive the compact form
#    $\frac{\partial L}{\partial x} = \frac{\gamma}{N s}\big(N g - \sum_n g_n - \hat x \sum_n g_n \hat x_n\big)$;
# 4. do the same for layer norm, the same derivation over the other axis;
# 5. put batch norm into a network, check the whole network's gradients with finite
#    differences, and see what the layer does for training.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours. Each graded
# function is followed by a test cell that calls `check(...)`: it prints the stages that
# passed (`returns`, `shapes`, `values`, `finite differences`) or stops at the first that
# failed, with a diagnosis in words. When you submit, hidden tests run the same checks on
# harder cases (a batch of two rows, constant columns, large offsets, other values of eps),
# and your functions are verified again, outside the notebook, on inputs drawn at grading
# time. So a graded function may use only `numpy` (as `np`), `math` and functions you
# define; it must not rely on variables set in other cells.
#
# ## What is graded
#
# Six functions, graded automatically, and one written derivation, graded by hand.
#
# | part | graded | points |
# | --- | --- | --- |
# | 1. The layer | `batchnorm_forward` | 2 + 2 hidden |
# | 2. The graph, node by node | `batchnorm_backward_staged` | 3 + 2 hidden |
# | 3. Derive the compact form | written: the compact $dL/dx$ from the staged steps | 4 by hand |
# | 4. The compact backward pass | `batchnorm_backward` | 2 + 2 hidden |
# | 5. Layer norm | `layernorm_forward` | 1 + 1 hidden |
# | 5. Layer norm | `layernorm_backward` | 2 + 1 hidden |
# | 6. A network with batch norm | `bn_network` | 2 + 2 hidden |
# | total | 6 functions, 1 written answer | 22 + 4 by hand |
#
# Expect to spend about two and a half hours. Run the set-up cell first.

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

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np

from backprop_kit import check, check_gradient
from backprop_kit.data import spiral
from backprop_kit.plots import GREY, PALETTE, course_style

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# Part 2 draws Jacobians with lesson 1's `numerical_jacobian`: the next cell holds it. None
# of this lesson's graded functions calls it.

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


# %% [markdown]
# ## 1. The layer
#
# In the course's notation a layer maps $x^l \in \mathbb{R}^{N \times M^{l-1}}$ to
# $y^l = y^l(x^l; W^l) \in \mathbb{R}^{N \times M^l}$. A normalisation layer keeps the
# width, $M^l = M^{l-1}$: $y^l$ has the shape of $x^l$, and its parameters $W^l$ are two
# vectors, a scale $\gamma$ and a shift $\beta$, one entry per feature. For one layer we
# drop the $l$ and write $D = M_\text{in} = M_\text{out}$ for the number of features:
# $x \in \mathbb{R}^{N \times D}$, one example per row.
#
# Batch norm treats every **feature** (column $j$) on its own, over the **batch** (the $N$
# rows):
#
# $$
# \mu_j = \frac{1}{N}\sum_{n=1}^{N} x_{nj}, \qquad
# v_j = \frac{1}{N}\sum_{n=1}^{N} (x_{nj} - \mu_j)^2, \qquad
# \hat x_{nj} = \frac{x_{nj} - \mu_j}{\sqrt{v_j + \varepsilon}}, \qquad
# y_{nj} = \gamma_j\, \hat x_{nj} + \beta_j .
# $$
#
# Three details matter, and the tests check each of them:
#
# - **The biased variance**: divide by $N$, not $N - 1$. We normalise *this* batch, whose
#   variance is exactly $v_j$; we are not estimating a population's variance. (PyTorch's
#   `batch_norm` normalises with the biased variance in training mode. It keeps a running
#   average of the *unbiased* one for inference, which this lesson does not need.)
# - **Epsilon inside the square root**, $\sqrt{v_j + \varepsilon}$ with a small
#   $\varepsilon$ such as $10^{-5}$: a feature whose values are all (nearly) equal has
#   $v_j \approx 0$, and without $\varepsilon$ we would divide by zero. Outside the root,
#   $\sqrt{v_j} + \varepsilon$, is a different function: near $v_j = 0$ it differs a lot.
# - **The centred variance**: compute $v_j$ from $x_{nj} - \mu_j$, not as
#   $\frac{1}{N}\sum_n x_{nj}^2 - \mu_j^2$. The two are equal on paper; section 1.2 shows
#   why only the first survives in floating point.
#
# After normalising, every column of $\hat x$ has mean 0 and variance
# $v_j / (v_j + \varepsilon) \approx 1$. Then $\gamma_j$ and $\beta_j$ give the column back
# any mean and spread the network finds useful; with $\gamma_j = \sqrt{v_j + \varepsilon}$
# and $\beta_j = \mu_j$ the layer is the identity. Normalising does not take expressive
# power away; it changes how the parameters are laid out, which changes how gradient
# descent moves.
#
# **Worked example.** $N = 3$ rows, $D = 2$ features, $\varepsilon = 10^{-5}$,
# $\gamma = (1, 1)$, $\beta = (0, 0.5)$:
#
# $$
# x = \begin{pmatrix} 1 & 4 \\ 2 & 4 \\ 6 & 4 \end{pmatrix}:\qquad
# \mu = (3,\ 4),\quad
# x - \mu = \begin{pmatrix} -2 & 0 \\ -1 & 0 \\ 3 & 0 \end{pmatrix},\quad
# v = \big(\tfrac{4 + 1 + 9}{3},\ 0\big) = (4.667,\ 0),
# $$
#
# so $\sqrt{v + \varepsilon} = (2.1602,\ 0.0032)$ and the first column of $\hat x$ is
# $(-0.926, -0.463, 1.389)$. The second column is constant: $x - \mu = 0$, so
# $\hat x = 0 / 0.0032 = 0$ and $y = \beta_2 = 0.5$ in every row. Without $\varepsilon$ it
# would be $0 / 0$: NaN.

# %%
x_ex = np.array([[1.0, 4.0], [2.0, 4.0], [6.0, 4.0]])
mu_ex = x_ex.mean(axis=0)
var_ex = ((x_ex - mu_ex) ** 2).mean(axis=0)
xhat_ex = (x_ex - mu_ex) / np.sqrt(var_ex + 1e-5)
print("mu =", mu_ex, "  var =", var_ex)
print("xhat =\n", xhat_ex)
print("column means of xhat:", xhat_ex.mean(axis=0), "  column variances:", xhat_ex.var(axis=0))

# %% [markdown]
# **Predict.** Answer in your head, then open the answers.
#
# 1. What are the shapes of $\mu$, $v$, $\gamma$, $\beta$ and $y$ for `x` of shape
#    `(64, 256)`?
# 2. Every column of $\hat x$ has mean 0. Its variance is $v_j / (v_j + \varepsilon)$: when
#    is that far from 1?
# 3. What does batch norm output for a batch of **one** example ($N = 1$), whatever `x`?
#
# <details><summary>Answers</summary>
#
# 1. $\mu$, $v$, $\gamma$, $\beta$: `(256,)`, one per feature; $y$: `(64, 256)`, like `x`.
# 2. When $v_j$ is comparable to $\varepsilon$ or smaller: a feature that barely varies
#    within the batch. Then $\varepsilon$ decides the result, and a misplaced
#    $\varepsilon$ shows. The visible tests have such a column.
# 3. $x - \mu = 0$, so $\hat x = 0$ and $y = \beta$: the output carries no information
#    about the input, and every gradient through $x$ is zero. PyTorch refuses a batch of
#    one in training mode ("Expected more than 1 value per channel"). With $N = 2$ it is
#    nearly as bad: each column of $\hat x$ is $\pm 1$, whatever the two values were.
#    The hidden tests use $N = 2$.
#
# </details>
#
# ### The cache
#
# The backward pass needs values from the forward pass. Here the cache is a plain dict
# holding the inputs and **every intermediate value of the graph** of part 2, with these
# keys and shapes (the tests of the backward functions hand them a cache of exactly this
# layout):
#
# | key | value | shape |
# | --- | --- | --- |
# | `"x"`, `"gamma"` | the inputs | `(N, D)`, `(D,)` |
# | `"eps"` | the float `eps` | |
# | `"mu"` | $\mu$ | `(D,)` |
# | `"xc"` | $x - \mu$ | `(N, D)` |
# | `"var"` | $v$ (biased) | `(D,)` |
# | `"std"` | $s = \sqrt{v + \varepsilon}$ | `(D,)` |
# | `"xhat"` | $\hat x = (x - \mu) / s$ | `(N, D)` |
#
# ### Exercise 1.1: `batchnorm_forward`
#
# Without a loop over rows or columns: `x.mean(axis=0)` and broadcasting do it.

# %% nbgrader={"grade": false, "grade_id": "sol_batchnorm_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_forward(x, gamma, beta, eps):
    """Batch normalisation in training mode: each feature normalised over the batch.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma, beta : ndarrays of shape (D,)
        The learned scale and shift, one per feature.
    eps : float
        Added to the variance inside the square root.

    Returns
    -------
    y : ndarray of shape (N, D)
        gamma * (x - mu) / sqrt(var + eps) + beta, with the batch mean mu and the biased
        batch variance var of each column.
    cache : dict
        "x", "gamma", "eps", "mu" (D,), "xc" (N, D), "var" (D,), "std" (D,), "xhat" (N, D).
    """
    ### BEGIN SOLUTION
    N = x.shape[0]
    mu = x.sum(axis=0) / N  # (N, D) -> (D,)
    xc = x - mu  # (N, D) - (D,): broadcast over the rows
    var = (xc**2).sum(axis=0) / N  # biased, from the centred values: (D,)
    std = np.sqrt(var + eps)  # eps inside the root: (D,)
    xhat = xc / std  # (N, D)
    y = gamma * xhat + beta  # (D,) broadcast over the rows: (N, D)
    cache = {"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xc": xc, "var": var,
             "std": std, "xhat": xhat}
    ### END SOLUTION
    return y, cache


# %% nbgrader={"grade": true, "grade_id": "test_batchnorm_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("batchnorm_forward", batchnorm_forward)

# %% nbgrader={"grade": true, "grade_id": "test_batchnorm_forward_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a batch of two rows, constant columns, large offsets, other values of eps.
### BEGIN HIDDEN TESTS
check("batchnorm_forward", batchnorm_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### 1.2. Why the variance is computed from centred values
#
# On paper $\frac{1}{N}\sum_n (x_n - \mu)^2 = \frac{1}{N}\sum_n x_n^2 - \mu^2$. The right
# side is tempting (one pass over the data), and it is what a hidden test is built to
# catch. Take a feature with a large offset, $x_n = c + \text{noise}$ with $c = 10^4$ and
# noise of size $10^{-2}$: both terms are about $10^8$, float64 keeps 16 significant
# digits, so each is known to about $10^{-8}$, and their difference, the variance
# ($10^{-4}$), keeps about 4 digits. With noise of $10^{-3}$ it keeps about two, with
# $10^{-4}$ none, and it may even come out negative (then $\sqrt{v + \varepsilon}$ is NaN). This is **catastrophic
# cancellation**: subtracting two nearly equal numbers keeps only their error. Subtracting
# the mean first removes the offset *before* squaring, and loses nothing that matters.
#
# The figure measures it: the relative error of both formulas as the offset grows, for
# noise of standard deviation 1 (so the offset is also the ratio $|\mu| / \sigma$).

# %%
rng = np.random.default_rng(0)
noise = rng.standard_normal(1000)
offsets = np.logspace(0, 8, 33)
truth = noise.var()  # the variance does not depend on the offset
errors = {"mean((x - mu)**2), two passes": [], "mean(x**2) - mean(x)**2": []}
for c in offsets:
    x_c = c + noise
    two_pass = ((x_c - x_c.mean()) ** 2).mean()
    one_pass = (x_c**2).mean() - x_c.mean() ** 2
    errors["mean((x - mu)**2), two passes"].append(abs(two_pass - truth) / truth)
    errors["mean(x**2) - mean(x)**2"].append(abs(one_pass - truth) / truth)

with course_style():
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, err in errors.items():
        err = np.maximum(err, 1e-17)  # an exact result (error 0) is drawn at the bottom
        ax.loglog(offsets, err, marker="o", ms=3, label=label)
    ax.loglog(offsets, 1.1e-16 * offsets**2, color=GREY, linestyle=":",
              label="machine epsilon x (mu / sigma)^2")
    ax.axhline(1.0, color=GREY, linewidth=1)
    ax.text(5e7, 3.0, "100 % error: no correct digit", fontsize=9, ha="right")
    ax.set_ylim(1e-17, 1e3)
    ax.set_xlabel("offset |mu| / sigma")
    ax.set_ylabel("relative error of the variance")
    ax.set_title("Catastrophic cancellation in mean(x^2) - mean(x)^2")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(0.0, 0.86))
    plt.show()

# %% [markdown]
# The one-pass error grows like $\epsilon_\text{mach} (\mu / \sigma)^2$, the dotted line:
# at an offset of $10^8$ standard deviations it has no correct digit left. The two-pass
# error stays near $\epsilon_\text{mach}$. Offsets of $10^4$ are not exotic: pixel values,
# prices, timestamps and the pre-activations of a badly initialised layer all have them.
# (`np.var` computes two passes, like your function.)
#
# ## 2. The graph, node by node
#
# Where does the difficulty of the backward pass come from? Look at the derivative of $y$
# with respect to $x$, flattened into a matrix as in lesson 3 (one row per entry of $y$,
# one column per entry of $x$, both in row-major order). For the linear layer $y = xW$ it
# was block diagonal: row $n$ of $y$ depends on row $n$ of $x$ only. For batch norm, entry
# $y_{nj}$ depends on **every** row of column $j$, through $\mu_j$ and $v_j$; for layer
# norm, on every feature of row $n$. The figure shows the three, blank where the
# derivative is exactly zero.

# %%
rng = np.random.default_rng(3)
N_j, D_j = 4, 3
x_j = rng.standard_normal((N_j, D_j)) * rng.uniform(0.5, 2, D_j)
W_j = rng.standard_normal((D_j, D_j))


def normalise_along(v, axis):
    """(v - mean) / sqrt(var + eps) along an axis: gamma = 1 and beta = 0."""
    vc = v - v.mean(axis=axis, keepdims=True)
    return vc / np.sqrt((vc**2).mean(axis=axis, keepdims=True) + 1e-5)


maps = {
    "linear layer, y = x W": lambda v: (v.reshape(N_j, D_j) @ W_j).ravel(),
    "batch norm (per column)": lambda v: normalise_along(v.reshape(N_j, D_j), 0).ravel(),
    "layer norm (per row)": lambda v: normalise_along(v.reshape(N_j, D_j), 1).ravel(),
}
with course_style():
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.3))
    for ax, (title, f) in zip(axes, maps.items()):
        J = numerical_jacobian(f, x_j.ravel())
        lim = np.quantile(np.abs(J[np.abs(J) > 1e-8]), 0.9)
        ax.imshow(np.where(np.abs(J) < 1e-8, np.nan, J), cmap="PuOr", vmin=-lim, vmax=lim)
        ax.grid(False)
        for k in range(1, N_j):
            ax.axhline(k * D_j - 0.5, color=GREY, linewidth=0.8)
            ax.axvline(k * D_j - 0.5, color=GREY, linewidth=0.8)
        ticks = [k * D_j + 1 for k in range(N_j)]
        ax.set_xticks(ticks, [f"row {k}" for k in range(N_j)])
        ax.set_yticks(ticks, [f"row {k}" for k in range(N_j)])
        ax.set_title(title)
        ax.set_xlabel("entry of x")
    axes[0].set_ylabel("entry of y")
    fig.suptitle(f"dy/dx flattened: N = {N_j} rows of D = {D_j} features; blank = exactly 0",
                 color=GREY)
    plt.show()

# %% [markdown]
# In the middle panel every block is diagonal: feature $j$ of $y$ only sees feature $j$ of
# $x$, but in **all** rows. An upstream gradient on one example therefore reaches every
# example of the batch. The compact formula of part 3 is what contracting with this dense
# structure gives; to get there safely, we break the layer into steps small enough that
# each derivative is obvious.
#
# ### The graph
#
# Write the forward pass as a chain of intermediate values, one line each (every operation
# acts column by column; $s$ stands for the standard deviation `std`):

# %%
def draw_graph(ax):
    """Batch norm's graph: a box per value (blue: one entry per entry of x, orange: one
    per feature, green: the parameters), an arrow per dependency."""
    nodes = {
        "x": (0.0, 0.0, r"$x$", "(N, D)", PALETTE[1]),
        "mu": (1.8, 1.4, r"$\mu = \frac{1}{N}\sum_n x_n$", "(D,)", PALETTE[0]),
        "xc": (3.6, 0.0, r"$x_c = x - \mu$", "(N, D)", PALETTE[1]),
        "var": (5.4, 1.4, r"$v = \frac{1}{N}\sum_n x_{c,n}^2$", "(D,)", PALETTE[0]),
        "std": (7.3, 1.4, r"$s = \sqrt{v + \varepsilon}$", "(D,)", PALETTE[0]),
        "xhat": (7.3, 0.0, r"$\hat x = x_c \,/\, s$", "(N, D)", PALETTE[1]),
        "gb": (9.3, 1.4, r"$\gamma,\ \beta$", "(D,)", PALETTE[2]),
        "y": (9.3, 0.0, r"$y = \gamma \hat x + \beta$", "(N, D)", PALETTE[1]),
    }
    boxes = {}
    for name, (px, py, label, shape, colour) in nodes.items():
        frame = dict(boxstyle="round,pad=0.45", fc="none", ec=colour, lw=2)
        boxes[name] = ax.text(px, py, f"{label}\n{shape}", ha="center", va="center",
                              fontsize=11, color=GREY, linespacing=1.6, bbox=frame)
    edges = [("x", "mu"), ("x", "xc"), ("mu", "xc"), ("xc", "var"), ("var", "std"),
             ("xc", "xhat"), ("std", "xhat"), ("xhat", "y"), ("gb", "y")]
    for a, b in edges:
        arrow = dict(arrowstyle="-|>", color=GREY, lw=1.5, shrinkA=3, shrinkB=3,
                     patchA=boxes[a].get_bbox_patch(), patchB=boxes[b].get_bbox_patch())
        ax.annotate("", xy=(0.5, 0.5), xycoords=boxes[b], xytext=(0.5, 0.5),
                    textcoords=boxes[a], arrowprops=arrow)
    for name in ("x", "xc"):
        px, py, *_ = nodes[name]
        ax.text(px + 0.15, py - 0.75, "feeds two nodes:\nits gradient is a sum",
                fontsize=9, color=PALETTE[4], ha="center", va="top")
    ax.set_xlim(-0.8, 10.3)
    ax.set_ylim(-1.5, 2.1)
    ax.axis("off")


with course_style():
    fig, ax = plt.subplots(figsize=(11, 3.6))
    draw_graph(ax)
    ax.set_title("Batch norm as a graph: forward along the arrows, backward against them")
    plt.show()

# %% [markdown]
# Backpropagation visits the nodes against the arrows: $y$, then $\gamma$, $\beta$ and
# $\hat x$, then $s$, $v$, $x_c$, $\mu$ and finally $x$. At each node it has the **total**
# gradient $\partial L / \partial(\text{node})$ and multiplies by the local derivative of
# the node's formula (a vector-Jacobian product), passing the result to the node's
# inputs. Two nodes feed two others: $x$ feeds $\mu$ and $x_c$, and $x_c$ feeds $v$ and
# $\hat x$. A small change of such a value moves the loss along both paths, so its total
# gradient is the **sum** of what comes back along each (the chain rule of lesson 1 for a
# function of two arguments: $\frac{d}{dt} L(a(t), b(t)) = L_a a' + L_b b'$). Forget one
# path and you get the most common wrong answer for this layer.
#
# Let $g = \partial L / \partial y$ (`dL_dy`, shape `(N, D)`). Work column by column and
# keep the index $n$ of the row. The first three steps, in full:
#
# - $y_{nj} = \gamma_j \hat x_{nj} + \beta_j$. Each $\beta_j$ is added to all $N$ rows,
#   so $\frac{\partial L}{\partial \beta_j} = \sum_n g_{nj}$ (as for the bias of lesson 3);
#   each $\gamma_j$ multiplies all $N$ rows, so
#   $\frac{\partial L}{\partial \gamma_j} = \sum_n g_{nj}\, \hat x_{nj}$; and each
#   $\hat x_{nj}$ appears once, with weight $\gamma_j$:
#   $\frac{\partial L}{\partial \hat x_{nj}} = g_{nj}\,\gamma_j$.
# - $\hat x_{nj} = x_{c,nj} / s_j$. The standard deviation $s_j$ divides all $N$ rows
#   of column $j$, and $\partial(a/s)/\partial s = -a/s^2$, so
#   $\frac{\partial L}{\partial s_j} = -\sum_n \frac{\partial L}{\partial \hat x_{nj}}\,
#   \frac{x_{c,nj}}{s_j^2}$ (shape `(D,)`: a sum over the batch). This node also sends
#   $\frac{\partial L}{\partial \hat x_{nj}} / s_j$ to $x_{c,nj}$: the first of the two
#   contributions $x_c$ receives.
#
# The remaining steps are yours; each takes one line of calculus:
#
# | node | its formula | it sends to its input(s) |
# | --- | --- | --- |
# | $s$ | $s_j = \sqrt{v_j + \varepsilon}$ | $\partial L / \partial v_j$ = ? |
# | $v$ | $v_j = \frac{1}{N}\sum_n x_{c,nj}^2$ | to each $x_{c,nj}$: ? (second contribution) |
# | $x_c$ | $x_{c,nj} = x_{nj} - \mu_j$ | to $x_{nj}$: ?; to $\mu_j$: ? (a sum over $n$) |
# | $\mu$ | $\mu_j = \frac{1}{N}\sum_n x_{nj}$ | to each $x_{nj}$: ? (second contribution) |
#
# <details><summary>Hint: the shape of each answer</summary>
#
# A value of shape `(D,)` (one per feature: $\mu$, $v$, $s$) that is used by all $N$ rows
# collects a **sum over the batch** of what the rows send back. A value of shape `(N, D)`
# that was computed from a `(D,)` one receives that gradient **broadcast to every row**,
# times the local derivative. The derivative of $\frac{1}{N}\sum_m a_m^2$ by $a_n$ is
# $\frac{2}{N} a_n$; of $\frac{1}{N}\sum_m a_m$ by $a_n$ it is $\frac{1}{N}$.
#
# </details>
#
# ### Exercise 2.1: `batchnorm_backward_staged`
#
# Return a dict with the **total** gradient of the loss for every node, in the order
# backpropagation computes them: `"beta"`, `"gamma"`, `"xhat"`, `"std"`, `"var"`, `"xc"`,
# `"mu"`, `"x"` (so `grads["var"]` is $\partial L / \partial v$, shape `(D,)`). Each
# gradient has the shape of its node. Read what you need from the cache; do not modify it.
# The test checks the nodes in that order and names the first step that is wrong.

# %% nbgrader={"grade": false, "grade_id": "sol_batchnorm_backward_staged", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_backward_staged(dL_dy, cache):
    """The backward pass of batch norm, one node of the graph at a time.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, D)
    cache : dict, as returned by batchnorm_forward

    Returns
    -------
    grads : dict
        The total derivative of the loss for every node: "beta", "gamma", "std", "var",
        "mu" of shape (D,); "xhat", "xc", "x" of shape (N, D).
    """
    ### BEGIN SOLUTION
    x, gamma, xc, std, xhat = (cache[k] for k in ("x", "gamma", "xc", "std", "xhat"))
    N = x.shape[0]
    grads = {}
    grads["beta"] = dL_dy.sum(axis=0)  # beta shared by the N rows: (N, D) -> (D,)
    grads["gamma"] = (dL_dy * xhat).sum(axis=0)  # (N, D) -> (D,)
    grads["xhat"] = dL_dy * gamma  # (N, D) * (D,) -> (N, D)
    grads["std"] = -(grads["xhat"] * xc).sum(axis=0) / std**2  # d(a/s)/ds = -a/s^2: (D,)
    grads["var"] = grads["std"] / (2 * std)  # d sqrt(v + eps)/dv = 1/(2s): (D,)
    # xc feeds xhat and var: the two contributions add, (N, D)
    grads["xc"] = grads["xhat"] / std + (2 / N) * xc * grads["var"]
    grads["mu"] = -grads["xc"].sum(axis=0)  # xc = x - mu, mu shared by the rows: (D,)
    grads["x"] = grads["xc"] + grads["mu"] / N  # x feeds xc and mu = mean(x): (N, D)
    ### END SOLUTION
    return grads


# %% nbgrader={"grade": true, "grade_id": "test_batchnorm_backward_staged", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("batchnorm_backward_staged", batchnorm_backward_staged)

# %% nbgrader={"grade": true, "grade_id": "test_batchnorm_backward_staged_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a batch of two rows, constant columns, large offsets, other values of eps.
### BEGIN HIDDEN TESTS
check("batchnorm_backward_staged", batchnorm_backward_staged, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The `finite differences` stage perturbed $x$, $\gamma$ and $\beta$ along random
# directions and compared the change of $L = \sum_{n,j} g_{nj}\, y_{nj}$ with what your
# `grads["x"]`, `grads["gamma"]` and `grads["beta"]` predict: an independent witness
# that knows nothing about the graph.
#
# One thing to notice on the way: $\sum_n x_{c,nj} = 0$ for every column (the mean was
# subtracted). Use it to show that $\partial L / \partial \mu_j$ equals
# $-\frac{1}{s_j}\sum_n \frac{\partial L}{\partial \hat x_{nj}}$: the path through the
# variance contributes nothing to the mean's gradient. You will need this in part 3.

# %%
rng = np.random.default_rng(1)
x_s, dL_dy_s = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
_, cache_s = batchnorm_forward(x_s, rng.standard_normal(3), rng.standard_normal(3), 1e-5)
grads_s = batchnorm_backward_staged(dL_dy_s, cache_s)
print("dL/dmu                     :", grads_s["mu"])
print("-sum_n dL/dxhat_n / std    :", -grads_s["xhat"].sum(axis=0) / cache_s["std"])
print("sum_n xc_n (zero, rounding):", cache_s["xc"].sum(axis=0))

# %% [markdown]
# ## 3. Derive the compact form (4 points, graded by hand)
#
# The staged backward allocates seven arrays and walks the batch six times. Substituting
# the steps into each other collapses them into one expression for $\partial L / \partial
# x$. Write $g_n = \partial L / \partial y_n$ for row $n$ of one column (drop the column
# index $j$: every column is handled the same way), $\hat g_n = \gamma\, g_n = \partial L
# / \partial \hat x_n$, and $s$ for the column's standard deviation.
#
# **Show** that
#
# $$
# \frac{\partial L}{\partial x_n}
# = \frac{1}{N s}\Big(N \hat g_n - \sum_{m=1}^{N} \hat g_m - \hat x_n \sum_{m=1}^{N} \hat g_m \hat x_m\Big)
# = \frac{\gamma}{N s}\Big(N g_n - \sum_{m} g_m - \hat x_n \sum_{m} g_m \hat x_m\Big),
# $$
#
# starting from your staged steps, in this order:
#
# 1. write $\partial L / \partial v$ with $\hat x$ instead of $x_c$ (use $x_c = s \hat x$);
# 2. substitute it into $\partial L / \partial x_{c,n}$, adding both paths;
# 3. simplify $\partial L / \partial \mu$ (the previous cell's observation, with a reason);
# 4. assemble $\partial L / \partial x_n$, and say which term comes from the mean's path
#    and which from the variance's.
#
# Write your answer in the cell below (Markdown with LaTeX: `$...$` for inline maths,
# `$$...$$` for displays).

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_compact_dx", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** One column; $\hat g_n = \gamma g_n$, $x_{c,n} = s\,\hat x_n$, sums over
# the $N$ rows of the batch.
#
# 1. From the staged steps,
#    $\frac{\partial L}{\partial s} = -\sum_m \hat g_m \frac{x_{c,m}}{s^2}
#    = -\frac{1}{s}\sum_m \hat g_m \hat x_m$ and
#    $\frac{\partial L}{\partial v} = \frac{\partial L}{\partial s}\cdot\frac{1}{2s}
#    = -\frac{1}{2 s^2}\sum_m \hat g_m \hat x_m$.
# 2. $x_{c,n}$ feeds $\hat x_n$ and $v$, so
#    $\frac{\partial L}{\partial x_{c,n}} = \frac{\hat g_n}{s} + \frac{2}{N} x_{c,n}
#    \frac{\partial L}{\partial v} = \frac{\hat g_n}{s} - \frac{2}{N}\, s\hat x_n\,
#    \frac{1}{2s^2}\sum_m \hat g_m \hat x_m
#    = \frac{1}{s}\Big(\hat g_n - \frac{\hat x_n}{N}\sum_m \hat g_m \hat x_m\Big)$.
# 3. $\frac{\partial L}{\partial \mu} = -\sum_n \frac{\partial L}{\partial x_{c,n}}
#    = -\frac{1}{s}\sum_n \hat g_n + \frac{1}{N s}\Big(\sum_n \hat x_n\Big)
#    \sum_m \hat g_m \hat x_m = -\frac{1}{s}\sum_n \hat g_n$, because
#    $\sum_n \hat x_n = \frac{1}{s}\sum_n (x_n - \mu) = 0$: the centred values sum to zero.
# 4. $x_n$ feeds $x_{c,n}$ (weight 1) and $\mu$ (weight $1/N$), so
#    $$\frac{\partial L}{\partial x_n} = \frac{\partial L}{\partial x_{c,n}} + \frac{1}{N}
#    \frac{\partial L}{\partial \mu} = \frac{1}{s}\Big(\hat g_n - \frac{\hat x_n}{N}
#    \sum_m \hat g_m \hat x_m - \frac{1}{N}\sum_m \hat g_m\Big)
#    = \frac{1}{N s}\Big(N \hat g_n - \sum_m \hat g_m - \hat x_n \sum_m \hat g_m
#    \hat x_m\Big).$$
#    $\gamma$ is the same in every row of the column, so it leaves the sums:
#    $\frac{\gamma}{N s}\big(N g_n - \sum_m g_m - \hat x_n \sum_m g_m \hat x_m\big)$.
#    The term $-\sum_m \hat g_m$ comes from the mean's path (through $\mu$); the term
#    $-\hat x_n \sum_m \hat g_m \hat x_m$ from the variance's path (through $v$ and $s$);
#    $N \hat g_n$ is the direct path through $\hat x_n$ alone.
#
# **Marking guide (4 points).**
# - 1 point: $\partial L/\partial v$ correct and written with $\hat x$ (the $1/(2s)$ of the
#   square root and the $x_c = s\hat x$ substitution).
# - 1 point: $\partial L/\partial x_{c,n}$ as the **sum** of both paths, with the $2/N$.
#   Leaving out the path through $v$ loses this point and the last.
# - 1 point: $\partial L/\partial \mu = -\frac{1}{s}\sum \hat g$ with the reason
#   ($\sum_n \hat x_n = 0$). Stating it without a reason: half a point.
# - 1 point: the assembly with both contributions to $\partial L/\partial x_n$ (the $1/N$
#   of the mean), the final compact form, and the attribution of the terms to the paths.
# - A formula quoted from elsewhere without the steps earns at most 1 point in total.
#   Sign slips that are corrected consistently cost half a point each.
# ### END SOLUTION

# %% [markdown]
# ## 4. The compact backward pass
#
# In code, with `g = dL_dy * gamma` (that is, $\hat g$; shape `(N, D)`), the sums over the
# batch are `.sum(axis=0)`, one number per column, and broadcasting does the rest:
#
# $$
# \frac{\partial L}{\partial x} = \frac{1}{N s}\Big(N \hat g - \textstyle\sum_n \hat g_n
# - \hat x \odot \sum_n \hat g_n \odot \hat x_n\Big), \qquad
# \frac{\partial L}{\partial \gamma} = \textstyle\sum_n g_n \odot \hat x_n, \qquad
# \frac{\partial L}{\partial \beta} = \textstyle\sum_n g_n .
# $$
#
# It needs only $\hat x$, $s$ and $\gamma$ from the cache: no $x$, $\mu$, $x_c$ or $v$.
#
# ### Exercise 4.1: `batchnorm_backward`
#
# Return the three gradients with the compact formula: no staged intermediate values, no
# loops. `dL_dgamma` and `dL_dbeta` have the shape of `gamma`, `(D,)`.

# %% nbgrader={"grade": false, "grade_id": "sol_batchnorm_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def batchnorm_backward(dL_dy, cache):
    """The backward pass of batch norm in its compact form.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, D)
    cache : dict, as returned by batchnorm_forward

    Returns
    -------
    dL_dx : ndarray of shape (N, D)
    dL_dgamma : ndarray of shape (D,)
    dL_dbeta : ndarray of shape (D,)
    """
    ### BEGIN SOLUTION
    xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
    N = dL_dy.shape[0]
    dL_dbeta = dL_dy.sum(axis=0)  # (N, D) -> (D,)
    dL_dgamma = (dL_dy * xhat).sum(axis=0)  # (N, D) -> (D,)
    g = dL_dy * gamma  # dL/dxhat: (N, D)
    # N g - (mean's path) - xhat * (variance's path): (N, D), (D,), (N, D) * (D,)
    dL_dx = (N * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) / (N * std)
    ### END SOLUTION
    return dL_dx, dL_dgamma, dL_dbeta


# %% nbgrader={"grade": true, "grade_id": "test_batchnorm_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("batchnorm_backward", batchnorm_backward)

# %% nbgrader={"grade": true, "grade_id": "test_batchnorm_backward_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a batch of two rows, constant columns, large offsets, other values of eps.
### BEGIN HIDDEN TESTS
check("batchnorm_backward", batchnorm_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### What the formula says
#
# Take the compact $\partial L/\partial x$ of one column and sum it over the batch: the
# three terms give $N\sum \hat g - N \sum \hat g - \sum_n \hat x_n \cdot (\ldots) = 0$. And
# multiply it by $\hat x$ before summing: $N\sum \hat g \hat x - 0 - \sum_n \hat x_n^2
# \sum_m \hat g_m \hat x_m = 0$ when $\sum_n \hat x_n^2 = N$ (that is, up to
# $\varepsilon$). So the gradient is **orthogonal** to two directions in every column: the
# constant shift (adding the same number to a whole column of $x$ does not change $y$) and
# the scaling (multiplying a column by a positive number does not change $y$, up to
# $\varepsilon$). What the layer ignores, its gradient ignores. The staged and compact
# forms agree to rounding. Both make a handful of passes over the arrays, so in numpy the
# compact one is faster by a modest factor at most (it creates fewer temporary arrays);
# what it saves for certain is memory: it reads three values from the cache, and a
# framework can keep just those.

# %%
rng = np.random.default_rng(2)
x_b, dL_dy_b = 3.0 + rng.standard_normal((512, 256)), rng.standard_normal((512, 256))
_, cache_b = batchnorm_forward(x_b, rng.standard_normal(256), rng.standard_normal(256), 1e-5)
dx_b, _, _ = batchnorm_backward(dL_dy_b, cache_b)


def cancels(terms):
    """|sum over the batch| / (sum of |terms|), the largest over the columns: 0 when the
    terms cancel exactly, 1 when they all have the same sign."""
    return (np.abs(terms.sum(axis=0)) / np.abs(terms).sum(axis=0)).max()


print("sum_n dL/dx_n,          relative to the sum of |terms|:", cancels(dx_b))
print("sum_n dL/dx_n * xhat_n, relative to the sum of |terms|:", cancels(dx_b * cache_b["xhat"]),
      "(about eps / var)")
print("largest |staged - compact| in dL/dx:", np.abs(batchnorm_backward_staged(dL_dy_b, cache_b)["x"]
                                                       - dx_b).max())


def best_time(fn, repeats=5):
    """The fastest of a few runs of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


staged_s = best_time(lambda: batchnorm_backward_staged(dL_dy_b, cache_b))
compact_s = best_time(lambda: batchnorm_backward(dL_dy_b, cache_b))
print(f"N = 512, D = 256: staged {1e3 * staged_s:.2f} ms, compact {1e3 * compact_s:.2f} ms")

# %% [markdown]
# ## 5. Layer norm: the same derivation over the other axis
#
# Layer norm normalises each **example** (row $n$) over its $D$ features, and keeps one
# $\gamma_j$, $\beta_j$ per feature:
#
# $$
# \mu_n = \frac{1}{D}\sum_{j=1}^{D} x_{nj}, \qquad
# v_n = \frac{1}{D}\sum_{j} (x_{nj} - \mu_n)^2, \qquad
# \hat x_{nj} = \frac{x_{nj} - \mu_n}{\sqrt{v_n + \varepsilon}}, \qquad
# y_{nj} = \gamma_j\, \hat x_{nj} + \beta_j .
# $$
#
# The examples never interact: layer norm works with a batch of one, and behaves the same
# in training and at inference, which is why transformers use it. Its graph is batch
# norm's with the statistics taken along `axis=1`: $\mu$, $v$ and $s$ are one number per
# **row**, stored as columns of shape `(N, 1)` (`keepdims=True`) so that they broadcast
# against `x`. The cache has the same keys as batch norm's, with `"mu"`, `"var"` and
# `"std"` of shape `(N, 1)`.
#
# The derivation of part 3 goes through with $N$ replaced by $D$ and the sums over $n$
# replaced by sums over $j$, with one difference: $\gamma_j$ now changes *along* the sums,
# so it cannot be taken out of them. Keep $\hat g = \gamma \odot \partial L/\partial y$
# inside:
#
# $$
# \frac{\partial L}{\partial x_{nj}} = \frac{1}{D s_n}\Big(D \hat g_{nj} - \sum_{k} \hat g_{nk}
# - \hat x_{nj} \sum_{k} \hat g_{nk} \hat x_{nk}\Big),
# \qquad
# \frac{\partial L}{\partial \gamma_j} = \sum_n g_{nj} \hat x_{nj}, \qquad
# \frac{\partial L}{\partial \beta_j} = \sum_n g_{nj} .
# $$
#
# $\gamma$ and $\beta$ are still per feature and shared by the rows, so their gradients
# still sum over the **batch**, `axis=0`: only the normalisation changed axis.
#
# ### Exercise 5.1: `layernorm_forward`

# %% nbgrader={"grade": false, "grade_id": "sol_layernorm_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def layernorm_forward(x, gamma, beta, eps):
    """Layer normalisation: each example (row) normalised over its features.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma, beta : ndarrays of shape (D,)
    eps : float

    Returns
    -------
    y : ndarray of shape (N, D)
    cache : dict
        "x", "gamma", "eps", "mu" (N, 1), "xc" (N, D), "var" (N, 1), "std" (N, 1),
        "xhat" (N, D).
    """
    ### BEGIN SOLUTION
    mu = x.mean(axis=1, keepdims=True)  # (N, 1): one mean per row
    xc = x - mu  # (N, D) - (N, 1): broadcast along the row
    var = (xc**2).mean(axis=1, keepdims=True)  # (N, 1), biased
    std = np.sqrt(var + eps)  # (N, 1)
    xhat = xc / std  # (N, D)
    y = gamma * xhat + beta  # (D,) broadcast over the rows
    cache = {"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xc": xc, "var": var,
             "std": std, "xhat": xhat}
    ### END SOLUTION
    return y, cache


# %% nbgrader={"grade": true, "grade_id": "test_layernorm_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("layernorm_forward", layernorm_forward)

# %% nbgrader={"grade": true, "grade_id": "test_layernorm_forward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a single row (N = 1), a square batch (N = D), constant rows, large offsets.
### BEGIN HIDDEN TESTS
check("layernorm_forward", layernorm_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5.2: `layernorm_backward`
#
# The compact form above. Mind the two axes: the sums inside $\partial L/\partial x$ run
# along each row (`axis=1, keepdims=True`), the sums for $\gamma$ and $\beta$ over the batch
# (`axis=0`).

# %% nbgrader={"grade": false, "grade_id": "sol_layernorm_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def layernorm_backward(dL_dy, cache):
    """The backward pass of layer norm.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, D)
    cache : dict, as returned by layernorm_forward

    Returns
    -------
    dL_dx : ndarray of shape (N, D)
    dL_dgamma : ndarray of shape (D,)
    dL_dbeta : ndarray of shape (D,)
    """
    ### BEGIN SOLUTION
    xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
    D = dL_dy.shape[1]
    dL_dbeta = dL_dy.sum(axis=0)  # beta per feature, shared by the rows: (D,)
    dL_dgamma = (dL_dy * xhat).sum(axis=0)  # (D,)
    g = dL_dy * gamma  # dL/dxhat, gamma varies along the row: (N, D)
    s1 = g.sum(axis=1, keepdims=True)  # the mean's path: (N, 1)
    s2 = (g * xhat).sum(axis=1, keepdims=True)  # the variance's path: (N, 1)
    dL_dx = (D * g - s1 - xhat * s2) / (D * std)  # (N, D) / (N, 1)
    ### END SOLUTION
    return dL_dx, dL_dgamma, dL_dbeta


# %% nbgrader={"grade": true, "grade_id": "test_layernorm_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("layernorm_backward", layernorm_backward)

# %% nbgrader={"grade": true, "grade_id": "test_layernorm_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a single row (N = 1), a square batch (N = D), constant rows, large offsets.
### BEGIN HIDDEN TESTS
check("layernorm_backward", layernorm_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# "The same derivation over the other axis" can be taken literally: with $\gamma = 1$ and
# $\beta = 0$, layer norm of `x` is batch norm of `x.T`, transposed back, and so are the
# gradients.

# %%
rng = np.random.default_rng(4)
x_t, dL_dy_t = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
y_ln, cache_ln = layernorm_forward(x_t, np.ones(5), np.zeros(5), 1e-5)
y_bn, cache_bn = batchnorm_forward(x_t.T, np.ones(3), np.zeros(3), 1e-5)
print("forward :", np.abs(y_ln - y_bn.T).max())
print("backward:", np.abs(layernorm_backward(dL_dy_t, cache_ln)[0]
                          - batchnorm_backward(dL_dy_t.T, cache_bn)[0].T).max())

# %% [markdown]
# ## 6. A network with batch norm
#
# Batch norm usually sits between an affine layer and its activation. Our network:
#
# $$
# z = x W^1 + b^1, \qquad a = \mathrm{BN}(z;\ \gamma, \beta), \qquad h = \mathrm{relu}(a),
# \qquad \text{scores} = h W^2 + b^2, \qquad L = \text{softmax cross-entropy (mean)},
# $$
#
# with $x$ of shape $(N, M^0)$ (`(N, M_0)` in the docstring), a hidden width $H$ and
# $C$ classes; the parameters are
# `params = {"W1", "b1", "gamma", "beta", "W2", "b2"}`. The backward pass is lesson 5's
# recursion with one more layer: from $\partial L/\partial \text{scores}$ to
# $\partial L/\partial h$ (affine), $\partial L/\partial a$ (ReLU mask, from $a$, the
# ReLU's input), $\partial L/\partial z$, $\partial L/\partial\gamma$,
# $\partial L/\partial \beta$ (batch norm), and finally $\partial L/\partial W^1$,
# $\partial L/\partial b^1$ (affine).
#
# **Predict** before you write it: what is $\partial L / \partial b^1$?
#
# <details><summary>Answer</summary>
#
# Zero (up to rounding), whatever the data. $b^1$ adds the same number to every row of a
# column of $z$; batch norm subtracts the column's mean, which removes it. The loss does
# not depend on $b^1$ at all. In the backward pass: $\partial L/\partial b^1 = \sum_n
# \partial L/\partial z_n$, and part 4 showed that batch norm's $\partial L/\partial z$
# sums to zero over the batch. (This is why a layer followed by batch norm is usually
# built without a bias.)
#
# </details>
#
# The layer functions of lessons 3 and 4 are building blocks: the next cell holds them once
# those lessons are past their deadline (until then it asks for your own functions).

# %% nbgrader={"grade": false, "grade_id": "provided_layers", "locked": true, "schema_version": 3, "solution": false, "task": false} building_blocks=["03_linear_layer", "04_activations_losses"]
def linear_forward(x, W, b):
    """Affine layer z = x W + b: x (N, M_in), W (M_in, M_out), b (M_out,) -> z (N, M_out)."""
    return x @ W + b


def linear_backward(dL_dz, x, W):
    """Gradients of z = x W + b, given dL_dz (N, M_out) and the forward pass's x and W.

    Returns dL_dx (N, M_in), dL_dW (M_in, M_out), dL_db (M_out,).
    """
    return dL_dz @ W.T, x.T @ dL_dz, dL_dz.sum(axis=0)


def relu_forward(z):
    """ReLU, element-wise: max(z, 0)."""
    return np.maximum(z, 0)


def relu_backward(dL_dx, z):
    """Gradient of x = relu(z): dL_dx where z > 0, zero elsewhere (0 at the kink z = 0)."""
    return dL_dx * (z > 0)


def softmax_cross_entropy(scores, labels):
    """Mean softmax cross-entropy of scores (N, C) for int labels (N,).

    Returns the loss L (a float) and dL_dscores (N, C) = (softmax(scores) - onehot) / N.
    """
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)  # stable: largest entry 0
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    L = -log_p[np.arange(N), labels].mean()
    dL_dscores = np.exp(log_p)
    dL_dscores[np.arange(N), labels] -= 1
    return float(L), dL_dscores / N


# %% [markdown]
# ### Exercise 6.1: `bn_network`
#
# Return the loss and a dict of gradients with the keys of `params`. Use the building
# blocks above, and write batch norm's forward pass and its compact backward pass inline
# (a few lines each: you have them). `bn_network` is graded on its own: if it called your
# `batchnorm_forward` and `batchnorm_backward`, a mistake in those would cost you here a
# second time.

# %% nbgrader={"grade": false, "grade_id": "sol_bn_network", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bn_network(x, labels, params, eps):
    """Loss and gradients of affine -> batch norm -> ReLU -> affine -> softmax CE.

    Parameters
    ----------
    x : ndarray of shape (N, M_0)
    labels : int ndarray of shape (N,)
    params : dict with "W1" (M_0, H), "b1" (H,), "gamma" (H,), "beta" (H,), "W2" (H, C),
        "b2" (C,)
    eps : float, batch norm's epsilon

    Returns
    -------
    L : float, the mean cross-entropy over the batch
    grads : dict with the keys of params, each gradient of its parameter's shape
    """
    ### BEGIN SOLUTION
    W1, b1, gamma, beta, W2, b2 = (params[k] for k in ("W1", "b1", "gamma", "beta", "W2", "b2"))
    N = x.shape[0]
    z = linear_forward(x, W1, b1)  # (N, H)
    xc = z - z.mean(axis=0)  # (N, H)
    std = np.sqrt((xc**2).mean(axis=0) + eps)  # (H,)
    xhat = xc / std  # (N, H)
    a = gamma * xhat + beta  # (N, H)
    h = relu_forward(a)  # (N, H)
    L, dL_dscores = softmax_cross_entropy(linear_forward(h, W2, b2), labels)  # (N, C)
    grads = {}
    dL_dh, grads["W2"], grads["b2"] = linear_backward(dL_dscores, h, W2)  # (N, H)
    dL_da = relu_backward(dL_dh, a)  # the mask of the ReLU's input a: (N, H)
    grads["gamma"] = (dL_da * xhat).sum(axis=0)  # (H,)
    grads["beta"] = dL_da.sum(axis=0)  # (H,)
    g = dL_da * gamma  # dL/dxhat: (N, H)
    dL_dz = (N * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) / (N * std)  # (N, H)
    _, grads["W1"], grads["b1"] = linear_backward(dL_dz, x, W1)  # (M_0, H), (H,)
    ### END SOLUTION
    return L, grads


# %% nbgrader={"grade": true, "grade_id": "test_bn_network", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("bn_network", bn_network)

# %% nbgrader={"grade": true, "grade_id": "test_bn_network_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a batch of two rows, a square hidden layer (H = C), other sizes and seeds.
### BEGIN HIDDEN TESTS
check("bn_network", bn_network, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Checking the whole network
#
# The tests compared your gradients with a reference and with finite differences. Do the
# second yourself with `check_gradient` (lesson 2) on a few spiral points, and look at
# $\partial L/\partial b^1$. The ReLU has kinks; `branches` tells the checker the ReLU's
# on/off pattern, so an entry whose finite difference crosses a kink is reported as
# skipped rather than wrong (lesson 5).

# %%
x_small, labels_small = spiral(n_per_class=6, n_classes=3, noise=0.2, seed=1)
rng = np.random.default_rng(5)
H = 8
params_small = {
    "W1": rng.standard_normal((2, H)),
    "b1": rng.standard_normal(H),
    "gamma": 1 + 0.2 * rng.standard_normal(H),
    "beta": 0.2 * rng.standard_normal(H),
    "W2": rng.standard_normal((H, 3)) / np.sqrt(H),
    "b2": np.zeros(3),
}


def network_loss(**p):
    return bn_network(x_small, labels_small, p, 1e-5)[0]


def network_masks(**p):
    z = linear_forward(x_small, p["W1"], p["b1"])
    a = p["gamma"] * (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5) + p["beta"]
    return a > 0


L_small, grads_small = bn_network(x_small, labels_small, params_small, 1e-5)
result = check_gradient(network_loss, params_small, grads_small, branches=network_masks)
print(result.message)
print("largest |dL/db1|:", np.abs(grads_small["b1"]).max(),
      "  largest |dL/dW1|:", np.abs(grads_small["W1"]).max())

# %% [markdown]
# ## 7. Experiment: what batch norm does for training
#
# We train the network of part 6 and the same network without batch norm ($z \to
# \mathrm{relu}(z)$ directly) on the spiral of lesson 5, full batch, for a range of
# learning rates. Then we do it again with the inputs multiplied by 30, as if the features
# had been recorded in other units. **Predict** before you run: which network cares about
# the scale of its inputs, and why?

# %%
x_spiral, labels_spiral = spiral(n_per_class=100, n_classes=3, seed=0)


def plain_network(x, labels, params, eps):
    """The same network without batch norm: affine -> ReLU -> affine -> softmax CE."""
    z = linear_forward(x, params["W1"], params["b1"])
    h = relu_forward(z)
    L, dL_dscores = softmax_cross_entropy(linear_forward(h, params["W2"], params["b2"]), labels)
    dL_dh, dW2, db2 = linear_backward(dL_dscores, h, params["W2"])
    _, dW1, db1 = linear_backward(relu_backward(dL_dh, z), x, params["W1"])
    return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def train(network, x, lr, steps=200, H=64, seed=0):
    """Full-batch gradient descent from He initialisation: the losses, until the loss
    passes 100 (diverged: the initial loss is log 3 = 1.1)."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.standard_normal((2, H)), "b1": np.zeros(H),
              "W2": rng.standard_normal((H, 3)) * np.sqrt(2 / H), "b2": np.zeros(3)}
    if network is bn_network:
        params.update(gamma=np.ones(H), beta=np.zeros(H))
    history = []
    with np.errstate(all="ignore"):  # a diverging run may overflow: stop quietly
        for _ in range(steps):
            L, grads = network(x, labels_spiral, params, 1e-5)
            history.append(L)
            if not L < 100:
                break
            for k in params:
                params[k] -= lr * grads[k]
    return history


rates = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
runs = {}
for scale in (1, 30):
    for name, network in (("without batch norm", plain_network), ("with batch norm", bn_network)):
        runs[name, scale] = [train(network, scale * x_spiral, lr) for lr in rates]

colours = {"without batch norm": PALETTE[1], "with batch norm": PALETTE[0]}
with course_style():
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.3))
    for (name, scale), histories in runs.items():
        final = [h[-1] if h[-1] < 100 else np.nan for h in histories]  # nan: diverged
        left.semilogx(rates, final, "-" if scale == 1 else "--", color=colours[name],
                      marker="o" if scale == 1 else "s", ms=5 if scale == 1 else 8,
                      fillstyle="full" if scale == 1 else "none", label=f"{name}, inputs x {scale}")
    left.set_xlabel("learning rate")
    left.set_ylabel("loss after 200 steps")
    left.set_yscale("log")
    left.set_title("final loss (a missing point: diverged)")
    left.legend(fontsize=9)
    for name in colours:
        history = runs[name, 30][rates.index(1.0)]
        right.plot(np.arange(len(history)), history, color=colours[name], label=name)
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_ylabel("loss")
    right.set_title("inputs x 30, learning rate 1")
    right.legend(fontsize=9)
    fig.suptitle("Training on the spiral with and without batch norm", color=GREY)
    plt.show()

# %% [markdown]
# Read the figure:
#
# - With batch norm the two curves (inputs as they are, inputs $\times 30$) lie on top of
#   each other: multiplying $x$ by 30 multiplies $z = xW^1$ by 30 (the biases start at
#   zero), and batch norm divides it out again. The layer makes the network **invariant to
#   the scale** of what comes in, and its training identical.
# - Without batch norm the scale matters: with inputs $\times 30$ the pre-activations and
#   the gradients are 30 times larger, and learning rates that worked before now diverge
#   (missing points) or bounce.
# - Even at the original scale, batch norm reaches a lower loss at every learning rate
#   here: normalised hidden units keep the loss surface better conditioned.
#
# The same invariance holds for $W^1$ itself: scaling a column of $W^1$ does not change
# the output, so $\partial L/\partial W^1$ is orthogonal to $W^1$, column by column (check
# it in "Going further"). That is one of the reasons batch-normalised networks tolerate
# large learning rates.
#
# ## Summary
#
# - Batch norm normalises each **feature over the batch**: $\mu_j$ and the biased $v_j$
#   of column $j$, $\hat x = (x - \mu)/\sqrt{v + \varepsilon}$, then $y = \gamma \hat x +
#   \beta$. Epsilon goes **inside** the square root; the variance is computed from
#   **centred** values (one-pass $\mathbb{E}[x^2] - \mathbb{E}[x]^2$ cancels
#   catastrophically at large offsets).
# - Every output of a column depends on every input of that column, so the Jacobian is
#   dense across the batch. Backprop through the graph $\mu, x_c, v, s, \hat x, y$ handles
#   it one simple step at a time; where a value feeds two nodes ($x$, $x_c$) its gradient
#   is the **sum** of both paths.
# - Substituting the steps gives the compact form
#   $\frac{\partial L}{\partial x} = \frac{1}{Ns}\big(N\hat g - \sum_n \hat g_n - \hat x
#   \sum_n \hat g_n \hat x_n\big)$ with $\hat g = \gamma\, \partial L/\partial y$: the
#   direct path, the mean's path and the variance's path. It needs only $\hat x$, $s$ and
#   $\gamma$; its columns sum to zero.
# - $\partial L/\partial\gamma = \sum_n g_n \hat x_n$ and $\partial L/\partial\beta =
#   \sum_n g_n$, shape `(D,)`: summed over the batch.
# - Layer norm is the same derivation along the other axis (statistics per row, shape
#   `(N, 1)`, sums over features, $\gamma$ inside the sums); its $\gamma$ and $\beta$
#   gradients still sum over the batch.
# - In a network, a bias before batch norm gets a zero gradient, and the network becomes
#   invariant to the scale of the layer's inputs and weights.
#
# ## Going further
#
# - **Inference mode.** At test time there may be a single example. Frameworks keep
#   running averages of $\mu$ and $v$ during training (PyTorch: `momentum=0.1`, and the
#   *unbiased* variance for the running estimate) and normalise with them at inference:
#   the layer becomes a fixed affine map. What is its backward pass? Why must a model be
#   switched to evaluation mode (`model.eval()`) before it is tested?
# - **Scale invariance of $W^1$.** For the network of part 6, check numerically that
#   $\sum_i W^1_{ij}\, \partial L/\partial W^1_{ij} \approx 0$ for every column $j$. Derive
#   it from the orthogonality of part 4. What does it imply for the norm of $W^1$ during
#   gradient descent?
# - **Memory.** The cache of this lesson stores eight values; the compact backward reads
#   three. Which would you keep in a framework that is short of memory? (Some keep only
#   $\mu$ and $1/s$ and recompute $\hat x$ from $x$.)
# - **Other normalisations.** *Group norm* normalises groups of channels of one example;
#   *RMSNorm* (used in many large language models) drops the mean:
#   $y = \gamma\, x / \sqrt{\frac{1}{D}\sum_j x_j^2 + \varepsilon}$. Derive RMSNorm's
#   backward pass: which of the three terms of the compact form survive?
# - **PyTorch.** `torch.nn.functional.batch_norm(x, None, None, gamma, beta,
#   training=True, eps=eps)` and `torch.nn.functional.layer_norm(x, (D,), gamma, beta,
#   eps=eps)` compute the same functions in float64; compare their gradients with yours
#   (the course's own tests do, when PyTorch is installed).
