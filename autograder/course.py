"""The course directory: where everything lives, and the course's grading policy.

::

    course/
      nbgrader_config.py     instructors' config (includes the course's defaults:
                             autograder/nbgrader_glue/nbgrader_config.py)
      gradebook.db           nbgrader gradebook (SQLite unless --db says otherwise)
      source/<a>/<a>.ipynb   the lessons (copied from notebooks/ by `release`)
      release/<a>/           student versions (nbgrader generate_assignment)
      self-study/            student versions + worked solutions as HTML
      submitted/<s>/<a>/     collected submissions (+ timestamp.txt, received.json: the
                             trusted time collect decided, and its source)
      attention/             files `collect` could not use, kept with the reason
      autograded/<s>/<a>/    nbgrader's graded copies
      results/<a>/<s>.json   our per-submission results: the single source of the CSVs
      feedback/<s>/<a>/      HTML feedback
      reports/               grades.csv, totals.csv, report.md, score distribution PNG
      backups/               the gradebook, copied before each grading run
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from traitlets import Dict, Float, Unicode
from traitlets.config import Config, Configurable

from autograder.nbgrader_glue import nbg


class LatePolicy(Configurable):  # type: ignore[misc]
    """Deadlines and the late penalty, set in the course config, e.g.::

        c.LatePolicy.deadlines = {"01_jacobians": "2026-12-01T23:59:00+00:00"}
        c.LatePolicy.penalty_per_day = 0.1   # 10 % of the assignment's points per day late

    Lateness is always recorded and reported; the penalty is 0 unless configured. A
    submission is late by the time between the deadline and its timestamp, counted in
    started days, and the penalty never exceeds ``max_penalty`` of the points scored.
    """

    deadlines = Dict(
        value_trait=Unicode(), help="assignment -> ISO 8601 deadline (UTC if no zone)"
    ).tag(config=True)
    penalty_per_day = Float(0.0, help="fraction of the assignment's points per started day").tag(
        config=True
    )
    max_penalty = Float(1.0, help="cap, as a fraction of the points scored").tag(config=True)

    def deadline(self, assignment: str) -> dt.datetime | None:
        text = self.deadlines.get(assignment)
        return None if text is None else parse_time(text)

    def penalty(self, seconds_late: float, score: float, max_score: float) -> float:
        if seconds_late <= 0 or self.penalty_per_day <= 0:
            return 0.0
        days = -(-seconds_late // 86400)  # started days
        return min(days * self.penalty_per_day * max_score, self.max_penalty * score)


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 time (nbgrader's timestamp.txt format too), as an aware UTC datetime."""
    stamp = dt.datetime.fromisoformat(text.strip().replace(" UTC", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


@dataclass(frozen=True)
class Course:
    """Paths and settings of one course directory."""

    root: Path
    db_url: str

    @classmethod
    def at(cls, root: Path, db_url: str | None = None) -> Course:
        root = root.resolve()
        return cls(root, db_url or nbg.sqlite_url(root))

    def config(self) -> Config:
        """The course config: autograder/nbgrader_glue/nbgrader_config.py, then the course's
        own file."""
        return nbg.load_config(self.root, self.db_url)

    def policy(self) -> LatePolicy:
        return LatePolicy(config=self.config())

    def api(self):  # type: ignore[no-untyped-def]
        return nbg.open_api(self.root, self.db_url)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def assignments(self) -> list[str]:
        """The released assignments, in course order."""
        release = self.path("release")
        return sorted(p.name for p in release.iterdir() if p.is_dir()) if release.exists() else []

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.path("submitted", student, assignment)

    def result_file(self, student: str, assignment: str) -> Path:
        return self.path("results", assignment, f"{student}.json")
