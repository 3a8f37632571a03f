"""The hostile-submission corpus (``tests/hostile/``), graded as ONE batch through the real
pipeline with the sandbox on, then checked case by case and as a whole.

For every case: no points gained by cheating, honest functions beside the attack keep full
marks, the expected status and a reason that names the student, what the attack ran into.
For the batch: the gradebook's lesson and students, the configs, sources, released notebooks
and every submission are unchanged; no sandbox process is left; nothing reached the
host's network; no canary secret appears in anything a student can see; every student is
reported; the wall-clock caps held.

One test, so that ``pytest -n`` grades the batch once; failures are listed all together.
"""

from __future__ import annotations

import json
import os

import pytest

from autograder.pages import safe_html
from backprop_ref.specs import LESSONS
from tests import system
from tests.hostile.batch import NOTEBOOK_TIMEOUT, Batch, Observed, run, table
from tests.hostile.cases import CASES, LESSON, LESSONS_HANDED_IN, VICTIM, Case
from tests.hostile.handin_checks import check_handin

#: The batch's own wall-clock budget, per case: grading the 84 cases on 2 workers took
#: 519 s on 2 cores loaded by other jobs (load average 12-14); ~2 s a case on idle cores.
GRADE_SECONDS = 8 * len(CASES)
#: nbgrader's own work around one notebook's run (start, sanitising, scoring) on a busy host.
OVERHEAD_SECONDS = 25
LEAKS = (
    "feedback/leak.txt",
    f"release/{LESSON}/leak.txt",
)


def check_case(case: Case, obs: Observed, batch: Batch) -> list[str]:
    """Everything wrong with one case's outcome (empty when it is as expected)."""
    problems = []
    if obs.status != case.status:
        problems.append(f"status {obs.status!r}, expected {case.status!r}")
    if case.status in ("not_collected", "missing"):
        if obs.scores:
            problems.append("graded although it was not collected")
    else:
        for c in LESSONS[case.lesson].cells:
            if c.kind == "manual":
                continue
            want = 0.0 if c.spec in case.loses else float(c.points)
            got = obs.scores.get(c.grade_id)
            if got != want:
                problems.append(f"{c.grade_id}: {got} points, expected {want}")
    if case.reason and not any(case.reason in m for m in obs.messages):
        problems.append(f"no message says {case.reason!r}: {obs.messages[:4]}")
    for text in case.shows:
        if text not in obs.notebook:
            problems.append(f"the graded notebook does not show {text!r}")
    if case.status in ("needs_attention", "ungradable", "not_collected"):
        rows = [r for r in batch.attention if r["student_id"] == case.name]
        if not rows or not all(r["reason"] for r in rows):
            problems.append("not listed in attention.csv with a reason")
    return problems


def check_batch(batch: Batch) -> list[str]:
    problems = []
    # byte-identical: configs, sources, released notebooks, submissions, the secret
    changed = sorted(
        k
        for k in batch.before.keys() | batch.after.keys()
        if batch.before.get(k) != batch.after.get(k)
    )
    if changed:
        problems.append(f"files changed by grading: {changed}")
    if batch.gradebook_before != batch.gradebook_after:
        diff = [
            t
            for t in batch.gradebook_before
            if batch.gradebook_before[t] != batch.gradebook_after[t]
        ]
        problems.append(f"gradebook tables changed: {diff}")
    problems += _gradebook_matches_results(batch)
    if batch.leftover_processes:
        problems.append(f"sandbox processes left running:\n{batch.leftover_processes}")
    if batch.received:
        problems.append(f"the host's network was reached: {batch.received}")
    problems += _canaries(batch)
    for leak in LEAKS:
        if (batch.course / leak).exists():
            problems.append(f"a file was written into the course: {leak}")
    for leak, mtime in batch.host_files.items():
        now = os.stat(leak).st_mtime if os.path.exists(leak) else None
        if now != mtime:
            problems.append(f"a file was written on the host: {leak}")
    # every student reported, each once
    totals = [r["student_id"] for r in batch.totals]
    listed = {r["student_id"] for r in batch.attention}
    for case in CASES:
        if case.name not in totals and case.name not in listed:
            problems.append(f"{case.name} is in neither totals.csv nor attention.csv")
    rows = [(r["student_id"], r["assignment"]) for r in batch.totals]  # one per lesson
    if len(rows) != len(set(rows)):
        problems.append("a student appears twice in totals.csv for one lesson")
    # wall-clock caps
    for case in CASES:
        seconds = batch.observed[case.name].seconds.get("autograde", 0.0)
        if seconds > NOTEBOOK_TIMEOUT + OVERHEAD_SECONDS:
            problems.append(f"{case.name}: autograding took {seconds:.0f} s")
    if batch.grade_seconds > GRADE_SECONDS:
        problems.append(f"grading the batch took {batch.grade_seconds:.0f} s")
    big = [
        p
        for p in (batch.course / "autograded").rglob("*.ipynb")
        if p.stat().st_size > 4 * 1024 * 1024
    ]
    if big:
        problems.append(f"graded notebooks over 4 MB: {big}")
    problems += _pages_and_messages(batch)
    return problems


