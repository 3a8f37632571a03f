"""The named mistakes of lesson 08, in words a student can act on.

A value mistake reads "``<name>`` matches ``<description>``, not the expected result.",
so each description names what was computed, then what to do instead. A shape mistake
reads "``<name>`` has shape ``(...)``, expected ``(...)``: ``<description>``."
"""

from __future__ import annotations

# ------------------------------------------------------------------- output size

SIZE_NO_PLUS_ONE = (
    "the number of steps without the first window: (H_in + 2P - KH) // S counts the strides "
    "between windows; add 1 for the window at position 0"
)
SIZE_NO_PAD = "the size without the padding: the windows slide over H_in + 2P rows, not H_in"
SIZE_PAD_ONCE = "the size with the padding counted once: P zeros are added on each side, 2P in all"
SIZE_CEIL = (
    "the size rounded up: a window that would stick out past the padded image does not "
    "exist; round down with integer division, (H_in + 2P - KH) // S + 1 (PyTorch's rule)"
)
SIZE_NO_STRIDE = "the size at stride 1: divide the distance H_in + 2P - KH by the stride S"
SIZE_CHANNELS = (
    "C output channels: the output has one channel per filter, F = W.shape[0], not the input's C"
)
SIZE_SWAPPED = (
    "the kernel's height and width mixed up: H_out comes from the image's height and "
    "KH = W.shape[2], W_out from its width and KW = W.shape[3]"
)
# ------------------------------------------------------------------- forward

FLIPPED = (
    "a true convolution, with the kernel flipped: deep-learning frameworks compute a "
    "cross-correlation, y[n, f, i, j] = b[f] + sum W[f, c, p, q] xp[n, c, i*S + p, j*S + q], "
    "with the kernel as it is"
)
NO_BIAS = "the output without the bias: add b[f] to every position of output channel f"
STRIDE_IGNORED = (
    "windows that start at (i, j) instead of (i*S, j*S): the stride moves each window "
    "S rows and S columns from the previous one"
)
KERNEL_TRANSPOSED = (
    "the kernel transposed in its spatial axes, W[f, c, q, p]: p runs over the rows "
    "(KH), q over the columns (KW)"
)
COLS_ORDER = (
    "the columns' rows ordered (p, q, c) while W.reshape(F, -1) orders its columns (c, p, "
    "q): a kernel entry meets a different input value; build the columns in the order of W's "
    "axes (c, then p, then q), or reorder W to match"
)
RELU_OR_ZERO_START = (
    "the maxima clipped at 0 (a running maximum started at 0 instead of -inf or the "
    "window's first entry): a window of negative numbers has a negative maximum"
)
AVERAGE = "the average of each window (average pooling): max pooling keeps the largest entry"

# ------------------------------------------------------------------- gradients

