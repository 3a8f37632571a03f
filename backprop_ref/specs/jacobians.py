"""Lesson 01_jacobians: Jacobians and the chain rule.

(Placeholder: the lesson's specs are being written.)
"""

from __future__ import annotations

from backprop_ref.specs.lesson import Lesson

LESSON = Lesson(name="01_jacobians", title="Jacobians and the chain rule", specs=(), cells=())
