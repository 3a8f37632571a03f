# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 1: Jacobians and the chain rule
# *The derivative of a vector function is a matrix, and derivatives compose by products*
#
# Backpropagation is the chain rule, applied to a network and organised so that it is
# cheap. Before we can organise it we have to be precise about two things: what *the
# derivative* of a function with many inputs and many outputs is (a matrix, and which
# one), and how the derivatives of two functions combine when one is applied after the
# other. That is this lesson. Everything later in the course is built on it.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. write the derivative of $f:\mathbb{R}^n\to\mathbb{R}^m$ as its $m\times n$ Jacobian
#    matrix and say what each row and each column of it means;
# 2. approximate any Jacobian with central differences, and explain why they beat forward
#    differences;
# 3. derive the Jacobians of the element-wise $\tanh$ and of softmax, and compute softmax
#    without overflow;
# 4. apply the chain rule $\frac{d(g\circ f)}{dx}(x_0) = \frac{dg}{dy}(f(x_0))\cdot
#    \frac{df}{dx}(x_0)$, predicting every shape before you compute anything;
# 5. relate the Jacobian layout of $\frac{dL}{dy}$ to the gradient arrays that code stores,
#    and turn "row times Jacobian" into a vector-Jacobian product;
# 6. explain why real backpropagation never builds these Jacobians.
#
# ## What is graded
#
# Seven small functions, graded automatically, and one written derivation, graded by hand.
# Expect about two hours.
#
# | part | graded | points |
# | --- | --- | --- |
# | 2. Computing a Jacobian numerically | `numerical_jacobian` | 2 + 2 hidden |
# | 3. Element-wise functions | `jacobian_tanh` | 1 + 1 hidden |
# | 4. Softmax | written: the softmax Jacobian | 4 by hand |
# | 4. Softmax | `jacobian_softmax` | 2 + 1 hidden |
# | 5. The chain rule | `chain_rule_shapes` | 1 |
# | 5. The chain rule | `chain_rule_jacobian` | 2 + 1 hidden |
# | 6. From Jacobians to the gradients in code | `gradient_shapes` | 1 |
# | 6. From Jacobians to the gradients in code | `vector_jacobian_product` | 1 + 1 hidden |
# | total | 7 functions, 1 written answer | 16 + 4 by hand |
#
# **How the exercises work.** Each exercise is a function with a docstring. Replace
# `# YOUR CODE HERE` and `raise NotImplementedError()` with your code, run the cell, then
# run the test cell below it. A test prints the stages that passed (`returns`, `shapes`,
# `values`, `finite differences`) or stops at the first one that failed and says what
# looks wrong. Hidden tests run the same checks on other shapes and inputs when your
# notebook is graded, so make your functions work for any size, not just for the examples.
# Inside the graded functions use only `numpy` (as `np`), `math` and functions you define
# in this notebook; do not rename them or change their arguments. Run the set-up cell
# first.

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
import math
import time

import matplotlib.pyplot as plt
import numpy as np

from backprop_kit import check
from backprop_kit.plots import course_style, plot_error_vs_step

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The derivative of a vector function is a matrix
#
# For a function of one variable, the derivative $f'(x_0)$ is the slope of the best
# straight-line approximation of $f$ near $x_0$: $f(x_0+\delta) \approx f(x_0) +
# f'(x_0)\,\delta$. The same idea works in any dimension. Let
# $f:\mathbb{R}^n\to\mathbb{R}^m$ take a column vector $x$ with $n$ entries to a column
# vector $y = f(x)$ with $m$ entries. Near a point $x_0$, the best linear approximation is
#
# $$
# f(x_0 + \Delta) = f(x_0) + J\,\Delta + o(\lVert\Delta\rVert),
# \qquad J = \frac{df}{dx}(x_0) \in \mathbb{R}^{m\times n},
# \qquad J_{ij} = \frac{\partial f_i}{\partial x_j}(x_0).
# $$
#
# $J$ is the **Jacobian** of $f$ at $x_0$ (the *differential* of $f$ at $x_0$ written as a
# matrix). It has **one row per output and one column per input**, so that $J\,\Delta$ is
# defined for a change $\Delta\in\mathbb{R}^n$ of the input and gives a change in
# $\mathbb{R}^m$ of the output:
#
# * row $i$ holds the partial derivatives of the single output $f_i$ with respect to every
#   input: how $f_i$ reacts to each $x_j$;
# * column $j$ is how *all* outputs move when only $x_j$ moves: $J e_j$, where $e_j$ is the
#   $j$-th unit vector.
#
# The term $o(\lVert\Delta\rVert)$ says the error of the approximation shrinks *faster*
# than $\Delta$: this is what makes $J$ the derivative rather than just some matrix. We will
# see that in a figure in Section 2.
#
# ### Worked example
#
# Take $f:\mathbb{R}^2\to\mathbb{R}^3$,
# $$
# f(x) = \begin{pmatrix} x_1 x_2 \\ \sin x_1 \\ x_2^2 \end{pmatrix},
# \qquad
# \frac{df}{dx}(x) = \begin{pmatrix}
#   x_2 & x_1 \\
#   \cos x_1 & 0 \\
#   0 & 2x_2
# \end{pmatrix} \in \mathbb{R}^{3\times 2}.
# $$
# Row 2 reads: $\sin x_1$ changes with $x_1$ at rate $\cos x_1$ and does not depend on
# $x_2$. Column 2 reads: moving $x_2$ moves the first output at rate $x_1$, leaves the
# second alone, and moves the third at rate $2x_2$.

# %%
def f_example(x):
    """The worked example f: R^2 -> R^3."""
    return np.array([x[0] * x[1], np.sin(x[0]), x[1] ** 2])


