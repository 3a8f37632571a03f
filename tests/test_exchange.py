"""nbgrader's exchange on a shared machine, with real Unix identities.

An instructor and four students, each a separate uid (the test runs as root: each command
runs as its user through ``setpriv``, inside a bubblewrap mount namespace whose
``/etc/passwd`` names these uids, so nbgrader's ``get_username`` and the exchange's
owner checks see real users, and the kernel enforces the exchange's permissions). The
instructor runs ``python -m autograder release/collect/grade/feedback`` with
``--exchange``; students run nbgrader's own ``fetch_assignment``, ``submit`` and
``fetch_feedback`` (the real code paths, unchanged). Attacks, by students who know the
exchange's layout:

- mallory puts a notebook in the inbound directory under alice's name (a later time in
  its name, so nbgrader's own collect would take it as alice's latest);
- mallory hands in a folder of her own whose name and ``timestamp.txt`` say 2020, files
  touched back to 2020;
- trudy hands in a folder whose notebook is a symbolic link to the instructor's solution.

What this cannot exercise: JupyterHub's spawner and login (the users exist only inside the
namespace), a network filesystem's ctime (tested on the local one), nbgrader's
``groupshared`` mode, and an instructor who is not the exchange's owner.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course, parse_time
from autograder.lessons import answers

pytestmark = pytest.mark.slow

LESSON = "03_linear_layer"
COURSE_ID = "backprop-course"
USERS = {"teacher": 47100, "alice": 47101, "bob": 47102, "mallory": 47103, "trudy": 47104}
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Machine:
    """A shared machine: users, their homes, the exchange, the course."""

    base: Path
    passwd: Path
    group: Path

    @property
    def exchange(self) -> Path:
        return self.base / "srv" / "exchange"

    @property
    def course(self) -> Path:
        return self.base / "srv" / "course"

    def home(self, user: str) -> Path:
        return self.base / "home" / user

    def run(
        self, user: str, *argv: str, cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        uid = USERS[user]
        home = self.home(user)
        env = {
            "HOME": str(home),
            "USER": user,
            "LOGNAME": user,
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "TMPDIR": str(home / "tmp"),
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
        }
        wrap = ["bwrap", "--dev-bind", "/", "/", *_python_visible()]
        wrap += ["--ro-bind", str(self.passwd), "/etc/passwd"]
        wrap += ["--ro-bind", str(self.group), "/etc/group"]
        wrap += ["--chdir", str(cwd or home), "--"]
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
        out = subprocess.run(
            [*wrap, *drop, *argv], env=env, capture_output=True, text=True, timeout=900
        )
        if check and out.returncode != 0:
            raise AssertionError(
                f"{user}: {argv} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
            )
        return out

    def autograder(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("teacher", sys.executable, "-m", "autograder", *args, check=check)

    def nbgrader(self, user: str, command: str) -> subprocess.CompletedProcess[str]:
        root = f"--Exchange.root={self.exchange}"
        return self.run(
            user, sys.executable, "-m", "nbgrader", command, LESSON, "--course", COURSE_ID, root
        )

    def write_as(self, user: str, path: Path, data: bytes) -> None:
        path.write_bytes(data)
        os.chown(path, USERS[user], USERS[user])


def _python_visible() -> list[str]:
    """bwrap arguments that let every user run this Python: when it lives under a folder
    only root may enter (a pyenv in /root), that folder is replaced by an empty one holding
    just the Python installation, read-only."""
    real = Path(sys.base_prefix).resolve()
    for closed in reversed(real.parents):
        if closed != Path("/") and not closed.stat().st_mode & 0o001:
            args = ["--perms", "0755", "--tmpfs", str(closed)]
            for inner in reversed(real.parents):
                if closed in inner.parents:
                    args += ["--perms", "0755", "--dir", str(inner)]
            return [*args, "--ro-bind", str(real), str(real)]
    return []


def _machine() -> Machine:
    if os.geteuid() != 0:
        pytest.skip("acting as several users needs root")
    for tool in ("bwrap", "setpriv"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (CI installs it)")
    base = Path(tempfile.mkdtemp(prefix="bpc-exchange-", dir="/tmp"))
    base.chmod(0o755)
    passwd, group = base / "passwd", base / "group"
    users = "".join(f"{u}:x:{i}:{i}::{base / 'home' / u}:/bin/sh\n" for u, i in USERS.items())
    groups = "".join(f"{u}:x:{i}:\n" for u, i in USERS.items())
    passwd.write_text(Path("/etc/passwd").read_text() + users)
    group.write_text(Path("/etc/group").read_text() + groups)
    for user, uid in USERS.items():
        for folder in (base / "home" / user, base / "home" / user / "tmp"):
            folder.mkdir(parents=True)
            os.chown(folder, uid, uid)
        (base / "home" / user).chmod(0o700)
    (base / "home").chmod(0o755)
    srv = base / "srv"
    srv.mkdir()
    os.chown(srv, USERS["teacher"], USERS["teacher"])
    return Machine(base, passwd, group)


def _perfect(machine: Machine, release: Path) -> bytes:
    source = answers.read(machine.course / "source" / LESSON / f"{LESSON}.ipynb")
    code = {k: v for k, v in answers.solutions(source).items() if k.startswith("sol_")}
    return nbformat.writes(answers.fill(answers.read(release), code)).encode()


def _inbound_folder(machine: Machine, user: str, name: str, files: dict[str, bytes]) -> Path:
    """A folder a student creates by hand in the inbound directory (as that student)."""
    folder = machine.exchange / COURSE_ID / "inbound" / name
    script = (
        "import os, sys, json\n"
        "folder, files = sys.argv[1], json.loads(sys.argv[2])\n"
        "os.mkdir(folder)\n"
        "for n, v in files.items():\n"
        "    p = os.path.join(folder, n)\n"
        "    if v.startswith('LINK:'):\n"
        "        os.symlink(v[5:], p)\n"
        "    else:\n"
        "        open(p, 'w').write(v)\n"
        "        os.utime(p, (1577836800, 1577836800))\n"
        "os.utime(folder, (1577836800, 1577836800))\n"
    )
    payload = json.dumps({k: v.decode() for k, v in files.items()})
    machine.run(user, sys.executable, "-c", script, str(folder), payload)
    return folder


@pytest.fixture(scope="module")
def machine() -> Machine:
    m = _machine()
    opened = _reachable([REPO, Path(sys.prefix)])
    try:
        _scenario(m)
        yield m
    finally:
        shutil.rmtree(m.base, ignore_errors=True)
        for folder, mode in reversed(opened):
            folder.chmod(mode)


def _reachable(paths: list[Path]) -> list[tuple[Path, int]]:
    """Let the simulated users reach the course's Python: give "others" the search bit
    (x, never read) on each folder above ``paths`` that lacks it, as a checkout made inside
    ``mktemp -d`` (mode 0700) does; returns each changed folder's mode, to put back."""
    changed: list[tuple[Path, int]] = []
    for path in paths:
        for folder in [path, *path.parents]:
            mode = stat.S_IMODE(folder.stat().st_mode)
            if not mode & stat.S_IXOTH:  # (a folder changed already has it now)
                folder.chmod(mode | stat.S_IXOTH)
                changed.append((folder, mode))
    return changed


