"""Shared fixtures: the system parts some tests need (see tests/system.py)."""

from __future__ import annotations

import pytest

from tests import system


def pytest_report_header(config: pytest.Config) -> str:
    return system.header()


@pytest.fixture
def requires_sandbox() -> None:
    """Fails the test where bubblewrap cannot run, unless the run opted out (then: skipped)."""
    system.require("sandbox")


@pytest.fixture
def requires_postgres() -> None:
    system.require("postgres")


@pytest.fixture
def requires_browser() -> None:
    system.require("browser")