def jac_example(x):
    """Its Jacobian, derived by hand: shape (3, 2), one row per output, one column per input."""
    return np.array([
        [x[1], x[0]],
        [np.cos(x[0]), 0.0],
        [0.0, 2 * x[1]],
    ])


x0 = np.array([1.0, 2.0])
print("f(x0) =", f_example(x0))
print("df/dx(x0) =\n", jac_example(x0))

# %% [markdown]
# ### Predict the shape (warm-up, not graded)
#
# Answer in your head first, then open the answer.
#
# 1. $f:\mathbb{R}^5\to\mathbb{R}^2$. What is the shape of $\frac{df}{dx}$?
# 2. A loss $L:\mathbb{R}^n\to\mathbb{R}$ (one number out). What is the shape of
#    $\frac{dL}{dx}$?
# 3. $f(x) = Ax$ with $A\in\mathbb{R}^{3\times 4}$. What is $\frac{df}{dx}$, and its shape?
# 4. An element-wise function $y_i = \sigma(x_i)$, $\mathbb{R}^n\to\mathbb{R}^n$. Which
#    entries of its Jacobian can be non-zero?
#
# <details><summary>Answers</summary>
#
# 1. $2\times 5$: two outputs (rows), five inputs (columns).
# 2. $1\times n$: a single **row**. The Jacobian of a scalar function is a row vector; its
#    transpose, the column $\nabla L$, is what we usually call the gradient. Section 6 is
#    about this difference.
# 3. $A$ itself, $3\times 4$: $f(x_0+\Delta) = Ax_0 + A\Delta$ exactly, with no error term.
# 4. Only the diagonal: $y_i$ depends on $x_i$ alone, so $\partial y_i/\partial x_j = 0$ for
#    $j\neq i$. The Jacobian is $\operatorname{diag}(\sigma'(x_1),\dots,\sigma'(x_n))$.
#
# </details>

# %% [markdown]
# ## 2. Computing a Jacobian numerically
#
# Deriving a Jacobian by hand is error-prone, so we want an independent way to compute it,
# using nothing but evaluations of $f$. Column $j$ of $J$ is the rate of change of $f$
# along $e_j$. Taylor's theorem along that direction, with a small step $h$, gives
#
# $$
# f(x + h e_j) = f(x) + h\,J e_j + \tfrac{h^2}{2}\,f''_{jj} + \tfrac{h^3}{6}\,f'''_{jjj}
# + \dots
# $$
#
# where $f''_{jj}$ and $f'''_{jjj}$ are the vectors of second and third derivatives of $f$
# along $e_j$. Dividing by $h$ gives the **forward difference**:
#
# $$
# \frac{f(x+he_j) - f(x)}{h} = J e_j + \tfrac{h}{2} f''_{jj} + \dots
# \qquad\text{(error } O(h)\text{)}.
# $$
#
# Write the same expansion for $f(x - he_j)$: the even powers of $h$ keep their sign and
# the odd ones flip. Subtracting the two cancels $f(x)$ *and* the $h^2$ term:
#
# $$
# \frac{f(x+he_j) - f(x-he_j)}{2h} = J e_j + \tfrac{h^2}{6} f'''_{jjj} + \dots
# \qquad\text{(error } O(h^2)\text{)}.
# $$
#
# This **central difference** costs two evaluations of $f$ per column, $2n$ for the whole
# Jacobian, and with $h=10^{-5}$ its truncation error is about $10^{-10}$ where the forward
# difference's is about $10^{-5}$. (Why not take $h$ tiny? Because $f$ is computed with
# rounding errors of about $10^{-16}\,\lvert f\rvert$, and dividing their difference by
# $2h$ magnifies them: the total error is about $h^2 + 10^{-16}/h$, smallest near
# $h=10^{-5}$. Lesson 2 measures this.)

# %% [markdown]
# ### Exercise 1: `numerical_jacobian` (4 points)
#
# Implement the central-difference Jacobian. Build it column by column: for each input
# $j$, perturb a **copy** of $x$ by $\pm h$ in entry $j$, evaluate $f$ at both points, and
# store the difference quotient as column $j$.
#
# Two traps. Your function must leave the caller's `x` unchanged (the tests check it, to
# the last bit: adding $h$ and subtracting it again does not always give back the same
# float). And `x + h` written into an integer array is rounded away, so make your copy
# floating point.

