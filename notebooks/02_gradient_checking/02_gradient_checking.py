# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 2: Gradient checking
# *Finite differences done right*
#
# In the lessons that follow you will derive gradients by hand: $\frac{dL}{dW^l}$ and
# $\frac{dL}{dx^l}$ for every layer of a network. A derivation can be wrong in ways that
# no error message reveals: a missing transpose that happens to fit, a forgotten $1/N$, a
# sign. A network trained with a slightly wrong gradient often still learns, just worse,
# and you may never find out why. So before we derive anything we build the tool that
# catches such mistakes: compare the gradient with what the loss *itself* says, by
# nudging each input a little and watching the loss change.
#
# Lesson 1 gave you the central difference and its $O(h^2)$ error. This lesson turns it
# into a gradient checker you can trust, which takes more care than it seems. A checker
# that raises false alarms gets ignored, and one that misses real bugs is worse than none.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. compute the gradient of a scalar function of an array of any shape by central
#    differences, without disturbing the point you differentiate at;
# 2. explain the V-shaped error-versus-step curve (truncation error against round-off
#    error), derive the best step $h^\ast \approx 10^{-5}$ for float64, and say why
#    float32 is hopeless for checking;
# 3. compare two gradients with a relative error that has a floor, and explain what goes
#    wrong without one;
# 4. read the number a gradient check gives you: $10^{-10}$, $10^{-3}$, $0.5$ and $2$ mean
#    very different things;
# 5. recognise a kink (ReLU at 0), where the central difference returns the average of
#    the two slopes, and avoid false alarms there;
# 6. check a gradient with a million entries along a few random directions.
#
# ## What is graded
#
# Four functions, graded automatically, and one written derivation, graded by hand.
# Expect about 100 minutes. Parts 5 (kinks) and 6 (random directions) are experiments.
#
# | part | graded | points |
# | --- | --- | --- |
# | 1. The numerical gradient | `numerical_gradient` | 3 + 2 hidden |
# | 2. How small should $h$ be? | written: where the bottom of the V lies | 3 by hand |
# | 2. How small should $h$ be? | `optimal_step` | 1 + 1 hidden |
# | 3. Comparing two gradients | `rel_error` | 2 + 1 hidden |
# | 4. The gradient check | `gradient_check` | 1 + 1 hidden |
# | total | 4 functions, 1 written answer | 12 + 3 by hand |
#
# **How the exercises work.** Each exercise is a function with a docstring. Replace
# `# YOUR CODE HERE` and `raise NotImplementedError()` with your code, run the cell, then
# run the test cell below it. A test prints the stages that passed (`returns`, `shapes`,
# `values`) or stops at the first one that failed and says what looks wrong. Hidden tests
# run the same checks on other shapes, functions and step sizes when your notebook is
# graded, and your functions are verified once more, outside the notebook, on inputs drawn
# at grading time. Inside the graded functions use only `numpy` (as `np`), `math` and
# functions you define in this notebook; do not rename them or change their arguments.
# Run the set-up cell first.

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
import time

import matplotlib.pyplot as plt
import numpy as np

from backprop_kit import check
from backprop_kit.gradcheck import check_gradient
from backprop_kit.plots import course_style, plot_error_vs_step

np.set_printoptions(precision=4, suppress=False)

# %% [markdown]
# ## 1. The numerical gradient
#
# A network's parameters are arrays: layer $l$ maps its input $x^l \in \mathbb{R}^{N\times
# M^{l-1}}$ to $y^l = y^l(x^l; W^l)$, with a weight matrix $W^l \in \mathbb{R}^{M^{l-1}
# \times M^l}$, and the loss $L(y^K)$ at the end is a single number. So the loss, seen as a
# function of one parameter array, is a **scalar function of an array**,
# $f:\mathbb{R}^{m\times n}\to\mathbb{R}$.
#
# In Jacobian layout its derivative is a $1\times mn$ row (one output, $mn$ inputs). Code
# stores the same $mn$ numbers in an array **of the shape of the variable**: the gradient
# `dL_dW` has the shape of `W`, and entry $(i, j)$ is
#
# $$
# \frac{\partial f}{\partial W_{ij}} \;\approx\;
# \frac{f(W + hE_{ij}) - f(W - hE_{ij})}{2h},
# $$
#
# where $E_{ij}$ is the array of the shape of $W$ that is $1$ at $(i, j)$ and $0$
# elsewhere. This is lesson 1's central difference, applied to one entry at a time. Its
# error is about $\frac{h^2}{6}\lvert\partial^3 f/\partial W_{ij}^3\rvert$; a forward
# difference $\frac{f(W + hE_{ij}) - f(W)}{h}$ would be wrong by about
# $\frac{h}{2}\lvert\partial^2 f/\partial W_{ij}^2\rvert$: for derivatives of similar
# size, $3/h$ times more, $3 \times 10^5$ times at $h = 10^{-5}$.
#
# ### Predict first
#
# Answer these before you open the answers.
#
# 1. $f$ takes $x$ of shape $(32, 10)$. What shape is its numerical gradient, and how many
#    times does the central-difference gradient evaluate $f$?
# 2. The first layer of an MNIST network has $W^1 \in \mathbb{R}^{784\times 100}$. One
#    evaluation of the loss takes 1 ms. How long does the numerical gradient with respect
#    to $W^1$ take?
# 3. $f$ takes $x$ of shape $(2, 3, 4)$. Which shape does the gradient have?
#
# <details><summary>Answers</summary>
#
# 1. $(32, 10)$, the shape of $x$; $2 \cdot 320 = 640$ evaluations.
# 2. $2 \cdot 78\,400 = 156\,800$ evaluations, about 2.6 minutes: fine once, far too slow
#    for every training step. That is why we check gradients and never train with numerical
#    ones (and section 6 shows how to check faster still).
# 3. $(2, 3, 4)$. A gradient always has the shape of its variable, whatever the number of
#    axes, so your code must not assume a matrix.
#
# </details>

