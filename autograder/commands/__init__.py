"""The commands: ``python -m autograder <command>`` (:mod:`.cli`), what each does with its
terminal output (:mod:`.actions`), the terminal and the log file (:mod:`.console`), and the
students' JupyterLab set-up (``python -m autograder.commands.student_env``)."""
