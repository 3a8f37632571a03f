"""Plots: the figures exist, have the right axes, and render to PNG without a display."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from backprop_kit import plots
from backprop_kit.data import spiral


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _png(ax: object) -> bytes:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")  # type: ignore[attr-defined]
    return buf.getvalue()


def test_error_vs_step_is_log_log_with_labelled_curves() -> None:
    h = np.logspace(-12, -1, 12)
    errors = {"forward": h + 1e-16 / h, "central": h**2 + 1e-16 / h}
    ax = plots.plot_error_vs_step(h, errors, title="V")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "step size h" and ax.get_ylabel() == "error"
    assert [line.get_label() for line in ax.get_lines()] == ["forward", "central"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["forward", "central"]
    assert ax.get_title() == "V"
    assert _png(ax).startswith(b"\x89PNG")


def test_error_vs_step_single_curve_drops_zeros() -> None:
    h = np.array([1e-3, 1e-2, 1e-1])
    ax = plots.plot_error_vs_step(h, np.array([0.0, 1e-4, 1e-2]))
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1e-2, 1e-1])
    assert ax.get_legend() is None


def test_loss_curve() -> None:
    ax = plots.plot_loss_curve([2.0, 1.0, 0.5, 0.25], label="train")
    plots.plot_loss_curve([2.0, 1.5, 1.0], ax=ax, label="test")
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert len(ax.get_lines()) == 2
    assert plots.plot_loss_curve([1.0, 0.0], log=False).get_yscale() == "linear"
    _png(ax)


@pytest.mark.parametrize("returns", ["scores", "labels"])
def test_decision_boundary(returns: str) -> None:
    x, labels = spiral(n_per_class=20)

    def predict(g: np.ndarray) -> np.ndarray:
        scores = np.stack([g[:, 0], g[:, 1], -g[:, 0] - g[:, 1]], axis=1)  # (G, 3)
        return scores if returns == "scores" else scores.argmax(axis=1)

    ax = plots.plot_decision_boundary(predict, x, labels, resolution=50)
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert len(ax.collections) >= 2  # the filled regions and the scattered points
    x0, x1 = ax.get_xlim()
    assert x0 < x[:, 0].min() and x1 > x[:, 0].max()
    _png(ax)


def test_course_style_is_transparent_grey_and_colour_blind_safe() -> None:
    before = matplotlib.rcParams["text.color"]
    with plots.course_style():
        fig, ax = plt.subplots()
        assert matplotlib.rcParams["text.color"] == plots.GREY
        (line,) = ax.plot([0, 1])
    assert fig.get_facecolor()[3] == 0.0 and ax.get_facecolor()[3] == 0.0
    assert matplotlib.colors.to_hex(line.get_color()) == plots.PALETTE[0].lower()
    assert matplotlib.rcParams["text.color"] == before  # restored on leaving the block


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(colour: str) -> float:
        rgb = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
               for c in matplotlib.colors.to_rgb(colour)]  # fmt: skip
        return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_course_grey_reads_on_light_and_dark_themes() -> None:
    assert _contrast(plots.GREY, "#ffffff") >= 4.5  # JupyterLab light, the HTML pages
    assert _contrast(plots.GREY, "#111111") >= 4.0  # JupyterLab dark


def test_inline_figures_ask_for_a_light_background() -> None:
    """JupyterLab and nbconvert's pages put a transparent figure on the background its
    inline metadata asks for, judged from the tick labels' lightness: the old grey
    (#8C8C8C) counted as light text and got a dark panel on light pages."""
    from matplotlib_inline.backend_inline import _fetch_figure_metadata

    with plots.course_style():
        fig, ax = plt.subplots()
        ax.plot([0, 1])
        fig.canvas.draw()
        assert _fetch_figure_metadata(fig) == {"needs_background": "light"}
    plt.close(fig)


def test_importing_the_package_does_not_import_matplotlib() -> None:
    code = (
        "import sys, backprop_kit.plots, backprop_ref.modules; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
