"""Helpers for the browser tests (tests/test_browser.py): Debian's Chromium through
Playwright, a JupyterLab server started by the test, and pages loaded with the network cut.

Playwright cannot download its own browser here, so it launches the system's Chromium:
``/usr/bin/chromium`` (Debian's ``chromium`` package), or the ``CHROMIUM`` variable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/")


def chromium() -> str:
    """The Chromium to drive; the test FAILS (not skips) without one, naming the package."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            f"no Chromium at {path}: the browser tests need Debian's `chromium` package "
            "(apt-get install -y chromium), or CHROMIUM=/path/to/chromium"
        )
    return path


def centre(locator: Any, block: str = "center") -> None:
    """Scroll an element to the middle (or ``block``) of its container, for a screenshot."""
    locator.evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
    locator.page.wait_for_timeout(300)


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@dataclass
class Offline:
    """Every request that is neither a file nor to this machine is aborted and recorded."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def attach(self, context: Any) -> None:
        def route(r: Any) -> None:
            u = r.request.url
            if u.startswith(("file:", "data:", "blob:", "about:")) or LOOPBACK.match(u):
                r.continue_()
            else:
                self.blocked.append(u)
                r.abort()

        context.route("**/*", route)

    def assert_clean(self) -> None:
        assert not self.blocked, f"pages tried to reach the network: {self.blocked[:5]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    token: str
    root: Path
    log: Path

    def at(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"


@contextmanager
def jupyter_lab(root: Path, home: Path, config_dir: Path | None = None) -> Iterator[Server]:
    """``jupyter lab`` on a loopback port with a token, its own HOME and Jupyter dirs.

    ``config_dir`` becomes the user's Jupyter config directory (for the student settings).
    MPLBACKEND is dropped, as in a student's session (make exports MPLBACKEND=Agg).
    """
    port, token = free_port(), os.urandom(16).hex()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "JUPYTER_PATH")}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(config_dir or home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        PYTHONUNBUFFERED="1",
        # In a venv Jupyter prefers the environment's config over the user's: turn that off
        # so that config_dir (written like the environment's, see autograder.commands.student_env)
        # takes precedence over the shared test venv's.
        JUPYTER_PREFER_ENV_PATH="0",
    )
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    log = home / "server.log"
    argv = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_remote_access=False", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if os.geteuid() == 0:
        argv.append("--allow-root")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(server.at("/api/status"), timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"jupyter lab did not start:\n{log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.3)
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own process group (start_new_session)
            proc.wait()


# -- JupyterLab ------------------------------------------------------------------------------

#: Raw TeX left in visible text (not in code, scripts, or what MathJax already typeset).
RAW_MATH_JS = r"""
(rootSelector) => {
  const root = document.querySelector(rootSelector || "body");
  const skip = "script,style,code,pre,textarea,mjx-container,.MathJax,.MathJax_Display,"
             + ".MathJax_Preview,.jp-InputArea-editor,.CodeMirror,.cm-editor";
  const found = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const re = /\$\$[^$]+\$\$|\$[^$\s][^$]*?\$|\\\(|\\\[/;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement && node.parentElement.closest(skip)) continue;
    const m = node.textContent.match(re);
    if (m) found.push(m[0].slice(0, 60));
  }
  return found;
}
"""


def open_notebook(page: Any, server: Server, path: str) -> None:
    """Open ``path`` in a fresh workspace and wait for its kernel to be idle."""
    page.goto(server.at(f"/lab/tree/{path}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=60_000)
    page.wait_for_timeout(1000)  # what JupyterLab changes on open arrives with the kernel


def is_dirty(page: Any) -> bool:
    return bool(page.locator(".lm-TabBar-tab.jp-mod-dirty").count())


def lab_math(page: Any) -> int:
    """Typeset formulas in the open notebook (JupyterLab's MathJax 3), after it settles."""
    page.wait_for_function(
        "document.querySelectorAll('.jp-NotebookPanel mjx-container').length > 0",
        timeout=30_000,
    )
    return int(page.locator(".jp-NotebookPanel mjx-container").count())


def menu(page: Any, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def run_all(page: Any, timeout: float = 180) -> None:
    """Run > Run All Cells, then wait until no cell is queued and the kernel is idle."""
    menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + timeout
    page.wait_for_timeout(500)
    quiet = 0
    while quiet < 3:
        busy = (
            page.evaluate(
                """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]
                   .some(p => p.textContent.includes('*'))"""
            )
            or not page.locator("#jp-main-statusbar", has_text="Idle").count()
        )
        quiet = 0 if busy else quiet + 1
        if time.monotonic() > deadline:
            raise TimeoutError("the notebook was still running")
        page.wait_for_timeout(400)


def outputs_text(page: Any, mime: str = "") -> list[str]:
    sel = ".jp-NotebookPanel .jp-OutputArea-output"
    if mime:
        sel += f'[data-mime-type="{mime}"]'
    return [t for t in page.locator(sel).all_text_contents()]
