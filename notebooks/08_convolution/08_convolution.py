# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 8: Convolution and pooling
# *Forward and backward, first with loops, then as one contraction*
#
# Feed a small colour image, 32 x 32 pixels with 3 channels, into the affine layer of
# lesson 3 and each of its 256 hidden units needs 3,072 weights: 786,432 in all, for one
# layer. Worse, the layer has no idea that pixel (5, 7) is next to pixel (5, 8): a cat
# moved one pixel to the right is, for it, a brand-new pattern that it has to learn again.
#
# A **convolution layer** builds both facts in. Each output unit looks at a small window
# of the image (a 3 x 3 patch of all channels: 27 weights), and every window position
# uses the **same** weights: one small kernel slides over the image. 64 such kernels have
# 1,728 weights, whatever the size of the image, and a pattern that moves moves their
# output with it. Stack a few of these layers, with **pooling** layers that keep the
# largest response of each neighbourhood, and you have the networks that took image
# recognition from hand-made features to learned ones (LeNet in 1998, AlexNet in 2012).
#
# The backward pass of a convolution is the one more gradient every framework has to
# get right, and it has a beautiful structure: the gradient with respect to the input is
# itself a convolution, with the kernel flipped. We will derive it from the index form
# with the same chain rule as in every lesson so far, write it with loops that follow
# the index form, and then write both passes as a single contraction, which is how a
# framework computes them, and much faster.
#
# ## Learning goals
#
# After this lesson you can
#
# 1. compute the output size of a convolution with stride and zero padding, rounded down;
# 2. write the forward pass from its index form, as the cross-correlation frameworks compute;
# 3. derive $\partial L/\partial b$, $\partial L/\partial W$ and $\partial L/\partial x$
#    from the index form, and write them with loops;
# 4. explain why $\partial L/\partial x$ is a full convolution of $\partial L/\partial y$
#    with the flipped kernel;
# 5. write both passes as one contraction each (a windowed view, `np.einsum`, im2col and
#    a matrix product) and measure the speed-up;
# 6. write max pooling and its backward pass, routing each gradient to its window's
#    winner with ties broken as the forward pass broke them.
#
# **How this notebook works.** Cells marked `# YOUR CODE HERE` are yours. Each graded
# function is followed by a test cell that calls `check(...)`: it prints the stages that
# passed (`returns`, `shapes`, `values`, `finite differences`) or stops at the first that
# failed, with a diagnosis in words. When you submit, hidden tests run the same checks on
# harder cases (a single image, a single channel, non-square images and kernels, no
# padding, stride 3, sizes that do not divide evenly, overlapping pooling windows), and
# your functions are verified again, outside the notebook, on inputs drawn at grading
# time. So a graded function may use only `numpy` (as `np`), `math` and functions you
# define, and must not call another graded function (each is graded on its own).
#
# ## What is graded
#
# Nine functions, graded automatically, and one written derivation, graded by hand.
#
# | part | graded | points |
# | --- | --- | --- |
# | 1. The layer and its output | `conv_output_shape` | 1 + 1 hidden |
# | 2. The forward pass with loops | `conv_forward_loops` | 2 + 1 hidden |
# | 3. The backward pass with loops | `conv_backward_b` | 1 + 1 hidden |
# | 3. The backward pass with loops | `conv_backward_W_loops` | 2 + 1 hidden |
# | 3. The backward pass with loops | `conv_backward_x_loops` | 2 + 2 hidden |
# | 4. Why the kernel flips | written: why $dL/dx$ is a convolution with the flipped kernel | 4 by hand |
# | 5. One contraction | `conv_forward` | 1 + 1 hidden |
# | 5. One contraction | `conv_backward` | 2 + 1 hidden |
# | 6. Max pooling | `maxpool_forward` | 1 + 1 hidden |
# | 6. Max pooling | `maxpool_backward` | 2 + 1 hidden |
# | total | 9 functions, 1 written answer | 24 + 4 by hand |
#
# Expect to spend about three hours. Run the set-up cell first.

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
from matplotlib.patches import Rectangle

from backprop_kit import check, check_gradient
from backprop_kit.plots import GREY, PALETTE, course_style

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The layer and its output
#
# In the course's notation a layer maps $x^l$ to $y^l = y^l(x^l; W^l)$. Here $x^l$ is a
# batch of images with four axes, `(N, C, H_in, W_in)`: $N$ images, $C$ channels (3 for
# colour, or the outputs of the previous layer), $H_{in}$ rows and $W_{in}$ columns. The
# parameters are $F$ kernels (**filters**), each with one $K_H \times K_W$ slice per input
# channel, so `W` has shape `(F, C, KH, KW)`, and one bias per filter, `b` of shape
# `(F,)`. The output $y$ has one channel per filter: `(N, F, H_out, W_out)`. As in every
# lesson we drop the layer index $l$ and write $g = \partial L/\partial y$ (`dL_dy`, the
# shape of $y$).
#
# Two settings move the window. The **stride** $S$ is the step between two window
# positions; the **padding** $P$ adds $P$ rows and columns of zeros on each side of the
# image (not of the batch or the channels), so that windows can also sit on the border.
# Write $\tilde x$ for the padded image, of shape `(N, C, H_in + 2P, W_in + 2P)`, with
# $\tilde x_{n,c,u+P,v+P} = x_{n,c,u,v}$. Then
#
# $$
# y_{n,f,i,j} = b_f + \sum_{c=0}^{C-1} \sum_{p=0}^{K_H-1} \sum_{q=0}^{K_W-1}
#   W_{f,c,p,q}\; \tilde x_{n,c,\; iS+p,\; jS+q} .
# $$
#
# Output $(i, j)$ is the window whose top-left corner sits at row $iS$ and column $jS$ of
# $\tilde x$, multiplied entry by entry with the kernel and summed over the channels.
#
# **Cross-correlation, not convolution.** In signal processing a convolution flips the
# kernel: $\sum_p W_p\, x_{i-p}$. Deep-learning frameworks (PyTorch's `conv2d`,
# TensorFlow's `conv2d`) compute the formula above, with $x_{i+p}$: a
# *cross-correlation*. For a learned kernel the difference does not matter (the network
# would simply learn the flipped kernel), but for a test it does, and a flip is a real
# mistake here. We follow the frameworks, and keep the name "convolution".
#
# **The output size.** The windows start at rows $0, S, 2S, \dots$ and must fit inside the
# $H_{in} + 2P$ rows of $\tilde x$: the last start is at most $H_{in} + 2P - K_H$. That
# gives
#
# $$
# H_{out} = \left\lfloor \frac{H_{in} + 2P - K_H}{S} \right\rfloor + 1, \qquad
# W_{out} = \left\lfloor \frac{W_{in} + 2P - K_W}{S} \right\rfloor + 1 .
# $$
#
# When $H_{in} + 2P - K_H$ is not a multiple of $S$, we **round down**, as PyTorch does: a
# window that would stick out is dropped, and the last rows of $\tilde x$ are never read
# (their gradient will be zero). The figure shows both situations.