# %% [markdown]
# ### Exercise 1: `numerical_gradient` (5 points)
#
# Implement the central-difference gradient of a scalar function `f` at an array `x` of
# **any** shape. For each entry: perturb it by $+h$, evaluate $f$, perturb it by $-h$,
# evaluate $f$, and store the difference quotient at the same position of the result.
#
# * `np.ndindex(x.shape)` visits every index tuple of an array of any shape (so does a
#   flat view `x.reshape(-1)` of a contiguous array).
# * The caller's `x` must be unchanged afterwards, **to the last bit**. Work on a float
#   copy (`np.array(x, dtype=float)`), and restore each entry from a saved value:
#   `x[i] + h - h` is not always `x[i]` in floating point.
# * Honour the argument `h`; keep the default `h=1e-5`.

# %% nbgrader={"grade": false, "grade_id": "sol_numerical_gradient", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of a scalar function f at x.

    Parameters
    ----------
    f : callable taking an ndarray of the shape of x and returning a number
    x : ndarray of any shape
        The point. It must not be modified.
    h : float
        The step.

    Returns
    -------
    grad : ndarray of the shape of x
        grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h), for every index i of x.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)  # a private float64 copy: the caller's x is never touched
    grad = np.zeros_like(x)  # the gradient has the shape of its variable
    for i in np.ndindex(x.shape):  # every index tuple, whatever the number of axes
        saved = x[i]
        x[i] = saved + h
        f_plus = f(x)
        x[i] = saved - h
        f_minus = f(x)
        x[i] = saved  # restore from the saved value: saved + h - h may differ from saved
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("numerical_gradient", numerical_gradient)

# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other functions, shapes (up to 3 axes) and steps; they run at grading time.
### BEGIN HIDDEN TESTS
check("numerical_gradient", numerical_gradient, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# **Worked example.** For $f(x) = \frac13\sum_{ij} x_{ij}^3$ the exact gradient is
# $x_{ij}^2$, entry by entry. Your numerical gradient should match it to about
# $10^{-10}$, and `x` should come back untouched.

# %%
def cube_sum(x):
    """f(x) = sum of x_ij^3 / 3; its gradient is x ** 2."""
    return np.sum(x**3) / 3


x_demo = np.array([[1.0, -2.0, 0.5], [3.0, 0.1, -1.5]])
x_before = x_demo.copy()
g_demo = numerical_gradient(cube_sum, x_demo)
print("numerical gradient:\n", g_demo)
print("largest difference from x**2:", np.abs(g_demo - x_demo**2).max())
print("x unchanged:", np.array_equal(x_demo, x_before))

# %% [markdown]
# ## 2. How small should $h$ be? Truncation against round-off
#
# The truncation error $\frac{h^2}{6}\lvert f'''\rvert$ shrinks with $h$, so why not take
# $h = 10^{-15}$? Because a computer does not store real numbers. A float64 carries about
# 16 significant digits: the gap between $1$ and the next float is the **machine epsilon**
# $\varepsilon = 2^{-52} \approx 2.2\times 10^{-16}$, and every arithmetic operation or
# library function may be off by about $\varepsilon$ times the size of its result.
# float32 keeps only about 7 digits, $\varepsilon = 2^{-23} \approx 1.2 \times 10^{-7}$.
#
# A difference quotient subtracts two nearly equal numbers, $f(x+h)$ and $f(x-h)$. Their
# leading digits cancel and the rounding errors stay: this is **catastrophic
# cancellation**. Then we divide by the tiny $2h$, which magnifies what is left.

# %%
eps64, eps32 = np.finfo(np.float64).eps, np.finfo(np.float32).eps
print(f"machine epsilon: float64 {eps64:.3g}, float32 {eps32:.3g}")
print("1 + eps/2 == 1 in float64:", 1.0 + eps64 / 2 == 1.0)
print("(1 + 1e-12) - 1 =", (1.0 + 1e-12) - 1.0, " (only 4 correct digits are left)")
print("float32: (1 + 1e-5) - 1 =", float(np.float32(1.0) + np.float32(1e-5) - np.float32(1.0)))

# %% [markdown]
# ### Experiment: the error as a function of the step
#
# We differentiate $f(x) = \sin x$ at $x_0 = 1$, where the exact derivative is $\cos 1$,
# for steps from $10^{-15}$ to $10^{-1}$: with a forward difference, with your central
# difference (float64), and with the central difference computed entirely in float32.
# On log-log axes an error that behaves like $h^p$ is a straight line of slope $p$.

# %%
x0 = 1.0
steps = np.logspace(-15, -1, 57)
exact = np.cos(x0)


def sin_of_first(v):
    """sin of the single entry of v (a scalar function of a 1-element array)."""
    return np.sin(v[0])


def central_float32(x, h):
    """The central difference of sin at x, every operation in float32."""
    x32, h32 = np.float32(x), np.float32(h)
    return float((np.sin(x32 + h32) - np.sin(x32 - h32)) / (np.float32(2) * h32))


step_errors = {
    "forward, float64": np.array([abs((np.sin(x0 + h) - np.sin(x0)) / h - exact)
                                  for h in steps]),
    "central, float64 (yours)": np.array(
        [abs(numerical_gradient(sin_of_first, np.array([x0]), h)[0] - exact) for h in steps]),
    "central, float32": np.array([abs(central_float32(x0, h) - exact) for h in steps]),
}
ax = plot_error_vs_step(steps, step_errors, title="Error of the difference quotient of sin at 1")
with course_style():
    guide = np.logspace(-6, -1, 6)
    ax.loglog(guide, 0.1 * guide, ls="--", color="#8C8C8C", lw=1, label="slope 1")
    ax.loglog(guide, 0.1 * guide**2, ls=":", color="#8C8C8C", lw=1, label="slope 2")
    ax.set_ylabel(r"$|$estimate $- \cos 1|$")
    ax.legend(fontsize=8)
plt.show()
for label, err in step_errors.items():
    best = int(np.argmin(err))
    print(f"{label:26s} best step {steps[best]:.0e}, error there {err[best]:.1e}")

# %% [markdown]
# Read the figure from right to left. For large $h$ the curves are straight lines of
# slope 1 (forward) and 2 (central): pure truncation error, exactly as Taylor predicts.
# Then each curve turns around. Below the turning point the error *grows* as $h$ shrinks,
# with slope $-1$, and becomes ragged: that is round-off, and it is random-looking because
# it depends on the last bits of $\sin$. In float32 the turn comes at $h \approx 10^{-2}$.
# Below $h = 2^{-24} \approx 6\times 10^{-8}$ the float32 $x_0 + h$ is rounded back to
# $x_0 = 1$, but $x_0 - h$ is not (floats are twice as dense just below 1), so the
# quotient is still some number, and a wrong one (off by $10^{-2}$ at $h = 5.6\times
# 10^{-8}$). Only below $h = 2^{-25} \approx 3\times 10^{-8}$ are both rounded back to
# $x_0$: the difference is exactly 0 and the error is $\cos 1$ itself.
#
# The best central step in float64 is near $10^{-5}$, with errors of $10^{-13}$ to
# $10^{-11}$; the best forward step is near $10^{-8}$, and its error, a few times
# $10^{-9}$, about a thousand times larger. (The single lowest point of each ragged curve is partly luck; look at the level
# of the curve around it.) In float32 the best you can get is about $10^{-5}$: useless for
# telling a correct gradient from one that is off by $0.001\%$. Now explain the V.

# %% [markdown]
# ### Derive it: where is the bottom of the V? (3 points, graded by hand)
#
# Write your answer in the cell below (Markdown and LaTeX). Use the central difference
# $D(h) = \frac{f(x+h) - f(x-h)}{2h}$ and lesson 1's truncation error
# $D(h) - f'(x) \approx \frac{h^2}{6} f'''(x)$.
#
# 1. **Round-off.** The computed value of $f$ is $\tilde f(x) = f(x)(1 + \delta)$ with
#    $\lvert \delta \rvert \le \varepsilon$ (assume $h$ itself is exact). Show that
#    rounding changes $D(h)$ by up to about $\varepsilon \lvert f(x) \rvert / h$, and so
#    the total error is bounded by
#    $E(h) = \frac{h^2}{6}\lvert f'''\rvert + \frac{\varepsilon \lvert f \rvert}{h}$.
# 2. **The minimum.** Find the step $h^\ast$ that minimises $E(h)$ and the error
#    $E(h^\ast)$. Evaluate both for $\sin$ at $x_0 = 1$ in float64 and in float32, and
#    compare with the figure.
# 3. **The slopes.** Explain the slopes of the two branches of the V on log-log axes. Then
#    redo the balance for the forward difference (truncation $\frac{h}{2}\lvert f''\rvert$):
#    roughly where is its best step and how small is its best error, in float64?

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_step_size", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.**
#
# 1. The computed quotient is $\frac{f(x+h)(1+\delta_1) - f(x-h)(1+\delta_2)}{2h} = D(h) +
#    \frac{\delta_1 f(x+h) - \delta_2 f(x-h)}{2h}$. With $f(x\pm h)\approx f(x)$ and
#    $\lvert\delta_{1,2}\rvert\le\varepsilon$ the extra term is at most
#    $\frac{2\varepsilon\lvert f\rvert}{2h} = \frac{\varepsilon\lvert f\rvert}{h}$ (the two
#    errors are independent, so they need not cancel). Adding the truncation error gives
#    $\lvert\tilde D(h) - f'(x)\rvert \lesssim E(h) = \frac{h^2}{6}\lvert f'''\rvert +
#    \frac{\varepsilon\lvert f\rvert}{h}$.
# 2. $E'(h) = \frac{h}{3}\lvert f'''\rvert - \frac{\varepsilon\lvert f\rvert}{h^2} = 0$
#    gives $h^{\ast 3} = \frac{3\varepsilon\lvert f\rvert}{\lvert f'''\rvert}$, so
#    $h^\ast = \left(\frac{3\varepsilon\lvert f\rvert}{\lvert f'''\rvert}\right)^{1/3}$
#    ($E'' > 0$: a minimum). At $h^\ast$ the truncation term is half the round-off term,
#    so $E(h^\ast) = \frac{3}{2}\frac{\varepsilon\lvert f\rvert}{h^\ast} =
#    \frac{3}{2}\left(\frac{\varepsilon^2 f^2\lvert f'''\rvert}{3}\right)^{1/3} \sim
#    \varepsilon^{2/3}$.
#    For $\sin$ at 1: $\lvert f\rvert = \sin 1 \approx 0.84$, $\lvert f'''\rvert = \cos 1
#    \approx 0.54$. float64 ($\varepsilon = 2.2\times10^{-16}$): $h^\ast \approx
#    1.0\times10^{-5}$, $E(h^\ast)\approx 3\times10^{-11}$. float32 ($\varepsilon =
#    1.2\times10^{-7}$): $h^\ast\approx 8\times10^{-3}$, $E(h^\ast)\approx 2\times10^{-5}$.
#    Both steps sit at the bottoms of the measured curves. The measured errors are mostly
#    somewhat below $E(h^\ast)$: the bound adds worst cases, and real rounding errors
#    partly cancel (in float32, rounding $x\pm h$ adds a term of the same kind).
# 3. Right of the minimum $E \approx \frac{h^2}{6}\lvert f'''\rvert$, so $\log E = 2\log
#    h + \text{const}$: slope 2. Left of it $E\approx\varepsilon\lvert f\rvert/h$, so
#    $\log E = -\log h + \text{const}$: slope $-1$. Forward difference: $E_\text{fwd}(h) =
#    \frac{h}{2}\lvert f''\rvert + \frac{2\varepsilon\lvert f\rvert}{h}$ (the same
#    round-off, now divided by $h$), minimal at $h^\ast = 2\sqrt{\varepsilon\lvert
#    f\rvert/\lvert f''\rvert}\sim\sqrt\varepsilon\approx 10^{-8}$ with $E \approx
#    2\sqrt{\varepsilon\lvert f\rvert\lvert f''\rvert}\sim 10^{-8}$: its right branch has
#    slope 1, and its best error is about $\varepsilon^{1/2}$ instead of
#    $\varepsilon^{2/3}$, several hundred times worse than the central difference.
#
# **Marking guide (3 points, 1 per part).**
# 1. Writes the perturbed quotient and bounds the extra term by
#    $\varepsilon\lvert f\rvert/h$ (a factor 2 either way is fine). Half a point for the
#    right order $\varepsilon\lvert f\rvert/h$ stated with a reason but no computation.
# 2. Sets $E'(h) = 0$ and gets $h^\ast = (3\varepsilon\lvert f\rvert/\lvert
#    f'''\rvert)^{1/3}$, and gives numbers of the right order ($\sim10^{-5}$ for float64,
#    $\sim10^{-2}$ for float32) compared with the figure. Half a point if the two terms are
#    set equal instead (giving $(6\varepsilon\lvert f\rvert/\lvert f'''\rvert)^{1/3}$) or
#    if the numbers or the comparison are missing.
# 3. Slopes 2 and $-1$ with the reason, and the forward optimum $h^\ast\sim\sqrt\varepsilon
#    \approx 10^{-8}$ with error $\sim10^{-8}$. Half a point for only one of the two.
# ### END SOLUTION

# %% [markdown]
# ### Exercise 2: `optimal_step` (2 points)
#
# Turn part 2 of your derivation into code: given $\varepsilon$, $\lvert f\rvert$ and
# $\lvert f'''\rvert$, return the step $h^\ast$ that minimises the error model
# $E(h) = \frac{h^2}{6}\lvert f'''\rvert + \frac{\varepsilon\lvert f\rvert}{h}$.

# %% nbgrader={"grade": false, "grade_id": "sol_optimal_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def optimal_step(eps, f_abs, f3_abs):
    """The step h* that minimises h^2/6 * f3_abs + eps * f_abs / h.

    Parameters
    ----------
    eps : float
        The relative rounding error of one evaluation of f (machine epsilon).
    f_abs : float
        |f(x)|, > 0.
    f3_abs : float
        |f'''(x)|, > 0.

    Returns
    -------
    h_star : float
    """
    ### BEGIN SOLUTION
    return (3 * eps * f_abs / f3_abs) ** (1 / 3)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_optimal_step", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("optimal_step", optimal_step)

# %% nbgrader={"grade": true, "grade_id": "test_optimal_step_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other precisions and function sizes; they run at grading time.
### BEGIN HIDDEN TESTS
check("optimal_step", optimal_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your prediction against the measurement: the dotted lines mark $h^\ast$ for float64 and
# float32. The model has no free parameter, and it finds the bottom of both Vs.

# %%
h_star = {
    "float64": optimal_step(eps64, abs(np.sin(x0)), abs(np.cos(x0))),
    "float32": optimal_step(float(eps32), abs(np.sin(x0)), abs(np.cos(x0))),
}
ax = plot_error_vs_step(steps, step_errors, title="Predicted best steps")
with course_style():
    # the colours of the two central-difference curves
    for (label, h), colour in zip(h_star.items(), ("#56B4E9", "#009E73"), strict=True):
        ax.axvline(h, ls=":", color=colour, lw=1.5)
        ax.annotate(f"$h^*$ {label}\n{h:.1e}", (h, 1e-13), xytext=(4, 0),
                    textcoords="offset points", fontsize=8)
plt.show()

# %% [markdown]
# Two lessons for practice. First, **check in float64**, always: even a model trained in
# float32 or bfloat16 should have its gradient code checked in float64. Second, the
# default step $h = 10^{-5}$ is not magic: it is $\varepsilon^{1/3}$ for functions whose
# size and third derivative are of order one. The size of the loss alone does not move it:
# a loss summed over a batch instead of averaged multiplies $\lvert f\rvert$ and
# $\lvert f'''\rvert$ by the same factor, and $h^\ast$ depends only on their ratio. (The
# absolute error grows with the loss; the relative error does not.) What moves it is the
# scale of the inputs: if $f(x) = g(x/s)$, then $f''' = g'''/s^3$ and the best step is $s$
# times larger.

# %% [markdown]
# ## 3. Comparing two gradients: relative error with a floor
#
# A gradient check produces two arrays of the same shape, the analytic gradient $a$ (from
# your derivation) and the numerical one $b$, and must turn them into one number that
# says "agree" or "disagree". Two obvious choices both fail.
#
# **Absolute error** $\max_i\lvert a_i - b_i\rvert$ depends on the scale: multiply the
# loss by 1000 (a sum over the batch instead of a mean) and the error grows a thousandfold
# while nothing got worse.
#
# **Relative error** $\max_i \frac{\lvert a_i - b_i\rvert}{\max(\lvert a_i\rvert,
# \lvert b_i\rvert)}$ is scale-free, but it explodes on entries that are essentially zero.
# The numerical gradient carries an absolute noise of about $\varepsilon\lvert f\rvert/h
# \approx 10^{-11}$ in *every* entry, so an entry whose true value is $10^{-10}$ is
# known only to about 10%. Such entries are common: a class the network is sure about, a
# unit that barely fires, a feature that is almost constant.
#
# Here is a real example: the cross-entropy loss of a classifier on two examples (you
# will derive its gradient in lesson 4; here we take it as given). The first example's
# score for class 3 is far below the others, so its gradient entry is about $10^{-12}$.

# %%
scores = np.array([[6.0, 1.0, -20.0], [2.0, -1.0, 0.5]])  # N = 2 examples, C = 3 classes
labels = np.array([0, 2])


def cross_entropy(z):
    """Mean softmax cross-entropy of the scores z (N, C) for the labels above."""
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(z)), labels])


