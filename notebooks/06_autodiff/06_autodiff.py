# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6: Computational graphs and reverse-mode autodiff
# *The chain rule, run by a program: an engine that differentiates any computation*
#
# In lesson 5 you wrote `mlp_backward` by hand. You knew the network: which layer comes
# after which, what each one must cache, where the ReLU masks go. Add a skip connection,
# a second loss or a new layer type, and you would write it again. PyTorch never asks you
# to: you write the forward computation, call `loss.backward()`, and every parameter has
# its gradient. This lesson opens that box. It is the chain rule of lesson 1, run by a
# program.
#
# The idea fits in three sentences. Every value the program computes **remembers how it
# was made**: from which values (its *parents*) and by which operation. Every operation
# comes with its **backward rule**, the vector-Jacobian product you derived for it in
# lessons 3 and 4. And `backward()` visits the values **from the loss back to the
# inputs**, letting each one send its gradient to its parents; where a value was used
# twice, the gradients that come back along the two paths **add up**.
#
# You will build that engine, a `Tensor` class of about a hundred lines, check it against
# lesson 5's hand-written backward pass, and see why this way of computing gradients costs
# one pass for a million parameters.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. draw the computational graph of a computation and write it as data: each node with
#    its parents;
# 2. put the nodes in **topological order**, and explain why the backward pass must visit
#    them in the reverse of it;
# 3. write the backward rule of an operation as a vector-Jacobian product, including the
#    one every library needs and lessons 3-4 skipped: **broadcasting**;
# 4. prove that gradients **add** where a value feeds several operations (fan-out), and
#    watch an engine that forgets it fail a gradient check;
# 5. build an autodiff engine whose gradients of lesson 5's network equal the
#    hand-written ones;
# 6. explain why reverse mode gets the whole gradient in one backward pass, and forward
#    mode needs one pass per input.
#
# ## What is graded
#
# Seven functions, graded automatically, and one written explanation, graded by hand.
#
# | part | graded | points |
# | --- | --- | --- |
# | 1. The computational graph | `topological_order` | 2 + 2 hidden |
# | 2. The backward rules | `add_backward` | 2 + 2 hidden |
# | 2. The backward rules | `matmul_backward` | 1 + 1 hidden |
# | 2. The backward rules | `mean_backward` | 1 + 1 hidden |
# | 2. The backward rules | `cross_entropy_backward` | 1 + 1 hidden |
# | 4. Fan-out: gradients add | `fan_out_gradient` (with your engine) | 2 + 2 hidden |
# | 5. Lesson 5's network, by the engine | `engine_gradients` (with your engine) | 3 + 3 hidden |
# | 6. One backward pass for any number of parameters | written: why reverse mode costs one pass, forward mode one per input | 4 by hand |
# | total | 7 functions, 1 written answer | 24 + 4 by hand |
#
# Each function has a visible test cell (run it as often as you like; when it fails it
# tells you what looks wrong) and a hidden one with other shapes and seeds. Your functions
# are graded on fresh inputs, outside this notebook, with only `numpy`, `math` and what
# this notebook defines: functions, constants, and plain classes (methods, a docstring and
# constants in the class body; no decorators but `@staticmethod`, `@classmethod` and
# `@property`). Graded functions take and **return plain data**: arrays, numbers, lists,
# dicts. A `Tensor` cannot leave the notebook: return its `.grad` array, not the tensor.
# Expect about three hours.

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

from backprop_kit import check, check_gradient
from backprop_kit.data import spiral
from backprop_kit.graphs import draw_graph, trace
from backprop_kit.params import init_mlp
from backprop_kit.plots import PALETTE, course_style, plot_loss_curve

# %% [markdown]
# Part 5 compares your engine with lesson 5's hand-written backward pass, and the
# experiments measure gaps with lesson 2's `rel_error`. The next two cells hold those
# functions from lessons 2 and 5. None of this lesson's graded functions calls them.

