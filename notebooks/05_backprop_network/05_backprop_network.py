# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 5: Backpropagation through a network
# *The chain rule through a whole network, from the loss side, with a cache*
#
# In lessons 3 and 4 you took single layers apart: the affine layer $y = xW + b$, the
# activations and the losses, each with a `forward` and a `backward`. This lesson puts
# them together. A network is a chain of layers, its loss is a composition of functions,
# and the chain rule tells us how to differentiate it. The interesting part is not the
# rule but the **bookkeeping**: in which order to multiply the factors, and what the
# forward pass has to leave behind so that the backward pass can evaluate them. Get those
# two right and you have backpropagation, the algorithm behind every deep-learning
# library. At the end of the lesson your own code trains a network on a data set that
# no straight line can separate.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. write the gradient of the loss with respect to any layer's weights as a product of
#    derivatives, and explain why backpropagation multiplies it **from the loss side**;
# 2. say what the forward pass must **cache** for the backward pass, and how big that
#    cache is;
# 3. implement `mlp_forward` and `mlp_backward` for a network of any depth $K \ge 1$,
#    built from the layer functions of lessons 3 and 4;
# 4. check a whole network's gradients with finite differences, and recognise an entry
#    that sits on a ReLU kink;
# 5. train the network with gradient descent (`sgd_step`) and read its loss curve and
#    decision boundary.
#
# ## What is graded
#
# Four functions, graded automatically, and one written explanation, graded by hand.
# Expect about two and a half hours.
#
# | part | graded | points |
# | --- | --- | --- |
# | 2. The chain rule through the whole network | written: why backward runs in reverse, and what it caches | 4 by hand |
# | 3. How big is the cache? | `cache_size` | 1 + 1 hidden |
# | 4. The forward pass | `mlp_forward` | 2 + 2 hidden |
# | 5. The backward pass | `mlp_backward` | 3 + 3 hidden |
# | 7. One step of gradient descent | `sgd_step` | 1 + 1 hidden |
# | total | 4 functions, 1 written answer | 14 + 4 by hand |
#
# Each function has a visible test cell (run it as often as you like; when it fails it
# tells you what looks wrong) and a hidden one with other shapes and seeds. Your functions
# are graded on fresh inputs, outside this notebook, so they must only use `numpy`,
# `math` and the functions defined in this notebook.

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
import matplotlib.pyplot as plt
import numpy as np

from backprop_kit import check
from backprop_kit.data import spiral
from backprop_kit.gradcheck import check_gradient
from backprop_kit.params import init_mlp
from backprop_kit.plots import course_style, plot_decision_boundary, plot_loss_curve

# %% [markdown]
# ## 1. The network
#
# Our network has $K$ layers. Layer $l$ is an affine map followed by a ReLU, except the
# last, which has no ReLU. For a batch $x \in \mathbb{R}^{N \times M^0}$ of $N$ examples,
#
# $$
# x^1 = x, \qquad
# z^l = x^l W^l + b^l \quad (l = 1, \dots, K), \qquad
# x^{l+1} = y^l = \mathrm{relu}(z^l) \quad (l < K), \qquad
# \text{scores} = y^K = z^K ,
# $$
#
# followed by a loss $L(z^K)$, here softmax cross-entropy. The widths of the layers are
# $M^0, M^1, \dots, M^K$, and the course's shape conventions give
#
# | quantity | shape | |
# | --- | --- | --- |
# | $x^l$ | $N \times M^{l-1}$ | the input of layer $l$ |
# | $W^l$ | $M^{l-1} \times M^l$ | |
# | $b^l$ | $M^l$ | added to every row |
# | $z^l$ | $N \times M^l$ | the pre-activation; $z^K$ are the scores |
#
# This is the course notation with $y^l = y^l(x^l; W^l) = \mathrm{relu}(x^l W^l + b^l)$:
# the pre-activation $z^l$ gets its own letter because the backward pass needs it (for the
# ReLU's mask), and $x^l$ always means "the input of layer $l$". The code's docstrings
# write the widths $M^l$ as `M_l` (no superscripts in code) and use `k` for the layer
# number.
#
# The parameters live in a dict: `params = {"W1": ..., "b1": ..., ..., "WK": ..., "bK": ...}`.
# Nothing else tells you the depth: $K$ is `len(params) // 2`.
#
# ### Warm-up: predict the shapes
#
# Take `sizes = [2, 64, 64, 3]` (two input features, two hidden layers of 64 units, three
# classes) and a batch of $N = 300$. Before you run the next cell, write down:
#
# 1. $K$, and the shapes of $W^2$, $b^3$, $z^2$ and $x^3$;
# 2. the shape of $\partial L / \partial z^1$ as the code stores it;
# 3. the shape of the derivative tensor $\partial z^2 / \partial W^1$ (lesson 3: one axis
#    per index of $z^2$, then one per index of $W^1$).
#
# <details><summary>Answers</summary>
#
# 1. $K = 3$; $W^2$ is $64 \times 64$, $b^3$ has 3 entries, $z^2$ and $x^3$ are
#    $300 \times 64$.
# 2. $300 \times 64$, the shape of $z^1$: in code a gradient has the shape of its variable.
# 3. $(300, 64, 2, 64)$: $N \cdot M^2 \cdot M^0 \cdot M^1 = 2{,}457{,}600$ numbers, for a
#    network with only 4,547 parameters. Keep this number in mind for part 2.
# </details>

