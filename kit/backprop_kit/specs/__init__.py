"""The cards of every lesson, by graded function's name.

One module per lesson (``lNN_topic.py``) defines ``CARDS``, a tuple of
:class:`~backprop_kit.cards.Card`: the call, the steps and a judge that only compares with
the expected data of the lesson's check file.
"""

from __future__ import annotations

from backprop_kit.cards import Card
from backprop_kit.specs import (
    l01_jacobians,
    l02_gradient_checking,
    l03_linear_layer,
    l04_activations_losses,
    l05_backprop_network,
    l06_autodiff,
    l07_normalisation,
    l08_convolution,
)

_MODULES = (
    l01_jacobians,
    l02_gradient_checking,
    l03_linear_layer,
    l04_activations_losses,
    l05_backprop_network,
    l06_autodiff,
    l07_normalisation,
    l08_convolution,
)

CARDS: dict[str, Card] = {card.name: card for module in _MODULES for card in module.CARDS}

__all__ = ["CARDS"]
