"""Batch-wide checks for the hand-in block of the corpus (see the end of cases.py): no
submission is timed by anything it carries, and no CSV the batch wrote holds a formula."""

from __future__ import annotations

import csv
import json

from autograder.course import parse_time
from autograder.csvsafe import TRIGGERS
from tests.hostile.batch import Batch
from tests.hostile.cases import HANDIN_CASES, LESSON

CSVS = ("grades.csv", "totals.csv", "attention.csv", "pass_rates.csv")


def _live(text: str) -> bool:
    try:
        float(text)
        return False
    except ValueError:
        return text.lstrip(" ").startswith(TRIGGERS)


def check_handin(batch: Batch) -> list[str]:
    problems = []
    # The batch gives collect no times file: every submission is timed when collect
    # received it, after the lesson was released at the start of the batch.
    released = (batch.course / "release" / LESSON / f"{LESSON}.ipynb").stat().st_mtime
    for path in sorted((batch.course / "results" / LESSON).glob("*.json")):
        data = json.loads(path.read_text())
        if data["status"] in ("missing", "ungradable"):
            continue
        if not data.get("timestamp"):
            problems.append(f"{data['student_id']}: graded without a submission time")
        elif parse_time(data["timestamp"]).timestamp() < released - 1:
            problems.append(
                f"{data['student_id']}: timed {data['timestamp']}, a time from the submission"
            )
    for case in HANDIN_CASES:
        if case.name.startswith("late_") and batch.observed[case.name].status != "graded":
            problems.append(f"{case.name}: {batch.observed[case.name].status}, not graded")
    for name in CSVS:
        path = batch.course / "reports" / name
        with path.open(newline="", encoding="utf-8") as f:
            live = [c for row in csv.reader(f) for c in row if _live(c)]
        if live:
            problems.append(f"{name} has formula cells: {live[:5]}")
    return problems