# %%
def draw_geometry(ax, H_in, K, S, P, title):
    """The padded image (grey: padding), the first windows along the top row (coloured),
    and the cells no window reads (hatched), for a square image and kernel."""
    side = H_in + 2 * P
    out = (side - K) // S + 1
    read = np.zeros((side, side), dtype=bool)
    for i in range(out):
        for j in range(out):
            read[i * S:i * S + K, j * S:j * S + K] = True
    for u in range(side):
        for v in range(side):
            pad = not (P <= u < P + H_in and P <= v < P + H_in)
            face = GREY if pad else "none"
            ax.add_patch(Rectangle((v, side - 1 - u), 1, 1, fc=face, alpha=0.35 if pad else 1,
                                   ec=GREY, lw=0.8, hatch=None if read[u, v] else "xxx"))
    for j in range(min(out, 3)):
        colour = PALETTE[j]
        ax.add_patch(Rectangle((j * S + 0.08 * (j + 1), side - K + 0.08 * (j + 1)),
                               K - 0.16 * (j + 1), K - 0.16 * (j + 1), fc="none",
                               ec=colour, lw=2.5))
        ax.text(j * S + K / 2, side + 0.3, f"j={j}", color=colour, ha="center", fontsize=10)
    ax.set_xlim(-0.2, side + 0.2)
    ax.set_ylim(-0.2, side + 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{title}\nH_in={H_in}, K={K}, S={S}, P={P}: H_out = "
                 f"({H_in} + {2 * P} - {K}) // {S} + 1 = {out}", fontsize=10)


with course_style():
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
    draw_geometry(left, 5, 3, 2, 1, "padding 1, stride 2: the windows fit exactly")
    draw_geometry(right, 6, 3, 2, 0, "no padding, stride 2: rounded down")
    fig.suptitle("Window positions on the padded image (grey: padding; hatched: never read)",
                 color=GREY, y=1.0)
    fig.subplots_adjust(top=0.8)
    plt.show()

# %% [markdown]
# On the left, 5 + 2 - 3 = 4 is a multiple of the stride: three window positions per
# row, and every cell is read. On the right, 6 - 3 = 3 is not: the window at row 4 would
# need rows 4 to 6 of a 6-row image, so it does not exist, $H_{out} = 1 + 1 = 2$, and the
# last row and column are never read.
#
# **Predict.** Answer in your head, then open the answers.
#
# 1. `x` has shape `(64, 3, 32, 32)` and `W` has shape `(16, 3, 5, 5)`, stride 1, no
#    padding. What is the shape of `y`?
# 2. Which padding keeps $H_{out} = H_{in}$ for a $3 \times 3$ kernel at stride 1? For
#    $5 \times 5$?
# 3. How many weights and biases does the layer of question 1 have? How many would an
#    affine layer from the flattened `x` to the flattened `y` have?
#
# <details><summary>Answers</summary>
#
# 1. `(64, 16, 28, 28)`: $(32 + 0 - 5)/1 + 1 = 28$, one channel per filter.
# 2. $P = 1$ for $3 \times 3$, $P = 2$ for $5 \times 5$: in general $P = (K - 1)/2$ for
#    an odd $K$ ("same" padding).
# 3. $16 \cdot 3 \cdot 5 \cdot 5 = 1200$ weights and 16 biases. The affine layer:
#    $3072 \cdot 12544 \approx 38.5$ million weights. The convolution is an affine layer
#    whose weight matrix is mostly zeros (locality) and repeats the same few numbers
#    (sharing).
#
# </details>
#
# ### Exercise 1.1: `conv_output_shape`
#
# Return the tuple `(N, F, H_out, W_out)` of integers. The arrays are passed in: read the
# sizes from `x.shape` and `W.shape`.

# %% nbgrader={"grade": false, "grade_id": "sol_conv_output_shape", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_output_shape(x, W, stride, pad):
    """The shape of the output of a convolution.

    Parameters
    ----------
    x : ndarray of shape (N, C, H_in, W_in)
    W : ndarray of shape (F, C, KH, KW)
    stride : int >= 1
    pad : int >= 0, zeros added on each side of both spatial axes

    Returns
    -------
    tuple of 4 ints (N, F, H_out, W_out), with H_out = (H_in + 2 pad - KH) // stride + 1
    (rounded down) and likewise W_out.
    """
    ### BEGIN SOLUTION
    N, _, H_in, W_in = x.shape
    F, _, KH, KW = W.shape
    H_out = (H_in + 2 * pad - KH) // stride + 1  # window starts 0, S, ..., <= H_in + 2P - KH
    W_out = (W_in + 2 * pad - KW) // stride + 1
    ### END SOLUTION
    return N, F, H_out, W_out


# %% nbgrader={"grade": true, "grade_id": "test_conv_output_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("conv_output_shape", conv_output_shape)