#: The longest message a CSV or a page may carry (verify.MAX_MESSAGE and a prefix).
MESSAGE_CHARS = 4000


def _pages_and_messages(batch: Batch) -> list[str]:
    """Every page is inert (parsed as a browser would); every message is short; every case
    that was graded has its page."""
    problems = []
    for path, text in batch.student_visible.items():
        if path.endswith(".html"):
            problems += [f"{path}: {p}" for p in safe_html.active_content(text)]
        if path.endswith(".csv"):
            longest = max((len(line) for line in text.splitlines()), default=0)
            if longest > MESSAGE_CHARS + 200:
                problems.append(f"{path}: a line of {longest} characters")
    for case in CASES:
        obs = batch.observed[case.name]
        if obs.status not in ("not_collected", "missing", "ungradable") and not obs.feedback:
            problems.append(f"{case.name}: no feedback page")
        long = [m for m in obs.messages if len(m) > MESSAGE_CHARS]
        if long:
            problems.append(f"{case.name}: a message of {len(long[0])} characters")
    return problems


def _gradebook_matches_results(batch: Batch) -> list[str]:
    """The gradebook holds exactly the scores grading computed (nobody else wrote grades)."""
    from nbgrader.api import Gradebook, MissingEntry

    problems = []
    results = batch.course / "results"
    with Gradebook(f"sqlite:///{batch.course / 'gradebook.db'}") as gb:
        for path in sorted(
            p for lesson in LESSONS_HANDED_IN for p in (results / lesson).glob("*.json")
        ):
            result = json.loads(path.read_text())
            if result["status"] in ("ungradable", "missing"):
                continue
            lesson = path.parent.name
            try:
                nb = gb.find_submission_notebook(lesson, lesson, result["student_id"])
            except MissingEntry:
                problems.append(f"{result['student_id']}: not in the gradebook")
                continue
            stored = {g.name: g.auto_score for g in nb.grades}
            for cell in result["cells"]:
                if cell["function"] is not None and stored.get(cell["grade_id"]) != cell["score"]:
                    problems.append(
                        f"{result['student_id']} {cell['grade_id']}: gradebook "
                        f"{stored.get(cell['grade_id'])}, result {cell['score']}"
                    )
    return problems


def _canaries(batch: Batch) -> list[str]:
    problems = []
    for path, text in batch.student_visible.items():
        for name, secret in batch.canaries.items():
            own = name == "victim" and f"/{VICTIM}/" in f"/{path}"
            if secret in text and not own:
                problems.append(f"the {name} canary appears in {path}")
    return problems


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    system.require("sandbox")  # fails without bubblewrap, unless the run opted out
    return run(tmp_path_factory.mktemp("hostile"))


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.filterwarnings("ignore::FutureWarning:nbformat")  # the corpus: broken cell ids
def test_hostile_corpus(batch: Batch) -> None:
    problems = [
        f"{case.name} ({case.category}): {p}"
        for case in CASES
        for p in check_case(case, batch.observed[case.name], batch)
    ]
    problems += check_batch(batch)
    problems += check_handin(batch)  # trusted times, CSV cells (tests/hostile/handin_checks.py)
    summary = (
        f"{table(batch)}\n\ngrading {batch.grade_seconds:.0f} s, "
        f"whole batch {batch.total_seconds:.0f} s"
    )
    assert not problems, "\n".join(problems) + "\n\n" + summary


def test_corpus_is_big_and_varied() -> None:
    from tests.hostile.cases import CATEGORIES

    assert len(CASES) >= 35
    assert len({c.name for c in CASES}) == len(CASES)
    for category in CATEGORIES:
        assert sum(c.category == category for c in CASES) >= (1 if category == "control" else 5)