def cross_entropy_grad(z):
    """Its gradient (softmax minus one-hot, over N), shape (N, C)."""
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(z)), labels] -= 1
    return p / len(z)


a_ce = cross_entropy_grad(scores)
b_ce = numerical_gradient(cross_entropy, scores)
print("analytic:\n", a_ce)
print("numerical:\n", b_ce)
print("absolute differences:\n", np.abs(a_ce - b_ce))
print("plain relative error per entry:\n", np.abs(a_ce - b_ce) / np.maximum(abs(a_ce), abs(b_ce)))

# %% [markdown]
# Every absolute difference is below $10^{-11}$, and the gradient is correct. Yet the
# plain relative error of `a_ce[0, 2]` (example 1, class 3) is about 50%, enough to fail
# any sensible threshold: a **false alarm**. The numerical value of that entry is pure
# round-off: it is $5.55\times 10^{-12}$, exactly one rounding unit of $f \approx 0.87$
# ($2^{-53}$) divided by $2h$, about $25{,}000\,\varepsilon$. The two evaluations of $f$
# differed in their last bit and nothing else. The cure is a **floor** in the denominator:
# entries far below the scale of the array are compared on that scale instead of their own,
#
# $$
# \operatorname{rel\_error}(a, b) = \max_i
# \frac{\lvert a_i - b_i\rvert}{\max\bigl(\lvert a_i\rvert, \lvert b_i\rvert,\;
# 10^{-3}\, s\bigr)},
# \qquad s = \max\bigl(\max_i \lvert a_i\rvert, \max_i \lvert b_i\rvert\bigr).
# $$
#
# For an entry larger than $10^{-3}s$ this is the plain relative error; for a smaller one
# it is the absolute error measured in units of $10^{-3}s$. It is still scale-free
# (multiply $a$ and $b$ by 1000 and nothing changes), and it still sees a wrong entry: an
# entry that should be $0.002\,s$ but is $0$ gives an error of 1.
#
# Some values to keep in mind: $b = a$ gives 0, $b = 2a$ gives $0.5$, $b = -a$ gives 2,
# and a wrong entry gives an error of order 1 whatever the other entries do, because we
# take the **maximum** over the entries, never a mean or a norm. When both arrays are all
# zero they agree perfectly: return $0$ (and do not compute $0/0$).

