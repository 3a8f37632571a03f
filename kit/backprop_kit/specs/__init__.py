"""The cards of every converted lesson, by graded function's name.

One module per lesson (``lNN_topic.py``) defines ``CARDS``, a tuple of
:class:`~backprop_kit.cards.Card`. A graded function without a card here is checked the
transitional way (its lesson's judges still call the reference; see
:func:`backprop_kit.checks.check`).
"""

from __future__ import annotations

from backprop_kit.cards import Card
from backprop_kit.specs import (
    l03_linear_layer,
    l06_autodiff,
    l07_normalisation,
    l08_convolution,
)

_MODULES = (
    l03_linear_layer,
    l06_autodiff,
    l07_normalisation,
    l08_convolution,
)

CARDS: dict[str, Card] = {card.name: card for module in _MODULES for card in module.CARDS}

__all__ = ["CARDS"]
