"""What each command does, with its terminal output. Errors the user can fix raise
:class:`CommandError` (printed as one line, exit status 1)."""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from autograder import console
from autograder.course import Course
from autograder.lessons import samples as samples_mod
from autograder.nbgrader_glue import nbg
from autograder.sandbox import bwrap
from autograder.stages import collect as collect_mod
from autograder.stages import exchange, export
from autograder.stages import feedback as feedback_mod
from autograder.stages import grade as grade_mod
from autograder.stages import release as release_mod
from autograder.stages import report as report_mod

DEMO_MARKER = ".backprop-demo-course"


class CommandError(RuntimeError):
    """A failure the user can act on."""


def check_sandbox(no_sandbox: bool) -> bool:
    """True to sandbox; refuses clearly when no sandbox works here (``--no-sandbox`` opts out)."""
    if no_sandbox:
        console.warn("--no-sandbox: student code runs with your privileges, without isolation")
        return False
    problem = bwrap.unavailable()
    if problem:
        raise CommandError(
            f"no sandbox available ({problem}). Install bubblewrap (Debian/Ubuntu: "
            "apt-get install bubblewrap; Fedora: dnf install bubblewrap; macOS, Windows: the "
            "container in the README) or pass --no-sandbox to grade without isolation "
            "(make demo SANDBOX=0)."
        )
    return True


def run(command: str, course: Course, args: argparse.Namespace) -> int:
    """Run one command with its log file (:mod:`autograder.console`); name the log
    at the end."""
    handler = {
        "release": _release,
        "collect": _collect,
        "grade": _grade,
        "feedback": _feedback,
        "report": _report,
        "export": _export,
        "demo": _demo,
    }[command]
    if command == "demo":
        _fresh_demo_dir(course)
    with console.session(course.root, command):
        status = handler(course, args)
    if console.last_log:
        print(f"log (nbgrader's and the libraries' messages): {console.shown(console.last_log)}")
    return status


def _release(course: Course, args: argparse.Namespace) -> int:
    names = args.assignment or release_mod.lessons_in()
    with console.progress(len(names), "releasing", unit="lesson") as bar:

        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(1)

        try:
            names = release_mod.release(
                course, args.assignment, self_study=not args.no_self_study, progress=step
            )
        except release_mod.ReleaseError as exc:
            raise CommandError(str(exc)) from None
    print(
        f"released {len(names)} assignment(s) into {console.shown(course.path('release'))}: "
        + ", ".join(names)
    )
    if not args.no_self_study:
        print(f"self-study bundle: {console.shown(course.path('self-study'))}")
    if getattr(args, "exchange", None) is not None:
        try:
            where = exchange.release(course, names, args.exchange or None)
        except exchange.ExchangeError as exc:
            raise CommandError(str(exc)) from None
        print(f"published to the exchange: {where} (students: nbgrader fetch_assignment)")
    return 0


def _collect(course: Course, args: argparse.Namespace) -> int:
    try:
        if getattr(args, "exchange", None) is not None:
            if args.path is not None:
                raise CommandError("give a path or --exchange, not both")
            chosen = [args.assignment] if getattr(args, "assignment", None) else None
            rep = exchange.collect(course, args.exchange or None, chosen)
        else:
            rep = collect_mod.collect(
                course,
                args.path,
                roster=getattr(args, "roster", None),
                assignment=getattr(args, "assignment", None),
                times=getattr(args, "times", None),
                timezone=getattr(args, "timezone", None),
                id_column=getattr(args, "id_column", None),
            )
    except (ValueError, OSError, exchange.ExchangeError) as exc:
        raise CommandError(str(exc)) from None
    unchanged = f", {len(rep.unchanged)} unchanged" if rep.unchanged else ""
    print(
        f"collected {len(rep.accepted)} new and {len(rep.replaced)} replaced submission(s)"
        f"{unchanged} ({rep.layout})"
    )
    for w in rep.warnings:
        logging.getLogger("autograder.stages.collect").warning(w)  # all of them, in the log
    warned = (console.clip(f"warning: {w}") for w in rep.warnings)
    for line in console.listing(warned, 8, "in the log"):
        print(f"  {line}")
    kept = (
        ("submission time" if a.kind == "time" else "not collected")
        + f": {a.origin}: {a.reason}"
        + (f" (kept as {a.kept_as})" if a.kept_as else "")
        for a in rep.attention
    )
    for line in console.listing(kept, 8, f"see {console.shown(course.path('attention'))}"):
        print(f"  {line}")
    return 0


