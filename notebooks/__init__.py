"""The lessons, as package data: setup.py installs this folder as the package
``autograder.lessons.notebooks`` (read with importlib.resources: see
``autograder/lessons/__init__.py``). Authors edit the ``NN_topic/NN_topic.py`` files here."""