# %% nbgrader={"grade": true, "grade_id": "test_conv_output_shape_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: non-square images and kernels, no padding, stride 3, sizes that round down.
### BEGIN HIDDEN TESTS
check("conv_output_shape", conv_output_shape, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The forward pass with loops
#
# Write the index form as it stands: pad, then one loop per output entry
# $(n, f, i, j)$, each computing the sum over $(c, p, q)$ with one numpy product of the
# window `xp[n, :, i*S : i*S + KH, j*S : j*S + KW]` (shape `(C, KH, KW)`) and the kernel
# `W[f]` (the same shape). The loops make every index visible; part 5 removes them.
#
# ### Exercise 2.1: `conv_forward_loops`
#
# Pad with zeros on the two spatial axes only. (`np.pad(x, pad)` pads **every** axis,
# the batch and the channels too; give `np.pad` one pair per axis, or copy `x` into the
# middle of a zero array.) Compute the output size inline, do not call
# `conv_output_shape`: each graded function is graded on its own.

# %% nbgrader={"grade": false, "grade_id": "sol_conv_forward_loops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_forward_loops(x, W, b, stride, pad):
    """2-D convolution (cross-correlation) with stride and zero padding, with loops.

    Parameters
    ----------
    x : ndarray of shape (N, C, H_in, W_in)
    W : ndarray of shape (F, C, KH, KW)
    b : ndarray of shape (F,)
    stride : int >= 1
    pad : int >= 0

    Returns
    -------
    y : ndarray of shape (N, F, H_out, W_out)
        y[n, f, i, j] = b[f] + sum over c, p, q of W[f, c, p, q] * xp[n, c, i*S + p, j*S + q],
        xp being x with pad zeros on each side of both spatial axes.
    """
    ### BEGIN SOLUTION
    N, C, H_in, W_in = x.shape
    F, _, KH, KW = W.shape
    S, P = stride, pad
    H_out = (H_in + 2 * P - KH) // S + 1
    W_out = (W_in + 2 * P - KW) // S + 1
    xp = np.zeros((N, C, H_in + 2 * P, W_in + 2 * P))
    xp[:, :, P:P + H_in, P:P + W_in] = x  # zeros around the spatial axes only
    y = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = xp[n, :, i * S:i * S + KH, j * S:j * S + KW]  # (C, KH, KW)
                    y[n, f, i, j] = np.sum(W[f] * window) + b[f]
    ### END SOLUTION
    return y


# %% nbgrader={"grade": true, "grade_id": "test_conv_forward_loops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("conv_forward_loops", conv_forward_loops)

# %% nbgrader={"grade": true, "grade_id": "test_conv_forward_loops_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: N = 1, C = 1, non-square images and kernels, no padding, stride 3, a 1x1
# kernel, sizes that round down.
### BEGIN HIDDEN TESTS
check("conv_forward_loops", conv_forward_loops, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### What a kernel sees
#
# Before any learning, a hand-made kernel shows what a convolution does. The kernel
# $\begin{pmatrix} 1 & 0 & -1 \end{pmatrix}$ repeated on three rows (a Sobel-like
# filter) responds to a change from left to right: where the image is flat its output is
# 0, at a vertical edge it is large, with the sign of the change. Its transpose responds
# to horizontal edges. One layer with these two filters turns an image into two maps of
# where its edges are; a trained network's first layer learns filters much like them.

# %%
rows, cols = np.mgrid[0:40, 0:40]
image = ((np.abs(rows - 13) < 8) & (np.abs(cols - 12) < 8)).astype(float)  # a square
image += ((rows - 26) ** 2 + (cols - 28) ** 2 < 8**2).astype(float)  # a disc
edge = np.array([[1.0, 0.0, -1.0]] * 3)
kernels = np.stack([edge, edge.T])[:, None]  # (F=2, C=1, 3, 3)
maps = conv_forward_loops(image[None, None], kernels, np.zeros(2), 1, 1)  # (1, 2, 40, 40)

with course_style():
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    axes[0].imshow(image, cmap="gray", vmin=-0.3, vmax=1.3)
    axes[0].set_title("x: a square and a disc")
    for ax, m, name in zip(axes[1:], maps[0], ("vertical edges", "horizontal edges")):
        ax.imshow(m, cmap="PuOr", vmin=-3, vmax=3)
        ax.set_title(f"y[0, {name == 'horizontal edges':d}]: {name}")
    for ax in axes:
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Two 3x3 kernels, stride 1, padding 1 (orange > 0 > purple)", color=GREY)
    plt.show()

# %% [markdown]
# ## 3. The backward pass with loops
#
# Given $g = \partial L/\partial y$ (`dL_dy`, shape `(N, F, H_out, W_out)`), we want the
# gradients with respect to the bias, the kernels and the input. The rule is the one of
# lesson 3: a quantity that enters the loss through several outputs collects the sum of
# what each output sends back,
#
# $$
# \frac{\partial L}{\partial \theta} = \sum_{n,f,i,j} g_{n,f,i,j}\,
#   \frac{\partial y_{n,f,i,j}}{\partial \theta} ,
# $$
#
# and the index form tells us every $\partial y_{n,f,i,j} / \partial \theta$.
#
# - **The bias.** $b_f$ is added to every output of channel $f$, in every image and at
#   every position, with derivative 1:
#   $$\frac{\partial L}{\partial b_f} = \sum_{n}\sum_{i}\sum_{j} g_{n,f,i,j} .$$
# - **The kernels.** $W_{f,c,p,q}$ multiplies $\tilde x_{n,c,iS+p,jS+q}$ in output
#   $(n, f, i, j)$, for every $n$, $i$, $j$: the same weight is **shared** by every window
#   position and every image, and the contributions add:
#   $$\frac{\partial L}{\partial W_{f,c,p,q}} = \sum_{n}\sum_{i}\sum_{j} g_{n,f,i,j}\;
#   \tilde x_{n,c,\,iS+p,\,jS+q} .$$
#   For one output entry the contribution to `dL_dW[f]` (shape `(C, KH, KW)`) is the
#   window the forward pass read, times $g_{n,f,i,j}$.
# - **The input.** $\tilde x_{n,c,u,v}$ is read by every window that covers it, with the
#   kernel entry that sits on it: in output $(n, f, i, j)$ the entry
#   $W_{f,c,\,u-iS,\,v-jS}$ (when $0 \le u - iS < K_H$ and $0 \le v - jS < K_W$; otherwise
#   the window does not cover it). So
#   $$\frac{\partial L}{\partial \tilde x_{n,c,u,v}} = \sum_{f}\sum_{i}\sum_{j}
#   g_{n,f,i,j}\; W_{f,c,\,u-iS,\,v-jS} .$$
#   With loops this is a **scatter**: for each output entry, add $g_{n,f,i,j}\, W_f$ to the
#   window of $\partial L/\partial \tilde x$ that the output read. Windows overlap when
#   $S < K$: the contributions must **add** (`+=`). Finally $x$ is the middle of
#   $\tilde x$: $\partial L / \partial x$ is $\partial L / \partial \tilde x$ without the
#   $P$ rows and columns of padding on each side.
#
# Each gradient has the shape of its variable: `(F,)`, `(F, C, KH, KW)` and
# `(N, C, H_in, W_in)`. (In the Jacobian layout of lessons 1 and 3, $\partial L/\partial
# y$ would be a row of $N F H_{out} W_{out}$ numbers and $\partial y/\partial x$ a matrix
# with $N F H_{out} W_{out}$ rows and $N C H_{in} W_{in}$ columns, almost all zeros; code
# keeps every gradient in its variable's shape and never forms that matrix.) The bias and kernel gradients sum over the batch: the same
# parameters serve every image. (If the loss is a mean over the batch, its $1/N$ is
# already inside `dL_dy`, as in lesson 4.)
#
# ### Exercise 3.1: `conv_backward_b`

# %% nbgrader={"grade": false, "grade_id": "sol_conv_backward_b", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_backward_b(dL_dy):
    """dL/db of a convolution.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, F, H_out, W_out)

    Returns
    -------
    dL_db : ndarray of shape (F,)
    """
    ### BEGIN SOLUTION
    dL_db = dL_dy.sum(axis=(0, 2, 3))  # b[f] is added at every image and position: (F,)
    ### END SOLUTION
    return dL_db


# %% nbgrader={"grade": true, "grade_id": "test_conv_backward_b", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("conv_backward_b", conv_backward_b)

# %% nbgrader={"grade": true, "grade_id": "test_conv_backward_b_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: a single image, other shapes.
### BEGIN HIDDEN TESTS
check("conv_backward_b", conv_backward_b, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.2: `conv_backward_W_loops`
#
# Loop over the output entries $(n, f, i, j)$ as in the forward pass, and add each
# entry's contribution to `dL_dW[f]`. Use the padded input: the forward pass read
# $\tilde x$, and so does this gradient.

# %% nbgrader={"grade": false, "grade_id": "sol_conv_backward_W_loops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_backward_W_loops(dL_dy, x, W, stride, pad):
    """dL/dW of a convolution, with loops over the output entries.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, F, H_out, W_out)
    x, W, stride, pad : the forward pass's inputs

    Returns
    -------
    dL_dW : ndarray of shape (F, C, KH, KW)
        dL_dW[f, c, p, q] = sum over n, i, j of dL_dy[n, f, i, j] * xp[n, c, i*S + p, j*S + q].
    """
    ### BEGIN SOLUTION
    N, F, H_out, W_out = dL_dy.shape
    KH, KW = W.shape[2], W.shape[3]
    S, P = stride, pad
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))  # one pair per axis: spatial only
    dL_dW = np.zeros(W.shape)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = xp[n, :, i * S:i * S + KH, j * S:j * S + KW]  # (C, KH, KW)
                    dL_dW[f] += dL_dy[n, f, i, j] * window  # shared weights: contributions add
    ### END SOLUTION
    return dL_dW


# %% nbgrader={"grade": true, "grade_id": "test_conv_backward_W_loops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("conv_backward_W_loops", conv_backward_W_loops)

# %% nbgrader={"grade": true, "grade_id": "test_conv_backward_W_loops_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: N = 1, C = 1, non-square images and kernels, no padding, stride 3.
### BEGIN HIDDEN TESTS
check("conv_backward_W_loops", conv_backward_W_loops, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.3: `conv_backward_x_loops`
#
# The scatter: start from zeros of the padded shape, add $g_{n,f,i,j} W_f$ to the window
# of each output entry, then crop the padding. A slice that works for every $P$, zero
# included: `[:, :, P : P + H_in, P : P + W_in]`. (What does `[:, :, P:-P]` give for
# $P = 0$?)

# %% nbgrader={"grade": false, "grade_id": "sol_conv_backward_x_loops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_backward_x_loops(dL_dy, x, W, stride, pad):
    """dL/dx of a convolution, with loops over the output entries.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, F, H_out, W_out)
    x, W, stride, pad : the forward pass's inputs

    Returns
    -------
    dL_dx : ndarray of shape (N, C, H_in, W_in)
        The gradient of the padded input, sum over f, i, j of dL_dy[n, f, i, j] * W[f] added
        on each output's window, without its padding.
    """
    ### BEGIN SOLUTION
    N, F, H_out, W_out = dL_dy.shape
    _, C, H_in, W_in = x.shape
    KH, KW = W.shape[2], W.shape[3]
    S, P = stride, pad
    dL_dxp = np.zeros((N, C, H_in + 2 * P, W_in + 2 * P))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    # the window this output read gets W[f] times its gradient; overlaps add
                    dL_dxp[n, :, i * S:i * S + KH, j * S:j * S + KW] += dL_dy[n, f, i, j] * W[f]
    dL_dx = dL_dxp[:, :, P:P + H_in, P:P + W_in]  # the padding is not part of x
    ### END SOLUTION
    return dL_dx


# %% nbgrader={"grade": true, "grade_id": "test_conv_backward_x_loops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("conv_backward_x_loops", conv_backward_x_loops)

# %% nbgrader={"grade": true, "grade_id": "test_conv_backward_x_loops_hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: no padding, padding 2, stride 3, non-square images and kernels, sizes that
# round down (the last rows are in no window).
### BEGIN HIDDEN TESTS
check("conv_backward_x_loops", conv_backward_x_loops, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The tests' `finite differences` stage compared your gradients with the slope of
# $L = \sum g \cdot y$ along random directions. Do it yourself with `check_gradient`
# (lesson 2) on a small layer with stride 2 and padding 1: $L$ is linear in each of $x$,
# $W$, $b$, so the central differences are exact up to rounding.

# %%
rng = np.random.default_rng(0)
x_c, W_c, b_c = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
g_c = rng.standard_normal(conv_output_shape(x_c, W_c, 2, 1))


def conv_loss(x, W, b):
    return float(np.sum(g_c * conv_forward_loops(x, W, b, 2, 1)))


grads_c = {"x": conv_backward_x_loops(g_c, x_c, W_c, 2, 1),
           "W": conv_backward_W_loops(g_c, x_c, W_c, 2, 1),
           "b": conv_backward_b(g_c)}
print(check_gradient(conv_loss, {"x": x_c, "W": W_c, "b": b_c}, grads_c).message)
# A 6-row image, a 3-row kernel, stride 2, no padding: the windows start at rows 0 and 2,
# and row 5 is in none of them.
x_r = rng.standard_normal((1, 1, 6, 6))
dx_r = conv_backward_x_loops(np.ones((1, 1, 2, 2)), x_r, np.ones((1, 1, 3, 3)), 2, 0)
print("dL/dx for dL/dy = 1 and a kernel of ones: how many windows read each entry\n", dx_r[0, 0])

# %% [markdown]
# With a kernel of ones and $g = 1$, $\partial L/\partial x$ counts the windows that read
# each entry: row and column 2 are read twice (the windows overlap there), the
# last row and column never, so their gradient is zero.
#
# ## 4. Why the kernel flips (4 points, graded by hand)
#
# Look at the input's gradient from the other side. In the forward pass, output $i$ looks
# **forward** at inputs $iS, \dots, iS + K_H - 1$ with weights $W_0, \dots, W_{K_H-1}$. In
# the backward pass, input $u$ looks **back** at the outputs whose windows cover it, and
# the one whose window starts $p$ rows before $u$ used weight $W_p$. The figure draws it
# in one dimension, stride 1: reading the outputs that reach $\tilde x_3$ from left to
# right, the weights come in reverse order.

# %%
def draw_flip(ax, n_x=7, K=3):
    """1-D, stride 1: output y_i reads x~_{i+p} with weight W_p; x~_3's edges highlighted."""
    n_y = n_x - K + 1
    for i in range(n_y):
        for p in range(K):
            hit = i + p == 3
            ax.plot([i + 1, i + p], [1, 0], color=PALETTE[p], lw=3 if hit else 1,
                    alpha=1 if hit else 0.35)
            if hit:
                ax.text((i + 1 + i + p) / 2 + 0.08, 0.55, f"$W_{p}$", color=PALETTE[p],
                        fontsize=13)
    ax.scatter(np.arange(n_x), np.zeros(n_x), s=300, color=GREY, zorder=3)
    ax.scatter(np.arange(n_y) + 1, np.ones(n_y), s=300, color=PALETTE[5], zorder=3)
    for u in range(n_x):
        ax.text(u, -0.25, rf"$\tilde x_{u}$", ha="center", va="top", fontsize=12)
    for i in range(n_y):
        ax.text(i + 1, 1.2, f"$y_{i}$", ha="center", fontsize=12)
    ax.set_xlim(-0.7, n_x - 0.3)
    ax.set_ylim(-0.6, 1.5)
    ax.axis("off")


with course_style():
    fig, ax = plt.subplots(figsize=(9, 3.6))
    draw_flip(ax)
    ax.set_title(r"Forward: $y_i = \sum_p W_p\,\tilde x_{i+p}$.   Backward: "
                 r"$\partial L/\partial \tilde x_3 = g_1 W_2 + g_2 W_1 + g_3 W_0$")
    plt.show()

# %% [markdown]
# **Show** that $\partial L / \partial x$ is a **full convolution of $\partial L / \partial
# y$ with the flipped kernel**, in these steps:
#
# 1. for stride 1, write $\partial L / \partial \tilde x_{n,c,u,v}$ from the index form
#    and substitute the kernel index for the output index, to show that the indices of
#    $g$ and $W$ subtract (a true convolution);
# 2. rewrite it as the cross-correlation of part 1 (what the forward pass computes) of a
#    padded $g$ with a kernel $W'$: say how $W'$ is made from $W$ (which axes are
#    flipped, which are swapped) and how many zeros pad $g$ ("full"), and check that the
#    result has the shape of $\tilde x$;
# 3. say how to get $\partial L / \partial x$ from it, and what changes for stride $S > 1$.
#
# Write your answer in the cell below (Markdown with LaTeX: `$...$` for inline maths,
# `$$...$$` for displays).

# %% [markdown] nbgrader={"grade": true, "grade_id": "derive_flipped_kernel", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# **Model answer.** Write $g = \partial L/\partial y$ and $\tilde x$ for the padded input.
#
# 1. Stride 1: $y_{n,f,i,j} = b_f + \sum_{c,p,q} W_{f,c,p,q}\,\tilde x_{n,c,i+p,j+q}$. The
#    entry $\tilde x_{n,c,u,v}$ appears in output $(n, f, i, j)$ exactly when $p = u - i$
#    and $q = v - j$ lie in the kernel, with weight $W_{f,c,u-i,v-j}$. The chain rule
#    sums over every output that uses it:
#    $$\frac{\partial L}{\partial \tilde x_{n,c,u,v}} = \sum_f \sum_{i,j} g_{n,f,i,j}\,
#    W_{f,c,\,u-i,\,v-j} = \sum_f \sum_{p=0}^{K_H-1}\sum_{q=0}^{K_W-1} g_{n,f,\,u-p,\,v-q}\,
#    W_{f,c,p,q},$$
#    substituting $i = u - p$, $j = v - q$ (with $g = 0$ outside its range). The indices
#    of $g$ and $W$ **subtract**: this is a true convolution $g * W$, summed over $f$.
# 2. Let $p' = K_H - 1 - p$, $q' = K_W - 1 - q$ and
#    $W'_{c,f,p',q'} = W_{f,c,\,K_H-1-p',\,K_W-1-q'}$: $W$ **flipped** in both spatial
#    axes and with its first two axes **swapped** (the input channels $c$ are now the
#    outputs, the filters $f$ the inputs). Then
#    $$\frac{\partial L}{\partial \tilde x_{n,c,u,v}} = \sum_f \sum_{p',q'} W'_{c,f,p',q'}\,
#    \tilde g_{n,f,\,u+p',\,v+q'}, \qquad \tilde g_{n,f,a,b} = g_{n,f,\,a-(K_H-1),\,b-(K_W-1)},$$
#    the forward pass of part 1 (a cross-correlation, stride 1, no padding) applied to
#    $\tilde g$, which is $g$ padded with $K_H - 1$ rows of zeros above and below and
#    $K_W - 1$ columns left and right: every position where the kernel overlaps $g$ at
#    least partly, hence "full". Its size is $H_{out} + 2(K_H - 1) - K_H + 1 = H_{out} +
#    K_H - 1 = H_{in} + 2P$ rows, the size of $\tilde x$ (likewise for the columns).
# 3. $\partial L/\partial x$ is the middle of it: drop $P$ rows and columns on each side,
#    `dxp[:, :, P:P+H_in, P:P+W_in]`. For stride $S$ the output $i$ reads $\tilde x$ at
#    $iS + p$, so $g$ enters at rows $iS$ only: insert $S - 1$ zeros between consecutive
#    entries of $g$ (dilate it), then proceed as above, padding with extra zeros at the
#    end when $H_{in} + 2P - K_H$ is not a multiple of $S$ (those last rows of $\tilde x$
#    are in no window and get a zero gradient).
#
# Why intuitively: output $i$ reads inputs $i, i+1, \dots$ with $W_0, W_1, \dots$; input
# $u$ is read by outputs $u, u-1, \dots$ with $W_0, W_1, \dots$: the same pairs seen from
# the other end, so the kernel runs backwards. The backward pass of a convolution is a
# convolution (a "transposed convolution"), which is why frameworks reuse one kernel for
# both.
#
# **Marking guide (4 points).**
# - 1 point: the chain-rule sum over all outputs that read $\tilde x_{n,c,u,v}$, with the
#   weight $W_{f,c,u-iS,v-jS}$ (or the equivalent scatter statement), summed over $f$.
# - 1 point: the substitution showing the subtracted indices, i.e. that the kernel index
#   runs backwards as the output index runs forwards (flip in **both** spatial axes).
# - 1 point: "full": $g$ padded with $K_H - 1$ and $K_W - 1$ zeros on each side, and the
#   result of the size of $\tilde x$; then the padding $P$ cropped to get
#   $\partial L/\partial x$.
# - 1 point: channels: the kernel's $F$ and $C$ axes swapped (sum over the filters);
#   and stride: $g$ dilated with $S - 1$ zeros (floor case optional).
# - An answer correct for stride 1 that says stride is not handled: 3 of 4. A picture
#   (like the figure) with a correct explanation in words earns the first two points.
# ### END SOLUTION

# %% [markdown]
# Check the claim numerically: your forward pass of part 2, applied to the dilated and
# padded $g$ with the flipped, swapped kernel, against your `conv_backward_x_loops`.

# %%
def full_convolution_dx(dL_dy, x, W, stride, pad):
    """dL/dx as the forward pass (stride 1, no padding) of the dilated, fully padded
    dL/dy with the kernel flipped in its spatial axes and swapped over (F, C)."""
    N, F, H_out, W_out = dL_dy.shape
    _, C, H_in, W_in = x.shape
    KH, KW = W.shape[2], W.shape[3]
    rows = H_in + 2 * pad + KH - 1  # the full size: the padded input's, plus K - 1
    cols = W_in + 2 * pad + KW - 1
    g = np.zeros((N, F, rows, cols))
    g[:, :, KH - 1:KH - 1 + stride * H_out:stride, KW - 1:KW - 1 + stride * W_out:stride] = dL_dy
    flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, KH, KW)
    dxp = conv_forward_loops(g, flipped, np.zeros(C), 1, 0)  # (N, C, H_in + 2P, W_in + 2P)
    return dxp[:, :, pad:pad + H_in, pad:pad + W_in]


for S, P in [(1, 1), (2, 1), (3, 0)]:
    g_s = rng.standard_normal(conv_output_shape(x_c, W_c, S, P))
    difference = np.abs(full_convolution_dx(g_s, x_c, W_c, S, P)
                        - conv_backward_x_loops(g_s, x_c, W_c, S, P)).max()
    print(f"stride {S}, pad {P}: largest difference {difference:.1e}")

# %% [markdown]
# ## 5. One contraction
#
# The loops of parts 2 and 3 call numpy once per output entry: millions of small calls
# for a real layer. The arithmetic itself is a few big sums, and numpy can do each in
# one call if we first lay the data out right.
#
# **A windowed view.** `np.lib.stride_tricks.sliding_window_view(xp, (KH, KW), axis=(2,
# 3))` returns every $K_H \times K_W$ window of the padded images, at stride 1, as an array
# of shape `(N, C, H_in + 2P - KH + 1, W_in + 2P - KW + 1, KH, KW)`, **without copying**
# anything: it is a view that reads the same memory with other strides. Slicing it with
# `[:, :, ::S, ::S]` keeps the windows at the stride's positions (exactly $H_{out} \times
# W_{out}$ of them, rounded down). Call it `windows`, of shape `(N, C, H_out, W_out, KH,
# KW)`: `windows[n, c, i, j, p, q]` is $\tilde x_{n,c,iS+p,jS+q}$. Then the index forms
# are `np.einsum` strings:
#
# | quantity | index form | einsum |
# | --- | --- | --- |
# | $y$ | $\sum_{c,p,q} \tilde x_{n,c,iS+p,jS+q} W_{f,c,p,q}$ | `"ncijpq,fcpq->nfij"` |
# | $\partial L/\partial W$ | $\sum_{n,i,j} g_{n,f,i,j}\, \tilde x_{n,c,iS+p,jS+q}$ | `"nfij,ncijpq->fcpq"` |
# | what each window sends back | $g_{n,f,i,j} W_{f,c,p,q}$ summed over $f$ | `"nfij,fcpq->ncpqij"` |
#
# With `optimize=True`, einsum turns a contraction into one matrix product: it reshapes
# `windows` into a matrix with one row per output position $(n, i, j)$ and one column per
# kernel entry $(c, p, q)$ (that copy is the famous **im2col**), and `W` into a
# $(C K_H K_W) \times F$ matrix. One BLAS call then does all the multiply-adds, at the
# speed of lesson 5's matrix products.
#
# The input's gradient needs one more step, the scatter: the last einsum gives, for each
# window, what it sends back to each of its $K_H K_W$ offsets. Loop over the **kernel
# offsets** $(p, q)$ only (9 iterations for $3 \times 3$), adding one strided slice at a
# time: `dL_dxp[:, :, p : p + S*H_out : S, q : q + S*W_out : S] += back[:, :, p, q]` (this
# is **col2im**, the transpose of im2col). Or use part 4: a full convolution with the
# flipped kernel, itself one einsum over a windowed view.
#
# ### Exercise 5.1: `conv_forward`
#
# `from numpy.lib.stride_tricks import sliding_window_view` may go inside the function (or
# use `np.lib.stride_tricks.sliding_window_view`). No loop over the output entries.

# %% nbgrader={"grade": false, "grade_id": "sol_conv_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_forward(x, W, b, stride, pad):
    """2-D convolution (cross-correlation) as one contraction over a windowed view.

    Parameters and result as conv_forward_loops: x (N, C, H_in, W_in), W (F, C, KH, KW),
    b (F,) -> y (N, F, H_out, W_out).
    """
    ### BEGIN SOLUTION
    KH, KW = W.shape[2], W.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    view = np.lib.stride_tricks.sliding_window_view(xp, (KH, KW), axis=(2, 3))
    windows = view[:, :, ::stride, ::stride]  # (N, C, H_out, W_out, KH, KW), no copy
    y = np.einsum("ncijpq,fcpq->nfij", windows, W, optimize=True)  # one matrix product
    y = y + b[:, None, None]  # (F, 1, 1) broadcast over the batch and positions
    ### END SOLUTION
    return y


# %% nbgrader={"grade": true, "grade_id": "test_conv_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("conv_forward", conv_forward)

# %% nbgrader={"grade": true, "grade_id": "test_conv_forward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: the shapes and strides of the hidden tests of part 2.
### BEGIN HIDDEN TESTS
check("conv_forward", conv_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5.2: `conv_backward`
#
# All three gradients, no loop over the output entries (a loop over the $K_H K_W$ kernel
# offsets is fine). Write it self-contained: do not call your part-3 functions (each
# function is graded on its own).

# %% nbgrader={"grade": false, "grade_id": "sol_conv_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_backward(dL_dy, x, W, stride, pad):
    """Gradients of a convolution, each as one contraction.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, F, H_out, W_out)
    x, W, stride, pad : the forward pass's inputs

    Returns
    -------
    dL_dx : ndarray of shape (N, C, H_in, W_in)
    dL_dW : ndarray of shape (F, C, KH, KW)
    dL_db : ndarray of shape (F,)
    """
    ### BEGIN SOLUTION
    N, F, H_out, W_out = dL_dy.shape
    _, C, H_in, W_in = x.shape
    KH, KW = W.shape[2], W.shape[3]
    S, P = stride, pad
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::S, ::S]
    dL_db = dL_dy.sum(axis=(0, 2, 3))  # (F,)
    dL_dW = np.einsum("nfij,ncijpq->fcpq", dL_dy, windows, optimize=True)  # (F, C, KH, KW)
    back = np.einsum("nfij,fcpq->ncpqij", dL_dy, W, optimize=True)  # (N, C, KH, KW, H_out, W_out)
    dL_dxp = np.zeros(xp.shape)
    for p in range(KH):  # col2im: one strided slice per kernel offset; overlaps add
        for q in range(KW):
            dL_dxp[:, :, p:p + S * H_out:S, q:q + S * W_out:S] += back[:, :, p, q]
    dL_dx = dL_dxp[:, :, P:P + H_in, P:P + W_in]  # crop the padding
    ### END SOLUTION
    return dL_dx, dL_dW, dL_db


# %% nbgrader={"grade": true, "grade_id": "test_conv_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("conv_backward", conv_backward)

# %% nbgrader={"grade": true, "grade_id": "test_conv_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: the shapes and strides of the hidden tests of part 3.
### BEGIN HIDDEN TESTS
check("conv_backward", conv_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### How much faster?
#
# Time the loops and the contraction on the same layer (8 channels in and out, $3 \times
# 3$, padding 1, 16 x 16 images) for growing batches.

# %%
def seconds(fn, *args, repeat=3):
    """The best of a few runs: the least disturbed by whatever else the machine does."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


rng = np.random.default_rng(1)
W_t, b_t = rng.standard_normal((8, 8, 3, 3)), rng.standard_normal(8)
batches = [1, 2, 4, 8]
timings = {"loops": [], "contraction": []}
for N_t in batches:
    x_t = rng.standard_normal((N_t, 8, 16, 16))
    g_t = rng.standard_normal((N_t, 8, 16, 16))
    loops = (lambda: (conv_forward_loops(x_t, W_t, b_t, 1, 1),
                      conv_backward_W_loops(g_t, x_t, W_t, 1, 1),
                      conv_backward_x_loops(g_t, x_t, W_t, 1, 1)))
    timings["loops"].append(seconds(loops, repeat=1))
    timings["contraction"].append(
        seconds(lambda: (conv_forward(x_t, W_t, b_t, 1, 1), conv_backward(g_t, x_t, W_t, 1, 1))))

with course_style():
    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, ts), marker in zip(timings.items(), "os"):
        ax.loglog(batches, 1e3 * np.array(ts), marker=marker, label=name)
    ax.set_xticks(batches, [str(n) for n in batches])
    ax.minorticks_off()
    ax.set_xlabel("batch size N")
    ax.set_ylabel("forward + backward (ms)")
    ax.set_title("One 3x3 convolution layer, 8 -> 8 channels, 16 x 16 images")
    ax.legend()
    plt.show()
print("speed-up at N = 8:", round(timings["loops"][-1] / timings["contraction"][-1]), "x")

# %% [markdown]
# The loops' time grows with the batch: one numpy call per output entry, each mostly
# Python and numpy overhead. The contraction's barely moves at these sizes (a handful of
# calls, one matrix product per pass) and is two to three orders of magnitude faster. The course's reference
# (`backprop_ref.convolution`) is built the same way (im2col, one batched matrix product
# per pass, col2im) and runs a CIFAR-10-size layer (64 images of 32 x 32 with 32
# channels, 64 filters) forward and backward in 1.5 to 2 times PyTorch's time on one core
# (`benchmarks/bench_conv.py`).
#
# ## 6. Max pooling
#
# A pooling layer shrinks the image and keeps what matters: max pooling replaces each
# `size x size` window of each channel by its largest entry, so a feature detected
# anywhere in the window survives, and a small shift of the image hardly changes the
# output. No weights, and channels stay separate:
#
# $$
# y_{n,c,i,j} = \max_{0 \le p,\, q < \text{size}} x_{n,c,\; iS + p,\; jS + q},
# \qquad H_{out} = \left\lfloor \frac{H_{in} - \text{size}}{S} \right\rfloor + 1
# $$
#
# (no padding; rounded down like the convolution). The usual setting is `size = 2`,
# `stride = 2`: non-overlapping windows, half the height and width.
#
# **The backward pass.** Within a window, $y$ is one of the inputs, the **winner**; the
# other entries do not affect $y$ (a small change leaves the maximum where it is). So
# the derivative of $y_{n,c,i,j}$ is 1 for the winner and 0 for the rest: the window's
# gradient goes, whole, to its winner. Two details:
#
# - **Ties.** When two entries are equal and largest, the maximum has a kink: moving
#   either up changes $y$, moving either down does not. Any convention is a valid
#   subgradient, but the backward pass must follow the **same** winner as the forward
#   pass. Ours, like `np.argmax` and PyTorch: the **first** maximum in row-major order
#   within the window (`k = np.argmax(window)`, `di, dj = divmod(k, size)`). Splitting the
#   gradient among the tied entries, or giving it to each of them, are mistakes.
# - **Overlaps.** When `stride < size` the windows overlap, and one input can win several
#   of them: its gradient is the **sum** of theirs (`+=`).
#
# The figure routes a gradient through a $4 \times 4$ example with ties.

# %%
x_p = np.array([[1.0, 3.0, 2.0, 2.0],
                [3.0, 0.0, 1.0, 0.0],
                [0.0, 1.0, 4.0, 1.0],
                [2.0, 1.0, 1.0, 4.0]])
g_p = np.array([[10.0, 20.0], [30.0, 40.0]])


def draw_pool(ax, values, winners, title, fmt):
    """A 4x4 grid of numbers, the 2x2 windows outlined, the winners' cells filled."""
    ax.imshow(np.zeros((4, 4)), cmap="gray", alpha=0)
    for (u, v), value in np.ndenumerate(values):
        if (u, v) in winners:
            ax.add_patch(Rectangle((v - 0.5, u - 0.5), 1, 1, fc=PALETTE[0], alpha=0.6))
        ax.text(v, u, fmt(value), ha="center", va="center", fontsize=14, color=GREY,
                fontweight="bold" if (u, v) in winners else "normal")
    for k in range(3):
        style = dict(color=GREY, lw=3 if k == 1 else 0.5)
        ax.axhline(k + 0.5, **style)
        ax.axvline(k + 0.5, **style)
    ax.set_xlim(-0.5, 3.5)
    ax.set_ylim(3.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title, fontsize=11)


winners_p = set()
for i in range(2):
    for j in range(2):
        k = np.argmax(x_p[2 * i:2 * i + 2, 2 * j:2 * j + 2])
        winners_p.add((2 * i + k // 2, 2 * j + k % 2))
dx_p = np.zeros((4, 4))
for u, v in winners_p:
    dx_p[u, v] = g_p[u // 2, v // 2]

with course_style():
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    draw_pool(axes[0], x_p, winners_p, "x: winners filled\n(ties: the first in row-major order)",
              lambda v: f"{v:g}")
    axes[1].imshow(g_p, cmap="gray", alpha=0)
    for (i, j), value in np.ndenumerate(g_p):
        axes[1].text(j, i, f"y={x_p[2 * i:2 * i + 2, 2 * j:2 * j + 2].max():g}\ng={value:g}",
                     ha="center", va="center", fontsize=13, color=GREY)
    axes[1].axhline(0.5, color=GREY, lw=3)
    axes[1].axvline(0.5, color=GREY, lw=3)
    axes[1].set_xlim(-0.5, 1.5)
    axes[1].set_ylim(1.5, -0.5)
    axes[1].set_xticks([])
    axes[1].set_yticks([])
    axes[1].grid(False)
    axes[1].set_title("y = maxpool(x) and its gradient g", fontsize=11)
    draw_pool(axes[2], dx_p, winners_p, "dL/dx: each g goes to its winner",
              lambda v: f"{v:g}" if v else "0")
    plt.show()

# %% [markdown]
# In the top-left window, 3 appears twice: at (0, 1) and at (1, 0). Row-major order
# meets (0, 1) first, so it wins and gets all of $g = 10$; (1, 0) gets nothing. The
# top-right window ties 2 and 2 in its first row: (0, 2) wins. The bottom-right one ties
# 4 at (2, 2) and (3, 3): (2, 2) comes first.
#
# ### Exercise 6.1: `maxpool_forward`

# %% nbgrader={"grade": false, "grade_id": "sol_maxpool_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def maxpool_forward(x, size, stride):
    """Max pooling over size x size windows at the given stride, no padding.

    Parameters
    ----------
    x : ndarray of shape (N, C, H_in, W_in)
    size, stride : ints >= 1

    Returns
    -------
    y : ndarray of shape (N, C, H_out, W_out), H_out = (H_in - size) // stride + 1 (and
        likewise W_out); y[n, c, i, j] is the largest entry of the window of x starting at
        row i*stride, column j*stride.
    """
    ### BEGIN SOLUTION
    N, C, H_in, W_in = x.shape
    S = stride
    H_out, W_out = (H_in - size) // S + 1, (W_in - size) // S + 1
    y = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * S:i * S + size, j * S:j * S + size]  # (N, C, size, size)
            y[:, :, i, j] = window.max(axis=(2, 3))
    ### END SOLUTION
    return y


# %% nbgrader={"grade": true, "grade_id": "test_maxpool_forward", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check("maxpool_forward", maxpool_forward)

# %% nbgrader={"grade": true, "grade_id": "test_maxpool_forward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: odd sizes (rounded down), overlapping windows, N = 1, C = 1.
### BEGIN HIDDEN TESTS
check("maxpool_forward", maxpool_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6.2: `maxpool_backward`
#
# Find each window's winner again from `x` (the first maximum in row-major order) and add
# the window's gradient there. The tests use inputs with many ties.

# %% nbgrader={"grade": false, "grade_id": "sol_maxpool_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def maxpool_backward(dL_dy, x, size, stride):
    """Gradient of max pooling: each window's gradient goes to its winner.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, C, H_out, W_out)
    x, size, stride : the forward pass's inputs

    Returns
    -------
    dL_dx : ndarray of shape (N, C, H_in, W_in)
        dL_dy[n, c, i, j] added at the first maximum (row-major order) of window (i, j),
        zero elsewhere; an input that wins several (overlapping) windows gets the sum.
    """
    ### BEGIN SOLUTION
    N, C, H_out, W_out = dL_dy.shape
    S = stride
    dL_dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * S:i * S + size, j * S:j * S + size]
                    di, dj = divmod(int(np.argmax(window)), size)  # first maximum, row-major
                    dL_dx[n, c, i * S + di, j * S + dj] += dL_dy[n, c, i, j]  # overlaps add
    ### END SOLUTION
    return dL_dx


# %% nbgrader={"grade": true, "grade_id": "test_maxpool_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("maxpool_backward", maxpool_backward)

# %% nbgrader={"grade": true, "grade_id": "test_maxpool_backward_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests: overlapping windows (stride < size), odd sizes, ties, N = 1, C = 1.
### BEGIN HIDDEN TESTS
check("maxpool_backward", maxpool_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ### Checking a gradient with kinks
#
# At a tie the finite difference of lesson 2 straddles a kink: moving a tied entry up by
# $h$ raises $y$, moving it down does not, and the central difference returns half the
# gradient, which looks wrong even when your gradient is right. Give `check_gradient`
# the **branches**, here the winners of every window (the argmax pattern): an entry whose
# $\pm h$ perturbation changes a winner crossed a kink, and it is reported as **skipped**
# (with the one-sided slopes it saw), not failed.

# %%
def pool_winners(x, size, stride):
    """The flat index of every window's winner, shape (N, C, H_out, W_out)."""
    view = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    windows = view[:, :, ::stride, ::stride]
    return windows.reshape(*windows.shape[:4], -1).argmax(axis=4)


rng = np.random.default_rng(2)
x_k = rng.integers(0, 3, (1, 2, 6, 6)).astype(float)  # small integers: many ties
g_k = rng.standard_normal((1, 2, 3, 3))
result = check_gradient(lambda x: float(np.sum(g_k * maxpool_forward(x, 2, 2))), x_k,
                        maxpool_backward(g_k, x_k, 2, 2),
                        branches=lambda x: pool_winners(x, 2, 2))
print(result.message)
print(f"{len(result.skipped)} entries skipped, for example:", result.skipped[0].describe())

# %% [markdown]
# Every skipped entry is a tied maximum: the check could not test the tie rule, because
# no finite difference can (the function has no derivative there). The tests of
# `maxpool_backward` check it against the reference instead, and check the other entries
# with finite differences along directions that leave the ties alone.
#
# ## Summary
#
# - A convolution layer slides $F$ kernels of shape $(C, K_H, K_W)$ over the padded
#   image: $y_{n,f,i,j} = b_f + \sum_{c,p,q} W_{f,c,p,q}\,\tilde x_{n,c,iS+p,jS+q}$, a
#   cross-correlation (no flip), with $H_{out} = \lfloor (H_{in} + 2P - K_H)/S \rfloor +
#   1$, rounded down.
# - Shared weights collect gradients from everywhere they are used:
#   $\partial L/\partial b_f = \sum_{n,i,j} g_{n,f,i,j}$ and $\partial L/\partial
#   W_{f,c,p,q} = \sum_{n,i,j} g_{n,f,i,j}\,\tilde x_{n,c,iS+p,jS+q}$ (the windows,
#   weighted by the gradient).
# - $\partial L/\partial x$ scatters $g_{n,f,i,j} W_f$ back onto each window (overlaps
#   add) and crops the padding; equivalently it is a full convolution of the (dilated)
#   $g$ with the kernel flipped in both spatial axes and transposed over $(F, C)$.
# - Written as contractions over a windowed view (im2col + one matrix product per pass,
#   col2im for the scatter), both passes run orders of magnitude faster than loops.
# - Max pooling sends each window's gradient to its winner, the same one the forward
#   pass chose (first maximum in row-major order); shared winners add; at ties a
#   gradient check must skip, not fail.
#
# ## Going further
#
# - **Transposed convolution.** The backward pass for $x$ maps `(N, F, H_out, W_out)` to
#   `(N, C, H_in, W_in)`: a layer that *upsamples*. PyTorch's `conv_transpose2d` is
#   exactly `conv_backward`'s $\partial L / \partial x$ used as a forward pass. What is its
#   own backward pass?
# - **Dilation and groups.** A dilated kernel reads $\tilde x_{iS + dp}$ (gaps of $d - 1$
#   between its taps); a grouped convolution splits the channels into groups that do not
#   mix. Change the index form and the three gradients for each.
# - **Memory.** im2col copies every input value $K_H K_W$ times. For the CIFAR-10 layer
#   of the benchmark, how many megabytes is that in float32? Frameworks use other
#   algorithms too (Winograd, FFT, direct kernels) and pick per layer.
# - **Average pooling** sends $g / \text{size}^2$ to every entry of the window. Which is
#   smoother for gradient descent, and why do most networks still use max pooling (or a
#   stride-2 convolution) to downsample?
# - **PyTorch.** `torch.nn.functional.conv2d(x, W, b, stride=S, padding=P)` and
#   `max_pool2d(x, size, stride)` compute the same functions; compare their gradients with
#   yours in float64 (the course's own tests do, when PyTorch is installed).
