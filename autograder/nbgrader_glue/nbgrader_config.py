# The course's nbgrader configuration. The grader loads this file explicitly
# (NbGraderAPI does not read config files by itself); instructors load the same file when
# they run `jupyter lab` in the course directory for formgrader (the course directory's
# own nbgrader_config.py, written by `python -m autograder release`, includes this one).
# docs/nbgrader-notes.md explains the nbgrader behaviour behind each setting.
c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "backprop-course"

# Student stubs.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A deleted test cell is restored from the gradebook (stock nbgrader fails the submission).
c.OverwriteCells.add_missing_cells = True

# A cell that runs too long is interrupted; the rest of the notebook still runs.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# formgrader renders submissions inside Jupyter (the instructor's session): nbconvert's own
# sanitiser drops their scripts, JavaScript outputs and widgets there. Feedback pages are
# sanitised again, on the finished page, by autograder.pages.safe_html.
c.HTMLExporter.sanitize_html = True

# Output limits: nbgrader counts lines; the sandbox also caps bytes.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

# Expected warnings must not zero a correct answer: stderr text matching this pattern is
# dropped before scoring (our checks already silence warnings raised by student code).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^.*(Warning|warnings\.warn).*$\n?(^\s+.*$\n?)?"

# Grader logs: WARN, not WARNING (nbgrader's traitlet takes the former).
c.NbGraderAPI.log_level = "WARN"

# Autograding: our sanitisers first (a duplicated cell keeps its first copy; every cell's
# nbgrader metadata is put back from the lesson by grade_id; deleted grade cells come back
# even when their neighbours were deleted too), so that nothing a student does to the
# metadata fails the submission; the notebook executes in a sandbox
# (autograder.nbgrader_glue.preprocessors.SandboxedExecute) instead of nbgrader's
# in-process Execute.
# `python -m autograder grade --no-sandbox` switches the sandbox off
# (SandboxedExecute.sandbox = "none"); limits and timeouts still apply.
import pathlib  # noqa: E402

from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

import backprop_kit  # noqa: E402
from autograder.nbgrader_glue.preprocessors import (  # noqa: E402
    KeepFirstGradeId,
    RestoreCellMetadata,
    RestoreMissingCells,
    SandboxedExecute,
)

c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    KeepFirstGradeId,
    RestoreCellMetadata,
    DeduplicateIds,
    OverwriteKernelspec,
    RestoreMissingCells,
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# The kernel imports the student kit (the lesson's `check`, plots, data): bind it read-only
# (where it lives outside the bound Python installation: an editable install). The
# reference, backprop_ref, stays hidden; the grader's check data of the assignment
# (<course>/grading-checks/<assignment>.npz) is bound read-only for `check` to read.
c.SandboxedExecute.readable = [str(pathlib.Path(backprop_kit.__file__).parent)]
c.SandboxedExecute.cell_timeout = 60
c.SandboxedExecute.notebook_timeout = 300

# Feedback and formgrader pages load MathJax from a local copy, not from a CDN
# (autograder/pages/mathjax.py; formgrader uses the Jupyter server's
# /static/jupyter_server_mathjax).
from autograder.pages.mathjax import TEMPLATES  # noqa: E402

c.HTMLExporter.template_file = str(TEMPLATES / "offline_math.html.j2")

# Feedback, from formgrader's "Generate feedback" button, `nbgrader generate_feedback` or
# `python -m autograder feedback`: the hidden tests are redacted (source and tracebacks)
# and the verified summary comes first, whichever path renders it
# (autograder.nbgrader_glue.formgrader).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from autograder.nbgrader_glue.formgrader import RedactFeedback  # noqa: E402

c.GenerateFeedback.preprocessors = [RedactFeedback, GetGrades, CSSHTMLHeaderPreprocessor]
