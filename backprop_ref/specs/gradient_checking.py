"""Lesson 02_gradient_checking: Gradient checking: finite differences done right.

(Placeholder: the lesson's specs are being written.)
"""

from __future__ import annotations

from backprop_ref.specs.lesson import Lesson

LESSON = Lesson(name="02_gradient_checking", title="Gradient checking: finite differences done right", specs=(), cells=())
