"""nbgrader, driven in-process through its Python API with the course config loaded explicitly."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder import console

if TYPE_CHECKING:
    from collections.abc import Iterator

    from nbgrader.apps import NbGraderAPI

CONFIG_FILE = Path(__file__).with_name("nbgrader_config.py")


def sqlite_url(course: Path) -> str:
    """The default gradebook: SQLite in the course directory."""
    return f"sqlite:///{(course / 'gradebook.db').resolve()}"


def load_config(course: Path, db_url: str | None = None, extra: Config | None = None) -> Config:
    """The course config for the course at ``course``.

    The course's own ``nbgrader_config.py`` (written by ``release``; it includes
    ``autograder/nbgrader_glue/nbgrader_config.py`` and holds course settings such as
    deadlines) when it exists, else ``autograder/nbgrader_glue/nbgrader_config.py`` alone.
    ``db_url`` overrides the file's.
    """
    own = course / "nbgrader_config.py"
    if own.exists():
        repair_course_config(own)
    where = own if own.exists() else CONFIG_FILE
    config = PyFileConfigLoader(where.name, path=str(where.parent)).load_config()
    config.CourseDirectory.root = str(course.resolve())
    if db_url or "db_url" not in config.CourseDirectory:
        config.CourseDirectory.db_url = db_url or sqlite_url(course)
    if extra is not None:
        config.merge(extra)
    return config


def write_course_config(course: Path) -> Path:
    """Write the course's ``nbgrader_config.py`` (once; instructors edit it afterwards)."""
    own = course / "nbgrader_config.py"
    if not own.exists():
        own.write_text(
            "# Course settings for nbgrader (formgrader) and `python -m autograder`.\n"
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(CONFIG_FILE)!r})  # noqa: F821\n"
            f"c.CourseDirectory.root = {str(course.resolve())!r}\n"
            "# Deadlines and late penalty (see autograder.course.LatePolicy), e.g.:\n"
            '# c.LatePolicy.deadlines = {"01_jacobians": "2026-12-01T23:59:00+00:00"}\n'
            "# c.LatePolicy.penalty_per_day = 0.1\n"
            "# nbgrader's exchange, for release/collect/feedback --exchange:\n"
            '# c.Exchange.root = "/srv/nbgrader/exchange"\n',
            encoding="utf-8",
        )
    return own


#: The line a course's config includes ours with, as ``write_course_config`` writes it.
_INCLUDE = re.compile(r"^load_subconfig\((['\"])(?P<path>[^'\"]*nbgrader_config\.py)\1\)", re.M)


def repair_course_config(own: Path) -> None:
    """Point a course config written before the course's config file moved (to
    ``autograder/nbgrader_glue/``) at where it is now: nbgrader ignores a missing
    ``load_subconfig`` file silently, which would drop the sandbox and the redaction."""
    text = own.read_text(encoding="utf-8")
    match = _INCLUDE.search(text)
    if match is None or Path(match["path"]).exists():
        return
    if Path(match["path"]).parent.name != "autograder":  # not the file we wrote: leave it
        return
    fixed = f"load_subconfig({str(CONFIG_FILE)!r})"
    own.write_text(text[: match.start()] + fixed + text[match.end() :], encoding="utf-8")
    logging.getLogger(__name__).warning("%s now includes %s", own, CONFIG_FILE)


def ensure_alembic_on_path() -> None:
    """Creating a gradebook runs the ``alembic`` executable: put the interpreter's bin first."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + path


@functools.cache
def alembic_head() -> str:
    """nbgrader's gradebook schema version (alembic's head revision), read in this process
    (once: it depends only on the installed nbgrader)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    head = ScriptDirectory(ALEMBIC_DIR).get_current_head()
    if not head:
        raise RuntimeError(f"nbgrader's migrations in {ALEMBIC_DIR} have no head revision")
    return str(head)


