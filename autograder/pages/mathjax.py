"""Math on the pages we generate, without a network: a MathJax copy ships with the pages.

nbconvert's templates load MathJax 2 from a CDN, so offline, or behind a proxy that blocks
it, a derivation course shows raw LaTeX. Every page we generate loads MathJax from a copy
instead: the one that the ``jupyter-server-mathjax`` package installs (MathJax 2.7, the
version nbconvert's templates configure), copied beside the pages we write as files, and
served by the Jupyter server itself (``/static/jupyter_server_mathjax/``) to formgrader.

- Self-study pages and the site: :func:`exporter_settings` for ``HTMLExporter``.
- Feedback (nbgrader's ``generate_feedback``) and formgrader: the template
  ``templates/offline_math.html.j2``, selected by :func:`nbgrader_config` (our course config
  applies it), swaps the CDN address of nbgrader's templates for the local copy.

The copy's own web fonts (STIX-Web) replace MathJax's default TeX fonts, which the package
does not ship.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

FOLDER = "_mathjax"  # beside the pages; a student id cannot start with "_" (see collect)
CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SERVER_URL = "static/jupyter_server_mathjax/MathJax.js"  # under the Jupyter server's base_url


def source() -> Path:
    """The MathJax tree that ``jupyter-server-mathjax`` installs."""
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if not (static / "MathJax.js").exists():
        raise FileNotFoundError(f"no MathJax.js in {static}: reinstall jupyter-server-mathjax")
    return static


def install(folder: Path) -> Path:
    """Copy MathJax into ``folder/_mathjax`` (once; kept when up to date); returns MathJax.js."""
    target = folder / FOLDER
    stamp = target / ".source"
    origin = str(source())
    if not (stamp.exists() and stamp.read_text() == origin):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        stamp.write_text(origin)
    return target / "MathJax.js"


def url(page_dir: Path, mathjax_js: Path) -> str:
    """The address of ``mathjax_js`` for a page in ``page_dir``, relative, with our config."""
    rel = Path(os.path.relpath(mathjax_js, page_dir)).as_posix()
    return f"{rel}?config={CONFIG}"


def exporter_settings(page_dir: Path, mathjax_js: Path) -> dict[str, Any]:
    """Keyword arguments for ``HTMLExporter`` writing a page into ``page_dir``."""
    return {
        "mathjax_url": url(page_dir, mathjax_js),
        "extra_template_basedirs": [str(TEMPLATES)],
        "extra_template_paths": [str(TEMPLATES)],
        "template_name": "self_study",
    }


def nbgrader_config() -> dict[str, Any]:
    """``HTMLExporter`` settings for nbgrader's feedback and formgrader pages.

    nbgrader's feedback and formgrade templates call nbconvert's MathJax macro without an
    address (so the CDN's); ``offline_math.html.j2`` extends whichever of the two is in use
    and points it at ``../../_mathjax`` (feedback pages sit in ``feedback/<student>/<a>/``)
    or at the server's copy (formgrader).
    """
    return {"template_file": str(TEMPLATES / "offline_math.html.j2")}
