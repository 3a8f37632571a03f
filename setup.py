"""Which packages the wheel holds (everything else is in pyproject.toml).

The lessons stay where authors keep them, in ``notebooks/``, and are installed as the
package ``autograder.lessons.notebooks`` (package data read with importlib.resources), so a
wheel carries them and an editable install reads the checkout's. pyproject.toml cannot map
a folder to a package while it also discovers the others, hence this file.
"""

from setuptools import find_namespace_packages, setup

LESSONS = "autograder.lessons.notebooks"

setup(
    packages=[
        *find_namespace_packages(
            include=["autograder*", "backprop_ref*"], exclude=["*.__pycache__"]
        ),
        LESSONS,
    ],
    package_dir={LESSONS: "notebooks"},
    package_data={
        LESSONS: ["*/*.ipynb"],
        "autograder.pages": ["templates/*", "templates/*/*"],
        "autograder.sandbox.inside": ["*.py", "README.md"],
    },
)