def _grade(course: Course, args: argparse.Namespace) -> int:
    options = grade_mod.Options(
        check_sandbox(args.no_sandbox),
        verify=not args.no_verify,
        force=args.force,
        workers=args.workers,
        scheduler=args.scheduler,
        cell_timeout=getattr(args, "cell_timeout", None),
        notebook_timeout=getattr(args, "notebook_timeout", None),
        uid=getattr(args, "sandbox_uid", 60000),
    )
    try:
        tasks = grade_mod.plan(course, args.assignment, args.student)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not tasks:
        raise CommandError("nothing to grade: collect submissions first")
    start = time.monotonic()
    with console.progress(len(tasks), "grading") as bar:

        def step(label: str) -> None:
            bar.set_postfix_str(label)
            bar.update(1)

        results = grade_mod.grade(course, options, args.assignment, args.student, step)
    counts = Counter(r.status for r in results)
    how = "in the sandbox" if options.sandboxed else "WITHOUT the sandbox (--no-sandbox)"
    how += ", verified" if options.verify else ", NOT verified (--no-verify)"
    print(
        f"graded {len(results)} submission(s) in {_duration(time.monotonic() - start)} {how}: "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    )
    trouble = (
        console.clip(f"{r.status}: {r.student_id} {r.assignment}: {r.reason}")
        for r in results
        if r.status in ("needs_attention", "ungradable")
    )
    for line in console.listing(trouble, 8, "run `python -m autograder report`"):
        print(f"  {line}")
    reports = console.shown(course.path("reports"))
    print(f"wrote {reports}/grades.csv and {reports}/totals.csv")
    return 0


def _feedback(course: Course, args: argparse.Namespace) -> int:
    total = 0
    with console.progress(0, "feedback", unit="page") as bar:

        def step(done: int, of: int) -> None:
            nonlocal total
            total = bar.total = of
            bar.update(done - bar.n)

        written = feedback_mod.feedback(course, args.assignment, args.student, step)
    failed = f" ({total - len(written)} failed: see the log)" if len(written) < total else ""
    print(
        f"wrote {len(written)} feedback page(s){failed} under "
        f"{console.shown(course.path('feedback'))} (<student>/<assignment>/<assignment>.html)"
    )
    if getattr(args, "exchange", None) is not None:
        released, skipped = exchange.release_feedback(
            course, args.exchange or None, args.assignment, args.student
        )
        print(f"returned {len(released)} through the exchange (students: nbgrader fetch_feedback)")
        for who, why in skipped:
            print(f"  not returned: {who}: {why}")
    return 0


def _report(course: Course, args: argparse.Namespace) -> int:
    if not course.path("results").exists():
        raise CommandError("nothing graded yet: run `python -m autograder grade` first")
    report_mod.build(course)
    print(report_mod.summary(course))
    return 0


def _export(course: Course, args: argparse.Namespace) -> int:
    try:
        path, notes = export.export(
            course,
            args.format,
            roster=args.roster,
            assignment=args.assignment,
            output=args.output,
            id_column=args.id_column,
        )
    except (ValueError, OSError) as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {path} ({args.format})")
    for note in notes:
        print(f"  {note}")
    return 0


def _fresh_demo_dir(course: Course) -> None:
    """An empty demo course directory (refusing to wipe one the demo did not create)."""
    root = course.root
    if root.exists() and any(root.iterdir()) and not (root / DEMO_MARKER).exists():
        raise CommandError(f"{root} exists and is not a demo course; choose another --course")
    if root.exists():  # emptied, not removed: it may be a mount point (docker run -v)
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    root.mkdir(parents=True, exist_ok=True)
    (root / DEMO_MARKER).write_text("created by `python -m autograder demo`\n")


def _demo(course: Course, args: argparse.Namespace) -> int:
    start = time.monotonic()
    if not args.no_sandbox:
        check_sandbox(False)  # fail early, before the slow steps (grade warns without it)
    _write_demo_config(course)
    _release(course, argparse.Namespace(assignment=None, no_self_study=False))
    with tempfile.TemporaryDirectory() as tmp:
        made = samples_mod.samples(course.path("release"), course.path("source"))
        incoming = samples_mod.write(made, Path(tmp) / "submissions")
        times = samples_mod.write_times(made, Path(tmp) / "times.csv")
        _collect(course, argparse.Namespace(path=incoming, times=times))
    grade_args = argparse.Namespace(
        **{**vars(args), "assignment": None, "student": None, "force": False, "scheduler": None}
    )
    _grade(course, grade_args)
    _feedback(course, argparse.Namespace(assignment=None, student=None))
    print()
    _report(course, args)
    print()
    root = console.shown(course.root)
    print(f"demo finished in {_duration(time.monotonic() - start)}; everything is in {root}/")
    print(f"  next: read {root}/reports/report.md and the pages in {root}/feedback/;")
    print(f"  grade the written answers in formgrader: cd {root} && jupyter lab")
    return 0


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _write_demo_config(course: Course) -> None:
    path = nbg.write_course_config(course.root)
    deadlines = {name: samples_mod.DEADLINE.isoformat() for name in release_mod.lessons_in()}
    with path.open("a", encoding="utf-8") as f:
        f.write(f"c.LatePolicy.deadlines = {deadlines!r}\nc.LatePolicy.penalty_per_day = 0.1\n")
