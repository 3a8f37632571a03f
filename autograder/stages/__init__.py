"""The stages of the pipeline, in the order data flows through them: :mod:`.release`,
:mod:`.collect` (with the hand-in paths: :mod:`.exchange`, :mod:`.platforms`,
:mod:`.roster`, :mod:`.times`), :mod:`.grade` (orchestration; the work is in
:mod:`autograder.grading`), :mod:`.feedback`, :mod:`.report`, :mod:`.export`."""