# %% nbgrader={"grade": false, "grade_id": "blocks_02_gradient_checking", "locked": true, "schema_version": 3, "solution": false, "task": false} building_blocks=["02_gradient_checking"]
# Building blocks from lesson 2 (provided): rel_error, your exercise there.
def rel_error(a, b):
    """The largest floored relative error between two arrays of the same shape:
    max_i |a_i - b_i| / max(|a_i|, |b_i|, 1e-3 * s), s the largest |entry| of a and b."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    s = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    if s == 0.0:  # both all zero: they agree
        return 0.0
    denominator = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3 * s)
    return float(np.max(np.abs(a - b) / denominator))


# %% nbgrader={"grade": false, "grade_id": "blocks_05_backprop_network", "locked": true, "schema_version": 3, "solution": false, "task": false} building_blocks=["03_linear_layer", "04_activations_losses", "05_backprop_network"]
# Building blocks from lesson 5 (provided): the network's forward and backward passes.
def mlp_forward(x, params):
    """Scores z^K (N, M_K) of the network (affine layers, ReLU between them) for x (N, M_0),
    params {"W1": (M_0, M_1), "b1": (M_1,), ...}; and the cache for mlp_backward."""
    K = len(params) // 2
    cache = {"x": [], "z": [], "W": []}  # x^k and W^k (k = 1..K), z^k (k = 1..K-1)
    h = x
    for k in range(1, K + 1):
        cache["x"].append(h)
        cache["W"].append(params[f"W{k}"])
        z = h @ params[f"W{k}"] + params[f"b{k}"]  # z^k, (N, M_k)
        if k < K:
            cache["z"].append(z)
            h = np.maximum(z, 0)  # x^{k+1}
    return z, cache


def mlp_backward(dL_dscores, cache):
    """Gradients {"W1": ..., "b1": ..., ...} of the loss, from dL/dscores (N, M_K) and the
    cache of mlp_forward."""
    K = len(cache["W"])
    grads = {}
    dL_dz = dL_dscores  # dL/dz^K, (N, M_K)
    for k in range(K, 0, -1):
        grads[f"W{k}"] = cache["x"][k - 1].T @ dL_dz  # (M_{k-1}, N) @ (N, M_k)
        grads[f"b{k}"] = dL_dz.sum(axis=0)  # every row of z^k received b^k
        dL_dx = dL_dz @ cache["W"][k - 1].T  # dL/dx^k, (N, M_{k-1})
        if k > 1:
            dL_dz = dL_dx * (cache["z"][k - 2] > 0)  # through the ReLU: dL/dz^{k-1}
    return grads

# %% [markdown]
# ## 1. The computational graph
#
# Take a small residual block: one input $x$, a hidden value $h$ that reaches the output
# by two paths, one through a weight $v$ and one straight (a *skip connection*, as in
# ResNets and transformers). With numbers ($1 \times 1$ arrays, so that you can follow
# every step by hand):
#
# $$
# a = x w, \quad z = a + b, \quad h = \mathrm{relu}(z), \quad c = h v, \quad
# y = c + h, \quad L = \mathrm{mean}(y),
# $$
#
# with $x = 1.5$, $w = 2$, $b = -1$, $v = -0.5$. Every line is one **node** of the graph:
# a value, the operation that made it, and the values it was made from, its **parents**.
# $x, w, b, v$ are leaves (no parents). Written as data, a dict of parent lists is the
# whole graph:
#
# ```python
# parents = {"x": [], "w": [], "a": ["x", "w"], "b": [], "z": ["a", "b"], "h": ["z"],
#            "v": [], "c": ["h", "v"], "y": ["c", "h"], "L": ["y"]}
# ```
#
# $h$ appears in the parent lists of two nodes, $c$ and $y$: it **fans out**.
#
# ### Forward in any topological order, backward in reverse
#
# A list of the nodes is a **topological order** when every node comes after all of its
# parents: `x, w, a, b, z, h, v, c, y, L` is one; `x, w, b, v, a, z, h, c, y, L` another.
# The forward pass computes the values in a topological order: a value is computed once
# its inputs are known.
#
# The backward pass needs $\partial L / \partial u$ for every node $u$. The chain rule of
# lesson 1, for a node $u$ used by the nodes $c_1, \dots, c_m$ (its *children*), says
#
# $$
# \frac{\partial L}{\partial u} \;=\; \sum_{i=1}^{m} \frac{\partial L}{\partial c_i} \cdot
# \frac{\partial c_i}{\partial u} .
# $$
#
# So $\partial L / \partial u$ is known once **every child** of $u$ has its own
# gradient. Visiting the nodes in the *reverse* of a topological order guarantees exactly
# that: every child comes after its parents in the order, so before them in the reverse.
# Each node, when its turn comes, has received the shares of all its children and can pass
# its own shares on to its parents. That is all `backward()` does.
#
# ### Worked example by hand
#
# Forward, top to bottom, then backward, bottom to top, starting from
# $\partial L / \partial L = 1$ (the mean of a single number is that number):
#
# | node | value | share it receives from each child | $\partial L / \partial \cdot$ |
# | --- | --- | --- | --- |
# | $L = \mathrm{mean}(y)$ | 1 | | 1 |
# | $y = c + h$ | 1 | from $L$: $1$ | 1 |
# | $c = h v$ | $-1$ | from $y$: $1$ (an addition passes its gradient on unchanged) | 1 |
# | $v$ | $-0.5$ | from $c$: $h \cdot 1 = 2$ | 2 |
# | $h = \mathrm{relu}(z)$ | 2 | from $y$: $1$; from $c$: $v \cdot 1 = -0.5$ | $1 - 0.5 = 0.5$ |
# | $z = a + b$ | 2 | from $h$: $0.5 \cdot \mathbb{1}[z > 0] = 0.5$ | 0.5 |
# | $a = x w$, $b$ | 3, $-1$ | from $z$: $0.5$ each | 0.5, 0.5 |
# | $x$, $w$ | 1.5, 2 | from $a$: $w \cdot 0.5 = 1$ and $x \cdot 0.5 = 0.75$ | 1, 0.75 |
#
# Look at $h$: its gradient is the **sum** of what came back along its two paths. Had we
# visited $h$ right after $y$, before $c$, it would have passed on $1$ instead of $0.5$,
# and every gradient below it would be wrong.
#
# **Exercise.** Write `topological_order(parents, root)`: the list of the nodes `root`
# depends on (itself included), each after all of its parents, `root` last. Leave out
# nodes that `root` does not depend on (a graph may compute other things, an accuracy, a
# second output: `backward()` has nothing to do with them), and list every node once,
# however many paths lead to it. Node names are strings; the keys of `parents` come in no
# particular order. A depth-first search does it: visit a node's parents first, then
# append the node; remember which nodes you have visited.

# %% nbgrader={"grade": false, "grade_id": "sol_topological_order", "locked": false, "schema_version": 3, "solution": true, "task": false}
def topological_order(parents, root):
    """The nodes root depends on, each after all of its parents, root last.

    Parameters
    ----------
    parents : dict of str -> list of str, the parents of every node (a leaf has [])
    root : str, the node to differentiate (usually the loss)

    Returns
    -------
    order : list of str, every node root depends on (root included) exactly once
    """
    ### BEGIN SOLUTION
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for parent in parents[node]:
            visit(parent)  # every parent is appended before the node
        order.append(node)

    visit(root)
    return order
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_topological_order", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("topological_order", topological_order)

# %% nbgrader={"grade": true, "grade_id": "test_topological_order_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: graphs with skip connections, values used twice, and nodes the root does
# not need.
### BEGIN HIDDEN TESTS
check("topological_order", topological_order, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your order for the residual block, and the order in which `backward()` will visit it.
# We added a node `acc` (an accuracy, computed from $y$): the loss does not depend on it,
# so it is not in the order.

# %%
residual_parents = {"x": [], "w": [], "a": ["x", "w"], "b": [], "z": ["a", "b"], "h": ["z"],
                    "v": [], "c": ["h", "v"], "y": ["c", "h"], "L": ["y"], "acc": ["y"]}
forward_order = topological_order(residual_parents, "L")
print("forward: ", " -> ".join(forward_order))
print("backward:", " -> ".join(reversed(forward_order)))

# %% [markdown]
# ## 2. The backward rules
#
# Each operation $z = f(x, y)$ needs one rule: given the upstream gradient
# $\partial L / \partial z$ (in code, an array of the shape of $z$), return
# $\partial L / \partial x = \partial L / \partial z \cdot \partial z / \partial x$ and
# $\partial L / \partial y$, each of the shape of its variable. In lesson 1's words, a
# **vector-Jacobian product**: the row $\partial L / \partial z$ times the Jacobian, never
# forming the Jacobian. Lessons 3 and 4 gave you most of them. Two are new: an addition
# that *broadcasts*, and a mean over an axis. And the loss, which until now always started
# the backward pass, becomes a node like any other.
#
# ### Addition with broadcasting
#
# The affine layer computes `x @ W + b` with `b` of shape `(M,)` and `x @ W` of shape
# `(N, M)`: numpy *broadcasts* `b`, as if it were copied into each of the $N$ rows. In
# index form, $z_{nj} = a_{nj} + b_j$, so
#
# $$
# \frac{\partial L}{\partial b_j} = \sum_{n} \frac{\partial L}{\partial z_{nj}}
# \frac{\partial z_{nj}}{\partial b_j} = \sum_n \frac{\partial L}{\partial z_{nj}} :
# $$
#
# $b_j$ fed all $N$ entries of column $j$, so its gradient is the **sum** of theirs. That
# is fan-out again, inside one operation. In general numpy broadcasts a shape against a
# larger one in two steps: it **prepends** axes of size 1 until both have as many axes,
# then **stretches** every axis of size 1 to the other's size. The backward rule undoes
# both, with sums:
#
# 1. sum $\partial L / \partial z$ over the leading axes that were prepended;
# 2. sum over every axis where the operand has size 1 (and the result does not), keeping
#    that axis with size 1.
#
# Example: $x$ of shape $(3, 1)$ plus $y$ of shape $(2, 3, 4)$ gives $z$ of shape
# $(2, 3, 4)$. For $x$: sum axis 0 away (prepended), then sum axis 2 of what is left,
# keeping it: $(2, 3, 4) \to (3, 4) \to (3, 1)$. For $y$: nothing to sum.
#
# ### Warm-up: predict the shapes
#
# For each sum, write down which axes of $\partial L / \partial z$ you sum for each
# operand: (i) `x` $(4, 3)$ + `b` $(3,)$; (ii) `x` $(4, 1)$ + `y` $(1, 3)$; (iii) `x`
# $(2, 3)$ + a number `s`, shape $()$.
#
# <details><summary>Answers</summary>
#
# (i) `x`: none; `b`: axis 0, result $(3,)$. (ii) `x`: axis 1, kept: $(4, 1)$; `y`: axis
# 0, kept: $(1, 3)$. Both operands were stretched: $z$ is their "outer sum". (iii) `x`:
# none; `s`: both axes, result a single number, the sum of all of $\partial L /
# \partial z$.
# </details>
#
# **Exercise.** Write the helper `unbroadcast(dL_dz, shape)`, which sums a gradient back
# to an operand's shape, and with it `add_backward(dL_dz, x_shape, y_shape)`, the rule of
# $z = x + y$. (`shape` may be a tuple or a list; `()` means a single number.)

# %% nbgrader={"grade": false, "grade_id": "helper_unbroadcast", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unbroadcast(dL_dz, shape):
    """Sum dL_dz (the shape of a broadcast result) back to an operand's shape.

    Parameters
    ----------
    dL_dz : ndarray, the gradient for the result of a broadcasting operation
    shape : tuple or list of int, the operand's shape

    Returns
    -------
    ndarray of the given shape
    """
    ### BEGIN SOLUTION
    shape = tuple(shape)
    g = np.asarray(dL_dz)
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # the prepended axes
    stretched = tuple(i for i, m in enumerate(shape) if m == 1 and g.shape[i] != 1)
    return np.asarray(g.sum(axis=stretched, keepdims=True))  # size-1 axes, kept
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "sol_add_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def add_backward(dL_dz, x_shape, y_shape):
    """Gradients of z = x + y (numpy broadcasting) for x and y.

    Parameters
    ----------
    dL_dz : ndarray of the shape of z (the broadcast shape)
    x_shape, y_shape : the shapes of x and y

    Returns
    -------
    dL_dx : ndarray of shape x_shape
    dL_dy : ndarray of shape y_shape
    """
    ### BEGIN SOLUTION
    # dz/dx and dz/dy are identities: each operand gets all of dL/dz, summed to its shape
    return unbroadcast(dL_dz, x_shape), unbroadcast(dL_dz, y_shape)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_add_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("add_backward", add_backward)

# %% nbgrader={"grade": true, "grade_id": "test_add_backward_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: shapes that prepend and stretch axes at once, and operands both stretched.
### BEGIN HIDDEN TESTS
check("add_backward", add_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Matrix product
#
# For $z = x W$ with $x$ of shape $(N, M_{in})$ and $W$ of shape $(M_{in}, M_{out})$,
# lesson 3 derived, from $z_{nj} = \sum_i x_{ni} W_{ij}$,
#
# $$
# \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} W^\top ,\qquad
# \frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial z} .
# $$
#
# (The bias now lives in its own node, an addition.) Check the shapes before you write
# anything: $(N, M_{out})(M_{out}, M_{in})$ and $(M_{in}, N)(N, M_{out})$.
#
# **Exercise.** Write `matmul_backward(dL_dz, x, W)`, returning `(dL_dx, dL_dW)`.

# %% nbgrader={"grade": false, "grade_id": "sol_matmul_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def matmul_backward(dL_dz, x, W):
    """Gradients of z = x @ W.

    Parameters
    ----------
    dL_dz : ndarray of shape (N, M_out)
    x : ndarray of shape (N, M_in)
    W : ndarray of shape (M_in, M_out)

    Returns
    -------
    dL_dx : ndarray of shape (N, M_in)
    dL_dW : ndarray of shape (M_in, M_out)
    """
    ### BEGIN SOLUTION
    return dL_dz @ W.T, x.T @ dL_dz  # (N, M_out)(M_out, M_in), (M_in, N)(N, M_out)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_matmul_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("matmul_backward", matmul_backward)

# %% nbgrader={"grade": true, "grade_id": "test_matmul_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: square matrices and a single row.
### BEGIN HIDDEN TESTS
check("matmul_backward", matmul_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Mean over an axis
#
# $m = \mathrm{mean}(x, \text{axis})$ averages $x$ along one axis (or over all entries when
# `axis` is `None`). For $x$ of shape $(N, M)$ and axis 0, $m_j = \frac{1}{N} \sum_n
# x_{nj}$, so $\partial m_j / \partial x_{nk} = \delta_{jk} / N$ and
#
# $$
# \frac{\partial L}{\partial x_{nk}} = \sum_j \frac{\partial L}{\partial m_j}
# \frac{\delta_{jk}}{N} = \frac{1}{N} \frac{\partial L}{\partial m_k} :
# $$
#
# every entry that was averaged receives the upstream gradient of its mean, divided by
# the number of entries averaged. In code: put the averaged axis back into
# $\partial L / \partial m$ with size 1 (`np.expand_dims(dL_dm, axis)`), broadcast to $x$'s
# shape, divide by the count. Put the axis back explicitly: numpy aligns shapes from the
# *last* axis, so without it a gradient of shape $(N,)$ for a mean over axis 1 of an
# $(N, M)$ array would be matched with the wrong axis (or, when $N = M$, silently
# mismatched). `axis` may be negative, counting from the end, as in numpy.
#
# **Exercise.** Write `mean_backward(dL_dm, x_shape, axis)`.

# %% nbgrader={"grade": false, "grade_id": "sol_mean_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mean_backward(dL_dm, x_shape, axis):
    """Gradient of m = x.mean(axis=axis) for x.

    Parameters
    ----------
    dL_dm : number or ndarray, the shape of m (x's shape without `axis`)
    x_shape : tuple or list of int, the shape of x
    axis : int (possibly negative) or None (the mean of every entry)

    Returns
    -------
    dL_dx : ndarray of shape x_shape
    """
    ### BEGIN SOLUTION
    x_shape = tuple(x_shape)
    g = np.asarray(dL_dm, dtype=float)
    if axis is None:
        count = int(np.prod(x_shape))
    else:
        count = x_shape[axis]
        g = np.expand_dims(g, axis)  # the averaged axis back, with size 1
    return np.broadcast_to(g, x_shape) / count  # each entry weighs 1/count in the mean
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mean_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("mean_backward", mean_backward)

# %% nbgrader={"grade": true, "grade_id": "test_mean_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: three axes, negative axes and square shapes.
### BEGIN HIDDEN TESTS
check("mean_backward", mean_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### The loss is a node too
#
# Softmax cross-entropy, averaged over the batch, maps scores $s$ of shape $(N, C)$ and
# integer labels to one number $L$. Lesson 4 derived its gradient
# $\partial L / \partial s = (\mathrm{softmax}(s) - \mathrm{onehot}) / N$. In an engine the
# loss is a node like the others, with an upstream gradient of its own,
# $\partial \mathcal{L} / \partial L$ (`dL_dL`): 1 when $L$ is the final loss, but
# $\lambda$ if you train on $\lambda L$, and 1 again for each of two losses you add. The
# rule multiplies by it, like every other rule:
#
# $$
# \frac{\partial \mathcal{L}}{\partial s} = \frac{\partial \mathcal{L}}{\partial L}
# \cdot \frac{\mathrm{softmax}(s) - \mathrm{onehot}}{N} .
# $$
#
# Keep it stable (subtract each row's largest score before `np.exp`, as in lesson 4), and
# build the one-hot rows from `C = scores.shape[1]`: a batch need not contain every class.
#
# **Exercise.** Write `cross_entropy_backward(dL_dL, scores, labels)`.

# %% nbgrader={"grade": false, "grade_id": "sol_cross_entropy_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cross_entropy_backward(dL_dL, scores, labels):
    """Gradient of the mean softmax cross-entropy for the scores.

    Parameters
    ----------
    dL_dL : number, the upstream gradient of the loss node
    scores : ndarray of shape (N, C)
    labels : int ndarray of shape (N,), values in 0..C-1

    Returns
    -------
    dL_dscores : ndarray of shape (N, C)
    """
    ### BEGIN SOLUTION
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))  # stable: largest entry 1
    p = e / e.sum(axis=1, keepdims=True)  # softmax, (N, C)
    p[np.arange(N), labels] -= 1  # p - onehot
    return dL_dL * p / N  # the upstream gradient times the local one
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_cross_entropy_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("cross_entropy_backward", cross_entropy_backward)

# %% nbgrader={"grade": true, "grade_id": "test_cross_entropy_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: large scores, a single example, batches without every class.
### BEGIN HIDDEN TESTS
check("cross_entropy_backward", cross_entropy_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The ReLU's rule is lesson 4's: $\partial L / \partial z = \partial L / \partial h \odot
# \mathbb{1}[z > 0]$, with ReLU$'(0) = 0$.
#
# ## 3. The engine
#
# Now the rules go where they belong: beside the forward computation. A `Tensor` holds
#
# * `data`: its value, an array;
# * `grad`: $\partial L / \partial (\text{this tensor})$, an array of the same shape,
#   zero until `backward()` fills it;
# * `_parents`: the tensors it was computed from, and `_op`, the operation's name;
# * `_backward`: a function of no arguments, the **backward rule**, which reads
#   `out.grad` and **adds** this node's share into each parent's `grad`.
#
# Each operation computes the new tensor's value and, right beside it, defines its
# `_backward` as a *closure*: a function defined inside the method, which remembers the
# method's variables (`self`, `other`, `out`) for later, when `backward()` calls it.
# Here is the addition, complete:
#
# ```python
#     def __add__(self, other):
#         other = other if isinstance(other, Tensor) else Tensor(other)
#         out = Tensor(self.data + other.data, (self, other), "+")
#
#         def _backward():
#             self.grad += unbroadcast(out.grad, self.data.shape)
#             other.grad += unbroadcast(out.grad, other.data.shape)
#
#         out._backward = _backward
#         return out
# ```
#
# Two details matter. The rule uses `+=`: a tensor used by several operations receives a
# share from each, and they must add up (part 4 shows what `=` does). And when the rule
# runs, `out.grad` must already be complete: `backward()` sees to that, by visiting the
# nodes in reverse topological order:
#
# 1. list every tensor the loss depends on, parents first (as in `topological_order`,
#    but following `_parents` from tensor to tensor; a tensor can be a key of a `set`);
# 2. set every `grad` in it to zeros, and the loss's own gradient to 1 (`np.ones_like`);
# 3. call `_backward()` of every tensor, in the reverse of that list.
#
# **Exercise.** Complete the class: `__matmul__` (`x @ W`), `relu`, `mean(axis=None)`,
# `cross_entropy(labels)` (the mean softmax cross-entropy of these scores: a tensor holding
# one number) and `backward`. Each rule is one you wrote in part 2: call your function, or
# write its line or two again. The tests of parts 4 and 5 use your class; the cells after
# it let you try it first.

# %% nbgrader={"grade": false, "grade_id": "engine_tensor", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Tensor:
    """A value in a computational graph: data, gradient, parents and backward rule."""

    def __init__(self, data, parents=(), op="", name=""):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self.name = name  # a label, for pictures
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None  # a leaf sends nothing on

    def __repr__(self):
        return f"Tensor({self.name or self._op or 'leaf'}, shape={self.data.shape})"

    @property
    def shape(self):
        return self.data.shape

    def __add__(self, other):
        other = other if isinstance(other, Tensor) else Tensor(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += unbroadcast(out.grad, self.data.shape)
            other.grad += unbroadcast(out.grad, other.data.shape)

        out._backward = _backward
        return out

    def __radd__(self, other):  # array + Tensor
        return Tensor(other) + self

    def __matmul__(self, other):
        """self @ other, for 2-D tensors."""
        ### BEGIN SOLUTION
        out = Tensor(self.data @ other.data, (self, other), "@")

        def _backward():
            self.grad += out.grad @ other.data.T  # (N, M_out)(M_out, M_in)
            other.grad += self.data.T @ out.grad  # (M_in, N)(N, M_out)

        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self):
        """max(self, 0), element-wise."""
        ### BEGIN SOLUTION
        out = Tensor(np.maximum(self.data, 0), (self,), "relu")

        def _backward():
            self.grad += out.grad * (self.data > 0)  # ReLU'(0) = 0

        out._backward = _backward
        return out
        ### END SOLUTION

    def mean(self, axis=None):
        """The mean over one axis, or over every entry (axis=None)."""
        ### BEGIN SOLUTION
        out = Tensor(self.data.mean(axis=axis), (self,), "mean")

        def _backward():
            count = self.data.size if axis is None else self.data.shape[axis]
            g = out.grad if axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(g, self.data.shape) / count

        out._backward = _backward
        return out
        ### END SOLUTION

    def cross_entropy(self, labels):
        """The mean softmax cross-entropy of these scores (N, C) for int labels (N,)."""
        ### BEGIN SOLUTION
        N = self.data.shape[0]
        shifted = self.data - self.data.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        out = Tensor(-log_p[np.arange(N), labels].mean(), (self,), "cross-entropy")

        def _backward():
            p = np.exp(log_p)
            p[np.arange(N), labels] -= 1  # p - onehot, (N, C)
            self.grad += out.grad * p / N

        out._backward = _backward
        return out
        ### END SOLUTION

    def backward(self):
        """Fill grad of every tensor this one depends on with dL/d(tensor), L = self."""
        ### BEGIN SOLUTION
        order, visited = [], set()

        def visit(t):
            if t not in visited:
                visited.add(t)
                for parent in t._parents:
                    visit(parent)
                order.append(t)  # after all of its parents

        visit(self)
        for t in order:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)  # dL/dL = 1
        for t in reversed(order):  # every child before its parents
            t._backward()
        ### END SOLUTION


# %% [markdown]
# Your engine on the worked example of part 1: the gradients should be the ones in the
# table, and $h$'s should be $0.5 = 1 - 0.5$.

# %%
x, w = Tensor([[1.5]], name="x"), Tensor([[2.0]], name="w")
b, v = Tensor([[-1.0]], name="b"), Tensor([[-0.5]], name="v")
a = x @ w
z = a + b
h = z.relu()
c = h @ v
y = c + h
L = y.mean()
a.name, z.name, h.name, c.name, y.name, L.name = "a", "z", "h", "c", "y", "L"
L.backward()
for t in (L, y, c, v, h, z, a, b, x, w):
    print(f"dL/d{t.name} = {t.grad.item():g}")

# %% [markdown]
# The same graph as a picture, drawn from your tensors (`trace` follows `_parents` from
# the loss, puts the nodes in the order of your `topological_order`, and runs your rules
# one at a time, in reverse, recording what each sends to each parent).
# Forward values are in grey inside the boxes, gradients below them in orange, and on
# every arrow the share of the gradient that travelled back along it. The box of $h$, used
# twice, is outlined: its gradient is the sum of the two shares on its outgoing arrows.

# %%
with course_style():
    draw_graph(trace(L, topological_order), title="forward values (grey) and gradients (orange)")
    plt.show()

# %% [markdown]
# ## 4. Fan-out: gradients add
#
# Why must the shares add? Take any value $h$ used by two operations, $u = f(h)$ and
# $c = g(h)$, and a loss that depends on $h$ only through them: $L = \ell(u, c)$. Move $h$
# by a small $\delta$. Then $u$ moves by $\frac{\partial u}{\partial h}\delta$ and $c$ by
# $\frac{\partial c}{\partial h}\delta$, and to first order
#
# $$
# \delta L = \frac{\partial \ell}{\partial u}\frac{\partial u}{\partial h}\delta +
# \frac{\partial \ell}{\partial c}\frac{\partial c}{\partial h}\delta
# \quad\Longrightarrow\quad
# \frac{\partial L}{\partial h} = \frac{\partial L}{\partial u}\frac{\partial u}{\partial h}
# + \frac{\partial L}{\partial c}\frac{\partial c}{\partial h} :
# $$
#
# the first-order changes along the two paths add, so their gradients add. (This is the
# chain rule of lesson 1 applied to $h \mapsto (u, c) \mapsto L$: the Jacobian of
# $h \mapsto (u, c)$ stacks the two Jacobians, and a row times a stack is a sum.)
#
# A residual block puts it to work. With $x$ of shape $(N, M)$, $W_1$ $(M, H)$, $b_1$
# $(H,)$, $W_2$ $(H, H)$, $b_2$ $(H,)$ and labels in $0..H-1$:
#
# $$
# h = \mathrm{relu}(x W_1 + b_1), \qquad y = h W_2 + b_2 + h, \qquad
# L = \text{cross-entropy}(y, \text{labels}),
# $$
#
# so $\partial L / \partial h = \partial L / \partial y \, W_2^\top + \partial L /
# \partial y$: the skip path carries the gradient to $h$ unchanged, whatever $W_2$ does to
# the other share (one reason why very deep residual networks still train).
#
# **Exercise.** Write `fan_out_gradient(x, params, labels)`: build the block with your
# `Tensor` exactly as written above (`h @ W2 + b2 + h`), call `backward()` on the loss,
# and return a dict with the gradients for `"x"`, `"W1"`, `"b1"`, `"W2"` and `"b2"`,
# as arrays (`tensor.grad`), not tensors. `params` holds `"W1"`, `"b1"`, `"W2"`, `"b2"`.

# %% nbgrader={"grade": false, "grade_id": "sol_fan_out_gradient", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fan_out_gradient(x, params, labels):
    """Gradients of the residual block's loss, computed by your engine.

    Parameters
    ----------
    x : ndarray of shape (N, M)
    params : dict with W1 (M, H), b1 (H,), W2 (H, H), b2 (H,)
    labels : int ndarray of shape (N,), values in 0..H-1

    Returns
    -------
    grads : dict with keys x, W1, b1, W2, b2: arrays of the shapes of those inputs
    """
    ### BEGIN SOLUTION
    t = {name: Tensor(value, name=name) for name, value in params.items()}
    t["x"] = Tensor(x, name="x")
    h = (t["x"] @ t["W1"] + t["b1"]).relu()
    y = h @ t["W2"] + t["b2"] + h  # h feeds two paths
    y.cross_entropy(labels).backward()
    return {name: t[name].grad for name in ("x", "W1", "b1", "W2", "b2")}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_fan_out_gradient", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("fan_out_gradient", fan_out_gradient)

# %% nbgrader={"grade": true, "grade_id": "test_fan_out_gradient_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a single example, square layers, other widths.
### BEGIN HIDDEN TESTS
check("fan_out_gradient", fan_out_gradient, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### What if the shares did not add?
#
# An engine that *assigns* a rule's result (`self.grad = ...`) instead of adding it keeps
# only the share of the last rule that reached a node. For the block, that is the share
# that came back through $W_2$; the skip path's share is lost. We can build that mistake
# on purpose with your engine: cut the skip path out of the backward pass by using a
# *copy* of $h$'s value there (a leaf, so nothing flows back through it). The forward
# values are the same; only the gradient changes. The gradient checker of lesson 2 tells
# the two apart.

# %%
rng = np.random.default_rng(0)
block = {"W1": rng.standard_normal((3, 4)) / 2, "b1": rng.standard_normal(4) / 2,
         "W2": rng.standard_normal((4, 4)) / 2, "b2": rng.standard_normal(4) / 2}
x_block, labels_block = rng.standard_normal((6, 3)), rng.integers(0, 4, size=6)


def block_loss(x, W1, b1, W2, b2):
    h = np.maximum(x @ W1 + b1, 0)
    y = h @ W2 + b2 + h
    shifted = y - y.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels_block)), labels_block].mean()


def one_path_gradient(x, params, labels):
    """The block's gradients with the skip path cut out of the backward pass."""
    t = {name: Tensor(value) for name, value in params.items()}
    t["x"] = Tensor(x)
    h = (t["x"] @ t["W1"] + t["b1"]).relu()
    y = h @ t["W2"] + t["b2"] + Tensor(h.data)  # same value, but a leaf: no path back
    y.cross_entropy(labels).backward()
    return {name: t[name].grad for name in ("x", "W1", "b1", "W2", "b2")}


point = {"x": x_block, **block}
for what, fn in (("both paths (your engine)", fan_out_gradient), ("one path only", one_path_gradient)):
    result = check_gradient(block_loss, point, fn(x_block, block, labels_block))
    print(f"{what:>25}: passed={result.passed}, max relative error {result.max_rel_error:.1e}")

# %% [markdown]
# The gradients of $W_2$ and $b_2$ are the same in both (they sit above the fan-out);
# everything below $h$ is wrong when one share is missing. The hidden tests of
# `fan_out_gradient` also catch the two other ways an engine loses a share: visiting the
# nodes breadth-first from the loss (then $h$'s rule can run before the share through
# $W_2$ has arrived), and a topological order without a visited set (then $h$'s rule runs
# twice).
#
# ## 5. Lesson 5's network, by the engine
#
# **Exercise.** Write `engine_gradients(x, params, labels)`: lesson 5's network ($K$ affine
# layers with a ReLU between consecutive ones and none after the last; $K$ is
# `len(params) // 2`) built with your `Tensor`, the mean softmax cross-entropy of its
# scores as the loss, and the gradients of every parameter as a dict with the keys of
# `params` (`"W1"`, `"b1"`, ..., `"WK"`, `"bK"`), as arrays. There is no backward code to
# write: that is the point.

# %% nbgrader={"grade": false, "grade_id": "sol_engine_gradients", "locked": false, "schema_version": 3, "solution": true, "task": false}
def engine_gradients(x, params, labels):
    """Gradients of lesson 5's network's loss for every parameter, by your engine.

    Parameters
    ----------
    x : ndarray of shape (N, M_0)
    params : dict with W1, b1, ..., WK, bK (Wk of shape (M_{k-1}, M_k), bk (M_k,))
    labels : int ndarray of shape (N,), values in 0..M_K-1

    Returns
    -------
    grads : dict with the keys of params, each an array of the shape of its parameter
    """
    ### BEGIN SOLUTION
    K = len(params) // 2
    t = {name: Tensor(value, name=name) for name, value in params.items()}
    h = Tensor(x, name="x")
    for k in range(1, K + 1):
        h = h @ t[f"W{k}"] + t[f"b{k}"]  # z^k
        if k < K:
            h = h.relu()  # x^{k+1}
    h.cross_entropy(labels).backward()
    return {name: t[name].grad for name in params}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_engine_gradients", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("engine_gradients", engine_gradients)

# %% nbgrader={"grade": true, "grade_id": "test_engine_gradients_hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other depths and widths, a single example, units on the ReLU kink.
### BEGIN HIDDEN TESTS
check("engine_gradients", engine_gradients, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your engine against lesson 5's hand-written backward pass (`mlp_forward` and
# `mlp_backward`, from the building blocks at the top) on a network for the spiral:

# %%
x_train, labels_train = spiral(n_per_class=100, n_classes=3, seed=0)


def hand_written(x, params, labels):
    """Lesson 5: mlp_forward, the loss and its gradient (p - onehot) / N, mlp_backward."""
    scores, cache = mlp_forward(x, params)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = len(labels)
    loss = -log_p[np.arange(N), labels].mean()
    dL_dscores = np.exp(log_p)
    dL_dscores[np.arange(N), labels] -= 1
    return loss, mlp_backward(dL_dscores / N, cache)


params = init_mlp([2, 64, 64, 3], seed=0)
_, by_hand = hand_written(x_train, params, labels_train)
by_engine = engine_gradients(x_train, params, labels_train)
for name in params:
    print(f"{name}: relative error, engine vs hand-written: "
          f"{rel_error(by_engine[name], by_hand[name]):.1e}")

# %% [markdown]
# And training with nothing but the engine, beside lesson 5's training with the
# hand-written backward pass, from the same start: the two loss curves lie on top of each
# other, and no backward pass was written for this network.

# %%
def network(x, t):
    """Lesson 5's network on tensors t = {"W1": Tensor, ...}: the scores, a Tensor."""
    K = len(t) // 2
    h = Tensor(x)
    for k in range(1, K + 1):
        h = h @ t[f"W{k}"] + t[f"b{k}"]
        if k < K:
            h = h.relu()
    return h


def train(gradients_of, steps=300, lr=0.5):
    """Full-batch gradient descent; gradients_of(params) -> (loss, grads)."""
    params = init_mlp([2, 64, 64, 3], seed=0)
    history = []
    for _ in range(steps):
        loss, grads = gradients_of(params)
        history.append(loss)
        for name in params:
            params[name] -= lr * grads[name]
    return history


def loss_and_grads_by_engine(params):
    t = {name: Tensor(value) for name, value in params.items()}
    loss = network(x_train, t).cross_entropy(labels_train)
    loss.backward()  # the whole backward pass
    return loss.data.item(), {name: t[name].grad for name in params}


def loss_and_grads_by_hand(params):
    return hand_written(x_train, params, labels_train)


with course_style():
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    plot_loss_curve(train(loss_and_grads_by_hand), ax=ax, label="lesson 5: hand-written backward")
    ax.get_lines()[-1].set(color=PALETTE[1], linewidth=4)
    ax.plot(train(loss_and_grads_by_engine), linestyle="--", color=PALETTE[4], label="your engine")
    ax.legend()
    ax.set_title("the spiral, sizes [2, 64, 64, 3], lr = 0.5")
    plt.show()

# %% [markdown]
# ## 6. One backward pass for any number of parameters
#
# Write the loss of a chain of operations as a composition,
# $L = f_K \circ \dots \circ f_1 (\theta)$ with $\theta \in \mathbb{R}^P$ all the
# parameters. By the chain rule its derivative is a product of Jacobians,
#
# $$
# \frac{dL}{d\theta} = \underbrace{J_K}_{1 \times n_{K-1}} \, J_{K-1} \cdots
# \underbrace{J_1}_{n_1 \times P} ,
# $$
#
# a $1 \times P$ row. The product can be evaluated from either end.
#
# * **Reverse mode** (what your engine does) starts from the left, from the loss: a row
#   times a matrix is a row, so every intermediate result is one gradient of one node's
#   shape, and one sweep back through the graph produces $\partial L / \partial \theta$
#   for every parameter at once. Each rule costs about as much as its forward operation.
# * **Forward mode** starts from the right: it pushes a *tangent*, the change of every
#   value when the inputs move in one direction $u$, forward along with the values
#   ($\dot z = \dot x W + x \dot W + \dot b$ for an affine layer). One pass gives one
#   directional derivative $\frac{dL}{d\theta} u$: one number. The whole gradient takes
#   $P$ passes, one per input direction $u = e_1, \dots, e_P$.
#
# The cell below measures it on lesson 5's network: forward mode, written out for this
# network, against one forward and backward pass of your engine, as the number of
# parameters grows (widths 4 to 32).

# %%
def forward_mode_slope(x, params, labels, tangent):
    """dL/dtheta . tangent by forward mode: values and tangents in one pass."""
    K = len(params) // 2
    h, dh = x, np.zeros_like(x)
    for k in range(1, K + 1):
        W, b, dW, db = params[f"W{k}"], params[f"b{k}"], tangent[f"W{k}"], tangent[f"b{k}"]
        z, dz = h @ W + b, dh @ W + h @ dW + db  # the product rule
        h, dh = (np.maximum(z, 0), dz * (z > 0)) if k < K else (z, dz)
    e = np.exp(h - h.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return float(np.sum(p / len(labels) * dh))  # the loss's derivative along the tangent


def forward_mode_gradient(x, params, labels):
    """The whole gradient by forward mode: one pass per parameter entry."""
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    for name, value in params.items():
        for index in np.ndindex(value.shape):
            tangent = {n: np.zeros_like(v) for n, v in params.items()}
            tangent[name][index] = 1.0
            grads[name][index] = forward_mode_slope(x, params, labels, tangent)
    return grads


def seconds(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


x_cost, labels_cost = spiral(n_per_class=30, n_classes=3, seed=1)
counts, t_forward, t_reverse = [], [], []
for width in (4, 8, 16, 32):
    net = init_mlp([2, width, width, 3], seed=1)
    counts.append(sum(v.size for v in net.values()))
    fwd = forward_mode_gradient(x_cost, net, labels_cost)
    rev = engine_gradients(x_cost, net, labels_cost)
    assert all(rel_error(fwd[n], rev[n]) < 1e-8 for n in net), "the two modes disagree"
    t_forward.append(seconds(lambda: forward_mode_gradient(x_cost, net, labels_cost), 1))
    t_reverse.append(seconds(lambda: engine_gradients(x_cost, net, labels_cost)))
    print(f"{counts[-1]:>4} parameters: forward mode {t_forward[-1] * 1e3:7.1f} ms, "
          f"reverse mode {t_reverse[-1] * 1e3:5.2f} ms")
with course_style():
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.loglog(counts, t_forward, marker="o", color=PALETTE[1],
              label="forward mode: one pass per parameter")
    ax.loglog(counts, t_reverse, marker="o", color=PALETTE[4],
              label="reverse mode (your engine): one backward pass")
    ax.set_title("the whole gradient of lesson 5's loss")
    ax.set_xlabel("number of parameters P")
    ax.set_ylabel("seconds for the whole gradient")
    ax.legend()
    plt.show()

# %% [markdown]
# ### Your turn: explain it (4 points, graded by hand)
#
# Answer in the cell below, in your own words, in about 8 to 12 sentences (formulas
# welcome):
#
# 1. Why does one backward pass give the gradient for *every* parameter, however many
#    there are, at a cost of a small multiple of one forward pass? Use the product of
#    Jacobians and say what each intermediate result of the backward pass is.
# 2. Why does forward mode need one pass per input to get the same gradient? What does
#    one forward-mode pass compute?
# 3. For a function $f: \mathbb{R}^n \to \mathbb{R}^m$, how many passes does each mode
#    need for the whole Jacobian? When is forward mode the better choice?
# 4. What does reverse mode pay for its speed, that forward mode does not? (Think of what
#    your `Tensor`s keep until `backward()` has run.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_reverse_mode", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.**
#
# 1. $dL/d\theta = J_K J_{K-1} \cdots J_1$ with $J_K$ a single row ($L$ is one number).
#    Reverse mode multiplies from the left: $J_K J_{K-1}$ is again a row, and so is every
#    partial product, $\partial L / \partial v$ for one intermediate node $v$, of $v$'s
#    shape. Each backward rule turns the row of a node into the rows of its parents at a
#    cost comparable to the node's forward operation (a VJP of a matrix product is two
#    matrix products of the same size), and the rows of all the parameters fall out of the
#    same sweep, since $\partial L / \partial v$ is shared by everything below $v$. So the
#    whole gradient costs one backward pass, a small constant (2 to 3) times the forward
#    pass, independent of $P$.
# 2. Forward mode multiplies from the right: $J_1 u$ is a column, the change of the first
#    values when $\theta$ moves along $u$, and each later factor maps it to the change of
#    the next values (a JVP). One pass yields one number, the directional derivative
#    $(dL/d\theta)\, u$. To get all $P$ entries of the gradient it must run once per basis
#    direction $u = e_i$: $P$ passes, each as expensive as a forward pass.
# 3. For $f: \mathbb{R}^n \to \mathbb{R}^m$ the Jacobian is $m \times n$. Reverse mode
#    computes one row per pass: $m$ passes; forward mode one column per pass: $n$ passes.
#    Forward mode wins when $n < m$: few inputs, many outputs (e.g. the sensitivity of a
#    whole trajectory to one parameter, or Jacobian-vector products inside second-order
#    methods). For training, $m = 1$ and $n = P$ is huge: reverse mode.
# 4. Memory: the backward rules read the forward values (the inputs of every matrix
#    product, every ReLU's input), so reverse mode must keep the whole graph with its
#    intermediate values until the backward pass has used them; memory grows with the
#    number of nodes (and the batch size). Forward mode carries each tangent along with
#    its value and can forget both as soon as the next operation has used them.
#
# **Marking guide (4 points).**
#
# * 1 point: the Jacobian product evaluated from the loss side: every intermediate is a
#   row / a gradient of a node's shape, shared by all the parameters below it, one sweep,
#   cost a constant times the forward pass (0.5 if the "shared, one sweep" argument is
#   there but the cost is not tied to the forward pass).
# * 1 point: forward mode propagates one tangent (a JVP, from the input side) and yields
#   one directional derivative per pass, hence $P$ passes for the gradient.
# * 1 point: $m$ passes for reverse, $n$ for forward, for an $m \times n$ Jacobian; forward
#   mode better when inputs are few and outputs many (0.5 for either half).
# * 1 point: reverse mode stores the forward values (the graph) until backward; forward
#   mode needs no such storage.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# * A computation is a graph: every value records its **parents** and the **operation**
#   that made it. A topological order lists every node after its parents.
# * The backward pass visits the nodes in the **reverse** topological order, so that a
#   node's gradient is complete (every child has sent its share) before its own rule runs.
# * Each operation's rule is a vector-Jacobian product, written beside its forward: matmul
#   ($\partial L/\partial z\, W^\top$, $x^\top \partial L/\partial z$), ReLU (the mask),
#   mean (spread and divide), the loss (times the upstream gradient), and **broadcasting**:
#   sum the gradient back over the prepended and the stretched axes.
# * Where a value feeds several operations, the shares **add** (`+=`, never `=`): the
#   chain rule through every path.
# * One backward pass gives the gradient of one output for *all* inputs; forward mode
#   gives the derivative of all outputs along *one* input direction. For a scalar loss and
#   millions of parameters, reverse mode wins, paid for in memory.
#
# ## Going further
#
# * Add `__mul__`, `exp`, `log` and `sum` to your `Tensor`, and write softmax
#   cross-entropy from them instead of as one node. Does the gradient agree? Which is
#   more stable for scores near 1000?
# * `backward()` visits nodes recursively. A chain of 5,000 operations would exceed
#   Python's recursion limit: rewrite the topological sort with an explicit stack.
# * PyTorch's `torch.no_grad()` stops recording parents. Why does evaluation on a test set
#   use it, and what would it save in memory?
# * Call `backward()` on the *gradient*: higher derivatives need the backward rules
#   themselves to be built from `Tensor` operations. What would have to change?
# * Time `engine_gradients` against lesson 5's `mlp_backward` for a large batch. Where
#   does the engine's overhead come from, and when does it stop mattering?