def _scenario(m: Machine) -> None:
    course = str(m.course)
    ex = str(m.exchange)
    m.autograder(
        "release", "--course", course, "--assignment", LESSON, "--no-self-study", "--exchange", ex
    )
    m.started = time.time()  # type: ignore[attr-defined]
    for user in ("alice", "bob", "mallory", "trudy"):
        m.nbgrader(user, "fetch_assignment")
    release = m.home("alice") / LESSON / f"{LESSON}.ipynb"
    perfect = _perfect(m, release)
    m.write_as("alice", release, perfect)
    m.nbgrader("alice", "submit")
    m.nbgrader("bob", "submit")  # as fetched: nothing answered
    time.sleep(1.1)  # nbgrader's timestamps have microseconds; ctime has nanoseconds
    m.write_as("bob", m.home("bob") / LESSON / f"{LESSON}.ipynb", perfect)
    m.nbgrader("bob", "submit")
    m.nbgrader("mallory", "submit")  # her own, unanswered
    impostor = perfect.replace(b"YOUR ANSWER HERE", b"written by mallory")
    _inbound_folder(
        m,
        "mallory",
        f"alice+{LESSON}+2099-01-01 00:00:00.000000 UTC+zzz",
        {f"{LESSON}.ipynb": impostor},
    )
    old = b"2020-01-01 00:00:00.000000 UTC"
    _inbound_folder(
        m,
        "mallory",
        f"mallory+{LESSON}+2020-01-01 00:00:00.000000 UTC+yyy",
        {f"{LESSON}.ipynb": perfect, "timestamp.txt": old},
    )
    solution = m.course / "source" / LESSON / f"{LESSON}.ipynb"
    _inbound_folder(
        m,
        "trudy",
        f"trudy+{LESSON}+2026-01-01 00:00:00.000000 UTC+xxx",
        {f"{LESSON}.ipynb": f"LINK:{solution}".encode()},
    )
    m.collected = m.autograder("collect", "--course", course, "--exchange", ex)  # type: ignore[attr-defined]
    m.again = m.autograder("collect", "--course", course, "--exchange", ex)  # type: ignore[attr-defined]
    m.autograder("grade", "--course", course, "--no-sandbox", "--workers", "1")
    m.returned = m.autograder("feedback", "--course", course, "--exchange", ex)  # type: ignore[attr-defined]
    for user in ("alice", "bob", "mallory"):
        m.nbgrader(user, "fetch_feedback")


def _attention(m: Machine) -> list[dict[str, str]]:
    return json.loads((m.course / "attention" / "attention.json").read_text())