# %% nbgrader={"grade": false, "grade_id": "sol_numerical_jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_jacobian(f, x, h=1e-5):
    """Central-difference Jacobian of f: R^n -> R^m at x.

    Parameters
    ----------
    f : callable taking an ndarray of shape (n,) and returning an ndarray of shape (m,)
    x : ndarray of shape (n,)
        The point. It must not be modified.
    h : float
        The step size.

    Returns
    -------
    J : ndarray of shape (m, n)
        Column k is (f(x + h e_k) - f(x - h e_k)) / (2h).
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)  # a private float copy: the caller's x is never touched
    columns = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        f_plus = np.asarray(f(x + e), dtype=float)
        f_minus = np.asarray(f(x - e), dtype=float)
        columns.append((f_plus - f_minus) / (2 * h))  # how every output moves with x_k: (m,)
    return np.stack(columns, axis=1)  # n columns of m entries side by side: (m, n)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_numerical_jacobian", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("numerical_jacobian", numerical_jacobian)

# %% nbgrader={"grade": true, "grade_id": "test_numerical_jacobian_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other functions, shapes and step sizes (they run when your notebook is graded).
### BEGIN HIDDEN TESTS
check("numerical_jacobian", numerical_jacobian, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your function against the hand-derived Jacobian of the worked example: the two should
# agree to about $10^{-10}$.

# %%
J_numerical = numerical_jacobian(f_example, x0)
print("numerical:\n", J_numerical)
print("largest difference from the hand-derived Jacobian:",
      np.abs(J_numerical - jac_example(x0)).max())

# %% [markdown]
# ### Experiment: what "the derivative" promises
#
# The definition says $f(x_0 + t v) - f(x_0) - t\,Jv$ shrinks faster than $t$, for any
# direction $v$. Here we measure that remainder for the true Jacobian, for a Jacobian with
# a single entry off by $0.05$, and for no Jacobian at all ($J=0$, the constant
# approximation), as the step $t$ shrinks. On log-log axes a remainder that behaves like
# $t^p$ is a straight line of slope $p$.

# %%
rng = np.random.default_rng(0)
v = rng.standard_normal(2)
v /= np.linalg.norm(v)  # a random unit direction
J_true = jac_example(x0)
J_off = J_true.copy()
J_off[2, 1] += 0.05  # one entry slightly wrong
t = np.logspace(-6, 0, 25)


def remainder(J):
    """|| f(x0 + t v) - f(x0) - t J v || for every step t."""
    return np.array([np.linalg.norm(f_example(x0 + s * v) - f_example(x0) - s * (J @ v))
                     for s in t])


errors = {
    "true Jacobian": remainder(J_true),
    "one entry off by 0.05": remainder(J_off),
    "J = 0 (constant approximation)": remainder(np.zeros_like(J_true)),
}
ax = plot_error_vs_step(t, errors, title="The remainder of the linear approximation")
with course_style():
    ax.loglog(t, t**2, ls=":", color="#8C8C8C", label="slope 2: $t^2$")
    ax.loglog(t, t, ls="--", color="#8C8C8C", label="slope 1: $t$")
    ax.set_xlabel("step $t$ along $v$")
    ax.set_ylabel(r"$\|f(x_0+tv) - f(x_0) - t\,Jv\|$")
    ax.legend(loc="upper left")  # the empty corner: off the curves
plt.show()

# %% [markdown]
# Only the true Jacobian gives a remainder of slope 2: it vanishes like $t^2$, faster than
# $t$. Any other matrix, even one that is wrong in a single entry by $0.05$, leaves an
# error that shrinks only like $t$ (slope 1), because the wrong entry contributes
# $0.05\,t\,\lvert v_2\rvert$. At large $t$ the wrong matrix looks as good as the right one;
# the difference shows only as $t\to 0$. This is exactly the property a finite difference
# exploits, and it is why a gradient check in Lesson 2 can catch one wrong entry among
# thousands.

# %% [markdown]
# ## 3. Element-wise functions: the Jacobian of tanh
#
# Activation functions act on every entry separately: $y_i = \tanh(x_i)$. Since $y_i$
# depends on $x_i$ only, the Jacobian is diagonal:
#
# $$
# \frac{\partial y_i}{\partial x_j} = \delta_{ij}\,\tanh'(x_i),
# \qquad
# \frac{dy}{dx} = \operatorname{diag}\bigl(\tanh'(x_1), \dots, \tanh'(x_n)\bigr),
# $$
#
# where $\delta_{ij}$ is 1 when $i=j$ and 0 otherwise. With
# $\tanh = \sinh/\cosh$ and the quotient rule,
# $\tanh' = (\cosh^2 - \sinh^2)/\cosh^2 = 1 - \tanh^2$: the derivative is computed from the
# *output* of tanh, which a network has at hand anyway.
#
# ### Exercise 2: `jacobian_tanh` (2 points)

# %% nbgrader={"grade": false, "grade_id": "sol_jacobian_tanh", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jacobian_tanh(x):
    """Jacobian of the element-wise tanh at x.

    Parameters
    ----------
    x : ndarray of shape (n,)

    Returns
    -------
    J : ndarray of shape (n, n)
        J[i, k] = d tanh(x_i) / d x_k: 1 - tanh(x_i)^2 on the diagonal, 0 elsewhere.
    """
    ### BEGIN SOLUTION
    t = np.tanh(x)
    return np.diag(1 - t * t)  # (n,) derivatives on the diagonal of an (n, n) matrix
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_jacobian_tanh", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("jacobian_tanh", jacobian_tanh)

# %% nbgrader={"grade": true, "grade_id": "test_jacobian_tanh_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other sizes, including saturated inputs such as x = 25.
### BEGIN HIDDEN TESTS
check("jacobian_tanh", jacobian_tanh, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Note how wasteful the matrix is: for $n$ inputs it stores $n^2$ numbers of which only $n$
# can be non-zero. Keep that in mind until Section 7.
#
# ## 4. Softmax: every output depends on every input
#
# Softmax turns a vector of scores $z\in\mathbb{R}^n$ into probabilities:
#
# $$
# p_i = \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^n e^{z_j}},
# \qquad p_i > 0,\quad \sum_i p_i = 1.
# $$
#
# Unlike tanh, it is *not* element-wise: raising $z_j$ raises $p_j$ and, through the shared
# denominator, lowers every other $p_i$. So its Jacobian is a full $n\times n$ matrix.
# Deriving it is your written exercise.
#
# ### Written exercise: the softmax Jacobian (4 points, graded by hand)
#
# Answer in the cell below, with LaTeX (`$...$`) or plain text; show your steps.
#
# 1. Derive $\dfrac{\partial p_i}{\partial z_j}$, treating the cases $i=j$ and $i\neq j$
#    separately, and write both as one formula in terms of $p$ (use $\delta_{ij}$).
#    *Hint:* the quotient rule works; differentiating $\log p_i = z_i - \log\sum_c e^{z_c}$
#    is shorter.
# 2. Write the whole Jacobian $\frac{dp}{dz}$ as a matrix expression in the column vector
#    $p$ (no indices, no sums).
# 3. Show that every column of $\frac{dp}{dz}$ sums to zero. Explain in one sentence why
#    this had to be so, without using your formula.
# 4. Show that $\operatorname{softmax}(z - c\mathbf{1}) = \operatorname{softmax}(z)$ for any
#    number $c$, and explain why computing it with $c = \max_j z_j$ can never overflow.

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_softmax_jacobian", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.**
#
# 1. $\log p_i = z_i - \log\sum_c e^{z_c}$. Differentiating with respect to $z_j$:
#    $\frac{1}{p_i}\frac{\partial p_i}{\partial z_j} = \delta_{ij} - \frac{e^{z_j}}{\sum_c
#    e^{z_c}} = \delta_{ij} - p_j$, so
#    $$\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_j) =
#    \begin{cases} p_i(1-p_i) & i=j,\\ -p_ip_j & i\neq j.\end{cases}$$
#    (Quotient rule: with $S=\sum_c e^{z_c}$, $\partial p_i/\partial z_j =
#    (\delta_{ij}e^{z_i}S - e^{z_i}e^{z_j})/S^2$, the same.)
# 2. $\dfrac{dp}{dz} = \operatorname{diag}(p) - p\,p^\top$ (symmetric, $n\times n$).
# 3. $\sum_i \partial p_i/\partial z_j = p_j - p_j\sum_i p_i = p_j - p_j = 0$. It had to be:
#    $\sum_i p_i = 1$ for every $z$, so no change of any $z_j$ can change the sum, and the
#    column sum is exactly the rate of change of $\sum_i p_i$ with $z_j$. (Another route:
#    shifting all scores together changes nothing, so $\frac{dp}{dz}\mathbf{1} = 0$, which
#    says that every *row* sums to zero; the Jacobian is symmetric, so every column does
#    too. Shift invariance alone gives the rows, not the columns.)
# 4. $\frac{e^{z_i-c}}{\sum_j e^{z_j-c}} = \frac{e^{-c}e^{z_i}}{e^{-c}\sum_j e^{z_j}} =
#    p_i$. With $c=\max_j z_j$ every exponent $z_j - c\le 0$, so every $e^{z_j-c}\le 1$:
#    no overflow. (A bonus, not asked: the largest term is $e^0 = 1$, so the denominator
#    is at least 1 and never underflows to a division by zero.)
#
# **Marking guide (4 points, 1 per part).**
# 1. Correct $\partial p_i/\partial z_j$ in both cases, with working (quotient rule or log
#    derivative). Half a point for a correct diagonal only, or for a correct result with no
#    working.
# 2. $\operatorname{diag}(p) - pp^\top$ or an equivalent matrix expression
#    ($\operatorname{diag}(p)(I - \mathbf{1}p^\top)$ is fine). Not $p^\top p$ (a number).
# 3. The computation of the column sum (half a point) and a reason for it (half a point):
#    $\sum_i p_i = 1$ for every $z$, or shift invariance together with the symmetry of
#    $\frac{dp}{dz}$. Shift invariance alone shows that the *rows* sum to zero, not the
#    columns: no half point for it without the symmetry.
# 4. The cancellation of $e^{-c}$ (half a point) and exponents $\le 0$, hence no overflow
#    (half a point). The denominator $\ge 1$ is not asked for and not required.
# ### END SOLUTION

# %% [markdown]
# ### Why stability matters
#
# `np.exp(710)` is already larger than the largest float64, so a softmax computed as
# written overflows as soon as a score exceeds about 709, and scores that large do occur in
# networks that train badly. Below, the naive formula on two large scores (warnings
# silenced on purpose, to show the result):

# %%
def softmax_naive(z):
    """Softmax exactly as the formula reads. Do not use it."""
    e = np.exp(z)
    return e / e.sum()


with np.errstate(over="ignore", invalid="ignore"):
    print("naive softmax of [1000, 999]:", softmax_naive(np.array([1000.0, 999.0])))
print("the same scores shifted by their maximum:", softmax_naive(np.array([0.0, -1.0])))

# %% [markdown]
# ### Exercise 3: `jacobian_softmax` (3 points)
#
# Use your answer to the written exercise. The tests include scores near $2000$ and near
# $-1500$, so compute $p$ the stable way.

# %% nbgrader={"grade": false, "grade_id": "sol_jacobian_softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jacobian_softmax(z):
    """Jacobian of softmax at z, computed stably for any finite scores.

    Parameters
    ----------
    z : ndarray of shape (n,)
        Scores (logits).

    Returns
    -------
    J : ndarray of shape (n, n)
        J[i, j] = d p_i / d z_j, where p = softmax(z).
    """
    ### BEGIN SOLUTION
    e = np.exp(z - np.max(z))  # exponents <= 0: no overflow, and the largest term is 1
    p = e / e.sum()  # (n,)
    return np.diag(p) - np.outer(p, p)  # diag(p) - p p^T: (n, n)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_jacobian_softmax", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("jacobian_softmax", jacobian_softmax)

# %% nbgrader={"grade": true, "grade_id": "test_jacobian_softmax_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a single score, other sizes, very large and very negative scores.
### BEGIN HIDDEN TESTS
check("jacobian_softmax", jacobian_softmax, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Experiment: a confident softmax has a vanishing Jacobian
#
# Below, the softmax Jacobian of the same five scores divided by a *temperature* $T$. At a
# high temperature the probabilities are nearly uniform; at a low one, softmax puts almost
# all the mass on the largest score. Watch what happens to the derivatives.

# %%
z_demo = np.array([2.0, 1.0, 0.5, -0.5, -1.5])
temperatures = (4.0, 1.0, 0.2)
with course_style():
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), layout="constrained")
    for ax, T in zip(axes, temperatures):
        J_T = jacobian_softmax(z_demo / T)
        image = ax.imshow(J_T, cmap="PuOr_r", vmin=-0.25, vmax=0.25)
        ax.set_title(f"T = {T:g}, largest |entry| {np.abs(J_T).max():.3f}", fontsize=10)
        ax.set_xlabel("input $j$ (score $z_j$)")
        ax.set_ylabel("output $i$ ($p_i$)")
        ax.grid(False)
    fig.colorbar(image, ax=axes, shrink=0.9, label=r"$\partial p_i / \partial z_j$")
plt.show()
J_1 = jacobian_softmax(z_demo)
print("column sums at T = 1 (your answer to part 3):", J_1.sum(axis=0))

# %% [markdown]
# The diagonal is positive (raising your own score raises your probability), everything off
# the diagonal is negative (it lowers everyone else's), and each column sums to zero. As the
# softmax becomes confident ($T = 0.2$) the whole Jacobian fades towards zero: with
# $p\approx e_1$, $\operatorname{diag}(p) - pp^\top \approx 0$. A saturated softmax passes
# almost no signal back to its scores; the same happens to tanh at large $\lvert x\rvert$.
# This is one face of the *vanishing gradient* problem.
#
# Does a confident classifier then stop learning when it is wrong? No: the cross-entropy
# loss $L = -\log p_c$ ($c$ the correct class) that follows softmax in lesson 4 has the
# derivative $-1/p_c$, which grows exactly as fast as the Jacobian's entries shrink, and
# the product is $p - \text{one-hot}$, as large as the mistake. Lesson 4 computes softmax
# and cross-entropy as one fused step, but that changes nothing in the mathematics: the
# chain rule through the two gives the same $p - \text{one-hot}$. It matters only in
# floating point. At $z = [0, 800]$ with $c = 1$, $p_1 \approx e^{-800}$ underflows to 0,
# so the unfused chain multiplies $-1/p_1 = -\infty$ by Jacobian entries that are exactly 0
# and returns `nan`; the fused formula returns $[-1, 1]$.

# %% [markdown]
# ## 5. The chain rule
#
# Now compose two functions: $f:\mathbb{R}^n\to\mathbb{R}^m$ and then
# $g:\mathbb{R}^m\to\mathbb{R}^k$. Linearise each where it is applied: $f$ at $x_0$, and $g$
# at $y_0 = f(x_0)$:
#
# $$
# f(x_0+\Delta) \approx y_0 + \underbrace{\tfrac{df}{dx}(x_0)}_{m\times n}\,\Delta,
# \qquad
# g(y_0+\delta) \approx g(y_0) + \underbrace{\tfrac{dg}{dy}(y_0)}_{k\times m}\,\delta.
# $$
#
# Substituting the change of $f$'s output, $\delta = \frac{df}{dx}(x_0)\Delta$, as the
# change of $g$'s input:
#
# $$
# g(f(x_0+\Delta)) \approx g(y_0) + \frac{dg}{dy}(y_0)\,\frac{df}{dx}(x_0)\,\Delta,
# \qquad\text{so}\qquad
# \boxed{\;\frac{d(g\circ f)}{dx}(x_0) = \frac{dg}{dy}\bigl(f(x_0)\bigr)\cdot
# \frac{df}{dx}(x_0)\;}\in\mathbb{R}^{k\times n}.
# $$
#
# Three things to read off this formula, each a classic bug when forgotten:
#
# * **Order.** The Jacobian of the function applied *last* stands on the *left*, as in
#   $g(f(x))$. The shapes enforce it: $(k\times m)(m\times n)$ is defined; the other order
#   is not (unless the sizes happen to match, and then it silently gives the wrong matrix).
# * **Where.** $\frac{dg}{dy}$ is evaluated at $f(x_0)$, the point where $g$ is applied,
#   not at $x_0$.
# * **What.** The "$\cdot$" is a matrix product, not an element-wise one: every path from
#   an input $x_j$ through any intermediate $y_q$ to an output $g_i$ contributes,
#   $\frac{\partial g_i}{\partial x_j} = \sum_{q=1}^{m} \frac{\partial g_i}{\partial y_q}
#   \frac{\partial y_q}{\partial x_j}$.
#
# A network is a long composition. In the course notation, layer $l$ maps
# $x^l\in\mathbb{R}^{N\times M^{l-1}}$ to $y^l = y^l(x^l; W^l)$, the next layer takes
# $x^{l+1} = y^l$, and the loss is $L(y^K)$. Applying the chain rule repeatedly,
#
# $$
# \frac{dL}{dx^l} = \frac{dL}{dy^l}\cdot\frac{dy^l}{dx^l},
# \qquad
# \frac{dL}{dW^l} = \frac{dL}{dy^l}\cdot\frac{dy^l}{dW^l},
# \qquad
# \frac{dL}{dy^{l-1}} = \frac{dL}{dx^l},
# $$
#
# starting from $\frac{dL}{dy^K}$ and walking backwards through the layers: that recursion
# *is* backpropagation. (For batches, $\frac{dy^l}{dW^l}$ is a higher-order tensor and
# "$\cdot$" a tensor contraction over all the indices of $y^l$; Lesson 3 works it out.
# Every product must be dimensionally consistent, exactly as here.)

# %% [markdown]
# ### Exercise 4: `chain_rule_shapes`, predict the shapes (1 point)
#
# For $f:\mathbb{R}^n\to\mathbb{R}^m$ and $g:\mathbb{R}^m\to\mathbb{R}^k$, return the shapes
# of the three Jacobians in the boxed formula, as tuples of ints.

# %% nbgrader={"grade": false, "grade_id": "sol_chain_rule_shapes", "locked": false, "schema_version": 3, "solution": true, "task": false}
def chain_rule_shapes(n, m, k):
    """The shapes of the Jacobians in the chain rule for f: R^n -> R^m, g: R^m -> R^k.

    Returns
    -------
    (shape of df/dx(x0), shape of dg/dy(f(x0)), shape of d(g o f)/dx(x0)), each a tuple.
    """
    ### BEGIN SOLUTION
    return (m, n), (k, m), (k, n)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_chain_rule_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("chain_rule_shapes", chain_rule_shapes)

# %% [markdown]
# ### Exercise 5: `chain_rule_jacobian` (3 points)
#
# You are given the two Jacobians as *functions*: `jac_f(x)` returns $\frac{df}{dx}(x)$ and
# `jac_g(y)` returns $\frac{dg}{dy}(y)$. One line of code, but make sure each is evaluated
# at the right point.

# %% nbgrader={"grade": false, "grade_id": "sol_chain_rule_jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def chain_rule_jacobian(jac_g, jac_f, f, x0):
    """The Jacobian of g o f at x0, by the chain rule.

    Parameters
    ----------
    jac_g : callable, y of shape (m,) -> dg/dy(y) of shape (k, m)
    jac_f : callable, x of shape (n,) -> df/dx(x) of shape (m, n)
    f : callable, x of shape (n,) -> f(x) of shape (m,)
    x0 : ndarray of shape (n,)

    Returns
    -------
    J : ndarray of shape (k, n)
        dg/dy(f(x0)) . df/dx(x0).
    """
    ### BEGIN SOLUTION
    y0 = f(x0)  # g is applied at y0, so its Jacobian is evaluated there
    return jac_g(y0) @ jac_f(x0)  # (k, m) @ (m, n) -> (k, n)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_chain_rule_jacobian", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("chain_rule_jacobian", chain_rule_jacobian)

# %% nbgrader={"grade": true, "grade_id": "test_chain_rule_jacobian_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other functions and sizes, square and not.
### BEGIN HIDDEN TESTS
check("chain_rule_jacobian", chain_rule_jacobian, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Worked example: a tiny network, end to end
#
# Take $x\in\mathbb{R}^4$, a layer $u = Ax$ with a matrix $A\in\mathbb{R}^{3\times 4}$, then
# $a = \tanh(u)$, then $p = \operatorname{softmax}(a)$. That is a chain of three functions,
# and the chain rule applies twice:
#
# $$
# \frac{dp}{dx} = \underbrace{\frac{dp}{da}}_{3\times 3}\;
# \underbrace{\frac{da}{du}}_{3\times 3}\;\underbrace{\frac{du}{dx}}_{3\times 4}
# = \operatorname{jacobian\_softmax}(a)\cdot\operatorname{jacobian\_tanh}(u)\cdot A.
# $$
#
# We first build the Jacobian of the layer $x\mapsto\tanh(Ax)$ with `chain_rule_jacobian`
# (the Jacobian of $x\mapsto Ax$ is $A$ everywhere), then compose it with softmax, and
# compare with finite differences of the whole network.

# %%
A = np.random.default_rng(1).standard_normal((3, 4))
x_net = np.array([0.5, -1.0, 2.0, 0.1])


def layer(x):
    """x -> tanh(A x): R^4 -> R^3."""
    return np.tanh(A @ x)


def jac_layer(x):
    """Jacobian of the layer: the chain rule for tanh after x -> A x."""
    return chain_rule_jacobian(jacobian_tanh, lambda v: A, lambda v: A @ v, x)


def network(x):
    """x -> softmax(tanh(A x)): R^4 -> R^3."""
    a = layer(x)
    e = np.exp(a - a.max())
    return e / e.sum()


J_chain = chain_rule_jacobian(jacobian_softmax, jac_layer, layer, x_net)
J_fd = numerical_jacobian(network, x_net)
print("dp/dx by the chain rule, shape", J_chain.shape, "\n", J_chain)
print("largest difference from finite differences:", np.abs(J_chain - J_fd).max())
print("column sums (softmax outputs always sum to 1):", J_chain.sum(axis=0))

# %% [markdown]
# ## 6. From Jacobians to the gradients in code
#
# A loss $L$ is a scalar, so its Jacobian with respect to a vector $y\in\mathbb{R}^m$ is
# a $1\times m$ **row** of partial derivatives, and the chain rule is "row times Jacobian":
#
# $$
# \underbrace{\frac{dL}{dx}}_{1\times n} = \underbrace{\frac{dL}{dy}}_{1\times m}\cdot
# \underbrace{\frac{dy}{dx}}_{m\times n}.
# $$
#
# Code does not store rows. It stores a **gradient array in the shape of its variable**:
# `dL_dy` has shape `(m,)`, like `y`, and `dL_dx` has shape `(n,)`, like `x`. Both hold the
# same numbers as the rows above; only the layout differs. Transposing the row equation
# gives the rule for code,
#
# $$
# \texttt{dL\_dx} = J^\top\,\texttt{dL\_dy},\qquad J = \frac{dy}{dx}\in\mathbb{R}^{m\times n},
# $$
#
# a **vector-Jacobian product**: the upstream gradient, pulled back through one Jacobian.
#
# The same holds for a batch. The network's output $y^K\in\mathbb{R}^{N\times M_\text{out}}$
# holds $N$ samples as rows. In Jacobian layout the derivative of the scalar $L$ has the
# *transposed* shape of its variable, exactly like the row $1\times m$ for a column vector
# $m\times 1$:
#
# $$
# \frac{dL}{dy^K}\in\mathbb{R}^{M_\text{out}\times N},\qquad
# dL = \operatorname{tr}\Bigl(\frac{dL}{dy^K}\,dy^K\Bigr)
# = \sum_{s=1}^{N}\sum_{j=1}^{M_\text{out}}\frac{\partial L}{\partial y^K_{sj}}\,dy^K_{sj},
# $$
#
# so that the product $\frac{dL}{dy^K}\cdot dy^K$ pairs every entry of $dy^K$ with its
# partial derivative. In code, `dL_dy` is the array of shape `(N, M_out)`, the shape of `y`,
# with `dL_dy[s - 1, j - 1]` $= \partial L/\partial y^K_{sj}$ (example $s$, output $j$;
# code counts from 0): the transpose of the Jacobian-layout
# matrix. Storing gradients in the shape of their variable is what makes an update such as
# `W -= lr * dL_dW` line up entry by entry. For example, the mean squared error
# $L = \frac{1}{N}\sum_n\lVert y_n - t_n\rVert^2$ has `dL_dy = 2 * (y - t) / N`, an
# $N\times M_\text{out}$ array, in Lesson 4.
#
# **The rule to remember:** Jacobian layout (the math) = the transposed shape of the
# variable; gradient arrays (the code) = the shape of the variable. Whenever you translate a
# row-times-Jacobian formula into code, a transpose appears.

# %% [markdown]
# ### Exercise 6: `gradient_shapes`, the two layouts (1 point)
#
# For a batch output $y^K$ of shape $N\times M_\text{out}$, return the shape of
# $\frac{dL}{dy^K}$ in Jacobian layout and the shape of the array `dL_dy` in code.

# %% nbgrader={"grade": false, "grade_id": "sol_gradient_shapes", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_shapes(N, M_out):
    """Shapes of dL/dy^K for a batch output y^K of shape (N, M_out).

    Returns
    -------
    (shape in Jacobian layout, shape of the gradient array dL_dy in code), each a tuple.
    """
    ### BEGIN SOLUTION
    return (M_out, N), (N, M_out)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_gradient_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("gradient_shapes", gradient_shapes)

# %% [markdown]
# ### Exercise 7: `vector_jacobian_product` (2 points)
#
# Given the gradient array `dL_dy` of shape `(m,)` and the Jacobian $J = \frac{dy}{dx}$ of
# shape `(m, n)`, return the gradient array `dL_dx` of shape `(n,)`: the code version of
# $\frac{dL}{dx} = \frac{dL}{dy}\cdot\frac{dy}{dx}$.

# %% nbgrader={"grade": false, "grade_id": "sol_vector_jacobian_product", "locked": false, "schema_version": 3, "solution": true, "task": false}
def vector_jacobian_product(dL_dy, J):
    """Pull a gradient back through a Jacobian.

    Parameters
    ----------
    dL_dy : ndarray of shape (m,)
        The gradient of the scalar L with respect to y, in the shape of y.
    J : ndarray of shape (m, n)
        The Jacobian dy/dx.

    Returns
    -------
    dL_dx : ndarray of shape (n,)
        The gradient of L with respect to x, in the shape of x.
    """
    ### BEGIN SOLUTION
    return J.T @ dL_dy  # (n, m) @ (m,) -> (n,): the row dL/dy . J, stored as a vector
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_vector_jacobian_product", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("vector_jacobian_product", vector_jacobian_product)

# %% nbgrader={"grade": true, "grade_id": "test_vector_jacobian_product_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other sizes, square and not.
### BEGIN HIDDEN TESTS
check("vector_jacobian_product", vector_jacobian_product, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# By the way, numpy reads a 1-D array on the left of `@` as a row, so `dL_dy @ J` computes
# the same vector: the row equation $\frac{dL}{dy}\cdot\frac{dy}{dx}$ typed as it reads.
# Both spellings are fine; what matters is that you can say why each is right.
#
# ## 7. Why we never build these Jacobians
#
# Everything so far formed Jacobians explicitly. Real backpropagation never does, for two
# reasons.
#
# **They are huge.** The Jacobian of tanh on $n$ inputs has $n^2$ entries and only $n$ of
# them are non-zero. Worse, a linear layer $y = xW + b$ on a batch has the derivative
# tensor $\frac{dy}{dW}$ of shape $N\times M_\text{out}\times M_\text{in}\times
# M_\text{out}$ (Lesson 3). For a modest layer on handwritten digits:

# %%
N_batch, M_in, M_out = 64, 784, 256
entries = N_batch * M_out * M_in * M_out
print(f"dy/dW has {entries:,} entries = {entries * 8 / 1e9:.1f} GB of float64;")
print(f"the gradient dL_dW it produces has {M_in * M_out:,} entries = "
      f"{M_in * M_out * 8 / 1e6:.1f} MB.")

# %% [markdown]
# **We only ever need the product.** Backpropagation needs $\frac{dL}{dy}\cdot\frac{dy}{dx}$,
# never $\frac{dy}{dx}$ itself, and for every layer that product has a short closed form.
# For tanh, the diagonal Jacobian turns the vector-Jacobian product into an element-wise
# product:
#
# $$
# \texttt{dL\_dx} = J^\top\,\texttt{dL\_dy}
# = \operatorname{diag}\bigl(1-\tanh^2(x)\bigr)\,\texttt{dL\_dy}
# = \texttt{dL\_dy * (1 - tanh(x)**2)}.
# $$
#
# ### Experiment: the price of forming the Jacobian
#
# We time both ways of computing the same `dL_dx`, with your functions, as $n$ grows.

# %%
sizes = [2**p for p in range(4, 11)]  # 16 ... 1024
VIA_J, ELEMENTWISE = "via the Jacobian: J.T @ dL_dy", "element-wise: dL_dy * (1 - tanh(x)**2)"
seconds = {VIA_J: [], ELEMENTWISE: []}
stored = {VIA_J: [], ELEMENTWISE: []}  # numbers held in memory: J, or the vector 1 - tanh^2
rng = np.random.default_rng(2)


def best_time(fn, repeats=5):
    """The fastest of a few runs, in seconds (the least disturbed by other work)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


