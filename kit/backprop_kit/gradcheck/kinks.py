"""Telling a wrong entry from a finite difference that crossed a kink.

At a kink (ReLU at 0, a tie in a max, a hinge at its margin) the central difference
returns a blend of the two one-sided slopes: ReLU exactly at 0 gives half the jump, a
wrong-looking value even when the gradient is right. Entries that disagree at step ``h``
get a second look, with a smaller step ``s = h / 4``: the central difference at ``s`` and
the second-order one-sided derivatives ``(-+3 f(x) +- 4 f(x +- s) -+ f(x +- 2s)) / 2s``.

* With ``branches`` (the branch indicators, e.g. the ReLU masks): if the indicators are
  the same at ``x + h e`` and ``x - h e``, no kink was crossed and the entry is wrong.
  Otherwise the gradient is compared with what stays on the branch of ``x`` itself (the
  branch the analytic gradient follows): the central difference at ``s`` when both sides
  keep it up to ``2s``; when only one side keeps it (a kink at or next to ``x``), the
  gradient must lie between the one-sided derivatives (it is that side's, or another
  convention's, like ``z >= 0`` for ReLU); when neither does, nothing can be checked.
  Agreement: skipped (reported, not failed); disagreement: failed.
* Without: the one-sided rule. The entry is skipped when its gradient lies between the
  two one-sided derivatives and these estimates differ markedly (their spread, with the
  central differences at ``h`` and ``s``, is at least half the disagreement; a smooth
  function makes them agree to round-off). It is also skipped when f has a kink exactly
  at the point along that entry: each one-sided derivative is the same at steps ``s``
  and ``2s`` (no kink nearby) but the two differ markedly. There the gradient is a
  convention (e.g. the ReLU mask at 0) that no finite difference can check, and with
  several kinks crossed in opposite directions at once (an all-zero input row with zero
  biases) the convention may lie outside the one-sided derivatives.
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_kit.gradcheck.objective import Objective

#: The smaller step of the second look, as a share of h.
SHRINK = 0.25


@dataclass(frozen=True)
class Tolerance:
    """How far an entry's gradient may sit from a finite-difference estimate.

    ``rtol * max(|g|, |n|, floor) + rounding + noise``: a relative part (floored, so that
    entries near zero are compared on the tensor's scale), the rounding of a low-precision
    gradient, and the round-off of the estimate itself.
    """

    rtol: float
    floor: float  #: FLOOR * max|grad| of the tensor
    rounding: float  #: ROUNDING_FACTOR * eps(grad dtype) * max|grad| (0 in float64)

    def __call__(self, g: float, n: float, noise: float) -> float:
        return self.rtol * max(abs(g), abs(n), self.floor) + self.rounding + noise


@dataclass(frozen=True)
class Look:
    """The second look at an entry: central and one-sided differences at ``s = h / 4``,
    and the one-sided ones at ``2s`` (from ``f(x +- h)``, already known)."""

    central: float
    right: float
    left: float
    right_2s: float
    left_2s: float
    noise: float  #: round-off allowance of ``central``; the one-sided ones carry 4x


def second_look(obj: Objective, name: str, i: int, h: float, plus: float, minus: float) -> Look:
    """Four more evaluations of f around entry ``i``, at ``+-s`` and ``+-2s``; ``plus``
    and ``minus`` are f at ``x +- h e_i`` (``h = 4s``)."""
    s = SHRINK * h
    f0 = obj.loss
    f1p, f1m = obj.entry(name, i, s)
    f2p, f2m = obj.entry(name, i, 2 * s)
    return Look(
        central=(f1p - f1m) / (2 * s),  # truncation ~ s^2 f^(3) / 6
        right=(-3 * f0 + 4 * f1p - f2p) / (2 * s),  # one-sided, truncation ~ s^2 f^(3) / 3
        left=(3 * f0 - 4 * f1m + f2m) / (2 * s),
        right_2s=(-3 * f0 + 4 * f2p - plus) / (4 * s),  # the same from f(x), f(x+2s), f(x+4s)
        left_2s=(3 * f0 - 4 * f2m + minus) / (4 * s),
        noise=obj.noise(s),
    )


def kink_verdict(
    obj: Objective, name: str, i: int, g: float, plus: float, minus: float, tol: Tolerance
) -> tuple[bool, float]:
    """For an entry that disagrees with its central difference (f at ``x +- h e_i`` is
    ``plus``, ``minus``): (is it a kink to skip, the estimate it was last compared with)."""
    h = obj.step
    n = (plus - minus) / (2 * h)
    if obj.branches is not None:
        return _on_branch(obj, name, i, g, n, (plus, minus), tol)
    look = second_look(obj, name, i, h, plus, minus)
    lo, hi = sorted((look.left, look.right))
    slack = tol(g, max(abs(lo), abs(hi)), 4 * look.noise)
    between = lo - slack <= g <= hi + slack
    estimates = (n, look.central, look.left, look.right)
    spread = max(estimates) - min(estimates)  # ~round-off for a smooth function
    return (between and spread >= 0.5 * abs(g - n)) or _kink_at_point(look, g, tol), n


def _kink_at_point(look: Look, g: float, tol: Tolerance) -> bool:
    """Whether f has a kink exactly at the point along this entry: each side's slope is
    the same at two steps, and the two sides differ markedly."""
    slack = tol(g, max(abs(look.left), abs(look.right)), 8 * look.noise)
    same_right = abs(look.right - look.right_2s) <= slack
    same_left = abs(look.left - look.left_2s) <= slack
    return same_right and same_left and abs(look.right - look.left) > 4 * slack


def _on_branch(
    obj: Objective,
    name: str,
    i: int,
    g: float,
    n: float,
    pm: tuple[float, float],
    tol: Tolerance,
) -> tuple[bool, float]:
    h = obj.step
    if not obj.crosses_entry(name, i, h):
        return False, n  # no kink between x - h e and x + h e: the entry is wrong
    keeps = [obj.keeps_branch(name, i, side * 2 * SHRINK * h) for side in (1.0, -1.0)]
    if not any(keeps):
        return True, n  # every nearby point is on another branch: cannot be checked
    look = second_look(obj, name, i, h, *pm)
    if all(keeps):  # the kink lies beyond 2s: the smaller central difference is clean
        return abs(g - look.central) <= tol(g, look.central, look.noise), look.central
    estimate = look.right if keeps[0] else look.left  # the side that stays on x's branch
    slack = tol(g, max(abs(look.left), abs(look.right)), 4 * look.noise)
    lo, hi = sorted((look.left, look.right))
    return lo - slack <= g <= hi + slack, estimate  # that side, or another convention