DB_MEAN = (
    "the mean of dL_dy over the batch and the positions: b[f] is added to every one of "
    "them, so its gradient is their sum"
)
DB_MEAN_POSITIONS = (
    "the sum over the batch of the mean over the positions: b[f] is added at every "
    "position, so each position's gradient counts in full (sum over axes 0, 2 and 3)"
)
DB_WRONG_AXES = (
    "dL_dy summed over the channels and positions (axes 1, 2, 3), one entry per image: b "
    "has one entry per filter, so sum over axes 0, 2 and 3"
)
W_FLIPPED = (
    "the gradient of the flipped kernel, dL/dW[f, c, KH-1-p, KW-1-q]: the forward pass "
    "multiplies W[f, c, p, q] with xp[n, c, i*S + p, j*S + q], so that input is what dL/dW "
    "[f, c, p, q] sums (times dL/dy[n, f, i, j])"
)
W_STRIDE_IGNORED = (
    "a dL/dW that reads the input at (i + p, j + q) instead of (i*S + p, j*S + q): the "
    "backward pass must use the windows of the forward pass, stride included"
)
W_BATCH_MEAN = (
    "dL/dW averaged over the batch: the same W is used for every image, so the images' "
    "contributions add (any averaging of the loss is already inside dL_dy)"
)
W_LAST_IMAGE = (
    "the contribution of the last image only: the images' contributions must add up "
    "(+=), not replace each other"
)
W_CF_SWAPPED = (
    "the gradient with its first two axes swapped, (C, F, KH, KW): dL/dW has the shape of "
    "W, (F, C, KH, KW)"
)
W_NO_PAD = (
    "a dL/dW computed on x without its padding: the forward pass reads xp, x with P zeros "
    "on each side, and so must the backward pass"
)
X_FLIPPED = (
    "the gradient with the kernel flipped the wrong way: sending each output's gradient "
    "back to its window, every input gets dL/dy[n, f, i, j] times the W[f, c, p, q] that "
    "multiplied it in the forward pass, unflipped; written as a full convolution (a "
    "correlation over the padded dL/dy), the kernel must be flipped in both spatial axes"
)
X_STRIDE_IGNORED = (
    "a dL/dx that sends each window's gradient back to (i + p, j + q) instead of "
    "(i*S + p, j*S + q): the stride places the windows in the backward pass too (in the "
    "full-convolution form: insert S - 1 zeros between the entries of dL/dy)"
)
X_PADDED = (
    "the gradient of the padded input xp: crop the P rows and columns of padding on each "
    "side, dL_dxp[:, :, P:P + H_in, P:P + W_in]"
)
X_EMPTY_CROP = (
    "an empty array: with P = 0, dL_dxp[:, :, P:-P] is the slice 0:0, which is empty; crop "
    "with dL_dxp[:, :, P:P + H_in, P:P + W_in], which also works for P = 0"
)
X_SHORT = (
    "an array short of the input's last rows or columns: when (H_in + 2P - KH) is not a "
    "multiple of S, the last rows of x are in no window; their gradient is zero, but they "
    "are part of dL/dx"
)
POOL_SPREAD = (
    "the window's gradient spread over the whole window (dL/dy / size^2 to every entry, "
    "the gradient of average pooling): only the maximum affects the output, so only it "
    "gets the gradient"
)
POOL_ALL_TIED = (
    "the full gradient given to every tied maximum (x == max over the window): the "
    "forward pass took one winner, the first maximum in row-major order (np.argmax's "
    "rule), and only it gets the gradient"
)
POOL_SHARED = (
    "the gradient shared equally among the tied maxima: the forward pass took one winner, "
    "the first maximum in row-major order (np.argmax's rule); it gets all of the gradient"
)
POOL_LAST = (
    "the gradient given to the last tied maximum: break ties as the forward pass does, "
    "the first maximum in row-major order (np.argmax over the flattened window)"
)
POOL_OVERWRITE = (
    "a gradient that keeps only the last window's contribution where windows overlap: "
    "an input that wins several windows receives the sum of their gradients (+=, not =)"
)
POOL_STRIDE_IGNORED = (
    "winners placed at (i + di, j + dj) instead of (i*S + di, j*S + dj): window (i, j) "
    "starts at row i*S and column j*S"
)
POOL_TRANSPOSED = (
    "winners placed at (dj, di) instead of (di, dj) within their windows: the flat index "
    "k of a row-major window is di*size + dj, so di, dj = divmod(k, size)"
)
POOL_NO_FLOOR = (
    "an output that includes a partial window: the windows that do not fit are dropped, "
    "H_out = (H_in - size) // stride + 1"
)
POOL_STRIDE_ONE = (
    "an output of windows at every position (stride 1): window (i, j) starts at (i*S, j*S)"
)
X_CHANNELS = (
    "a dL/dx that uses W[c, f] where W[f, c] belongs: dL/dx[n, c] sums over the filters f, "
    "each contributing through its kernel for channel c, W[f, c] (in the full-convolution "
    "form the kernel is transposed over its first two axes, not only flipped)"
)

# ------------------------------------------------------------------- shapes of gradients

DB_PER_IMAGE = "one entry per image and filter: sum over the batch (axis 0) as well"
DB_PER_POSITION = "one entry per filter and position: sum over the positions (axes 2 and 3) as well"
DB_KEEPDIMS = "the sums kept as axes of length 1 (keepdims): b has shape (F,)"
DB_ONE_NUMBER = "one number: sum over the batch and the positions, not over the filters"
