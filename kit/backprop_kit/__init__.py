"""backprop_kit: the student kit of backprop-course. Checks, not answers.

What students install (``pip install backprop-course-kit``): the notebooks' ``check``, the
gradient checker (``gradcheck``: ``check_gradient``, ``diagnose``), datasets (``data``),
initial parameters (``params``), figures in the course style (``plots``), and the halves
of the specs that only compare (``specs``: one card per graded function). It holds no
implementation of a graded function; the answers live in ``backprop_ref`` (instructors,
the grader and self-learners who want the solutions).

The spec protocol (one spec per graded function; read this before converting a lesson)
-----------------------------------------------------------------------------------------
1. Kit side, ``backprop_kit/specs/lNN_topic.py``: a :class:`~backprop_kit.cards.Card` per
   graded function: ``name``, ``signature``, ``steps`` (:class:`~backprop_kit.harness.Step`
   calls), ``returns``, ``may_modify``, and ``judge(case, expected, outcome)``, which
   yields one :class:`~backprop_kit.verdicts.Finding` per stage and raises ``Stop`` at the
   first failure. A judge only compares (numpy and :mod:`backprop_kit.judging`); list the
   module's cards in ``CARDS`` and register it in :mod:`backprop_kit.specs`.
2. Reference side, ``backprop_ref/specs/lNN_topic/``: ``cases.py`` (``cases(rng, stage)``
   -> list of :class:`~backprop_kit.verdicts.Case`), ``expected.py`` (``expect(case)`` ->
   plain data: the reference outputs, the named mistakes' outputs, finite differences,
   e.g. a loss recorded with :func:`backprop_kit.gradcheck.record`), ``__init__.py`` with
   ``Spec(card, cases, expect)`` per function and the ``LESSON`` table.
3. ``python -m autograder release`` (and ``make notebooks``) writes each lesson's
   ``checks.npz`` (cases + expected, no pickle) beside the notebook; the grader's copy
   adds the hidden cases. ``check("fn", fn)`` runs the student's function on those cases
   (a time limit per case) and judges with the card; the grader's verification draws
   fresh cases and calls ``Spec.evaluate`` (``expect``, then the same judge).
"""

from backprop_kit.checks import CheckFailed, check
from backprop_kit.gradcheck import check_gradient, diagnose

__version__ = "0.1.0"

__all__ = ["CheckFailed", "check", "check_gradient", "diagnose"]
