# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 3: The linear layer
# *Derivative tensors, and why backprop never builds them*
#
# Lesson 1 gave you the Jacobian of a function from vectors to vectors and the chain rule
# that multiplies Jacobians. Lesson 2 gave you a way to check any gradient with finite
# differences. This lesson puts both to work on the first real layer of a neural network,
# the **linear** (affine) layer $y = xW + b$.
#
# You will do it the honest way first: build *every* partial derivative of the layer, as
# four-dimensional arrays, and push the loss gradient through them with the chain rule.
# Then you will derive, on paper, what that contraction really computes: it collapses into
# three one-line formulas. Those three lines are the backward pass of the linear layer, and
# the reason deep learning is affordable.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. write the linear layer for a batch, in matrix form and in index form, and give the
#    shape of every quantity in it;
# 2. build the derivative tensors $\partial y/\partial W$ and $\partial y/\partial x$ and
#    predict their shapes;
# 3. apply the chain rule $\frac{dL}{dW} = \frac{dL}{dy}\cdot\frac{dy}{dW}$ as a tensor
#    contraction (`np.einsum`, `np.tensordot`), and say how the Jacobian layout of
#    $dL/dy$ ($M_\text{out} \times N$) relates to the array `dL_dy` in code
#    ($N \times M_\text{out}$);
# 4. derive the matrix formula for $\frac{dL}{dW}$ from the index form, check it against
#    the contraction, and write the compact backward pass;
# 5. explain, with numbers, why no framework ever forms these tensors.
#
# ## What is graded
#
# Seven functions, graded automatically, and one written derivation, graded by hand.
# Expect to spend about 90 minutes.
#
# | part | graded | points |
# | --- | --- | --- |
# | 1. The layer | `linear_forward` | 1 + 1 hidden |
# | 2. How many derivatives? | `jacobian_shapes` | 2 |
# | 3. The derivative tensors | `linear_jacobian_W` | 2 + 1 hidden |
# | 3. The derivative tensors | `linear_jacobian_x` | 2 + 1 hidden |
# | 4. The chain rule as a contraction | `contraction_subscripts` | 1 |
# | 4. The chain rule as a contraction | `apply_jacobian` | 1 + 1 hidden |
# | 5. Derive it | written: $dL/dW$ from the index form | 3 by hand |
# | 6. The compact backward pass | `linear_backward` | 3 + 2 hidden |
# | total | 7 functions, 1 written answer | 18 + 3 by hand |
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours. Each graded
# function is followed by a test cell that calls `check(...)`. It prints the stages that
# passed (`returns`, `shapes`, `values`, `finite differences`) or stops at the first that
# failed, with a diagnosis in words. When you submit, hidden tests run the same checks on
# other shapes and seeds, and your functions are verified again, outside the notebook, on
# inputs drawn at grading time. So a graded function may use only `numpy` (as `np`), `math`
# and other functions you define; it must not rely on variables set in other cells. Run
# the set-up cell first.

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
import math
import time

import matplotlib.pyplot as plt
import numpy as np

from backprop_kit import check
from backprop_kit.plots import course_style, plot_loss_curve

np.set_printoptions(precision=3, suppress=True)

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
# A network works on a **batch** of $N$ examples at once, one example per row. Layer $l$
# receives $x^l \in \mathbb{R}^{N \times M^{l-1}}$ ($M^{l-1}$ features per example) and
# produces $y^l = y^l(x^l; W^l) \in \mathbb{R}^{N \times M^l}$, which is the next layer's
# input: $x^{l+1} = y^l$. For one layer we drop the $l$ and write $M_\text{in} = M^{l-1}$
# and $M_\text{out} = M^l$. The linear layer is
#
# $$
# y = xW + b, \qquad
# x \in \mathbb{R}^{N \times M_\text{in}},\quad
# W \in \mathbb{R}^{M_\text{in} \times M_\text{out}},\quad
# b \in \mathbb{R}^{M_\text{out}},\quad
# y \in \mathbb{R}^{N \times M_\text{out}}.
# $$
#
# The product $xW$ is $N \times M_\text{out}$, and the same bias $b$ is added to every row.
# Entry by entry, which is the form we will differentiate:
#
# $$
# y_{nj} = \sum_{i=1}^{M_\text{in}} x_{ni} W_{ij} + b_j ,
# \qquad n = 1..N,\; j = 1..M_\text{out}.
# $$
#
# Row $n$ of $y$ depends on row $n$ of $x$ only; column $j$ of $y$ depends on column $j$ of
# $W$ only. Keep those two facts in mind: they are the whole story of this lesson.
#
# **Worked example.** With $N = 2$, $M_\text{in} = 3$, $M_\text{out} = 2$:
#
# $$
# x = \begin{pmatrix} 1 & 0 & 2 \\ -1 & 3 & 1 \end{pmatrix},\quad
# W = \begin{pmatrix} 1 & -1 \\ 0 & 2 \\ 1 & 0 \end{pmatrix},\quad
# b = \begin{pmatrix} 0.5 & -0.5 \end{pmatrix}
# \;\Rightarrow\;
# y_{11} = 1\cdot 1 + 0 \cdot 0 + 2 \cdot 1 + 0.5 = 3.5,\quad
# y_{22} = (-1)(-1) + 3 \cdot 2 + 1 \cdot 0 - 0.5 = 6.5 .
# $$
#
# The same two entries, written as the sum over $i$ (Python counts from 0):

# %%
x_ex = np.array([[1.0, 0.0, 2.0], [-1.0, 3.0, 1.0]])
W_ex = np.array([[1.0, -1.0], [0.0, 2.0], [1.0, 0.0]])
b_ex = np.array([0.5, -0.5])

y_11 = sum(x_ex[0, i] * W_ex[i, 0] for i in range(3)) + b_ex[0]
y_22 = sum(x_ex[1, i] * W_ex[i, 1] for i in range(3)) + b_ex[1]
print("y_11 =", y_11, "  y_22 =", y_22)

