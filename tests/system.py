"""The system parts some tests need (bubblewrap, PostgreSQL, Chromium), and the explicit
opt-out when a machine lacks them.

A test that exists to exercise one of them never skips silently: where the part is missing
it fails, naming what to install, unless this run opted out of that part
(``make test SANDBOX=0`` / ``POSTGRES=0`` / ``BROWSER=0``, which set
``BACKPROP_TESTS_WITHOUT=sandbox,postgres,browser``); then it is skipped, saying so. Tests
that only need grading to run (not to prove the sandbox) grade without the sandbox when the
run opted out of it, and otherwise use it.
"""

from __future__ import annotations

import os
import shutil
from functools import cache

import pytest

ENV = "BACKPROP_TESTS_WITHOUT"
PARTS = {
    "sandbox": ("bubblewrap", "SANDBOX=0"),
    "postgres": ("postgresql", "POSTGRES=0"),
    "browser": ("chromium", "BROWSER=0"),
}


def opted_out() -> set[str]:
    """The parts this run explicitly does without (unknown names are an error)."""
    names = {n.strip() for n in os.environ.get(ENV, "").replace(" ", ",").split(",")}
    names.discard("")
    unknown = names - PARTS.keys()
    if unknown:
        raise pytest.UsageError(f"{ENV}: unknown part(s) {sorted(unknown)}; known: {list(PARTS)}")
    return names


@cache
def problem(part: str) -> str:
    """Why ``part`` cannot be used here ('' when it can)."""
    if part == "sandbox":
        from autograder.sandbox import bwrap

        return bwrap.unavailable()
    if part == "postgres":
        from tests import postgres

        return "" if postgres.binaries() else "PostgreSQL's server (initdb) is not installed"
    if part == "browser":
        return "" if chromium() else "Chromium is not installed"
    raise ValueError(part)


def chromium() -> str | None:
    """Debian's Chromium (what the browser tests launch), if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require(part: str) -> None:
    """Fail the calling test when ``part`` is unusable, unless the run opted out (then skip)."""
    why = problem(part)
    if not why:
        return
    package, flag = PARTS[part]
    if part in opted_out():
        pytest.skip(f"opted out of the {part} ({ENV} / make test {flag}): {why}")
    pytest.fail(
        f"{why}. Install it (scripts/setup-system test, as root with apt; or the "
        f"{package} package), or opt out explicitly: make test {flag}",
        pytrace=False,
    )


def sandboxed() -> bool:
    """For tests that grade: True to grade in the sandbox. Without bubblewrap, False only when
    the run opted out of the sandbox; otherwise the test fails (see :func:`require`)."""
    if "sandbox" in opted_out() and problem("sandbox"):
        return False
    require("sandbox")
    return True


def header() -> str:
    """One line for pytest's header: which parts are here, which were opted out."""
    out = opted_out()
    parts = []
    for part in PARTS:
        state = "ok" if not problem(part) else "MISSING"
        parts.append(f"{part} {state}" + (" (opted out)" if part in out else ""))
    return "system: " + ", ".join(parts)
