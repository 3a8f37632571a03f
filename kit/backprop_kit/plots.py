"""Figures in one course style, readable on light and dark notebook themes.

The style (:data:`COURSE_RC`) has transparent backgrounds (the page's own light or dark
background shows through), mid-grey axes, ticks, text and grid, and the Okabe-Ito
colour-blind-safe palette (without its black, which vanishes on a dark theme). Every
plotting function draws inside :func:`course_style` and returns its Axes; pass ``ax`` to
draw into an existing one. matplotlib is imported only when a function is called, so
importing this module needs neither matplotlib nor a display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from backprop_kit._types import Array, IntArray

#: Okabe & Ito (2008), minus black: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#D55E00", "#0072B2", "#F0E442")
#: Mid-grey for text, axes and grid: 4.5:1 contrast against white (WCAG AA for text) and
#: 4.2:1 against JupyterLab's dark background (#111111); no grey reaches 4.5:1 on both.
GREY = "#767676"

COURSE_RC: dict[str, Any] = {
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "axes.edgecolor": GREY,
    "axes.labelcolor": GREY,
    "axes.titlecolor": GREY,
    "text.color": GREY,
    "xtick.color": GREY,
    "ytick.color": GREY,
    "grid.color": GREY,
    "grid.alpha": 0.35,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "axes.prop_cycle": f"cycler(color={list(PALETTE)!r})",
}


@contextmanager
def course_style() -> Iterator[None]:
    """Apply :data:`COURSE_RC` to the figures created inside the block.

    For a whole notebook instead: ``matplotlib.pyplot.rcParams.update(COURSE_RC)``.
    """
    import matplotlib as mpl

    # Restore only our own keys: matplotlib's rc_context would also reset the backend and
    # interactive mode chosen while inside it (figures stop showing inline afterwards).
    rc: Any = mpl.rcParams  # typed with literal keys; ours are checked by matplotlib
    saved = {key: rc[key] for key in COURSE_RC}
    rc.update(COURSE_RC)
    try:
        yield
    finally:
        rc.update(saved)


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def plot_error_vs_step(
    h: Array,
    errors: Array | Mapping[str, Array],
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Error of a finite-difference estimate against its step size ``h``, on log-log axes.

    Truncation error falls with ``h`` and round-off error grows as ``h`` shrinks, so the
    curve is V-shaped with its minimum near the best step.

    Parameters
    ----------
    h : ndarray of shape (n,), positive
    errors : ndarray of shape (n,), or a dict of label -> ndarray (n,) for several curves
        Absolute (or relative) errors; zeros are left out, as log axes cannot show them.
    """
    curves = errors if isinstance(errors, Mapping) else {"": errors}
    with course_style():
        ax = _axes(ax)
        for label, err in curves.items():
            err = np.asarray(err, dtype=float)
            shown = err > 0
            ax.loglog(np.asarray(h)[shown], err[shown], marker="o", ms=4, label=label or None)
        ax.set_xlabel("step size h")
        ax.set_ylabel("error")
        if title:
            ax.set_title(title)
        if any(curves):
            ax.legend()
    return ax


def plot_loss_curve(
    history: Sequence[float] | Array,
    *,
    ax: Any = None,
    label: str | None = None,
    log: bool = True,
) -> Any:
    """The loss at every training step (a log y-axis by default); call again to overlay."""
    with course_style():
        ax = _axes(ax)
        ax.plot(np.arange(len(history)), np.asarray(history, dtype=float), label=label)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        if log:
            ax.set_yscale("log")
        if label:
            ax.legend()
    return ax


def plot_decision_boundary(
    predict: Callable[[Array], Array],
    x: Array,
    labels: IntArray,
    *,
    ax: Any = None,
    resolution: int = 200,
    margin: float = 0.25,
) -> Any:
    """The class a model predicts over the plane, with the data points on top.

    Parameters
    ----------
    predict : callable mapping points of shape (G, 2) to scores (G, C) or labels (G,)
    x : ndarray of shape (N, 2)
    labels : int ndarray of shape (N,)
    resolution : grid points per axis
    margin : space around the data, as a fraction of its extent
    """
    lo, hi = x.min(axis=0), x.max(axis=0)
    lo, hi = lo - margin * (hi - lo), hi + margin * (hi - lo)
    g0, g1 = np.meshgrid(*(np.linspace(lo[i], hi[i], resolution) for i in (0, 1)))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1).astype(x.dtype)  # (G, 2)
    out = np.asarray(predict(grid))
    classes = (out.argmax(axis=1) if out.ndim == 2 else out).reshape(g0.shape)
    n_classes = int(max(classes.max(), labels.max())) + 1
    colours = [PALETTE[c % len(PALETTE)] for c in range(n_classes)]
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(colours)
    with course_style():
        ax = _axes(ax)
        levels = np.arange(n_classes + 1) - 0.5
        ax.contourf(g0, g1, classes, levels=levels, cmap=cmap, alpha=0.3)
        ax.scatter(
            x[:, 0],
            x[:, 1],
            c=labels,
            cmap=cmap,
            vmin=-0.5,
            vmax=n_classes - 0.5,
            s=14,
            edgecolors=GREY,
            linewidths=0.4,
        )
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.grid(False)
        ax.set_aspect("equal")
    return ax