# %% [markdown]
# **Predict the shape.** Answer in your head, then open the answers.
#
# 1. An MNIST classifier's first layer takes $x$ of shape `(64, 784)` and returns $y$ of
#    shape `(64, 10)`. What are the shapes of $W$ and $b$?
# 2. In `x @ W + b`, numpy adds `b` of shape `(M_out,)` to an `(N, M_out)` array. To which
#    axis does broadcasting align `b`: the rows or the columns?
# 3. What would `x @ W + b[:, None]` do, and when would it even run?
#
# <details><summary>Answers</summary>
#
# 1. $W$ is `(784, 10)` and $b$ is `(10,)`: 7,850 parameters.
# 2. Broadcasting aligns shapes from the right, so `b` lines up with the last axis: $b_j$ is
#    added to column $j$ of every row. That is exactly $+\,b_j$ in the index form.
# 3. `b[:, None]` has shape `(M_out, 1)`; it adds $b_n$ to all of row $n$. It only runs when
#    $N = M_\text{out}$ (or one of them is 1), and then it is silently wrong. The hidden
#    tests use such a square case.
#
# </details>
#
# ### Exercise 1.1: the forward pass
#
# Write the layer for a whole batch, without a Python loop.

# %% nbgrader={"grade": false, "grade_id": "sol_linear_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_forward(x, W, b):
    """The linear (affine) layer y = x W + b, for a batch of inputs.

    Parameters
    ----------
    x : ndarray of shape (N, M_in)
        A batch of N inputs, one per row.
    W : ndarray of shape (M_in, M_out)
    b : ndarray of shape (M_out,)

    Returns
    -------
    y : ndarray of shape (N, M_out)
        y[n, j] = sum_i x[n, i] W[i, j] + b[j].
    """
    ### BEGIN SOLUTION
    return x @ W + b  # (N, M_in) @ (M_in, M_out) -> (N, M_out); b broadcasts over the rows
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_linear_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("linear_forward", linear_forward)