def reuse_alembic_version() -> None:
    """Read nbgrader's schema version once per process, in the process: nbgrader runs
    ``alembic heads`` in a subprocess each time it creates a gradebook (a Python start and
    the alembic and SQLAlchemy imports: about 3 CPU-seconds, paid again by every grading
    worker; in this process it takes 0.2 s). The answer depends only on the installed
    nbgrader; ``tests/test_grading_parts.py`` checks it against nbgrader's own."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head


class CompiledSchemas:
    """What nbgrader's cell-metadata check uses of ``jsonschema`` (its ``validate``), with
    each schema checked and compiled once per process. ``jsonschema.validate`` checks the
    schema against its metaschema on every call, and nbgrader calls it for every graded
    cell, twice per notebook graded (about 0.05 CPU-s a notebook). The same error is raised
    (jsonschema's best match)."""

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}

    def validate(self, instance: object, schema: dict[str, Any]) -> None:
        import jsonschema

        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[key] = cls(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def compile_metadata_schemas() -> None:
    """nbgrader's cell-metadata validators use :class:`CompiledSchemas` (this process)."""
    from nbgrader.nbgraderformat import common

    common.jsonschema = _METADATA_SCHEMAS  # type: ignore[assignment]


_METADATA_SCHEMAS = CompiledSchemas()


def open_api(course: Path, db_url: str | None = None, extra: Config | None = None) -> NbGraderAPI:
    """An ``NbGraderAPI`` for the course, quiet, with the course config."""
    from nbgrader.apps import NbGraderAPI

    ensure_alembic_on_path()
    reuse_alembic_version()
    compile_metadata_schemas()
    course.mkdir(parents=True, exist_ok=True)
    return NbGraderAPI(config=load_config(course, db_url, extra))


@dataclass(frozen=True)
class CellScore:
    """One graded cell of one submitted notebook, as the gradebook holds it."""

    grade_id: str
    score: float | None
    max_score: float
    auto_score: float | None
    manual_score: float | None
    needs_manual_grade: bool
    cell_type: str


def notebook_scores(
    db_url: str, assignment: str, notebook: str, student: str
) -> dict[str, CellScore]:
    """Every graded cell's score for one student's notebook (empty if not graded)."""
    return notebook_results(db_url, assignment, notebook, student)[0]


def notebook_comments(
    db_url: str, assignment: str, notebook: str, student: str
) -> dict[str, str | None]:
    """nbgrader's automatic comments ("No response.") per solution cell."""
    return notebook_results(db_url, assignment, notebook, student)[1]


def notebook_results(
    db_url: str, assignment: str, notebook: str, student: str
) -> tuple[dict[str, CellScore], dict[str, str | None]]:
    """:func:`notebook_scores` and :func:`notebook_comments` from one gradebook connection."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            nb = gb.find_submission_notebook(notebook, assignment, student)
        except MissingEntry:
            return {}, {}
        scores = {
            g.name: CellScore(
                g.name,
                g.score,
                g.max_score,
                g.auto_score,
                g.manual_score,
                bool(g.needs_manual_grade),
                g.cell.cell_type,
            )
            for g in nb.grades
        }
        return scores, {c.name: c.auto_comment for c in nb.comments}


@contextmanager
def quiet_logs() -> Iterator[None]:
    """nbgrader logs to the root logger at WARN: outside a command's log file
    (:mod:`autograder.console`), keep only its errors; inside one, the log takes it all."""
    if console.log_path() is not None:
        yield
        return
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def failure_reason(run: dict[str, object]) -> str:
    """The exception behind nbgrader's failure (an API call's result: its ``log`` and
    ``error``), in one line (the log has the traceback)."""
    text = f"{run.get('log') or ''}\n{run.get('error') or ''}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    generic = ("NbGraderException", "There was an error", "Please see the", "Removing failed")
    found = [
        ln
        for ln in lines
        if re.match(r"^[A-Za-z_.]*(Error|Exception)\b.*:", ln) and not any(g in ln for g in generic)
    ]
    last = found[-1] if found else (lines[-1] if lines else "no message")
    return f"nbgrader could not grade this notebook: {last[:300]}"
