"""Lesson 04_activations_losses: Activations and losses: diagonal Jacobians and where the recursion starts.

(Placeholder: the lesson's specs are being written.)
"""

from __future__ import annotations

from backprop_ref.specs.lesson import Lesson

LESSON = Lesson(name="04_activations_losses", title="Activations and losses: diagonal Jacobians and where the recursion starts", specs=(), cells=())