# %% nbgrader={"grade": true, "grade_id": "test_linear_forward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: square layers (M_in == M_out), a batch of one row, other random values.
### BEGIN HIDDEN TESTS
check("linear_forward", linear_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. How many derivatives?
#
# In lesson 1, a function $f:\mathbb{R}^n \to \mathbb{R}^m$ had an $m \times n$ Jacobian:
# one row per output, one column per input, $J_{ab} = \partial f_a / \partial x_b$. The
# linear layer is such a function too, only its inputs and outputs come as matrices. As a
# function of $W$ alone, it maps the $M_\text{in} M_\text{out}$ entries of $W$ to the
# $N M_\text{out}$ entries of $y$. So there are $N M_\text{out} \cdot M_\text{in}
# M_\text{out}$ partial derivatives $\partial y_{nj} / \partial W_{ik}$, one for each pair
# (entry of $y$, entry of $W$).
#
# Rather than flatten $y$ and $W$ into vectors, we keep every index as its own axis:
#
# $$
# \frac{\partial y}{\partial W}\Big[n, j, i, k\Big] = \frac{\partial y_{nj}}{\partial W_{ik}},
# \qquad
# \frac{\partial y}{\partial x}\Big[n, j, m, i\Big] = \frac{\partial y_{nj}}{\partial x_{mi}} .
# $$
#
# The rule: **first the axes of the output, then the axes of the variable**, each in its
# own order. Reshape the first two axes into one and the last two into one (numpy's
# row-major `reshape`) and you get back lesson 1's Jacobian matrix: one row per entry of
# $y$, one column per entry of the variable.
#
# Before computing anything, let us look at one. `numerical_jacobian` (the function you
# wrote in lesson 1, here from the course package) differentiates a function of a vector,
# so we flatten $W$ on the way in and $y$ on the way out:

# %%
def y_of_flat_W(w_flat):
    """The worked example's y, flattened, as a function of W flattened."""
    return linear_forward(x_ex, w_flat.reshape(W_ex.shape), b_ex).reshape(-1)


J_matrix = numerical_jacobian(y_of_flat_W, W_ex.reshape(-1))
print("x =\n", x_ex)
print(f"d y / d W as a {J_matrix.shape[0]} x {J_matrix.shape[1]} matrix",
      "(rows: y_11, y_12, y_21, y_22; columns: W_11, W_12, W_21, W_22, W_31, W_32) =")
print(J_matrix)

# %% [markdown]
# Look at it before reading on. Which entries are zero? Where do the numbers of $x$ appear?
# Row 1 ($y_{11}$) has the first row of $x$ in the columns of $W_{11}, W_{21}, W_{31}$:
# $y_{11}$ only depends on the first *column* of $W$. Every other entry of this matrix is
# zero by construction (more are zero here because $x_{12} = 0$), and the bias does not
# appear at all.
#
# **Predict the shape.** For the MNIST layer above ($N = 64$, $M_\text{in} = 784$,
# $M_\text{out} = 10$):
#
# 1. the shape of $\partial y / \partial W$, and its number of entries;
# 2. the shape of $\partial y / \partial x$;
# 3. the shape of $\partial y / \partial b$.
#
# <details><summary>Answers</summary>
#
# 1. `(64, 10, 784, 10)`: 5,017,600 entries, 40 MB in float64, for a gradient $dL/dW$ with
#    7,840 entries.
# 2. `(64, 10, 64, 784)`: 32 million entries (257 MB).
# 3. `(64, 10, 10)`: first the two axes of $y$, then the one axis of $b$.
#
# </details>
#
# ### Exercise 2.1: the shapes, in general
#
# Return the shapes of $\partial y/\partial W$ and $\partial y/\partial x$ for any sizes, as
# tuples of ints.

# %% nbgrader={"grade": false, "grade_id": "sol_jacobian_shapes", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jacobian_shapes(N, M_in, M_out):
    """The shapes of the derivative tensors of y = x W + b.

    Parameters
    ----------
    N, M_in, M_out : int
        Batch size, input features, output features.

    Returns
    -------
    shape_dW : tuple of 4 ints
        The shape of dy/dW: first the axes of y, then those of W.
    shape_dx : tuple of 4 ints
        The shape of dy/dx: first the axes of y, then those of x.
    """
    ### BEGIN SOLUTION
    shape_dW = (N, M_out, M_in, M_out)  # (entry of y) x (entry of W)
    shape_dx = (N, M_out, N, M_in)  # (entry of y) x (entry of x)
    ### END SOLUTION
    return shape_dW, shape_dx


# %% nbgrader={"grade": true, "grade_id": "test_jacobian_shapes", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("jacobian_shapes", jacobian_shapes)

# %% [markdown]
# ## 3. The derivative tensors
#
# ### $\partial y / \partial W$, entry by entry
#
# Differentiate the index form with respect to one entry $W_{ik}$. In
# $y_{nj} = \sum_{i'} x_{ni'} W_{i'j} + b_j$ the summation index is renamed $i'$ so that it
# does not clash with the $i$ we differentiate by; $\partial W_{i'j}/\partial W_{ik}$ is 1
# when $i' = i$ and $j = k$, and 0 otherwise, which we write with Kronecker deltas
# $\delta_{i'i}\,\delta_{jk}$:
#
# $$
# \frac{\partial y_{nj}}{\partial W_{ik}}
# = \sum_{i'} x_{ni'}\, \delta_{i'i}\, \delta_{jk}
# = x_{ni}\, \delta_{jk} .
# $$
#
# In words: $W_{ik}$ only feeds column $k$ of $y$ ($\delta_{jk}$), and it enters row $n$
# with weight $x_{ni}$. That is the matrix you just looked at: copies of $x$, and zeros
# wherever $j \neq k$. A fraction $1/M_\text{out}$ of the tensor is non-zero.
#
# ### Exercise 3.1: build $\partial y / \partial W$
#
# Return the tensor `J` of shape `(N, M_out, M_in, M_out)` with
# `J[n, j, i, k]` $= x_{ni}\,\delta_{jk}$. Loops are fine here (the sizes are tiny);
# slicing or broadcasting with `np.eye` are fine too.
#
# <details><summary>Hint</summary>
#
# Start from `np.zeros(...)`. For a fixed $k$, the slice `J[:, k, :, k]` is an
# `(N, M_in)` array: what is it?
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "sol_linear_jacobian_W", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_jacobian_W(x, W):
    """The derivative tensor dy/dW of y = x W + b.

    Parameters
    ----------
    x : ndarray of shape (N, M_in)
    W : ndarray of shape (M_in, M_out)

    Returns
    -------
    J : ndarray of shape (N, M_out, M_in, M_out)
        J[n, j, i, k] = d y[n, j] / d W[i, k] = x[n, i] if j == k, else 0.
    """
    ### BEGIN SOLUTION
    N, M_in = x.shape
    M_out = W.shape[1]
    J = np.zeros((N, M_out, M_in, M_out))
    for k in range(M_out):
        J[:, k, :, k] = x  # W[i, k] feeds column k of y only, with weight x[n, i]
    return J
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_linear_jacobian_W", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("linear_jacobian_W", linear_jacobian_W)

# %% nbgrader={"grade": true, "grade_id": "test_linear_jacobian_W_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: square layers, a batch of one row, other random values.
### BEGIN HIDDEN TESTS
check("linear_jacobian_W", linear_jacobian_W, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### $\partial y / \partial x$, entry by entry
#
# Now differentiate with respect to an entry $x_{mi}$ of the input (row $m$, feature $i$).
# The same steps give
#
# $$
# \frac{\partial y_{nj}}{\partial x_{mi}}
# = \sum_{i'} \delta_{nm}\, \delta_{i'i}\, W_{i'j}
# = \delta_{nm}\, W_{ij} .
# $$
#
# The $\delta_{nm}$ says that the examples of a batch do not interact: row $m$ of $x$ only
# moves row $m$ of $y$. Within a row, $\partial y_{m\cdot}/\partial x_{m\cdot}$ is the
# $M_\text{out} \times M_\text{in}$ matrix with entries $W_{ij}$ at (row $j$, column $i$):
# that is $W^\top$, not $W$. Flattened, $\partial y/\partial x$ is block diagonal, with $N$
# copies of $W^\top$ on the diagonal; only a fraction $1/N$ of it is non-zero.
#
# ### Exercise 3.2: build $\partial y / \partial x$
#
# Return the tensor `J` of shape `(N, M_out, N, M_in)` with
# `J[n, j, m, i]` $= \delta_{nm}\, W_{ij}$.

# %% nbgrader={"grade": false, "grade_id": "sol_linear_jacobian_x", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_jacobian_x(x, W):
    """The derivative tensor dy/dx of y = x W + b.

    Parameters
    ----------
    x : ndarray of shape (N, M_in)
    W : ndarray of shape (M_in, M_out)

    Returns
    -------
    J : ndarray of shape (N, M_out, N, M_in)
        J[n, j, m, i] = d y[n, j] / d x[m, i] = W[i, j] if n == m, else 0.
    """
    ### BEGIN SOLUTION
    N = x.shape[0]
    M_in, M_out = W.shape
    J = np.zeros((N, M_out, N, M_in))
    for n in range(N):
        J[n, :, n, :] = W.T  # row n of y depends on row n of x only: (M_out, M_in) block
    return J
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_linear_jacobian_x", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("linear_jacobian_x", linear_jacobian_x)

# %% nbgrader={"grade": true, "grade_id": "test_linear_jacobian_x_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: square layers, a batch of one row, other random values.
### BEGIN HIDDEN TESTS
check("linear_jacobian_x", linear_jacobian_x, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### A picture of both
#
# Here are your two tensors for a layer with $N = 3$, $M_\text{in} = 4$, $M_\text{out} = 2$,
# flattened into Jacobian matrices (one row per entry $y_{nj}$, one column per entry of the
# variable). Zero entries are left blank. The thin lines separate the rows of the batch
# (and, on the left, the rows of $W$).

# %%
rng = np.random.default_rng(3)
x_pic, W_pic = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
panels = [
    (linear_jacobian_W(x_pic, W_pic).reshape(3 * 2, 4 * 2), "dy/dW", "entry (i, k) of W", 2),
    (linear_jacobian_x(x_pic, W_pic).reshape(3 * 2, 3 * 4), "dy/dx", "entry (m, i) of x", 4),
]
with course_style():
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), width_ratios=[8, 12])
    for ax, (J, name, xlabel, block) in zip(axes, panels):
        shown = np.where(J == 0, np.nan, J)  # NaN is drawn blank
        limit = np.abs(J).max()
        image = ax.imshow(shown, cmap="coolwarm", vmin=-limit, vmax=limit)
        ax.set_xticks(np.arange(0, J.shape[1] + 1, block) - 0.5)
        ax.set_yticks(np.arange(0, J.shape[0] + 1, 2) - 0.5)
        ax.tick_params(labelbottom=False, labelleft=False, length=0)
        ax.grid(True, color="grey", linewidth=0.6, alpha=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("entry (n, j) of y")
        ax.set_title(f"{name}: {np.mean(J != 0):.0%} of the entries are non-zero")
    fig.colorbar(image, ax=axes, shrink=0.8)
    plt.show()

# %% [markdown]
# On the left, the row of $y_{nj}$ holds row $n$ of $x$, spread over the entries
# $W_{1j}, \dots, W_{M_\text{in} j}$ of column $j$ of $W$ (every $M_\text{out}$-th column of
# the picture), and zeros elsewhere. On the right, the three diagonal blocks are the same
# $W^\top$ and everything else is zero. Almost everything in these tensors is either zero
# or a copy of something we already have.
#
# ## 4. The chain rule as a contraction
#
# A loss $L$ is a single number computed from $y$ (through the layers above this one). The
# chain rule of lesson 1, in the course notation, reads
#
# $$
# \frac{dL}{dW^l} = \frac{dL}{dy^l} \cdot \frac{dy^l}{dW^l}, \qquad
# \frac{dL}{dx^l} = \frac{dL}{dy^l} \cdot \frac{dy^l}{dx^l}.
# $$
#
# With the indices written out, the "$\cdot$" is a sum over **every entry of $y$**, because
# $W_{ik}$ can influence $L$ through any of them:
#
# $$
# \frac{\partial L}{\partial W_{ik}} = \sum_{n=1}^{N} \sum_{j=1}^{M_\text{out}}
# \frac{\partial L}{\partial y_{nj}} \, \frac{\partial y_{nj}}{\partial W_{ik}} .
# $$
#
# The two indices $(n, j)$ of $y$ are summed away and the indices $(i, k)$ of $W$ remain: a
# **tensor contraction** over the first two axes of $\partial y/\partial W$. Each factor is
# consistent with the next: the axes that are summed have the same sizes, $N$ and
# $M_\text{out}$, and what remains has the shape of $W$.
#
# ### Two layouts of the same numbers
#
# Lesson 1 arranged a derivative in **Jacobian layout**: for $f:\mathbb{R}^n \to
# \mathbb{R}^m$, $df/dx$ is $m \times n$, one row per output. A loss has one output, so its
# derivative is a single row, and with respect to a matrix $y \in \mathbb{R}^{N \times
# M_\text{out}}$ the course writes it as the $M_\text{out} \times N$ matrix
# $\big(\frac{dL}{dy}\big)_{jn} = \frac{\partial L}{\partial y_{nj}}$: the transposed shape
# of $y$. In this layout the chain rule reads left to right, like the matrix products of
# lesson 1.
#
# **In code, a gradient has the shape of its variable.** The array `dL_dy` has shape
# `(N, M_out)` and `dL_dy[n, j]` $= \partial L/\partial y_{nj}$. These are the same
# $N M_\text{out}$ numbers, arranged transposed:
#
# $$
# \texttt{dL\_dy} \;(N \times M_\text{out},\ \text{code}) \;=\;
# \Big(\frac{dL}{dy}\Big)^{\!\top} \;(M_\text{out} \times N,\ \text{Jacobian layout}).
# $$
#
# Code prefers this layout because a gradient must be subtracted from its variable
# (`W -= lr * dL_dW` needs the shape of `W`), and because `dL_dx` of layer $l+1$ *is*
# `dL_dy` of layer $l$ (since $x^{l+1} = y^l$) and must arrive with the shape of $y^l$. To
# move a formula between the layouts, transpose it: a product $AB$ in Jacobian layout is
# $B^\top A^\top$ in code, and the shapes tell you at once whether you got it right (the
# result must have the shape of the variable). You will do this at the end of your
# derivation in part 5.
#
# Our 4-D tensors sidestep the question: they keep the two axes of $y$ in $y$'s own order
# $(n, j)$, so `dL_dy[n, j]` lines up with `J[n, j, ...]` and the sum over $(n, j)$ is the
# same whichever layout you think in. Layout only bites when you **flatten**: the rows of
# `J.reshape(N * M_out, -1)` are ordered like `dL_dy.reshape(-1)`; the Jacobian-layout
# matrix flattened row by row, `dL_dy.T.reshape(-1)`, lists the same numbers in another
# order. The next cell shows both (it uses your `linear_jacobian_W`).

# %%
rng = np.random.default_rng(4)
N, M_in, M_out = 3, 4, 2
x_demo, W_demo = rng.standard_normal((N, M_in)), rng.standard_normal((M_in, M_out))
dL_dy_demo = rng.standard_normal((N, M_out))  # as in code: the shape of y

J_flat = linear_jacobian_W(x_demo, W_demo).reshape(N * M_out, M_in * M_out)  # lesson 1's matrix
row_code = dL_dy_demo.reshape(1, -1)  # a 1 x (N M_out) row, ordered (n, j) like J_flat's rows
row_jac = dL_dy_demo.T.reshape(1, -1)  # (dL/dy in Jacobian layout) flattened: ordered (j, n)

print("row_code @ J_flat, reshaped like W:\n", (row_code @ J_flat).reshape(M_in, M_out))
print("row_jac  @ J_flat, reshaped like W (wrong order!):\n", (row_jac @ J_flat).reshape(M_in, M_out))

# %% [markdown]
# ### `np.einsum`: contractions by name
#
# `np.einsum` writes a contraction the way we write the index form: one letter per axis,
# the inputs separated by commas, the output after `->`. Letters that appear in the inputs
# but not in the output are summed. A matrix product $C_{ik} = \sum_j A_{ij} B_{jk}$ is
# `np.einsum("ij,jk->ik", A, B)`; the trace $\sum_i A_{ii}$ is `np.einsum("ii->", A)`.
#
# **Predict.** With `a` of shape `(2, 3)` and `c` of shape `(2, 3, 5)`, what are the shapes
# of `np.einsum("ab,abc->c", a, c)`, `np.einsum("ab,abc->ac", a, c)` and
# `np.einsum("ab,abc->abc", a, c)`, and which one is a sum over two axes?
#
# <details><summary>Answers</summary>
#
# `(5,)`, `(2, 5)` and `(2, 3, 5)`. Only the first sums over both `a` and `b`; the third
# sums over nothing (it is an element-wise product, broadcast along `c`).
#
# </details>
#
# ### Exercise 4.1: the subscripts of the chain rule
#
# Return the subscript string `s` such that `np.einsum(s, dL_dy, J)` computes
# $\sum_{n,j} \texttt{dL\_dy}[n, j]\; J[n, j, p, q]$ for a 4-D derivative tensor $J$ of
# shape `(N, M_out, P, Q)`: the result has shape `(P, Q)`. The same string must work for
# $\partial y/\partial W$ and for $\partial y/\partial x$.

# %% nbgrader={"grade": false, "grade_id": "sol_contraction_subscripts", "locked": false, "schema_version": 3, "solution": true, "task": false}
def contraction_subscripts():
    """The np.einsum subscripts of dL/dy . dy/dv for a 4-D derivative tensor.

    Returns
    -------
    s : str
        np.einsum(s, dL_dy, J), with dL_dy of shape (N, M_out) and J of shape
        (N, M_out, P, Q), returns sum_{n, j} dL_dy[n, j] * J[n, j, :, :], of shape (P, Q).
    """
    ### BEGIN SOLUTION
    return "nj,njpq->pq"  # n and j appear in both inputs and not in the output: summed
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_contraction_subscripts", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("contraction_subscripts", contraction_subscripts)

# %% [markdown]
# ### Exercise 4.2: apply a derivative tensor
#
# Write the contraction as a function. Use your subscripts with `np.einsum`, or
# `np.tensordot(dL_dy, J, axes=...)` (which pairs up the axes you list), or loops over $n$
# and $j$. Do not modify the inputs.

# %% nbgrader={"grade": false, "grade_id": "sol_apply_jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def apply_jacobian(dL_dy, J):
    """The chain rule dL/dv = dL/dy . dy/dv, as a contraction over the axes of y.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, M_out)
        The upstream gradient, with the shape of y.
    J : ndarray of shape (N, M_out, P, Q)
        A derivative tensor dy/dv of y with respect to a variable v of shape (P, Q).

    Returns
    -------
    dL_dv : ndarray of shape (P, Q)
        dL_dv[p, q] = sum_{n, j} dL_dy[n, j] * J[n, j, p, q].
    """
    ### BEGIN SOLUTION
    return np.tensordot(dL_dy, J, axes=([0, 1], [0, 1]))  # sum over (n, j) -> (P, Q)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_apply_jacobian", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("apply_jacobian", apply_jacobian)

# %% nbgrader={"grade": true, "grade_id": "test_apply_jacobian_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: tensors shaped like dy/dW and like dy/dx, square sizes, other values.
### BEGIN HIDDEN TESTS
check("apply_jacobian", apply_jacobian, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Derive it
#
# You can now backpropagate through a linear layer the long way: build the tensors,
# contract them with `dL_dy`. What does that contraction compute? Find out on paper before
# you look at any formula.
#
# **Question (3 points, graded by hand).** Starting from the index form
# $y_{nj} = \sum_i x_{ni} W_{ij} + b_j$ and the chain rule written with indices, derive a
# **matrix formula** for $\frac{dL}{dW}$: an expression in $x$ and $\frac{dL}{dy}$ with
# no index and no sum left, in code layout (it has the shape of $W$).
#
# Show each step: the sum in the chain rule, the partial derivative
# $\partial y_{nj}/\partial W_{ik}$, how the Kronecker delta removes one sum, and how the
# remaining sum becomes a matrix product. Finish with a shape check of the product, and
# write the same result in Jacobian layout. Write your answer in the cell below (Markdown
# with LaTeX: `$...$` for inline maths, `$$...$$` for displays).
#
# The same steps give $dL/dx$ and $dL/db$, which you need in part 6; they are not graded
# here, but do them on paper. The cell after your answer checks all three.

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_dL_dW", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Write $g_{nj} = \partial L / \partial y_{nj}$, the entries of `dL_dy`
# ($N \times M_\text{out}$).
#
# 1. $L$ depends on $W_{ik}$ only through the entries of $y$, and possibly through all of
#    them, so the chain rule sums over every entry of $y$:
#    $$\frac{\partial L}{\partial W_{ik}} = \sum_{n=1}^{N}\sum_{j=1}^{M_\text{out}}
#    g_{nj}\,\frac{\partial y_{nj}}{\partial W_{ik}} .$$
# 2. From $y_{nj} = \sum_{i'} x_{ni'} W_{i'j} + b_j$, and
#    $\partial W_{i'j}/\partial W_{ik} = \delta_{i'i}\delta_{jk}$ ($b$ does not depend on
#    $W$): $$\frac{\partial y_{nj}}{\partial W_{ik}} = \sum_{i'} x_{ni'}\,\delta_{i'i}\,
#    \delta_{jk} = x_{ni}\,\delta_{jk}.$$
# 3. Substituting, $\delta_{jk}$ keeps only the term $j = k$ of the sum over $j$:
#    $$\frac{\partial L}{\partial W_{ik}} = \sum_n \sum_j g_{nj}\, x_{ni}\, \delta_{jk}
#    = \sum_n x_{ni}\, g_{nk} = \sum_n (x^\top)_{in}\, g_{nk} = (x^\top g)_{ik} .$$
# 4. Shapes: $x^\top$ is $M_\text{in} \times N$ and $g$ is $N \times M_\text{out}$, so
#    $x^\top g$ is $M_\text{in} \times M_\text{out}$, the shape of $W$; the contracted
#    index $n$ (the batch) has size $N$ on both sides. Every example of the batch adds its
#    contribution (a sum, no $1/N$: any averaging is already inside $L$ and hence in $g$).
#    In Jacobian layout, $\frac{dL}{dW} = (x^\top g)^\top = g^\top x = \frac{dL}{dy}\, x$,
#    an $(M_\text{out} \times N)(N \times M_\text{in})$ product.
#
# **Marking guide (3 points).**
# - 1 point: the chain rule as a sum over all entries $(n, j)$ of $y$ (a sum over $j$ only,
#   or over $n$ only, gets 0 for this point).
# - 1 point: $\partial y_{nj}/\partial W_{ik} = x_{ni}\delta_{jk}$ and its use to collapse
#   the sum over $j$.
# - 1 point: recognising $\sum_n x_{ni} g_{nk}$ as $(x^\top g)_{ik}$, with a correct shape
#   check. The Jacobian-layout form is expected but a missing one costs at most half a point.
# - A result obtained only by "the product of these shapes that fits" without the index
#   derivation earns at most 1 point in total.
# ### END SOLUTION

# %% [markdown]
# ### Check your derivation
#
# The long way and the short way must agree. The next cell contracts the derivative
# tensors of parts 3 and 4 with a random `dL_dy` and compares the results with three short
# matrix expressions: the ones your derivation should have produced for $dL/dW$, and the
# same steps for $dL/dx$ and $dL/db$. The bias gets the tensor treatment too:
# $\partial y_{nj}/\partial b_k = \delta_{jk}$, a tensor of shape `(N, M_out, M_out)` that
# is the identity matrix for every row $n$. If your formula differs from the one printed,
# find the step of your derivation that went wrong before you read on.

# %%
rng = np.random.default_rng(5)
N, M_in, M_out = 5, 4, 3
x_demo, W_demo = rng.standard_normal((N, M_in)), rng.standard_normal((M_in, M_out))
dL_dy_demo = rng.standard_normal((N, M_out))

long_dW = apply_jacobian(dL_dy_demo, linear_jacobian_W(x_demo, W_demo))
long_dx = apply_jacobian(dL_dy_demo, linear_jacobian_x(x_demo, W_demo))
J_b = np.broadcast_to(np.eye(M_out), (N, M_out, M_out))  # dy/db[n, j, k] = delta_jk
long_db = np.einsum("nj,njk->k", dL_dy_demo, J_b)

for name, long, short in [
    ("dL/dW vs x.T @ dL_dy   ", long_dW, x_demo.T @ dL_dy_demo),
    ("dL/dx vs dL_dy @ W.T   ", long_dx, dL_dy_demo @ W_demo.T),
    ("dL/db vs dL_dy.sum(0)  ", long_db, dL_dy_demo.sum(axis=0)),
]:
    print(f"{name} shape {long.shape}, largest difference {np.abs(long - short).max():.1e}")

# %% [markdown]
# The differences are at the level of floating-point round-off: the contractions *are*
# these matrix products, and your derivation says why for every size, not just for these
# numbers.
#
# ## 6. The compact backward pass
#
# Your derivation, and the same steps for $x$ and $b$, give the backward pass of the linear
# layer. In code layout (every gradient has the shape of its variable):
#
# $$
# \frac{dL}{dx} = \frac{dL}{dy}\, W^\top \;\; (N \times M_\text{in}), \qquad
# \frac{dL}{dW} = x^\top \frac{dL}{dy} \;\; (M_\text{in} \times M_\text{out}), \qquad
# \frac{dL}{db} = \sum_{n=1}^{N} \Big(\frac{dL}{dy}\Big)_{n\cdot} \;\; (M_\text{out}).
# $$
#
# A quick way to get each product right, and to spot a wrong one, is to write the shapes
# underneath: only one arrangement of `dL_dy` `(N, M_out)` and `W` `(M_in, M_out)` gives
# `(N, M_in)`. (When $M_\text{in} = M_\text{out}$ the shapes no longer protect you: then
# the index form decides.) The bias is shared by all $N$ rows, so its gradient collects all
# $N$ contributions.
#
# ### Exercise 6.1: `linear_backward`
#
# Return the three gradients, without building any derivative tensor and without loops.
# Do not modify the inputs.

# %% nbgrader={"grade": false, "grade_id": "sol_linear_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_backward(dL_dy, x, W):
    """The backward pass of y = x W + b.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, M_out)
        The gradient of the loss with respect to the layer's output (the shape of y).
    x : ndarray of shape (N, M_in)
        The layer's input, saved by the forward pass.
    W : ndarray of shape (M_in, M_out)

    Returns
    -------
    dL_dx : ndarray of shape (N, M_in)
    dL_dW : ndarray of shape (M_in, M_out)
    dL_db : ndarray of shape (M_out,)
    """
    ### BEGIN SOLUTION
    dL_dx = dL_dy @ W.T  # (N, M_out) @ (M_out, M_in) -> (N, M_in)
    dL_dW = x.T @ dL_dy  # (M_in, N) @ (N, M_out) -> (M_in, M_out)
    dL_db = dL_dy.sum(axis=0)  # b is shared by the N rows: (N, M_out) -> (M_out,)
    ### END SOLUTION
    return dL_dx, dL_dW, dL_db


# %% nbgrader={"grade": true, "grade_id": "test_linear_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("linear_backward", linear_backward)

# %% nbgrader={"grade": true, "grade_id": "test_linear_backward_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: square layers (where a transpose keeps the shape), a batch of one row.
### BEGIN HIDDEN TESTS
check("linear_backward", linear_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The `finite differences` stage is lesson 2 at work: the test perturbed `x`, `W` and `b`
# along random directions and compared the change of $L = \sum_{n,j} g_{nj} y_{nj}$ with
# what your gradients predict. It knows nothing about the formulas, so it is an
# independent witness.
#
# ## 7. Experiment: what the full tensors would cost
#
# The compact formulas and the contraction of the full tensors give the same numbers. What
# differs is the price. In float64 every entry takes 8 bytes, so:
#
# | array | shape | bytes |
# | --- | --- | --- |
# | $\partial y/\partial W$ | $(N, M_\text{out}, M_\text{in}, M_\text{out})$ | $8\,N M_\text{in} M_\text{out}^2$ |
# | $\partial y/\partial x$ | $(N, M_\text{out}, N, M_\text{in})$ | $8\,N^2 M_\text{in} M_\text{out}$ |
# | $dL/dW$ | $(M_\text{in}, M_\text{out})$ | $8\,M_\text{in} M_\text{out}$ |
# | $dL/dx$ | $(N, M_\text{in})$ | $8\,N M_\text{in}$ |
#
# The figure plots these (with your `jacobian_shapes`) for square layers
# ($M_\text{in} = M_\text{out} = M$): on the left as the width $M$ grows with a batch of
# $N = 128$, on the right as the batch grows with $M = 512$. The dots are the `.nbytes` of
# tensors your functions actually built, to show that the lines are not just formulas.

# %%
def layer_bytes(N, M):
    """Bytes of dy/dW, dy/dx, dL/dW and dL/dx (float64) for a square layer of width M."""
    shape_dW, shape_dx = jacobian_shapes(N, M, M)
    return {
        "dy/dW (full tensor)": 8.0 * math.prod(shape_dW),
        "dy/dx (full tensor)": 8.0 * math.prod(shape_dx),
        "dL/dW (compact)": 8.0 * M * M,
        "dL/dx (compact)": 8.0 * N * M,
    }


def draw_bytes(ax, sizes, table, xlabel):
    """One panel: a line per array, with the memory of two real machines for scale."""
    for name in table[0]:
        ax.loglog(sizes, [row[name] for row in table], label=name)
    for limit, label, shift in [(16e9, "16 GB: a laptop", 1.9), (80e9, "80 GB: a big GPU", 2.2)]:
        ax.axhline(limit, color="grey", linestyle=":", linewidth=1)
        ax.text(sizes[0], limit * shift, label, fontsize=8, va="center")  # above its line
    powers = [1e3, 1e6, 1e9, 1e12, 1e15]
    ax.set_yticks(powers, ["1 kB", "1 MB", "1 GB", "1 TB", "1 PB"])
    ax.set_ylim(1e1, 1e16)
    ax.set_xscale("log", base=2)
    ticks = [int(s) for s in sizes[::2]]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xlabel(xlabel)


widths = 2 ** np.arange(0, 13)  # M = 1 .. 4096
batches = 2 ** np.arange(0, 13)  # N = 1 .. 4096
by_width = [layer_bytes(128, int(M)) for M in widths]
by_batch = [layer_bytes(int(N), 512) for N in batches]

rng = np.random.default_rng(6)
measured = []  # (M, bytes of your dy/dW, bytes of your dy/dx) for a few small widths
for M in (2, 4, 8):
    x_m, W_m = rng.standard_normal((128, M)), rng.standard_normal((M, M))
    measured.append((M, linear_jacobian_W(x_m, W_m).nbytes, linear_jacobian_x(x_m, W_m).nbytes))

with course_style():
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    draw_bytes(left, widths, by_width, "layer width M (N = 128)")
    draw_bytes(right, batches, by_batch, "batch size N (M = 512)")
    Ms, bytes_W, bytes_x = zip(*measured)
    left.scatter(Ms, bytes_W, color="C0", edgecolor="grey", zorder=3, label="your dy/dW, .nbytes")
    left.scatter(Ms, bytes_x, color="C1", edgecolor="grey", zorder=3, label="your dy/dx, .nbytes")
    left.set_ylabel("memory (float64)")
    fig.suptitle("Memory of the full derivative tensors against the compact gradients")
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))  # the legend below the panels, off the lines
    plt.show()

# %% [markdown]
# Read the figure:
#
# - $\partial y/\partial W$ grows like $M^3$ and $\partial y/\partial x$ like $N^2$; the
#   gradients we actually need grow like $M^2$ and $N M$. At $N = 128$ and $M = 512$ (a
#   small layer by today's standards) $\partial y/\partial W$ takes 137 GB and
#   $\partial y/\partial x$ 34 GB, to produce a gradient $dL/dW$ of 2 MB.
# - The compact formulas never store more than the arrays they produce. They never compute
#   the zeros either: `x.T @ dL_dy` costs $N M_\text{in} M_\text{out}$ multiplications, the
#   contraction with the full tensor $N M_\text{in} M_\text{out}^2$.
#
# The same contrast in time, for a modest layer (your functions, best of three runs):

# %%
def best_time(fn, repeats=3):
    """The fastest of a few runs of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


rng = np.random.default_rng(7)
N, M = 64, 32
x_t, W_t, dL_dy_t = (rng.standard_normal(s) for s in [(N, M), (M, M), (N, M)])
slow = best_time(lambda: apply_jacobian(dL_dy_t, linear_jacobian_W(x_t, W_t)))
fast = best_time(lambda: linear_backward(dL_dy_t, x_t, W_t))
print(f"N = {N}, M_in = M_out = {M}")
print(f"  build dy/dW and contract it: {1e3 * slow:8.3f} ms")
print(f"  linear_backward (all three): {1e3 * fast:8.3f} ms   ({slow / fast:,.0f} x faster)")

# %% [markdown]
# **Think about it.** In the left panel, for which width $M$ does $\partial y/\partial W$
# stop fitting in a laptop's 16 GB? Why does the curve of $\partial y/\partial x$ in the
# right panel bend upwards faster than any other? (The answer to the second question is
# the $\delta_{nm}$: a tensor that relates every example to every other example, to say
# that they do not interact.)
#
# ## 8. Experiment: a layer that learns
#
# A forward and a backward pass are all that gradient descent needs. Here a single linear
# layer learns to reproduce a hidden linear map from noisy examples. The loss is the mean
# squared error $L = \frac{1}{N}\sum_n \lVert y_n - t_n \rVert^2$, whose gradient
# $\frac{dL}{dy} = \frac{2}{N}(y - t)$ is derived in lesson 4; here, take it as given.
# Notice where the $1/N$ lives: in $L$, and so in `dL_dy`, never in `linear_backward`.

# %%
rng = np.random.default_rng(8)
N, M_in, M_out = 200, 3, 2
W_true, b_true = rng.standard_normal((M_in, M_out)), rng.standard_normal(M_out)
x_data = rng.standard_normal((N, M_in))
noise = 0.1
t_data = x_data @ W_true + b_true + noise * rng.standard_normal((N, M_out))

W_fit, b_fit = np.zeros((M_in, M_out)), np.zeros(M_out)
learning_rate = 0.1
history = []
for step in range(150):
    y_fit = linear_forward(x_data, W_fit, b_fit)
    history.append(np.mean(np.sum((y_fit - t_data) ** 2, axis=1)))
    dL_dy_fit = 2 * (y_fit - t_data) / N
    _, dL_dW_fit, dL_db_fit = linear_backward(dL_dy_fit, x_data, W_fit)
    W_fit -= learning_rate * dL_dW_fit
    b_fit -= learning_rate * dL_db_fit

with course_style():
    ax = plot_loss_curve(history, label="training loss")
    ax.axhline(M_out * noise**2, color="grey", linestyle=":", label="noise level $M_{out}\\sigma^2$")
    ax.legend()
    ax.set_title("Gradient descent on a linear layer")
    plt.show()
print("W_true =\n", W_true, "\nW_fit =\n", W_fit)
print("b_true =", b_true, "  b_fit =", b_fit)

# %% [markdown]
# The loss falls to the noise level (it cannot go lower: the noise is not predictable) and
# the fitted $W$, $b$ are close to the true ones. Change `learning_rate` to 1.5 and run the
# cell again: what happens, and why might a step that is too large do that?
#
# ## Summary
#
# - The linear layer $y = xW + b$ maps a batch $x$ ($N \times M_\text{in}$) to
#   $y$ ($N \times M_\text{out}$); in index form $y_{nj} = \sum_i x_{ni}W_{ij} + b_j$.
# - Its derivatives are 4-D tensors, indexed (entry of $y$, entry of the variable):
#   $\partial y_{nj}/\partial W_{ik} = x_{ni}\delta_{jk}$, shape
#   $(N, M_\text{out}, M_\text{in}, M_\text{out})$; $\partial y_{nj}/\partial x_{mi} =
#   \delta_{nm} W_{ij}$, shape $(N, M_\text{out}, N, M_\text{in})$. Nearly all their entries
#   are zeros or copies.
# - The chain rule $\frac{dL}{dW} = \frac{dL}{dy}\cdot\frac{dy}{dW}$ contracts over all
#   entries of $y$: `np.einsum("nj,njpq->pq", dL_dy, J)`.
# - Jacobian layout writes $dL/dy$ as $M_\text{out} \times N$; code stores `dL_dy` with the
#   shape of $y$, $N \times M_\text{out}$: the same numbers, transposed. Formulas move
#   between the two by transposing.
# - The contractions collapse to the backward pass: `dL_dx = dL_dy @ W.T`,
#   `dL_dW = x.T @ dL_dy`, `dL_db = dL_dy.sum(axis=0)`; it needs `x` and `W` from the
#   forward pass, and costs about twice the forward pass.
# - The full tensors would cost $O(N M^3)$ and $O(N^2 M^2)$ memory; backprop never builds
#   them. Lesson 4 does the same for element-wise activations and losses, whose
#   Jacobians are diagonal.
#
# ## Going further
#
# - **Kronecker products.** Flattened, $\partial y/\partial W = x \otimes I_{M_\text{out}}$
#   and $\partial y/\partial x = I_N \otimes W^\top$. Check both with `np.kron` against your
#   functions. Much of matrix calculus is the algebra of such products.
# - **The bias as a weight.** Append a column of ones to $x$ and the row $b$ to $W$:
#   $y = [x, 1]\,[W; b]$. Which of the three formulas then gives $dL/db$, and why is it the
#   sum over the batch?
# - **The other convention.** Many texts (and PyTorch's `nn.Linear`, which stores its weight
#   as $M_\text{out} \times M_\text{in}$) write $y = x W^\top + b$, or $y = Wx + b$ for one
#   column vector. Redo the derivation in that convention and see which transposes move.
# - **VJPs and JVPs.** `apply_jacobian` computes a *vector-Jacobian product*: the upstream
#   gradient times a Jacobian, never forming the Jacobian in the compact version. Automatic
#   differentiation frameworks are built on this operation (reverse mode); forward mode
#   pushes a direction through the *Jacobian-vector product* instead. Which one is cheaper
#   when there is one loss and millions of parameters?
# - **Cost accounting.** Count the multiplications of the forward pass and of the three
#   backward formulas. Why does the backward pass of the *first* layer of a network not
#   need `dL_dx` at all?