def test_release_sets_nbgraders_permissions(machine: Machine) -> None:
    course = machine.exchange / COURSE_ID
    assert (machine.exchange.stat().st_mode & 0o7777) == 0o777
    assert (course / "outbound").stat().st_mode & 0o7777 == 0o755
    assert (course / "inbound").stat().st_mode & 0o7777 == 0o2733
    assert (course / "feedback").stat().st_mode & 0o7777 == 0o711
    for user in ("alice", "bob"):
        assert (machine.home(user) / LESSON / f"{LESSON}.ipynb").exists()


def test_students_cannot_look_into_the_exchange(machine: Machine) -> None:
    inbound = machine.exchange / COURSE_ID / "inbound"
    probe = (
        "import os, sys\n"
        "try:\n    os.listdir(sys.argv[1]); print('listed')\n"
        "except PermissionError:\n    print('denied')\n"
    )
    for folder in (inbound, machine.exchange / COURSE_ID / "feedback"):
        out = machine.run("mallory", sys.executable, "-c", probe, str(folder))
        assert out.stdout.strip() == "denied", folder
    write = "open(__import__('sys').argv[1], 'w')"
    target = machine.exchange / COURSE_ID / "outbound" / LESSON / "evil.txt"
    assert (
        machine.run("mallory", sys.executable, "-c", write, str(target), check=False).returncode
        != 0
    )
    assert not target.exists()


def test_collect_takes_each_students_own_latest_submission(machine: Machine) -> None:
    course = Course.at(machine.course)
    alice = course.submission_dir("alice", LESSON) / f"{LESSON}.ipynb"
    assert b"written by mallory" not in alice.read_bytes()
    assert alice.read_bytes() == (machine.home("alice") / LESSON / f"{LESSON}.ipynb").read_bytes()
    bob = course.submission_dir("bob", LESSON) / f"{LESSON}.ipynb"
    assert bob.read_bytes() == alice.read_bytes()  # his second, answered submission
    assert (course.submission_dir("alice", LESSON) / "submission_secret.txt").exists()
    assert not course.submission_dir("trudy", LESSON).exists()
    assert "unchanged" in machine.again.stdout  # type: ignore[attr-defined]


def test_impersonation_and_links_are_listed_not_collected(machine: Machine) -> None:
    rows = _attention(machine)
    impostor = [r for r in rows if "alice+" in r["origin"]]
    assert impostor and "belongs to 'mallory'" in impostor[0]["reason"]
    assert impostor[0]["student_id"] == "mallory"
    link = [r for r in rows if r["origin"].startswith("exchange inbound/trudy+")]
    assert link and "no regular file" in link[0]["reason"]
    text = machine.collected.stdout  # type: ignore[attr-defined]
    assert "not collected" in text and "belongs to 'mallory'" in text


def test_submission_times_come_from_the_exchange_not_the_student(machine: Machine) -> None:
    course = Course.at(machine.course)
    started = machine.started  # type: ignore[attr-defined]
    for student in ("alice", "bob", "mallory"):
        stamp = parse_time((course.submission_dir(student, LESSON) / "timestamp.txt").read_text())
        assert stamp.timestamp() >= started - 1, student  # not 2020
        received = json.loads(
            (course.submission_dir(student, LESSON) / "received.json").read_text()
        )
        assert "exchange" in received["source"]
    rows = [r for r in _attention(machine) if r.get("kind") == "time"]
    assert [r["student_id"] for r in rows] == ["mallory"]  # alice and bob's times agree
    assert "says 2020-01-01" in rows[0]["reason"]
    results = {
        p.stem: json.loads(p.read_text())
        for p in (machine.course / "results" / LESSON).glob("*.json")
    }
    assert results["mallory"]["timestamp"] and not results["mallory"]["timestamp"].startswith(
        "2020"
    )


def test_feedback_returns_through_the_exchange(machine: Machine) -> None:
    text = machine.returned.stdout  # type: ignore[attr-defined]
    assert "returned 2 through the exchange" in text
    assert "mallory" in text and "no submission secret" in text  # her hand-made folder
    for student in ("alice", "bob"):
        ours = machine.course / "feedback" / student / LESSON / f"{LESSON}.html"
        fetched = list((machine.home(student) / LESSON / "feedback").glob(f"*/{LESSON}.html"))
        assert len(fetched) == 1, student
        assert fetched[0].read_bytes() == ours.read_bytes()
        assert fetched[0].stat().st_uid == USERS[student]
    assert not list((machine.home("mallory") / LESSON).glob("feedback/*/*.html"))
    scores = {
        p.stem: json.loads(p.read_text())["cells"]
        for p in (machine.course / "results" / LESSON).glob("*.json")
    }
    auto = {s: sum(c["score"] or 0 for c in cells if c["function"]) for s, cells in scores.items()}
    assert auto["alice"] == auto["bob"] == auto["mallory"] > 0  # bob's second, mallory's copy
