"""The command line: --help everywhere, clear errors for bad arguments, non-zero on failure,
and nbgrader's `alembic` found without activating the virtual environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ("release", "collect", "grade", "feedback", "report", "export", "demo")


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    out = run(command, "--help")
    assert out.returncode == 0 and "--course" in out.stdout and "usage:" in out.stdout


def test_top_level_help_lists_the_commands() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in COMMANDS:
        assert command in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "required: COMMAND"),
        (("grade", "--workers", "0"), "must be at least 1"),
        (("grade", "--bogus"), "unrecognized arguments"),
        (("collect",), "required: path"),
        (("collect", "--roster"), "expected one argument"),
        (("export", "--format", "xlsx"), "invalid choice"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    out = run(*args)
    assert out.returncode == 2 and message in out.stderr


def test_failures_exit_1_with_one_clear_line(tmp_path: Path) -> None:
    course = str(tmp_path / "course")
    out = run("collect", "--course", course, str(tmp_path / "nowhere"))
    assert out.returncode == 1 and "release" in out.stderr and "Traceback" not in out.stderr
    out = run("report", "--course", course)
    assert out.returncode == 1 and "nothing graded yet" in out.stderr
    out = run("collect", "--course", course, "--exchange", str(tmp_path / "no-exchange"))
    assert out.returncode == 1 and "release" in out.stderr and "Traceback" not in out.stderr
    out = run("collect", "--course", course, str(tmp_path), "--exchange")
    assert out.returncode == 1 and "not both" in out.stderr
    out = run("release", "--course", course, "--assignment", "99_nope", "--no-self-study")
    assert out.returncode == 1 and "no lesson called 99_nope" in out.stderr


def test_demo_refuses_to_wipe_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    out = run("demo", "--course", str(tmp_path), "--no-sandbox")
    assert out.returncode == 1 and "not a demo course" in out.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.slow
def test_alembic_is_found_without_activating_the_venv(tmp_path: Path) -> None:
    """nbgrader creates a gradebook by running `alembic`: it must work with a bare PATH."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = run(
        "release",
        "--course",
        str(tmp_path / "c"),
        "--assignment",
        "03_linear_layer",
        "--no-self-study",
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "c" / "gradebook.db").exists()
    assert (tmp_path / "c" / "release" / "03_linear_layer" / "03_linear_layer.ipynb").exists()
    # nbgrader's, traitlets' and alembic's messages go to the log the output names
    assert out.stderr == ""
    logs = list((tmp_path / "c" / "logs").glob("release-*.log"))
    assert len(logs) == 1 and logs[0].name in out.stdout.splitlines()[-1]


def test_grade_refuses_without_a_sandbox_unless_told(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}  # no bwrap to be found
    out = run("grade", "--course", str(tmp_path / "c"), env=env)
    assert out.returncode == 1
    assert "no sandbox available" in out.stderr and "--no-sandbox" in out.stderr
    out = run("grade", "--course", str(tmp_path / "c"), "--no-sandbox", env=env)
    assert "no sandbox available" not in out.stderr
    assert "warning: --no-sandbox" in out.stderr
