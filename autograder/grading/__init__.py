"""Grading one submission and keeping its result: a :mod:`.tasks` task (run by
:mod:`.workers`) autogrades in the sandbox, :mod:`.extract` and :mod:`.verify` judge the
student's functions outside the kernel, :mod:`.scoring` turns both verdicts into cell
scores, :mod:`.gradebook` and :mod:`.results` keep them, :mod:`.manual` brings in the
scores instructors give in formgrader."""
