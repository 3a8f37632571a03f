"""The named mistakes of lesson 07, in words a student can act on.

A judge's message reads "``<name>`` matches ``<description>``, not the expected result.",
so each description names what was computed and then what to do instead. Dicts keyed by
``axis`` give the batch-norm (0) and layer-norm (1) wording.
"""

from __future__ import annotations

# ------------------------------------------------------------------------- forward

UNBIASED = {
    0: "the unbiased variance (a sum divided by N - 1): batch norm normalises with the "
    "biased variance of the batch, the mean of (x - mu)**2 over the N rows (np.var's "
    "default, ddof=0; PyTorch's training mode normalises the same way)",
    1: "the unbiased variance (a sum divided by D - 1): layer norm normalises with the "
    "biased variance, the mean of (x - mu)**2 over the D features (np.var's default, ddof=0)",
}
EPS_OUTSIDE = (
    "epsilon outside the square root, (x - mu) / (sqrt(var) + eps): eps belongs inside, "
    "(x - mu) / sqrt(var + eps)"
)
NO_EPS = (
    "the normalisation without epsilon, (x - mu) / sqrt(var): add eps to the variance "
    "inside the square root; it decides the result where the variance is near zero"
)
NO_SQRT = "a division by the variance instead of the standard deviation: divide by sqrt(var + eps)"
NAIVE_VAR = (
    "the variance computed as mean(x**2) - mean(x)**2: with large offsets the two terms "
    "are almost equal and their difference keeps none of the variance's digits (catastrophic "
    "cancellation); compute it from the centred values, mean((x - mu)**2)"
)
NOT_CENTRED = "x divided by the standard deviation without subtracting the mean mu first"
WRONG_AXIS = {
    0: "the statistics of each row (axis=1), which is layer normalisation: batch norm "
    "takes the mean and variance of each feature over the batch, axis=0",
    1: "the statistics of each column over the batch (axis=0), which is batch "
    "normalisation: layer norm takes the mean and variance of each example (row) over its "
    "features, axis=1 with keepdims=True",
}
WHOLE_ARRAY = (
    "one mean and one variance for the whole array (x.mean(), x.var()): take them along one "
    "axis only"
)
NO_KEEPDIMS = (
    "the row statistics subtracted along the wrong axis: x.mean(axis=1) has shape (N,), and "
    "numpy broadcasts it against the last axis (the features) of x; keep it a column with "
    "keepdims=True (shape (N, 1))"
)
EPS_FIXED = (
    "the result for eps = 1e-5 instead of the eps passed in: use the argument (or "
    "cache['eps'], or cache['std'], which already holds it)"
)
GAMMA_BETA_SWAPPED = "beta * xhat + gamma: gamma scales, beta shifts (gamma * xhat + beta)"
NO_AFFINE = "xhat, the normalised x without the scale gamma and the shift beta"
NO_BETA = "gamma * xhat without the shift: add beta"

# ------------------------------------------------------------------- gamma and beta

DGAMMA_NO_XHAT = (
    "the sum of dL_dy alone, which is dL/dbeta: y = gamma * xhat + beta, so dL/dgamma sums "
    "dL_dy * xhat"
)
DGAMMA_X = "the sum of dL_dy * x: gamma multiplies xhat, the normalised x, not x itself"
DGAMMA_XC = "the sum of dL_dy * (x - mu): gamma multiplies xhat = (x - mu) / std; divide by std"
MEAN_NOT_SUM = (
    "the mean over the batch instead of the sum: every row of y uses the same gamma and "
    "beta, so their gradients add the N rows' contributions"
)
SUM_AXIS_1 = (
    "a sum over the features (axis=1) instead of over the batch (axis=0): gamma and beta "
    "have one entry per feature"
)

# ---------------------------------------------------------------------- staged steps