# %% [markdown]
# ### Exercise 3: `rel_error` (3 points)

# %% nbgrader={"grade": false, "grade_id": "sol_rel_error", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rel_error(a, b):
    """The largest floored relative error between two arrays of the same shape.

    max_i |a_i - b_i| / max(|a_i|, |b_i|, 1e-3 * s), with s the largest |entry| of a and b.

    Parameters
    ----------
    a, b : ndarray of the same shape

    Returns
    -------
    err : float
        0.0 when a and b are both all zero.
    """
    ### BEGIN SOLUTION
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    s = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    if s == 0.0:  # both all zero: they agree, and 0/0 must not happen
        return 0.0
    denominator = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3 * s)
    return float(np.max(np.abs(a - b) / denominator))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rel_error", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("rel_error", rel_error)

# %% nbgrader={"grade": true, "grade_id": "test_rel_error_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other shapes, scales from 1e-5 to 1e3, and wrong entries; at grading time.
### BEGIN HIDDEN TESTS
check("rel_error", rel_error, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The cross-entropy example again, with the floor:

# %%
print(f"rel_error(analytic, numerical) = {rel_error(a_ce, b_ce):.1e}")
print(f"rel_error(analytic, 2 * analytic) = {rel_error(a_ce, 2 * a_ce):.3f}")
print(f"rel_error(1000 * analytic, 1000 * numerical) = {rel_error(1e3 * a_ce, 1e3 * b_ce):.1e}")

# %% [markdown]
# ## 4. The gradient check
#
# Now the two pieces together. What number should worry you? With central differences at
# $h = 10^{-5}$ in float64:
#
# | `rel_error` | verdict |
# | --- | --- |
# | below $10^{-7}$ | correct |
# | $10^{-7}$ to $10^{-5}$ | probably correct; large values, a large loss, or a kink nearby (section 5) |
# | $10^{-5}$ to $10^{-2}$ | suspicious: look at the worst entries |
# | above $10^{-2}$ | wrong |
#
# The tests in this course accept $10^{-5}$. A wrong gradient is rarely subtle: the
# typical bug gives an error of order 1, and the number itself often says which bug it
# is, as you will see below.
#
# ### Exercise 4: `gradient_check` (2 points)
#
# Return the relative error between the analytic gradient `grad_f(x)` and your numerical
# gradient of `f` at `x` (default step). Use your `rel_error` and `numerical_gradient`:
# this function is graded against them, so a mistake in those two costs their points, not
# these as well.

# %% nbgrader={"grade": false, "grade_id": "sol_gradient_check", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_check(f, grad_f, x):
    """How far the analytic gradient of f at x is from central differences.

    Parameters
    ----------
    f : callable, f(x) -> float
    grad_f : callable, grad_f(x) -> ndarray of the shape of x (the gradient to check)
    x : ndarray, the point

    Returns
    -------
    err : float
        The floored relative error between grad_f(x) and the central-difference gradient
        of f at x (default step).
    """
    ### BEGIN SOLUTION
    return rel_error(grad_f(x), numerical_gradient(f, x))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_gradient_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("gradient_check", gradient_check, rel_error=rel_error, numerical_gradient=numerical_gradient)

# %% nbgrader={"grade": true, "grade_id": "test_gradient_check_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other functions and wrong gradients; they run at grading time.
### BEGIN HIDDEN TESTS
check("gradient_check", gradient_check, rel_error=rel_error, numerical_gradient=numerical_gradient,
      hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Worked example: reading the number
#
# A linear layer with the course's mean squared error (lesson 4), in the course's
# notation: a batch $x \in \mathbb{R}^{N\times M_\text{in}}$, weights
# $W\in\mathbb{R}^{M_\text{in}\times M_\text{out}}$, outputs
# $y = xW \in \mathbb{R}^{N\times M_\text{out}}$, targets $t$ of the same shape, and
#
# $$
# L(W) = \frac{1}{N}\sum_{n=1}^{N}\sum_{j=1}^{M_\text{out}}(y_{nj} - t_{nj})^2 .
# $$
#
# In code, where a gradient has the shape of its variable, its gradient is
# `dL_dy = 2 * (y - t) / N`, of shape `(N, M_out)`, and `dL_dW = x.T @ dL_dy`. You will
# derive the second formula in lesson 3; the shapes already make it plausible:
# `(M_in, N) @ (N, M_out)` gives `(M_in, M_out)`, the shape of `W`. Below are the correct
# gradient and three buggy ones. Predict each error before you run the cell.

# %%
rng = np.random.default_rng(0)
N, M_in, M_out = 8, 4, 3
x_lr = rng.standard_normal((N, M_in))
t_lr = rng.standard_normal((N, M_out))
W_lr = rng.standard_normal((M_in, M_out))


def squared_error(W):
    """L(W) = 1/N * sum (xW - t)^2 on the batch above (lesson 4's MSE)."""
    return np.sum((x_lr @ W - t_lr) ** 2) / N


def grad_correct(W):
    return x_lr.T @ (2 * (x_lr @ W - t_lr) / N)


def grad_no_mean(W):  # forgot the 1/N
    return x_lr.T @ (2 * (x_lr @ W - t_lr))


def grad_sign(W):  # dL/dy = 2 (t - y) / N
    return x_lr.T @ (2 * (t_lr - x_lr @ W) / N)


def grad_one_row(W):  # correct except one input feature (row 1 of dL/dW) is dropped
    g = grad_correct(W)
    g[1] = 0.0
    return g


for name, grad in [("correct", grad_correct), ("no 1/N", grad_no_mean),
                   ("wrong sign", grad_sign), ("row 1 missing", grad_one_row)]:
    print(f"{name:14s} gradient_check = {gradient_check(squared_error, grad, W_lr):.3g}")

# %% [markdown]
# * Correct: about $10^{-9}$, round-off level.
# * No $1/N$: the analytic gradient is $N$ times too large, so the error is $1 - 1/N =
#   0.875$ for $N = 8$. An error of exactly $1 - 1/N$ means a factor of $N$, one way or
#   the other (the error is symmetric in $a$ and $b$): a missing or an extra batch mean.
# * Wrong sign: exactly 2. A training loop with this gradient climbs the loss.
# * One row missing: exactly 1, the error of an entry that is 0 where it should not be.
#   A mean or a norm over the 12 entries would have diluted this; the maximum does not.
#
# **Checking float32 code.** Networks are often trained in float32. Compute the analytic
# gradient in float32 and compare it with the float64 numerical gradient: the error is
# about the float32 precision, $10^{-7}$ to $10^{-6}$, for a *correct* gradient. Accept
# that, and never run the finite differences themselves in float32 (section 2).

# %%
def grad_float32(W):
    """The correct gradient, computed entirely in float32."""
    x32, t32, W32 = (np.asarray(v, dtype=np.float32) for v in (x_lr, t_lr, W))
    return x32.T @ (np.float32(2) * (x32 @ W32 - t32) / np.float32(N))


print(f"float32 gradient: gradient_check = {gradient_check(squared_error, grad_float32, W_lr):.2g}")

# %% [markdown]
# ## 5. Kinks
#
# $\operatorname{ReLU}(x) = \max(x, 0)$ has slope 0 for $x < 0$ and slope 1 for $x > 0$.
# At $x = 0$ it has a **kink**: no derivative, only two one-sided slopes. Backward code
# has to pick one; the usual choice, and the course's, is the mask $x > 0$, slope 0.
#
# What does a central difference return at the kink? $\frac{\max(h,0) - \max(-h,0)}{2h} =
# \frac{h}{2h} = \frac12$: the **average of the two slopes**, which is neither. And within
# $h$ of the kink it returns something in between.
#
# **Predict** the numerical gradient of $f(x) = \sum_i \max(x_i, 0)$ at $x = (-1, 0, 2)$,
# and at $x = (-1, 3\times10^{-6}, 2)$ with $h = 10^{-5}$. Then run the cell.

# %%
def relu_sum(x):
    """f(x) = sum of max(x_i, 0)."""
    return np.sum(np.maximum(x, 0.0))


def relu_sum_grad(x):
    """Its gradient with the usual convention at 0: the mask x > 0."""
    return (x > 0).astype(float)


for point in ([-1.0, 0.0, 2.0], [-1.0, 3e-6, 2.0]):
    x_k = np.array(point)
    print(f"x = {point}: numerical {numerical_gradient(relu_sum, x_k)}, "
          f"mask {relu_sum_grad(x_k)}, gradient_check {gradient_check(relu_sum, relu_sum_grad, x_k):.2g}")

# %% [markdown]
# ### Experiment: the numerical slope of ReLU near its kink
#
# The estimate as a function of the position $x_0$, in units of the step $h$:

# %%
h_k = 1e-5
positions = np.linspace(-3, 3, 121) * h_k
estimates = [numerical_gradient(relu_sum, np.array([p]), h_k)[0] for p in positions]
with course_style():
    fig, ax = plt.subplots()
    ax.plot(positions / h_k, estimates, label="central difference, step $h$")
    ax.plot(positions / h_k, (positions > 0).astype(float), ls="--", label="mask $x > 0$")
    ax.set_xlabel("position $x_0 / h$")
    ax.set_ylabel("slope of ReLU")
    ax.set_title("Near a kink, the finite difference blends both slopes")
    ax.legend()
plt.show()

# %% [markdown]
# Within $\lvert x_0\rvert < h$ the two evaluation points straddle the kink, and the
# estimate ramps linearly from 0 to 1, through $\frac12$ at the kink itself. Outside that
# band it is exact. So a gradient check of code with ReLUs, max-pooling or hinge losses
# can report an error of order 1 for a *correct* gradient, whenever some input lies within
# $h$ of a kink. What to do:
#
# * **Check at random points.** A random float64 lands within $10^{-5}$ of $0$ with
#   probability about $10^{-5}$. Kinks are hit in practice for a structural reason: zero
#   biases and an all-zero input row put every unit of a layer exactly at 0. Use random,
#   non-zero inputs and biases while checking.
# * **Recognise it.** At a kink the two one-sided differences
#   $\frac{f(x+h e_i)-f(x)}{h}$ and $\frac{f(x)-f(x-h e_i)}{h}$ disagree by order 1;
#   elsewhere by only $O(h)$. An entry where they disagree is a kink to skip, not a bug.
# * Fewer entries are affected with a smaller $h$ (the band is narrower), at the price of
#   more round-off; $10^{-6}$ is a reasonable compromise for networks with many ReLUs.
#
# The course's checker, `backprop_kit.gradcheck.check_gradient` (section 6), can be told
# where the kinks are and then reports such entries as *skipped* instead of failing. You
# will use it on a full network in lesson 5.

# %% [markdown]
# ## 6. Big gradients: random directions
#
# `numerical_gradient` costs $2n$ evaluations of the loss for $n$ parameters: fine for the
# tests, too slow for real layers (156,800 evaluations for MNIST's first layer). Lesson 1
# showed the way out: the derivative predicts how $f$ changes along **any** direction $u$,
#
# $$
# \frac{f(x + hu) - f(x - hu)}{2h} \approx \langle \nabla f(x), u\rangle
# = \sum_i \frac{\partial f}{\partial x_i}\, u_i .
# $$
#
# Pick a random unit vector $u$ and compare the two sides: 2 evaluations of $f$ for the
# whole array instead of $2n$. A wrong entry $g_i$ changes the right-hand side by
# $(g_i - \partial_i f)\,u_i$, and a random Gaussian $u$ has $u_i \ne 0$ almost surely,
# so a handful of directions catch a single wrong entry among thousands. Here a gradient
# of 10,000 entries with one entry wrong by 1%:

# %%
rng = np.random.default_rng(1)
x_big = rng.standard_normal((32, 200))
t_big = rng.standard_normal((32, 50))
W_big = 0.1 * rng.standard_normal((200, 50))


def squared_error_big(W):
    """The mean squared error of section 4 on a bigger layer: W has 10,000 entries."""
    return np.sum((x_big @ W - t_big) ** 2) / len(x_big)


g_right = x_big.T @ (2 * (x_big @ W_big - t_big) / len(x_big))
g_wrong = g_right.copy()
g_wrong[123, 45] *= 1.01  # a single entry 1% off

h = 1e-5
for d in range(4):
    u = rng.standard_normal(W_big.shape)
    u /= np.linalg.norm(u)  # a random unit direction
    slope = (squared_error_big(W_big + h * u) - squared_error_big(W_big - h * u)) / (2 * h)
    print(f"direction {d}: finite difference {slope:+.10f}   "
          f"<right, u> {np.vdot(g_right, u):+.10f}   <wrong, u> {np.vdot(g_wrong, u):+.10f}")

start = time.perf_counter()
squared_error_big(W_big)
seconds = time.perf_counter() - start
print(f"\none evaluation: {seconds * 1e3:.2f} ms; entry by entry would take "
      f"{2 * W_big.size} evaluations, about {2 * W_big.size * seconds:.1f} s")

# %% [markdown]
# The right gradient agrees with the finite differences to about 9 digits in every
# direction; the wrong one disagrees in the fourth or fifth digit, far above round-off.
# The hard part is the threshold: how large a gap is round-off? The course's
# `check_gradient` answers that (a bound like the one you derived, $\varepsilon\lvert
# f\rvert/h$), checks a few random directions per tensor, and where a direction fails it
# searches for the wrong entries by bisection. It takes the loss, the point and your
# gradient (or dictionaries of named tensors, as in lessons 3 to 5) and returns a result
# you can print:

# %%
print(check_gradient(squared_error_big, W_big, g_right))
print()
print(check_gradient(squared_error_big, W_big, g_wrong))

# %% [markdown]
# ## Summary
#
# * A gradient has the shape of its variable. The numerical gradient perturbs one entry
#   at a time, $\frac{f(x + he_i) - f(x - he_i)}{2h}$, $2n$ evaluations, and must leave
#   $x$ exactly as it was.
# * The error of a difference quotient is truncation plus round-off,
#   $\frac{h^2}{6}\lvert f'''\rvert + \frac{\varepsilon\lvert f\rvert}{h}$ for central
#   differences: a V on log-log axes with slopes 2 and $-1$, lowest at
#   $h^\ast = (3\varepsilon\lvert f\rvert/\lvert f'''\rvert)^{1/3} \approx 10^{-5}$ in
#   float64 with an error near $10^{-11}$. Forward differences reach only $10^{-8}$;
#   float32 only $10^{-5}$. Check in float64.
# * Compare gradients with the maximum over entries of a relative error whose denominator
#   has a floor, $10^{-3}$ times the largest entry: scale-free, no false alarms on entries
#   that are zero to working precision, and blind to nothing.
# * Below $10^{-7}$: correct. Order 1: wrong, and the value is a clue ($1-1/N$: a batch
#   factor; 2: a sign; 1: a missing entry).
# * At a kink the central difference returns the average of the two one-sided slopes:
#   check at random points with non-zero biases, and skip entries whose one-sided
#   differences disagree.
# * For large arrays, compare along a few random directions (2 evaluations each) and
#   search entry by entry only where a direction disagrees.
#
# ## Going further
#
# * **Richardson extrapolation.** Combine two central differences,
#   $\frac{4D(h/2) - D(h)}{3}$, to cancel the $h^2$ term. What is the order of the new
#   error, where is its best step, and how small is its best error? Check on the figure's
#   $\sin$ example.
# * **Complex step.** For code that is complex-safe, $f'(x) \approx \operatorname{Im}
#   f(x + ih)/h$ has no subtraction at all, so there is no cancellation: try
#   $h = 10^{-20}$ on `np.sin`. Why does it fail for `relu_sum` and for `np.abs`?
# * **Rounding the step.** In float64, $x_0 + h$ is rarely exactly $x_0 + h$. Replace
#   `h` by `(x0 + h) - x0` in the difference quotient (the step you actually took) and
#   see how the left branch of the V changes.
# * **Other checkers.** Compare with `torch.autograd.gradcheck` (its tolerances, its
#   "fast mode" along random directions) and with JAX's `check_grads`. Which of them
#   would be fooled by a kink, and which by a gradient off by $10^{-3}$ in one entry?