# %%
params_demo = init_mlp([2, 64, 64, 3], seed=0)
for name, value in params_demo.items():
    print(f"{name}: {value.shape}")
print("K =", len(params_demo) // 2, "  parameters:", sum(v.size for v in params_demo.values()))

# %% [markdown]
# ## The building blocks (provided)
#
# These are the layer functions of lessons 3 and 4, in plain numpy. The cell is locked:
# your `mlp_forward` and `mlp_backward` should call these functions rather than repeat
# their formulas. Each `backward` takes the upstream gradient (the shape of the layer's
# output) and what the layer saw in its forward pass, and returns gradients with the
# shapes of the layer's inputs.

# %% nbgrader={"grade": false, "grade_id": "provided_layers", "locked": true, "schema_version": 3, "solution": false, "task": false} building_blocks=["03_linear_layer", "04_activations_losses"]
def linear_forward(x, W, b):
    """Affine layer z = x W + b: x (N, M_in), W (M_in, M_out), b (M_out,) -> z (N, M_out)."""
    return x @ W + b


def linear_backward(dL_dz, x, W):
    """Gradients of z = x W + b, given dL_dz (N, M_out) and the forward pass's x and W.

    Returns dL_dx (N, M_in), dL_dW (M_in, M_out), dL_db (M_out,).
    """
    dL_dx = dL_dz @ W.T  # (N, M_out) @ (M_out, M_in)
    dL_dW = x.T @ dL_dz  # (M_in, N) @ (N, M_out)
    dL_db = dL_dz.sum(axis=0)  # every row of z received b
    return dL_dx, dL_dW, dL_db


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
# ## 2. The chain rule through the whole network
#
# Recall the chain rule of lesson 1: for $f: \mathbb{R}^n \to \mathbb{R}^m$ and
# $g: \mathbb{R}^m \to \mathbb{R}^l$,
# $\frac{d(g \circ f)}{dx}(x_0) = \frac{dg}{dy}\big(f(x_0)\big) \cdot \frac{df}{dx}(x_0)$,
# a $l \times n$ matrix; the outer derivative is evaluated where the inner function
# landed. Lessons 3 and 4 applied it to one layer $y^l = y^l(x^l; W^l)$:
#
# $$
# \frac{\partial L}{\partial W^l} = \frac{\partial L}{\partial y^l} \cdot \frac{\partial y^l}{\partial W^l},
# \qquad
# \frac{\partial L}{\partial x^l} = \frac{\partial L}{\partial y^l} \cdot \frac{\partial y^l}{\partial x^l}.
# $$
#
# In a network the output of one layer is the input of the next, $x^{l+1} = y^l$, so
# $\partial L / \partial y^l = \partial L / \partial x^{l+1}$: what a layer's backward
# returns is the upstream gradient of the layer below it. Unroll that for $K = 3$ and the
# gradient for the first layer's weights: $W^1$ influences the loss only through $z^1$,
# which influences it only through $x^2$, and so on up the chain, so the chain rule gives
# one product:
#
# $$
# \frac{\partial L}{\partial W^1}
# = \frac{\partial L}{\partial z^3}
#   \cdot \frac{\partial z^3}{\partial x^3}
#   \cdot \frac{\partial x^3}{\partial z^2}
#   \cdot \frac{\partial z^2}{\partial x^2}
#   \cdot \frac{\partial x^2}{\partial z^1}
#   \cdot \frac{\partial z^1}{\partial W^1} .
# $$
#
# Each factor is a derivative you met in lessons 3 and 4, **evaluated at the point the
# forward pass went through**:
#
# * $\partial z^l / \partial x^l$ is the affine layer's derivative: applying it to an
#   upstream gradient multiplies by $(W^l)^\top$, so it needs $W^l$;
# * $\partial x^{l+1} / \partial z^l$ is the ReLU's diagonal derivative: the mask
#   $\mathbb{1}[z^l > 0]$, so it needs $z^l$;
# * $\partial z^l / \partial W^l$ is the 4-index tensor of lesson 3: applying it gives
#   $(x^l)^\top \cdot (\text{upstream gradient})$, so it needs $x^l$.
#
# The "$\cdot$" are tensor contractions, and every one of them must be dimensionally
# consistent: the axes of $z^3$ at the end of $\partial L / \partial z^3$ meet the axes of
# $z^3$ at the front of $\partial z^3 / \partial x^3$, and so on. Flattened,
# $\partial L / \partial z^l$ is a $1 \times N M^l$ Jacobian (a row); indexed like $z^l$,
# as the code stores it, it is an $N \times M^l$ array.
#
# ### In which order to multiply?
#
# The product is associative, so any order gives the same answer. The costs differ
# enormously.
#
# * **From the right** (the order the forward pass runs in): start with
#   $\partial z^1 / \partial W^1$, of shape $(N, M^1, M^0, M^1)$, and push it up
#   through the layers. Every intermediate result, $\partial z^l / \partial W^1$, has the
#   axes of an activation *and* of $W^1$: for the warm-up network that is 2.5 million
#   numbers, and a different tensor for every parameter you want. For $W^2$ the first
#   factor alone has $300 \cdot 64 \cdot 64 \cdot 64 \approx 79$ million entries.
# * **From the left** (the loss side): start with $\partial L / \partial z^3$, the shape
#   of $z^3$. Contracting it with one layer's derivative gives $\partial L / \partial x^3$,
#   again the shape of an activation, then $\partial L / \partial z^2$, and so on. Every
#   intermediate result is one gradient of the shape of one activation, and
#   $\partial L / \partial z^l$ is the common prefix of the products for
#   $W^l, b^l$ *and every parameter below layer $l$*: compute it once, use it for all of
#   them.
#
# That is backpropagation: evaluate the chain rule from the loss side, layer by layer,
# reusing each prefix. Written with the compact rules of lessons 3 and 4, one step of the
# recursion per affine layer, starting from $\partial L / \partial z^K$ (the gradient the
# loss returns):
#
# $$
# \begin{aligned}
# \frac{\partial L}{\partial W^l} &= (x^l)^\top \frac{\partial L}{\partial z^l}
#   && (M^{l-1} \times N)(N \times M^l) \\
# \frac{\partial L}{\partial b^l} &= \textstyle\sum_n \left(\frac{\partial L}{\partial z^l}\right)_{n,:}
#   && \text{a sum over the batch} \\
# \frac{\partial L}{\partial x^l} &= \frac{\partial L}{\partial z^l} (W^l)^\top
#   && (N \times M^l)(M^l \times M^{l-1}) \\
# \frac{\partial L}{\partial z^{l-1}} &= \frac{\partial L}{\partial x^l} \odot \mathbb{1}[z^{l-1} > 0]
#   && \text{only for } l > 1
# \end{aligned}
# $$
#
# for $l = K, K-1, \dots, 1$. (For $l = 1$ you may skip $\partial L / \partial x^1$: the
# data is not a parameter.)
#
# The next cell counts the numbers each order has to hold for the warm-up network.

# %%
sizes, N = [2, 64, 64, 3], 300
# From the right, for W^1: the largest intermediate is dz^l/dW^1, axes (N, M_l, M_0, M_1).
right = max(N * M_l * sizes[0] * sizes[1] for M_l in sizes[1:])
# From the left: the largest intermediate is one gradient dL/dz^l, of shape (N, M_l).
left = max(N * M_l for M_l in sizes[1:])
print(f"largest intermediate from the right (for W^1 alone): {right:>10,} numbers")
print(f"largest intermediate from the left (for all W, b):   {left:>10,} numbers")

# %% [markdown]
# ### A worked example by hand
#
# One example ($N = 1$), one input, two hidden units, one output: `sizes = [1, 2, 1]`,
#
# $$
# x = [1], \quad W^1 = \begin{bmatrix} 1 & -1 \end{bmatrix}, \quad b^1 = [0,\ 0.5], \quad
# W^2 = \begin{bmatrix} 2 \\ 3 \end{bmatrix}, \quad b^2 = [0],
# $$
#
# and, to keep the numbers small, the loss is the score itself, $L = z^2$, so
# $\partial L / \partial z^2 = [1]$.
#
# | forward | | backward | |
# | --- | --- | --- | --- |
# | $z^1 = x W^1 + b^1$ | $[1,\ -0.5]$ | $\partial L/\partial W^2 = (x^2)^\top [1]$ | $\begin{bmatrix} 1 \\ 0 \end{bmatrix}$ |
# | $x^2 = \mathrm{relu}(z^1)$ | $[1,\ 0]$ | $\partial L/\partial b^2$ | $[1]$ |
# | $z^2 = x^2 W^2 + b^2$ | $[2]$ | $\partial L/\partial x^2 = [1] (W^2)^\top$ | $[2,\ 3]$ |
# | | | $\partial L/\partial z^1 = [2,\ 3] \odot \mathbb{1}[z^1 > 0]$ | $[2,\ 0]$ |
# | | | $\partial L/\partial W^1 = x^\top [2,\ 0]$ | $[2,\ 0]$ |
# | | | $\partial L/\partial b^1$ | $[2,\ 0]$ |
#
# Check it by thinking: raising $W^1_{11}$ by $\varepsilon$ raises $z^1_1$ by
# $\varepsilon$, which passes the ReLU and raises $L$ by $2\varepsilon$. The second
# hidden unit is off ($z^1_2 < 0$), so nothing that feeds it can change the loss: its
# weight and bias get zero gradient, even though $W^2_{21} = 3$ is large. Notice what the
# backward column read from the forward column: $x^2$ for $\partial L/\partial W^2$,
# $W^2$ for $\partial L/\partial x^2$, $z^1$ for the mask, $x$ for $\partial L/\partial W^1$.

# %% [markdown]
# ### The same network as a computational graph
#
# The table hides one thing the chain rule does: where a value feeds several operations,
# the gradients that come back along those paths **add**. Below is the worked example's
# network drawn one number per node, at $x = 0.25$, where both hidden units are on. Arrows
# run forward, left to right; each box holds a node's forward value (grey) and, below it,
# its gradient $\partial L/\partial(\text{node})$ (vermillion); on each arrow, in
# vermillion, is the share of the gradient that travelled back along it. The input $x$
# feeds both hidden units (its box is vermillion): its gradient is the sum of the two
# shares that meet there, $1 \cdot 2 + (-1) \cdot 3 = -1$. In a batch the same happens to
# every weight, which is used by every example: that is the sum over $n$ in
# $(x^l)^\top \frac{\partial L}{\partial z^l}$.

# %%
from backprop_kit.graphs import Graph, draw_graph

x_g = 0.25
# the worked example's parameters: W^1 (1 x 2), b^1 (2,), W^2 (2 x 1) as a vector, b^2
w1, c1, w2, c2 = np.array([1.0, -1.0]), np.array([0.0, 0.5]), np.array([2.0, 3.0]), 0.0
z_g = x_g * w1 + c1  # the two pre-activations z^1_j
h_g = np.maximum(z_g, 0)  # the hidden values x^2_j = relu(z^1_j)
L_g = h_g @ w2 + c2  # the score, used as the loss
dL_dh = w2  # dL/dx^2_j = W^2_j1
dL_dz = dL_dh * (z_g > 0)  # through the ReLU's mask
# nodes in forward order: name, operation, parents, value, gradient
nodes = [
    ("$x$", "", [], x_g, dL_dz @ w1),
    ("$W^1_{11}$", "", [], w1[0], x_g * dL_dz[0]),
    ("$W^1_{12}$", "", [], w1[1], x_g * dL_dz[1]),
    ("$b^1_1$", "", [], c1[0], dL_dz[0]),
    ("$b^1_2$", "", [], c1[1], dL_dz[1]),
    ("$z^1_1$", "xw + b", [0, 1, 3], z_g[0], dL_dz[0]),
    ("$z^1_2$", "xw + b", [0, 2, 4], z_g[1], dL_dz[1]),
    ("$x^2_1$", "relu", [5], h_g[0], dL_dh[0]),
    ("$x^2_2$", "relu", [6], h_g[1], dL_dh[1]),
    ("$W^2_{11}$", "", [], w2[0], h_g[0]),
    ("$W^2_{21}$", "", [], w2[1], h_g[1]),
    ("$b^2_1$", "", [], c2, 1.0),
    ("$L = z^2$", "xw + b", [7, 9, 8, 10, 11], L_g, 1.0),
]
# the share of dL/d(child) that each child's backward rule sends to each parent
shares = {
    (5, 0): w1[0] * dL_dz[0], (5, 1): x_g * dL_dz[0], (5, 3): dL_dz[0],
    (6, 0): w1[1] * dL_dz[1], (6, 2): x_g * dL_dz[1], (6, 4): dL_dz[1],
    (7, 5): dL_dz[0], (8, 6): dL_dz[1],
    (12, 7): w2[0], (12, 9): h_g[0], (12, 8): w2[1], (12, 10): h_g[1], (12, 11): 1.0,
}
graph = Graph(
    labels=[n[0] for n in nodes],
    ops=[n[1] for n in nodes],
    parents=[n[2] for n in nodes],
    values=[np.array(n[3], dtype=float) for n in nodes],
    grads=[np.array(n[4], dtype=float) for n in nodes],
    shares={key: np.array(value, dtype=float) for key, value in shares.items()},
)
draw_graph(graph, title="forward values (grey) and gradients (vermillion), x = 0.25")
plt.show()

# %% [markdown]
# ### Your turn: explain it (4 points, graded by hand)
#
# Answer in the cell below, in your own words, in about 8 to 12 sentences (formulas
# welcome):
#
# 1. Why must the backward pass visit the layers in reverse order, $l = K, \dots, 1$?
#    Give two reasons: what each step needs from the previous one, and what it would cost
#    to go the other way.
# 2. List what the forward pass must cache for each layer so that the backward pass can
#    run without `params` and without recomputing anything, and for each item say which
#    line of the recursion uses it.
# 3. For ReLU, the mask can be read from $z^{l-1}$ or from $x^l = \mathrm{relu}(z^{l-1})$.
#    Why do both work? If the activation were the sigmoid $\sigma$ instead, what would you
#    cache, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_backward_order", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.**
#
# 1. *Dependency.* The recursion computes $\partial L/\partial z^{l-1}$ from
#    $\partial L/\partial x^l$, which comes from $\partial L/\partial z^l$: the gradient at
#    a layer's output is only known once every layer above it has been processed, starting
#    from $\partial L/\partial z^K$, which the loss gives us. So the order is forced:
#    $K, K-1, \dots, 1$. *Cost.* The chain rule product could be evaluated from the
#    parameter side instead, but then each intermediate result is a tensor
#    $\partial z^j/\partial W^l$ with the axes of an activation and of $W^l$ (millions of
#    numbers for a small net), and a separate one for every parameter. From the loss side
#    each intermediate is a single gradient of an activation's shape, $N \times M^l$, and
#    $\partial L/\partial z^l$ is shared by all the parameters at or below layer $l$:
#    computed once, reused by all (dynamic programming). One backward pass costs about as
#    much as one forward pass.
# 2. For affine layer $l$: its input $x^l$ (used in $\partial L/\partial W^l =
#    (x^l)^\top \partial L/\partial z^l$); its weights $W^l$ (used in
#    $\partial L/\partial x^l = \partial L/\partial z^l (W^l)^\top$; a reference, not a
#    copy); for each hidden layer $l < K$ its pre-activation $z^l$ (used in the mask
#    $\mathbb{1}[z^l > 0]$ that turns $\partial L/\partial x^{l+1}$ into
#    $\partial L/\partial z^l$). The bias is not needed: $\partial L/\partial b^l$ only
#    sums $\partial L/\partial z^l$. Neither are the scores: the loss already turned them
#    into $\partial L/\partial z^K$.
# 3. $\mathrm{relu}(z)$ is positive exactly where $z$ is positive (and 0 elsewhere), so
#    $\mathbb{1}[z > 0] = \mathbb{1}[\mathrm{relu}(z) > 0]$. (That is why $z^l$ is
#    redundant: $x^{l+1}$ is cached anyway as the next layer's input.) For the sigmoid,
#    $\sigma'(z) = \sigma(z)(1 - \sigma(z))$ can be computed from the output
#    $s = \sigma(z)$ alone, so caching the output $s$ is enough, and cheaper than
#    recomputing $\sigma$ from a cached $z$; caching $z$ and recomputing also works.
#
# **Marking guide (4 points).**
#
# * 1 point: the dependency, $\partial L/\partial z^{l-1}$ needs $\partial L/\partial z^l$
#   (or "the upstream gradient comes from the layer above"), starting at the loss.
# * 1 point: the cost argument, either the sizes of the intermediate tensors from the
#   parameter side or the reuse of $\partial L/\partial z^l$ by every parameter below
#   (either is enough for the point).
# * 1 point: $x^l$ for $\partial L/\partial W^l$, $W^l$ for $\partial L/\partial x^l$,
#   $z^l$ (or $x^{l+1}$) for the mask, each tied to its use (half a point if the items
#   are right but not tied to their uses; none if a needed item is missing).
# * 1 point: ReLU masks agree because relu keeps the sign pattern (0.5); sigmoid: cache
#   the output, since $\sigma' = s(1 - s)$, or $z$ with a recomputation (0.5).
# ### END SOLUTION

# %% [markdown]
# ## 3. How big is the cache?
#
# The forward pass of our design keeps, for every affine layer $l = 1, \dots, K$, its
# input $x^l$, and for every hidden layer $l = 1, \dots, K-1$, its pre-activation $z^l$.
# It also keeps the weights $W^l$, but those are references to the arrays in `params`,
# not copies, so they cost no extra memory.
#
# **Exercise.** Write `cache_size(sizes, N)`: the number of floats in the cached
# activations ($x^l$ and $z^l$, not the weights) for a network with widths
# `sizes = [M_0, ..., M_K]` and a batch of `N` examples. Work it out on paper first,
# then write it as a formula; it fits on one line. If your `mlp_forward` of part 4 keeps
# more (or keeps one array under two names), count what it keeps, each array once: the
# tests of `cache_size` come after part 4 and compare with what your own `mlp_forward`
# caches.

# %% nbgrader={"grade": false, "grade_id": "sol_cache_size", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cache_size(sizes, N):
    """Number of floats in the cached x^k (k = 1..K) and z^k (k = 1..K-1).

    Parameters
    ----------
    sizes : list of int, the widths [M_0, M_1, ..., M_K] (K >= 1)
    N : int, the batch size

    Returns
    -------
    int
    """
    ### BEGIN SOLUTION
    # x^k is N x M_{k-1} for k = 1..K; z^k is N x M_k for k = 1..K-1
    return N * (sum(sizes[:-1]) + sum(sizes[1:-1]))
    ### END SOLUTION


# %% [markdown]
# ## 4. The forward pass
#
# **Exercise.** Write `mlp_forward(x, params)`. It returns the scores $z^K$ and the
# cache of part 3 as a dict of lists: `cache["x"]` the inputs $x^1, \dots, x^K$,
# `cache["z"]` the pre-activations $z^1, \dots, z^{K-1}$, `cache["W"]` the weights
# $W^1, \dots, W^K$ (add keys of your own if you like). `mlp_backward` reads this layout:
# its tests hand it the cache of a correct forward pass, so each function is graded on
# its own. Use `linear_forward` and `relu_forward`.
#
# Three things to get right: read $K$ from `params` (the tests use $K = 1, 2, 3, 4$); no
# ReLU after the last layer (scores may be negative, the softmax needs them as they are);
# and do not modify `x` or `params`.

# %% nbgrader={"grade": false, "grade_id": "sol_mlp_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mlp_forward(x, params):
    """Scores of the network for a batch, and the cache for mlp_backward.

    Parameters
    ----------
    x : ndarray of shape (N, M_0)
    params : dict with keys W1, b1, ..., WK, bK; Wk of shape (M_{k-1}, M_k), bk (M_k,)

    Returns
    -------
    scores : ndarray of shape (N, M_K), the output z^K of the last affine layer
    cache : dict with the lists "x" (x^1..x^K), "z" (z^1..z^(K-1)) and "W" (W^1..W^K)
    """
    ### BEGIN SOLUTION
    K = len(params) // 2
    cache = {"x": [], "z": [], "W": []}  # x^k (k = 1..K), z^k (k = 1..K-1), W^k (k = 1..K)
    h = x
    for k in range(1, K + 1):
        W = params[f"W{k}"]
        cache["x"].append(h)  # x^k, (N, M_{k-1}): dL/dW^k needs it
        cache["W"].append(W)  # W^k, a reference: dL/dx^k needs it
        z = linear_forward(h, W, params[f"b{k}"])  # z^k, (N, M_k)
        if k < K:
            cache["z"].append(z)  # the mask of the ReLU after layer k needs it
            h = relu_forward(z)  # x^{k+1}
    return z, cache
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mlp_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("mlp_forward", mlp_forward)

# %% nbgrader={"grade": true, "grade_id": "test_mlp_forward_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other depths (K = 1 to 4), widths, batch sizes and seeds.
### BEGIN HIDDEN TESTS
check("mlp_forward", mlp_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The tests of `cache_size` (part 3): your `cache_size` against what your `mlp_forward`
# caches.

# %% nbgrader={"grade": true, "grade_id": "test_cache_size", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("cache_size", cache_size, mlp_forward=mlp_forward)

# %% nbgrader={"grade": true, "grade_id": "test_cache_size_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other depths, widths and batch sizes.
### BEGIN HIDDEN TESTS
check("cache_size", cache_size, mlp_forward=mlp_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Back to part 3's question, now that `cache_size` is tested: the parameters of a network
# do not depend on the batch, the cache grows linearly with $N$. Which one dominates
# training memory for the warm-up network? Run the cell.

# %%
n_params = sum(v.size for v in params_demo.values())
for batch in (1, 32, 300, 4096):
    print(f"N = {batch:>4}: cache {cache_size([2, 64, 64, 3], batch):>9,} floats, "
          f"parameters {n_params:,}")

# %% [markdown]
# From a batch of a few dozen examples on, the activations outweigh the weights. This is
# one reason why training needs far more memory than using a trained network: a
# prediction can forget each activation as soon as the next layer has read it, training
# must keep them all until the backward pass comes back down.

# %% [markdown]
# ## 5. The backward pass
#
# **Exercise.** Write `mlp_backward(dL_dscores, cache)`: run the recursion of part 2 from
# $l = K$ down to $l = 1$ and return a dict `grads` with the same keys as `params`
# (`"W1"`, `"b1"`, ..., `"WK"`, `"bK"`), each gradient the shape of its parameter. Use
# `linear_backward` and `relu_backward`; the cache must tell you $K$, since `params` is not
# an argument.
#
# The visible tests check, in this order: that you return a dict with the right keys, the
# shapes, the values against a reference implementation (naming the mistake when it
# recognises one), and finally your gradients against finite differences of the
# network's output, which needs no reference at all. They hand your `mlp_backward` the
# cache of a correct forward pass, in the layout of part 4 (training will hand it your
# own `mlp_forward`'s cache).

# %% nbgrader={"grade": false, "grade_id": "sol_mlp_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mlp_backward(dL_dscores, cache):
    """Gradients of the loss for every parameter, from dL/dscores.

    Parameters
    ----------
    dL_dscores : ndarray of shape (N, M_K), the gradient of the loss for the scores z^K
    cache : what your mlp_forward returned

    Returns
    -------
    grads : dict with keys W1, b1, ..., WK, bK, each of the shape of its parameter
    """
    ### BEGIN SOLUTION
    K = len(cache["W"])
    grads = {}
    dL_dz = dL_dscores  # dL/dz^K, (N, M_K)
    for k in range(K, 0, -1):
        dL_dx, grads[f"W{k}"], grads[f"b{k}"] = linear_backward(
            dL_dz, cache["x"][k - 1], cache["W"][k - 1]
        )  # dL/dx^k (N, M_{k-1}), dL/dW^k (M_{k-1}, M_k), dL/db^k (M_k,)
        if k > 1:
            dL_dz = relu_backward(dL_dx, cache["z"][k - 2])  # dL/dz^{k-1}, (N, M_{k-1})
    return grads
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mlp_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("mlp_backward", mlp_backward)

# %% nbgrader={"grade": true, "grade_id": "test_mlp_backward_hidden", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other depths, widths and seeds, against the reference and finite differences.
### BEGIN HIDDEN TESTS
check("mlp_backward", mlp_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# Your code on the worked example of part 2: the gradients should be the ones in the
# table, with zeros for everything that feeds the switched-off unit.

# %%
tiny = {
    "W1": np.array([[1.0, -1.0]]),
    "b1": np.array([0.0, 0.5]),
    "W2": np.array([[2.0], [3.0]]),
    "b2": np.array([0.0]),
}
tiny_scores, tiny_cache = mlp_forward(np.array([[1.0]]), tiny)
print("scores:", tiny_scores)
for name, g in mlp_backward(np.array([[1.0]]), tiny_cache).items():
    print(f"dL/d{name} = {g.ravel()}")

# %% [markdown]
# ## 6. Checking the whole network
#
# The tests compared your gradients with finite differences of the network's output. You
# can do the same for the real loss with `check_gradient` (lesson 2). It takes the loss as
# a function of named tensors, the point, and your gradients, compares them along a few
# random directions and, where they disagree, entry by entry. It returns a result object:
# `.passed`, `.max_rel_error`, `.worst` (the worst entries), `.skipped` (entries whose
# finite difference crossed a kink) and a `.message`; printing it shows everything.
#
# We check a network with `sizes = [2, 8, 8, 3]` on 15 spiral points. Its biases are
# random and non-zero here, so that no unit sits exactly on its kink.

# %%
x_small, labels_small = spiral(n_per_class=5, n_classes=3, noise=0.2, seed=1)
params_small = init_mlp([2, 8, 8, 3], seed=1)
rng = np.random.default_rng(1)
for k in (1, 2, 3):
    params_small[f"b{k}"] = 0.1 * rng.standard_normal(params_small[f"b{k}"].shape)


def network_loss(**p):
    """The loss of the network on the small batch, as a function of its parameters."""
    return softmax_cross_entropy(mlp_forward(x_small, p)[0], labels_small)[0]


def network_grads(p):
    """Your gradients of network_loss at the parameters p."""
    scores, cache = mlp_forward(x_small, p)
    _, dL_dscores = softmax_cross_entropy(scores, labels_small)
    return mlp_backward(dL_dscores, cache)


result = check_gradient(network_loss, params_small, network_grads(params_small))
print(result)

# %% [markdown]
# ### A kink
#
# Now put one unit exactly on its kink: we choose the bias of unit 4 in the first layer so
# that its pre-activation for example 2 is zero, $z^1_{2,4} = 0$ (in code, counting from 0,
# `z[1, 3]`). (It happens without
# help, too: zero biases, which is how `init_mlp` starts, and an input row of zeros put
# every unit of the first layer on its kink.) Your `relu_backward` uses the mask $z > 0$,
# so at $z = 0$ it takes the slope from the left, zero. A central difference straddles
# the kink and returns the *average* of the two slopes. The finite difference is wrong
# here, not your gradient.
#
# `check_gradient` can tell the two apart if we also give it `branches`: a function with
# the loss's arguments that returns every ReLU's on/off pattern. An entry whose $\pm h$
# perturbation changes the pattern crossed a kink: it is reported as **skipped**, not as
# wrong.

# %%
params_kink = {name: value.copy() for name, value in params_small.items()}
params_kink["b1"][3] = -(x_small[1] @ params_kink["W1"][:, 3])  # z^1[1, 3] = 0 (to rounding)


def network_masks(**p):
    """Every hidden unit's on/off pattern on the small batch: the masks z^k > 0, k < K."""
    masks, h = [], x_small
    for k in range(1, len(p) // 2):
        z = linear_forward(h, p[f"W{k}"], p[f"b{k}"])
        masks.append((z > 0).ravel())
        h = relu_forward(z)
    return np.concatenate(masks)


kinked = check_gradient(
    network_loss, params_kink, network_grads(params_kink), branches=network_masks
)
print(kinked)
for entry in kinked.skipped:
    print(f"skipped {entry.tensor} {entry.where()}: {entry.describe()}")

# %% [markdown]
# The skipped entries are the parameters that move $z^1_{2,4}$ across zero: the bias
# $b^1_4$ and the weights $W^1_{:,4}$ into unit 4. For each one, the finite difference is
# about halfway
# between your value and the slope on the other side of the kink. Two remedies are
# common: check at random, non-zero biases (as in the first check), or tell the checker
# where the kinks are (as here). What you should not do is loosen the tolerance until the
# kink passes: that lets real mistakes through as well.

# %% [markdown]
# ## 7. One step of gradient descent
#
# Training repeats: forward, loss, backward, and a small step against the gradient,
#
# $$
# W \leftarrow W - \eta \, \frac{\partial L}{\partial W} \qquad \text{for every parameter } W ,
# $$
#
# with a learning rate $\eta$ (`lr`).
#
# **Exercise.** Write `sgd_step(params, grads, lr)`. It updates every array in `params`
# **in place** and returns `None`. In place matters: the training loop, and any cache
# that holds a reference to $W^l$, keep using the same arrays. In Python, `p = p - lr * g`
# only rebinds the local name `p`; `p -= lr * g` writes into the array. Pair each
# parameter with its gradient by name: `grads` may list its keys in another order.

# %% nbgrader={"grade": false, "grade_id": "sol_sgd_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sgd_step(params, grads, lr):
    """One step of gradient descent, in place: p <- p - lr * dL/dp for every key.

    Parameters
    ----------
    params : dict of name -> ndarray, updated in place
    grads : dict of name -> ndarray, the same keys and shapes
    lr : float, the learning rate

    Returns
    -------
    None
    """
    ### BEGIN SOLUTION
    for name, p in params.items():
        p -= lr * grads[name]  # writes into the array the caller holds
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sgd_step", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("sgd_step", sgd_step)

# %% nbgrader={"grade": true, "grade_id": "test_sgd_step_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: other networks and learning rates.
### BEGIN HIDDEN TESTS
check("sgd_step", sgd_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Training on the spiral
#
# Three classes of 100 points each, on interleaved spiral arms: no straight line separates
# them. We train three networks with your functions, full batch, the same learning rate
# and number of steps:
#
# * $K = 1$, `sizes = [2, 3]`: a linear classifier (no hidden layer, so no ReLU);
# * $K = 2$, `sizes = [2, 64, 3]`: one hidden layer;
# * $K = 3$, `sizes = [2, 64, 64, 3]`: two hidden layers.
#
# **Predict** before you run: which of the three can reach 95 % training accuracy, and
# what will the linear classifier's loss curve look like?

# %%
x_train, labels_train = spiral(n_per_class=100, n_classes=3, seed=0)


def train(sizes, steps=500, lr=0.5, seed=0):
    """Full-batch gradient descent with your functions; returns the params and the losses."""
    params = init_mlp(sizes, seed=seed)
    history = []
    for _ in range(steps):
        scores, cache = mlp_forward(x_train, params)
        L, dL_dscores = softmax_cross_entropy(scores, labels_train)
        sgd_step(params, mlp_backward(dL_dscores, cache), lr)
        history.append(L)
    return params, history


def accuracy(params, x, labels):
    return float(np.mean(mlp_forward(x, params)[0].argmax(axis=1) == labels))


trained = {}
with course_style():
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for sizes in ([2, 3], [2, 64, 3], [2, 64, 64, 3]):
        params, history = train(sizes)
        trained[len(sizes) - 1] = params
        acc = accuracy(params, x_train, labels_train)
        plot_loss_curve(history, ax=ax, label=f"K = {len(sizes) - 1}: {acc:.0%} accuracy")
        print(f"sizes {sizes}: final loss {history[-1]:.3f}, training accuracy {acc:.1%}")
    ax.set_title("softmax cross-entropy on the spiral, full batch, lr = 0.5")
    plt.show()

# %% [markdown]
# The linear classifier's loss flattens out within a hundred steps and it gets only about
# half of the points right: it has learned all that straight boundaries can do. The hidden
# layers let the network bend its boundaries, and the deeper network gets there in fewer
# steps. (The spike in its curve is a step that overshot: at this learning rate the loss
# surface curved faster than the step assumed. Gradient descent recovered, but try a
# larger `lr` and see what happens.) Here is what the linear classifier and the
# two-hidden-layer network learned:

# %%
with course_style():
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, K in zip(axes, (1, 3)):
        plot_decision_boundary(lambda g, K=K: mlp_forward(g, trained[K])[0],
                               x_train, labels_train, ax=ax, resolution=150)
        ax.set_title(f"K = {K}: {accuracy(trained[K], x_train, labels_train):.0%} training accuracy")
    plt.show()

# %% [markdown]
# ## Summary
#
# * The gradient of the loss for any layer's parameters is one product of the layers'
#   derivatives, each evaluated at the point the forward pass went through.
# * Backpropagation evaluates that product **from the loss side**: every intermediate is
#   one gradient of an activation's shape, and $\partial L / \partial z^l$ is reused by
#   every parameter at or below layer $l$. That forces the order $l = K, \dots, 1$.
# * The forward pass caches what the backward pass needs: each layer's input $x^l$ (for
#   $\partial L/\partial W^l$), its weights $W^l$ (for $\partial L/\partial x^l$) and the
#   ReLU masks' pre-activations $z^l$. The cache grows with the batch size: in training,
#   activations, not weights, fill the memory.
# * One backward step per affine layer: `linear_backward`, then `relu_backward` except
#   below the first layer. No ReLU after the last layer.
# * A whole-network gradient check is cheap along random directions; an entry that
#   crosses a ReLU kink is a property of the finite difference, not a bug, and the
#   checker can skip it when told where the kinks are.
# * `sgd_step` must update in place; `p = p - lr * g` does not.
#
# ## Going further
#
# * Your cache stores $z^l$ *and* $x^{l+1} = \mathrm{relu}(z^l)$. In a copy of your code
#   (the graded functions keep the lesson's cache layout), rewrite `mlp_forward` and
#   `mlp_backward` so that the cache holds only the $x^l$ (and $W^l$): how many floats does
#   it hold then? Which activations would not allow this trick?
# * *Gradient checkpointing* goes further: keep the $x^l$ of only every few layers and
#   recompute the others during the backward pass. For a chain of $K$ equal layers,
#   keeping every $\sqrt{K}$-th one needs memory $\sim \sqrt{K}$ for about one extra
#   forward pass. Where would you recompute, and in which order?
# * Our network is a chain. If one activation feeds two layers (a *skip connection*),
#   its gradient is the **sum** of the gradients that come back along both paths. Where
#   in `mlp_backward` would you add them, and why must both arrive before you continue?
# * Train with mini-batches: shuffle the spiral, take steps on 32 points at a time.
#   What happens to the loss curve, and to the number of steps per second?
# * Replace the ReLU by `tanh` (lesson 4) and train again. What changes in the cache,
#   and in the decision boundary?
