"""Lesson 05_backprop_network: Backpropagation through a network.

(Placeholder: the lesson's specs are being written.)
"""

from __future__ import annotations

from backprop_ref.specs.lesson import Lesson

LESSON = Lesson(name="05_backprop_network", title="Backpropagation through a network", specs=(), cells=())