for n in sizes:
    x_n, g_n = rng.standard_normal(n), rng.standard_normal(n)
    J_n = jacobian_tanh(x_n)
    assert np.allclose(vector_jacobian_product(g_n, J_n), g_n * (1 - np.tanh(x_n) ** 2))
    stored[VIA_J].append(J_n.size)
    stored[ELEMENTWISE].append(x_n.size)
    seconds[VIA_J].append(best_time(lambda: vector_jacobian_product(g_n, jacobian_tanh(x_n))))
    seconds[ELEMENTWISE].append(best_time(lambda: g_n * (1 - np.tanh(x_n) ** 2)))

with course_style():
    fig, (ax_mem, ax_time) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for label in (VIA_J, ELEMENTWISE):
        ax_mem.loglog(sizes, stored[label], marker="o", ms=4, label=label)
        ax_time.loglog(sizes, seconds[label], marker="o", ms=4, label=label)
    ax_mem.set_title("Numbers held in memory")
    ax_mem.set_ylabel("entries")
    ax_time.set_title("Time (best of 5, on this machine)")
    ax_time.set_ylabel("seconds")
    for ax in (ax_mem, ax_time):
        ax.set_xlabel("number of inputs $n$")
    ax_mem.legend()
plt.show()
ratio = seconds[VIA_J][-1] / seconds[ELEMENTWISE][-1]
print(f"at n = {sizes[-1]}: {stored[VIA_J][-1]:,} numbers instead of {stored[ELEMENTWISE][-1]:,},"
      f" and about {ratio:,.0f} times the time")

