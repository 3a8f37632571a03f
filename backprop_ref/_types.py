"""Type aliases shared by the package (the student kit's: one definition)."""

from backprop_kit._types import Array, IntArray

__all__ = ["Array", "IntArray"]
