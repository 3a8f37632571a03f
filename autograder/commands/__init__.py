"""The commands: ``python -m autograder <command>`` (:mod:`.cli`), what each does with its
terminal output (:mod:`.actions`), ``make site`` (``python -m autograder.commands.site``)
and the students' JupyterLab set-up (``python -m autograder.commands.student_env``)."""
