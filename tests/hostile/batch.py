"""Grade the whole corpus as one batch through the real pipeline, and observe everything.

``python -m autograder release / collect / grade / feedback / report`` in a fresh course
directory, the sandbox on, two workers, short limits. Before grading: canary secrets are
planted (in the course's sources, the gradebook, another student's submission, the
grader's environment; the course's verification secret is one too), a TCP server listens
on the host, and the files no submission may change are hashed. Afterwards: the same
hashes, the processes of the sandbox's uids, the server's connections, and every output a
student can see (graded notebooks, feedback HTML, CSVs, results) are collected in a
:class:`Batch` for the tests to check.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.lessons import answers as answers_mod
from backprop_ref.specs import LESSONS
from tests.hostile.cases import (
    CASES,
    LESSON,
    LESSONS_HANDED_IN,
    VICTIM,
    VICTIM_NOTE,
    Case,
    Ctx,
)

REPO = Path(__file__).resolve().parents[2]
UID = 61000  # the sandbox's uids for this batch: 61000 + worker index (not other tests')
WORKERS = 2
CELL_TIMEOUT = 10
NOTEBOOK_TIMEOUT = 30
#: Repository files that attacks try to write (read-only in the sandbox).
REPO_TARGETS = (
    "autograder/nbgrader_glue/nbgrader_config.py",
    "backprop_ref/specs/core.py",
    "backprop_ref/specs/__init__.py",
    "backprop_ref/layers.py",
    "backprop_ref/derivatives.py",
    "kit/backprop_kit/checks.py",
)
#: Host files attacks try to create (outside the sandbox they would be real).
HOST_FILES = ("/tmp/pwned", "/tmp/daemon-was-here", "/tmp/leak.txt")
#: Tables of the gradebook that grading never writes (the lesson, its cells, the students).
FIXED_TABLES = (
    "assignment",
    "notebook",
    "base_cell",
    "grade_cells",
    "solution_cells",
    "task_cells",
    "source_cell",
    "student",
)


@dataclass
class Listener:
    """A TCP server on the host: sandboxed code must never reach it."""

    sock: socket.socket
    received: list[bytes] = field(default_factory=list)

    @classmethod
    def start(cls) -> Listener:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        sock.settimeout(0.2)
        listener = cls(sock)
        threading.Thread(target=listener._serve, daemon=True).start()
        return listener

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _serve(self) -> None:
        while self.sock.fileno() >= 0:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(1)
            try:
                self.received.append(b"connection:" + conn.recv(100))
            except OSError:
                self.received.append(b"connection")
            conn.close()

    def stop(self) -> None:
        self.sock.close()


@dataclass
class Observed:
    """What grading made of one case."""

    status: str
    scores: dict[str, float | None]  # grade_id -> score
    lost: set[str]  # graded functions without all their points
    messages: list[str]  # the student's CSV messages, result reason and attention reasons
    notebook: str  # the graded notebook's text ("" if none)
    feedback: str  # the feedback HTML ("" if none)
    seconds: dict[str, float]


@dataclass
class Batch:
    course: Path
    canaries: dict[str, str]
    before: dict[str, str]
    after: dict[str, str]
    gradebook_before: dict[str, list[tuple[object, ...]]]
    gradebook_after: dict[str, list[tuple[object, ...]]]
    grade_seconds: float
    total_seconds: float
    leftover_processes: str
    received: list[bytes]
    observed: dict[str, Observed]
    totals: list[dict[str, str]]
    attention: list[dict[str, str]]
    student_visible: dict[str, str]  # path -> text of everything a student can be shown
    outputs: dict[str, str]  # command -> its output
    host_files: dict[str, float | None]  # HOST_FILES -> mtime before the batch (None: absent)


#: Seconds spent in each command (for the report).
TIMES: dict[str, float] = {}


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=REPO,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if run.returncode != 0:
        raise RuntimeError(f"autograder {args[0]} failed:\n{run.stdout}\n{run.stderr}")
    TIMES[args[0]] = TIMES.get(args[0], 0.0) + time.monotonic() - start
    return run.stdout + run.stderr


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def host_ip() -> str:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def hashes(course: Path) -> dict[str, str]:
    """sha256 of every file no submission may change (the gradebook is compared by content)."""
    files = [course / "nbgrader_config.py", course / ".grading-secret"]
    for folder in ("source", "release", "submitted", "attention"):
        files += sorted(p for p in (course / folder).rglob("*") if p.is_file())
    files += [REPO / t for t in REPO_TARGETS]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.exists()}


def gradebook_tables(course: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{course / 'gradebook.db'}?mode=ro", uri=True) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall()) for t in FIXED_TABLES}


def sandbox_processes() -> str:
    """Processes of the batch's sandbox uids still running ('' when none), given a few
    seconds to go (a killed pid namespace is torn down asynchronously)."""
    uids = ",".join(str(uid) for uid in range(UID, UID + 20))  # workers take the first free
    for _ in range(30):
        run = subprocess.run(["pgrep", "-a", "-u", uids], capture_output=True, text=True)
        if not run.stdout.strip():
            return ""
        time.sleep(0.1)
    return run.stdout.strip()


def build_inputs(ctxs: dict[str, Ctx], folder: Path, archive: Path) -> None:
    entries: list[tuple[str, bytes, bool]] = []
    for case in CASES:
        sub = case.build(ctxs[case.lesson])
        target = folder / case.name / case.lesson / f"{case.lesson}.ipynb"
        if sub.data is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(sub.data)
            for name, data in sub.beside:
                (target.parent / name).write_bytes(data)
            if sub.mtime is not None:
                os.utime(target, (sub.mtime, sub.mtime))
        elif sub.link_to is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(sub.link_to)
        entries += sub.zip_entries
    with zipfile.ZipFile(archive, "w") as z:
        for name, data, link in entries:
            info = zipfile.ZipInfo(name)
            if link:
                info.external_attr = 0o120777 << 16
            z.writestr(info, data)


def plant_canaries(course: Path, tag: str) -> dict[str, str]:
    from autograder.grading.verify import course_secret

    canaries = {
        "source": f"SOURCE_CANARY_{tag}",
        "gradebook": f"GRADEBOOK_CANARY_{tag}",
        "environment": f"ENV_CANARY_{tag}",
        "victim": VICTIM_NOTE.split(": ")[1],
    }
    notes = course / "source" / LESSON / "instructor-notes.txt"
    notes.write_text(f"hidden test ideas: {canaries['source']}\n")
    with sqlite3.connect(course / "gradebook.db") as con:
        con.execute(
            "update student set last_name = ?, email = ? where id = ?",
            (canaries["gradebook"], canaries["gradebook"], VICTIM),
        )
    canaries["grading secret"] = course_secret(course).decode()
    return canaries


def observe(course: Path, case: Case) -> Observed:
    lesson = case.lesson
    results = course / "results" / lesson / f"{case.name}.json"
    notebook = course / "autograded" / case.name / lesson / f"{lesson}.ipynb"
    feedback = course / "feedback" / case.name / lesson / f"{lesson}.html"
    attention = _attention(course)
    reasons = [a["reason"] for a in attention if a["student_id"] == case.name]
    if not results.exists():
        status = "not_collected" if reasons else "missing"
        return Observed(status, {}, set(), reasons, "", "", {})
    data = json.loads(results.read_text())
    scores = {c["grade_id"]: c["score"] for c in data["cells"]}
    lost = {
        c["function"]
        for c in data["cells"]
        if c["function"] is not None and (c["score"] or 0.0) < c["max_score"]
    }
    grades = _csv(course / "reports" / "grades.csv")
    messages = [r["message"] for r in grades if r["student_id"] == case.name and r["message"]]
    messages += [data["reason"], *reasons]
    return Observed(
        data["status"],
        scores,
        lost,
        [m for m in messages if m],
        notebook.read_text(errors="replace") if notebook.exists() else "",
        feedback.read_text(errors="replace") if feedback.exists() else "",
        data.get("seconds", {}),
    )


def _csv(path: Path) -> list[dict[str, str]]:
    """Rows of one of our CSVs, with the formula guards removed (autograder.csvsafe)."""
    from autograder.csvsafe import read

    return read(path)


def _attention(course: Path) -> list[dict[str, str]]:
    path = course / "reports" / "attention.csv"
    return _csv(path) if path.exists() else []


def student_visible(course: Path) -> dict[str, str]:
    """Everything grading shows students or writes about them: graded notebooks, feedback,
    results and reports."""
    found = {}
    for folder in ("autograded", "feedback", "results", "reports"):
        for path in (course / folder).rglob("*"):
            if path.is_file() and path.suffix in (".ipynb", ".html", ".json", ".csv", ".md"):
                found[str(path.relative_to(course))] = path.read_text(errors="replace")
    return found


def run(tmp: Path) -> Batch:
    """Build the corpus, grade it as one batch, observe everything."""
    start = time.monotonic()
    host_files = {f: os.stat(f).st_mtime if os.path.exists(f) else None for f in HOST_FILES}
    course = tmp / "course"
    outputs = {}
    chosen = [arg for lesson in LESSONS_HANDED_IN for arg in ("--assignment", lesson)]
    outputs["release"] = cli("release", "--course", str(course), *chosen, "--no-self-study")
    listener = Listener.start()
    try:
        ctxs = {}
        for lesson in LESSONS_HANDED_IN:
            release = answers_mod.read(course / "release" / lesson / f"{lesson}.ipynb")
            source = answers_mod.read(course / "source" / lesson / f"{lesson}.ipynb")
            ctxs[lesson] = Ctx(
                release,
                answers_mod.solutions(source),
                course,
                REPO,
                listener.port,
                host_ip(),
                VICTIM,
            )
        folder, archive = tmp / "incoming", tmp / "class.zip"
        build_inputs(ctxs, folder, archive)
        outputs["collect folder"] = cli("collect", "--course", str(course), str(folder))
        outputs["collect zip"] = cli("collect", "--course", str(course), str(archive))
        tag = hashlib.sha256(str(tmp).encode()).hexdigest()[:12]
        canaries = plant_canaries(course, tag)
        before, tables_before = hashes(course), gradebook_tables(course)
        t0 = time.monotonic()
        outputs["grade"] = cli(
            "grade",
            "--course",
            str(course),
            "--workers",
            str(WORKERS),
            "--cell-timeout",
            str(CELL_TIMEOUT),
            "--notebook-timeout",
            str(NOTEBOOK_TIMEOUT),
            "--sandbox-uid",
            str(UID),
            env=_env(BACKPROP_HOSTILE_CANARY=canaries["environment"]),
        )
        grade_seconds = time.monotonic() - t0
        leftover = sandbox_processes()
        outputs["feedback"] = cli("feedback", "--course", str(course))
        outputs["report"] = cli("report", "--course", str(course))
        time.sleep(1)  # a daemon that survived would write by now
    finally:
        listener.stop()
    return Batch(
        course=course,
        canaries=canaries,
        before=before,
        after=hashes(course),
        gradebook_before=tables_before,
        gradebook_after=gradebook_tables(course),
        grade_seconds=grade_seconds,
        total_seconds=time.monotonic() - start,
        leftover_processes=leftover + sandbox_processes(),
        received=list(listener.received),
        observed={case.name: observe(course, case) for case in CASES},
        totals=_csv(course / "reports" / "totals.csv"),
        attention=_attention(course),
        student_visible=student_visible(course),
        outputs=outputs,
        host_files=host_files,
    )


def outcome(obs: Observed, lesson: str = LESSON) -> str:
    """One line for the results table."""
    if obs.status in ("not_collected", "missing", "ungradable"):
        return f"{obs.status}: {obs.messages[0] if obs.messages else ''}"[:110]
    lost = ", ".join(sorted(obs.lost)) or "nothing"
    points = sum(s or 0.0 for s in obs.scores.values())
    return f"{obs.status}, {points:g}/{LESSONS[lesson].auto_points:g}, lost: {lost}"


def table(batch: Batch) -> str:
    rows = ["| case | category | attack | outcome |", "| --- | --- | --- | --- |"]
    for case in CASES:
        rows.append(
            f"| {case.name} | {case.category} | {case.attack} | "
            f"{outcome(batch.observed[case.name], case.lesson)} |"
        )
    return "\n".join(rows)


def written_notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)
