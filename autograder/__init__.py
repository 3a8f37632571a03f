"""autograder: the instructor pipeline on nbgrader.

submission -> collect (file checks) -> sandboxed nbgrader run -> verification of the
student's functions out of process -> gradebook -> feedback and reports.
"""

__version__ = "0.1.0"
