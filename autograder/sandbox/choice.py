"""The sandbox a run uses: bubblewrap, or, only when asked for (``--no-sandbox``), none."""

from __future__ import annotations

from pathlib import Path

from autograder.sandbox.base import Limits, Sandbox, Unsandboxed
from autograder.sandbox.bwrap import Bubblewrap


def sandbox_for(
    sandboxed: bool, uid: int, readable: tuple[Path, ...] = (), limits: Limits | None = None
) -> Sandbox:
    """Bubblewrap with the unprivileged ``uid`` (and ``readable`` trees bound read-only), or
    the explicit no-sandbox fallback, which applies the same ``limits`` only."""
    if not sandboxed:
        return Unsandboxed(limits or Limits())
    return Bubblewrap(limits, uid=uid, readable=readable)
