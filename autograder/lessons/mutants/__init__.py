"""The lessons' catalogue of mutants: for each graded function, the mistakes students make
(``wrong``), wrong answers only the hidden tests catch (``hidden_only``, where a lesson has
them) and correct answers written differently (``correct``), each as the source of a whole
``sol_<fn>`` cell. One file per lesson, ``<lesson>.py``, holding ``MUTANTS``.

The demo's sample students with mistakes take theirs from here
(:mod:`autograder.lessons.samples`); the mutant tests (``tests/test_mutants.py``) grade
every one of them. Package data: read with :mod:`importlib.resources`, never imported (the
file names are not identifiers).
"""