# %% [markdown]
# Both compute the same numbers (the `assert` checks it). The element-wise version holds
# $n$ numbers and costs a few numpy calls; the Jacobian version allocates, fills and
# multiplies a matrix of $n^2$ entries that is almost entirely zeros (slope 2 on the left).
# Its time grows at least like $n^2$ too, with jumps where the matrix outgrows the
# processor's caches; the exact times, and where the jumps fall, depend on your machine.
# For a layer with millions of activations the Jacobian does not even fit in memory.
#
# So the plan for the rest of the course: use Jacobians to **derive** each layer's
# vector-Jacobian product once, on paper, with every shape checked; then **implement** only
# the compact product.
#
# * Lesson 2 checks gradients with finite differences along random directions, again
#   without ever forming a Jacobian.
# * Lesson 3 writes down the 4-D tensor $\frac{dy}{dW}$ of the linear layer once, contracts
#   it with $\frac{dL}{dy}$, and arrives at a one-line matrix product for $\frac{dL}{dW}$.
# * Lesson 4 does the same for activations and losses (the gradient of the mean softmax
#   cross-entropy over a batch collapses to $(p - \text{one-hot})/N$), and Lesson 5 chains
#   the layers into a full backward pass.

# %% [markdown]
# ## Summary
#
# * The derivative of $f:\mathbb{R}^n\to\mathbb{R}^m$ at $x_0$ is the $m\times n$ Jacobian,
#   one row per output and one column per input; it is the only matrix whose linear
#   approximation error vanishes faster than the step.
# * Central differences $\frac{f(x+he_k)-f(x-he_k)}{2h}$ give column $k$ with error
#   $O(h^2)$; forward differences only $O(h)$. Never modify the point you differentiate at.
# * Element-wise functions have diagonal Jacobians ($\tanh' = 1-\tanh^2$). Softmax has the
#   full Jacobian $\operatorname{diag}(p) - pp^\top$, whose columns sum to zero; compute it
#   from $e^{z - \max z}$.
# * Chain rule: $\frac{d(g\circ f)}{dx}(x_0) = \frac{dg}{dy}(f(x_0))\cdot\frac{df}{dx}(x_0)$,
#   $(k\times m)(m\times n) = k\times n$: the last function on the left, each Jacobian at
#   its own point, a matrix product.
# * For a scalar loss, Jacobian layout puts $\frac{dL}{dy}$ in the transposed shape of $y$
#   (a row; $M_\text{out}\times N$ for a batch); code stores `dL_dy` in the shape of `y`
#   ($N\times M_\text{out}$). Row times Jacobian becomes `J.T @ dL_dy`.
# * Backpropagation computes only these vector-Jacobian products, each in closed form; the
#   Jacobians themselves are for deriving and checking.
#
# ## Going further
#
# * **Forward mode.** The Jacobian-*vector* product $J\,v$ (how outputs move along a
#   direction $v$ of the inputs) is the other half of automatic differentiation. Computing a
#   full $m\times n$ Jacobian takes $n$ of those or $m$ vector-Jacobian products. Which is
#   cheaper for a loss ($m=1$) and a network with a million weights ($n = 10^6$)?
# * **Complex step.** For real-analytic $f$ written with complex-safe operations,
#   $\operatorname{Im} f(x + ih e_k)/h$ has error $O(h^2)$ with *no* cancellation, so $h =
#   10^{-20}$ works. Try it on `f_example`.
# * **Log-softmax.** Derive the Jacobian of $\log\operatorname{softmax}(z)$. It is simpler
#   than the softmax one; why is it what classifiers actually use?
# * **Second derivatives.** The Hessian of a scalar function is the Jacobian of its
#   gradient. Use your `numerical_jacobian` on the exact gradient of
#   $\frac{1}{2}x^\top Ax$ and compare with $\frac{1}{2}(A + A^\top)$.
