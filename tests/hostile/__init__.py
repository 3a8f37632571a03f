"""The hostile-submission corpus: bad and hostile submissions of lesson 03_linear_layer,
each with the outcome grading must produce (``cases.py``), and the batch that grades them
all at once through the real pipeline (``batch.py``; ``tests/test_hostile.py`` asserts).

Run ``python -m tests.hostile`` to grade the corpus and print its results table.
"""
