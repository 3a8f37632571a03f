"""autograder: the instructor pipeline on nbgrader.

submission -> collect (file checks) -> sandboxed nbgrader run -> verification of the
student's functions out of process -> gradebook -> feedback and reports.
"""

import sys

# jsonschema (imported by nbformat) builds the rfc3987 grammars on import, 1-3 s in every
# process, for a URI format check that no notebook schema uses; without the module it
# skips that check. (The sandboxed executor does the same:
# autograder/sandbox/inside/kernel_exec.py.)
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__version__ = "0.1.0"