XHAT_NO_GAMMA = "dL_dy itself: y = gamma * xhat + beta, so dL/dxhat = dL_dy * gamma"
XHAT_DIVIDED = "dL_dy / gamma: y = gamma * xhat + beta, so dL/dxhat = dL_dy * gamma"
STD_SIGN = (
    "+sum(dL/dxhat * xc) / std**2, the right magnitude with the wrong sign: the derivative "
    "of xc / std with respect to std is -xc / std**2"
)
STD_POWER = (
    "-sum(dL/dxhat * xc) / std: the derivative of xc / std with respect to std is "
    "-xc / std**2 (std squared)"
)
STD_X = (
    "a sum of dL/dxhat * x: xhat = xc / std, so the derivative by std involves xc = x - mu, not x"
)
STD_NOT_SUMMED = (
    "a mean over the batch: std is shared by the N rows, so dL/dstd is the sum of their "
    "contributions"
)
VAR_TIMES = (
    "dL/dstd * std / 2: the derivative of std = sqrt(var + eps) by var is "
    "1 / (2 sqrt(var + eps)) = 1 / (2 std)"
)
VAR_NO_HALF = "dL/dstd / std: the derivative of sqrt(v) is 1 / (2 sqrt(v)); the 1/2 is missing"
VAR_NO_EPS = (
    "dL/dstd / (2 sqrt(var)): the derivative of sqrt(var + eps) is 1 / (2 sqrt(var + eps)) = "
    "1 / (2 std); eps stays inside"
)
VAR_NEG = "-dL/dstd / (2 std): the derivative of sqrt is positive; the sign is wrong"
XC_NO_VAR = (
    "dL/dxhat / std, only the path through xhat: xc also feeds var = mean(xc**2), so add "
    "what comes back along that path, (2/N) xc dL/dvar (gradients add where paths meet)"
)
XC_NO_XHAT = (
    "(2/N) xc dL/dvar, only the path through var: xc also feeds xhat = xc / std directly; "
    "add dL/dxhat / std"
)
XC_NO_N = (
    "dL/dxhat / std + 2 xc dL/dvar: var is the mean of xc**2 over the N rows, so its "
    "derivative by one entry xc[n] is 2 xc[n] / N"
)
XC_NO_2 = "dL/dxhat / std + xc dL/dvar / N: the derivative of xc**2 is 2 xc"
MU_SIGN = "+sum(dL/dxc): xc = x - mu, so dL/dmu = -sum over the batch of dL/dxc"
MU_MEAN = (
    "-mean(dL/dxc): mu is shared by the N rows, so its gradient is the sum of their "
    "contributions, -sum(dL/dxc, axis=0)"
)
X_NO_MEAN = (
    "dL/dxc alone, only the path through xc: x also feeds mu = mean(x), so add "
    "dL/dmu / N to every row (gradients add where paths meet)"
)
X_NO_N = "dL/dxc + dL/dmu: mu is the mean of the N rows, so d mu / d x[n] = 1/N"
X_SIGN = "dL/dxc - dL/dmu / N: dL/dmu already carries the minus sign of xc = x - mu; add it"

# -------------------------------------------------------------------- compact forms

DX_DIRECT = (
    "gamma / std * dL_dy, the gradient through xhat alone, as if mu and var were "
    "constants: every x[n] also moves the mean and the variance of its column, and both "
    "paths contribute (the two sums of the compact formula)"
)
DX_NO_VAR = (
    "gamma / std * (dL_dy - mean(dL_dy)): the mean's path is there, the variance's path "
    "(the term - xhat * mean(dL_dy * xhat)) is missing"
)
DX_NO_MEAN = (
    "gamma / std * (dL_dy - xhat * mean(dL_dy * xhat)): the variance's path is there, the "
    "mean's path (the term - mean(dL_dy)) is missing"
)
DX_NO_GAMMA = (
    "the compact formula without gamma: dL/dxhat = dL_dy * gamma, so every term carries gamma"
)
DX_NO_ONE_OVER_N = {
    0: "the compact formula without the 1/N in front, (N g - sum g - xhat sum(g xhat)) / std",
    1: "the compact formula without the 1/D in front, (D g - sum g - xhat sum(g xhat)) / std",
}
DX_OTHER_AXIS = {
    0: "the compact formula with its sums over the features (axis=1), which is layer "
    "norm's backward: batch norm's sums run over the batch (axis=0)",
    1: "the compact formula with its sums over the batch (axis=0), which is batch norm's "
    "backward: layer norm's sums run over each row's features (axis=1, keepdims=True)",
}
DX_UNBIASED = {
    0: "the compact formula with N - 1 on the variance's path: var is the mean of xc**2 over "
    "the N rows (the biased variance), so d var / d xc[n] = 2 xc[n] / N",
    1: "the compact formula with D - 1 on the variance's path: var is the mean of xc**2 over "
    "the D features (the biased variance), so d var / d xc[j] = 2 xc[j] / D",
}
DX_WRONG_COUNT = {
    0: "the compact formula divided by D, the number of features: batch norm's statistics "
    "are means over the N rows, so the count in the formula is N",
    1: "the compact formula divided by N, the batch size: layer norm's statistics are means "
    "over the D features of a row, so the count in the formula is D",
}
DX_STD_NO_EPS = "the compact formula with sqrt(var) in place of std = sqrt(var + eps)"
DX_GAMMA_OUTSIDE = (
    "gamma / std * (dL_dy - mean(dL_dy) - xhat * mean(dL_dy * xhat)) with the means over the "
    "row: in layer norm gamma varies along the row, so it cannot leave the sums; use "
    "g = dL_dy * gamma inside them"
)
