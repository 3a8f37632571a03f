"""Students' JupyterLab shows only the nbgrader extensions a student uses.

nbgrader 0.9.6 installs every one of its JupyterLab extensions enabled: a student would see
the instructor's "Create Assignment" panel, the Formgrader and the Course List. In a
student's environment we keep the Validate button and switch the rest off, in JupyterLab
(``labconfig/page_config.json``, what ``jupyter labextension disable`` writes) and in the
server (``jupyter_server_config.d``, what ``jupyter server extension disable`` writes). The
course collects notebooks as files (``collect``), not through nbgrader's exchange, so the
Assignment List is off too. Instructors run nothing: their environment keeps everything.

    python -m autograder.commands.student_env                 # this environment (sys.prefix)
    python -m autograder.commands.student_env --user          # the current user's config only
    python -m autograder.commands.student_env --config-dir D  # a Jupyter config directory

The first is for a student image (Binder's postBuild, a JupyterHub image, a lab machine).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NBGRADER_LAB = "@jupyter/nbgrader"
STUDENT_OFF = ["create-assignment", "formgrader", "course-list", "assignment-list", "menu"]
SERVER = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.validate_assignment": True,
}
SERVER_FILE = "backprop-course-student.json"


def disabled_plugins() -> list[str]:
    return [f"{NBGRADER_LAB}:{p}" for p in STUDENT_OFF]


def write(config_dir: Path) -> list[Path]:
    """Write the student settings into a Jupyter config directory; returns the files."""
    page = config_dir / "labconfig" / "page_config.json"
    page.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(page.read_text(encoding="utf-8")) if page.exists() else {}
    off = data.setdefault("disabledExtensions", {})
    if isinstance(off, list):  # JupyterLab 3 wrote a list
        off = data["disabledExtensions"] = dict.fromkeys(off, True)
    off.update(dict.fromkeys(disabled_plugins(), True))
    page.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    server = config_dir / "jupyter_server_config.d" / SERVER_FILE
    server.parent.mkdir(parents=True, exist_ok=True)
    server.write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": SERVER}}, indent=2) + "\n",
        encoding="utf-8",
    )
    return [page, server]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m autograder.commands.student_env",
        description="Switch off nbgrader's instructor extensions for students.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="the current user's config")
    where.add_argument("--config-dir", type=Path, help="this Jupyter config directory")
    args = p.parse_args(argv)
    if args.config_dir:
        folder = args.config_dir
    elif args.user:
        from jupyter_core.paths import jupyter_config_dir

        folder = Path(jupyter_config_dir())
    else:
        folder = Path(sys.prefix) / "etc" / "jupyter"
    for path in write(folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
