"""``python -m autograder``: release, collect, grade, feedback, report, demo."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import console
from autograder.course import Course

EPILOG = "Run `python -m autograder COMMAND --help` for a command's options."


def _common(p: argparse.ArgumentParser, default_course: str = "course") -> None:
    p.add_argument(
        "--course",
        type=Path,
        default=Path(default_course),
        metavar="DIR",
        help=f"course directory (default: ./{default_course})",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="gradebook SQLAlchemy URL (default: SQLite in the course directory)",
    )


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--assignment", action="append", metavar="A", help="only this assignment (repeatable)"
    )
    p.add_argument("--student", action="append", metavar="S", help="only this student (repeatable)")


def _grading(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code without the sandbox (only where bubblewrap is unavailable)",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="score by nbgrader's in-kernel tests only (not trustworthy)",
    )
    p.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    p.add_argument(
        "--cell-timeout",
        type=_positive,
        default=None,
        metavar="S",
        help="seconds a notebook cell may run before it is interrupted (default: course config)",
    )
    p.add_argument(
        "--notebook-timeout",
        type=_positive,
        default=None,
        metavar="S",
        help="wall-clock seconds for a whole notebook (default: course config)",
    )
    p.add_argument(
        "--sandbox-uid",
        type=_positive,
        default=60000,
        metavar="UID",
        help="first unprivileged uid of the sandbox; worker k uses UID + k (default: 60000)",
    )
    p.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        metavar="N",
        help="grade in N parallel processes (default: the number of cores)",
    )


def _exchange(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--exchange",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help=f"{what} nbgrader's exchange (DIR, default: c.Exchange.root in the course config)",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m autograder",
        epilog=EPILOG,
        description="The backprop-course instructor pipeline on nbgrader.",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("release", help="generate the student versions and the self-study bundle")
    _common(p)
    p.add_argument(
        "--assignment", action="append", metavar="A", help="only this lesson (repeatable)"
    )
    p.add_argument("--no-self-study", action="store_true", help="skip the self-study bundle")
    _exchange(p, "also publish to")
    p = sub.add_parser(
        "collect",
        help="import submissions: a folder or zip, a Canvas/Moodle download, the exchange",
    )
    _common(p)
    p.add_argument(
        "path",
        type=Path,
        nargs="?",
        help="folder or zip: <student>/<assignment>/<notebook>.ipynb, or a Canvas/Moodle "
        "submissions download (with --roster)",
    )
    _exchange(p, "collect from")
    p.add_argument(
        "--roster",
        type=Path,
        metavar="CSV",
        help="the platform's class list: Canvas gradebook export or Moodle grading worksheet",
    )
    p.add_argument("--assignment", metavar="A", help="the lesson a platform download holds")
    p.add_argument(
        "--times",
        type=Path,
        metavar="FILE",
        help="trusted submission times: CSV student_id,assignment,submitted_at (folder layout) "
        "or Canvas's submissions JSON",
    )
    p.add_argument("--timezone", metavar="TZ", help="the Moodle worksheet's timezone (IANA)")
    p.add_argument("--id-column", metavar="NAME", help="roster column holding the student id")
    p = sub.add_parser("grade", help="autograde and verify what has been collected")
    _common(p)
    _selection(p)
    _grading(p)
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="grade on a dask.distributed cluster at ADDRESS (e.g. tcp://host:8786)",
    )
    p = sub.add_parser("feedback", help="HTML feedback per student and notebook")
    _common(p)
    _selection(p)
    _exchange(p, "also return it through")
    p = sub.add_parser(
        "report", help="pass rates, score distribution, submissions needing attention"
    )
    _common(p)
    p = sub.add_parser("export", help="grades for Canvas or Moodle import, or one long CSV")
    _common(p)
    p.add_argument("--format", choices=("csv", "canvas", "moodle"), default="csv")
    p.add_argument("--roster", type=Path, metavar="CSV", help="the platform's class list")
    p.add_argument("--assignment", metavar="A", help="the lesson (Moodle: one per worksheet)")
    p.add_argument("--output", type=Path, metavar="FILE", help="default: course/reports/export-*")
    p.add_argument("--id-column", metavar="NAME", help="roster column holding the student id")
    p = sub.add_parser("demo", help="the whole pipeline on generated sample submissions")
    _common(p, default_course="demo-course")
    _grading(p)
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    if args.command == "collect" and args.path is None and args.exchange is None:
        top.error("collect: the following arguments are required: path (or --exchange)")
    course = Course.at(args.course, args.db)
    # Imported here, not at the top: `--help` and argument errors answer at once, without
    # loading nbgrader (actions imports every stage). No import circle is involved.
    from autograder.commands import actions as commands

    try:
        return commands.run(args.command, course, args)
    except commands.CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "interrupted: results graded so far are saved; run the command again to finish",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:  # a bug of ours: one line here, the traceback in the log
        where = f"; the traceback is in {console.last_log}" if console.last_log else ""
        print(f"error: unexpected {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        if not console.last_log:
            raise
        return 1
