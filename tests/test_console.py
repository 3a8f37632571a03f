"""What a command shows: our own lines on the terminal; every other message (libraries'
warnings and logs, subprocesses' stderr) in the log file the command names; a one-screen
report summary that says when grading ran without the sandbox."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from autograder import console
from autograder.course import Course
from autograder.grading.results import CellResult, SubmissionResult
from autograder.stages import report

SESSION = """
import logging, subprocess, sys, warnings
from pathlib import Path
from autograder import console

with console.session(Path(sys.argv[1]), "grade") as log:
    print("our line")
    console.warn("for the user")
    print("python stderr", file=sys.stderr)
    warnings.warn("a library warning", UserWarning)
    logging.getLogger("sqlalchemy").warning("a library log")
    subprocess.run([sys.executable, "-c", "import os; os.write(2, b'child stderr')"])
    print("log:", log)
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_session_sends_everything_but_our_lines_to_the_log(tmp_path: Path) -> None:
    run = _run(SESSION, str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stderr == "warning: for the user\n"
    assert run.stdout.startswith("our line\n")
    log = Path(run.stdout.split("log: ")[1].strip())
    assert log.parent == tmp_path / "logs" and log.name.startswith("grade-")
    text = log.read_text()
    for message in ("python stderr", "a library warning", "a library log", "child stderr"):
        assert message in text, message
    assert "for the user" in text  # our warnings are in the log too


def test_without_a_course_directory_an_empty_log_is_not_left(tmp_path: Path) -> None:
    quiet = "import sys\nfrom pathlib import Path\nfrom autograder import console\n"
    quiet += 'with console.session(Path(sys.argv[1]), "report") as log:\n    print(log)\n'
    quiet += "print(console.last_log)\n"
    run = _run(quiet, str(tmp_path / "nowhere"))
    first, last = run.stdout.split()
    assert not Path(first).exists() and last == "None"
    assert not (tmp_path / "nowhere").exists()  # no course directory created as a side effect
    noisy = quiet.replace("print(log)", "print(log); print('x', file=sys.stderr)")
    run = _run(noisy, str(tmp_path / "nowhere"))
    first, last = run.stdout.split()
    assert first == last and Path(first).read_text().endswith("\nx\n")
    Path(first).unlink()


def test_listing_caps_long_lists() -> None:
    assert console.listing(["a", "b"], 2, "elsewhere") == ["a", "b"]
    assert console.listing(map(str, range(10)), 3, "see x.csv") == [
        "0",
        "1",
        "2",
        "... and 7 more: see x.csv",
    ]


def _result(student: str, sandboxed: bool | None, status: str = "graded") -> SubmissionResult:
    cells = [CellResult("test_f", 2.0, 2.0, "graded", "", "f")]  # type: ignore[arg-type]
    return SubmissionResult(student, "01_a", "01_a", status, "", cells, sandboxed=sandboxed)  # type: ignore[arg-type]


def test_report_says_when_grading_ran_without_the_sandbox(tmp_path: Path) -> None:
    course = Course.at(tmp_path / "course")
    for r in (_result("ann", True), _result("bob", False), _result("cyd", None, "missing")):
        r.save(course.result_file(r.student_id, r.assignment))
    markdown = report.build(course)
    assert "Graded without the sandbox: 1 of 2 submissions" in markdown
    summary = report.summary(course)
    assert summary.startswith("WARNING: Graded without the sandbox: 1 of 2 submissions")
    r = _result("bob", True)
    r.save(course.result_file("bob", "01_a"))
    assert "without the sandbox" not in report.build(course) + report.summary(course)


def test_report_summary_fits_one_screen_for_a_big_class(tmp_path: Path) -> None:
    course = Course.at(tmp_path / "course")
    for k in range(300):
        status = "needs_attention" if k % 3 == 0 else "graded"
        r = _result(f"s{k:03d}", True, status)
        r.reason = "results differ " * 20
        r.save(course.result_file(r.student_id, r.assignment))
    report.build(course)
    lines = report.summary(course).replace(str(course.root), "course").splitlines()
    assert len(lines) <= 20
    assert max(map(len, lines)) <= 130
    assert any("... and 92 more" in line for line in lines)


def test_an_unexpected_error_is_one_line_naming_the_log(tmp_path: Path) -> None:
    code = """
    import sys
    from autograder.commands import cli, actions as commands
    def boom(course, args):
        raise RuntimeError("a bug")
    commands._report = boom
    sys.exit(cli.main(["report", "--course", sys.argv[1]]))
    """
    (tmp_path / "course").mkdir()
    run = _run(code, str(tmp_path / "course"))
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and "error: unexpected RuntimeError: a bug" in lines[0], run.stderr
    log = Path(lines[0].split("the traceback is in ")[1])
    assert "Traceback" in log.read_text() and "a bug" in log.read_text()
