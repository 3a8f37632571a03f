"""autograder: the instructor pipeline on nbgrader.

submission -> collect (file checks) -> sandboxed nbgrader run -> verification of the
student's functions out of process -> scoring -> gradebook and results -> feedback,
reports, exports.

Packages: ``commands`` (what the user runs), ``stages`` (release, collect, grade, feedback,
report, export), ``grading`` (one submission: tasks, workers, verification, scoring, the
gradebook and results), ``sandbox`` (the trust boundary; ``sandbox/inside``: the files run
inside it, untrusted territory), ``nbgrader_glue``, ``pages`` (what we render) and
``lessons`` (the lessons as package data). ``course``, ``console`` and ``csvsafe`` serve
them all.
"""

import sys

# jsonschema (imported by nbformat) builds the rfc3987 grammars on import, 1-3 s in every
# process, for a URI format check that no notebook schema uses; without the module it
# skips that check. (The sandboxed executor does the same:
# autograder/sandbox/inside/kernel_exec.py.)
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__version__ = "0.1.0"
