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
from collections.abc import Callable, Iterator
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


def centre_script(locator: Any, block: str = "center") -> Script:
    """Scroll an element to the middle (or ``block``) of its container, for a screenshot:
    again until it stays put inside the window (JupyterLab renders the cells that come into
    view as it scrolls, which moves what was centred)."""
    last = None
    for _ in range(12):
        locator.evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
        yield from pause(0.1)
        top = locator.evaluate(IN_VIEW_TOP_JS)
        if top is not None and top == last:
            return
        last = top


#: The element's top in the window, or null while it is outside the window (a cell that
#: JupyterLab has not drawn yet sits off screen).
IN_VIEW_TOP_JS = """e => {
  const top = Math.round(e.getBoundingClientRect().top);
  return top >= 0 && top < window.innerHeight ? top : null;
}"""


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
    proc: Any = None
    ready: bool = False

    def at(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"

    def wait_ready(self, timeout: float = 120) -> Server:
        """Wait until the server answers (at most ``timeout`` s); returns the server."""
        deadline = time.monotonic() + timeout
        while not self.ready:
            try:
                with urllib.request.urlopen(self.at("/api/status"), timeout=2) as r:
                    json.load(r)
                self.ready = True
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"jupyter lab did not start:\n{self.log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.3)
        return self


@contextmanager
def jupyter_lab(
    root: Path,
    home: Path,
    config_dir: Path | None = None,
    *,
    wait: bool = True,
    expose_app: bool = False,
) -> Iterator[Server]:
    """``jupyter lab`` on a loopback port with a token, its own HOME and Jupyter dirs.

    ``config_dir`` becomes the user's Jupyter config directory (for the student settings).
    MPLBACKEND is dropped, as in a student's session (make exports MPLBACKEND=Agg).
    With ``wait=False`` it returns as soon as the server is launched (it starts while the
    caller does other work): call ``server.wait_ready()`` before using it. With
    ``expose_app`` the page's JupyterLab is ``window.jupyterapp``, so that one page can open
    notebook after notebook (:func:`open_notebook_script`) instead of loading JupyterLab anew.
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
    if expose_app:
        argv.append("--LabApp.expose_app_in_browser=True")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", token, root, log, proc)
    try:
        if wait:
            server.wait_ready()
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


# -- pages driven side by side ----------------------------------------------------------------

#: A page's script: a generator that yields whenever it waits for the page, so that one
#: thread (Playwright's sync API is single-threaded) can drive many pages at once.
Script = Iterator[None]


def typeset_script(page: Any, timeout: float = 120) -> Script:
    """Wait until MathJax 2 (the pages nbconvert and formgrader write) has typeset the page."""
    ready = "() => Boolean(window.MathJax && MathJax.isReady)"
    yield from until(lambda: page.evaluate(ready), timeout, "MathJax to be ready")
    page.evaluate("() => { window.typeset = 0; MathJax.Hub.Queue(() => (window.typeset = 1)); }")
    yield from until(lambda: page.evaluate("window.typeset"), timeout, "MathJax to typeset")


def until(check: Callable[[], object], timeout: float, what: str) -> Script:
    """Wait (yielding) until ``check()`` is true; TimeoutError naming ``what`` past ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        yield


def pause(seconds: float) -> Script:
    """Let ``seconds`` pass (yielding: the other pages go on meanwhile)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield


def run_together(
    scripts: dict[str, Callable[[], Script]], width: int = 6, poll: float = 0.2
) -> dict[str, BaseException | None]:
    """Run the scripts side by side, at most ``width`` at a time (in the order given), each
    advanced in turn every ``poll`` seconds; returns each one's exception (None: it finished).
    One script failing does not stop the others."""
    waiting = list(scripts.items())[::-1]
    running: dict[str, Script] = {}
    outcome: dict[str, BaseException | None] = {}
    while waiting or running:
        while waiting and len(running) < width:
            key, start = waiting.pop()
            running[key] = start()
        for key, script in list(running.items()):
            try:
                next(script)
            except StopIteration:
                running.pop(key)
                outcome[key] = None
            except Exception as exc:  # reported by the test that reads this page
                outcome[key] = exc
                running.pop(key)
        if running:
            time.sleep(poll)
    return outcome


def drive(script: Script) -> None:
    """Run one script to its end (a single page)."""
    error = run_together({"page": lambda: script}, width=1)["page"]
    if error is not None:
        raise error


def notebook_url(server: Server, path: str, workspace: str) -> str:
    """``path`` opened in a fresh JupyterLab workspace of its own (pages side by side)."""
    return server.at(f"/lab/workspaces/{workspace}/tree/{path}?reset")


#: Close every document of the page's JupyterLab, unsaved (as if discarded) and with its
#: kernel shut down; resolves once they are gone. (Only with ``expose_app``.)
CLOSE_ALL_JS = """async () => {
  const app = window.jupyterapp;
  for (const w of [...app.shell.widgets('main')]) {
    if (w.sessionContext) { await w.sessionContext.shutdown(); }
    if (w.context && w.context.model) { w.context.model.dirty = false; }
    w.close();
  }
}"""

HAS_APP_JS = "() => Boolean(window.jupyterapp && window.jupyterapp.shell)"

#: Type answers into the open notebook ``path``: each cell whose nbgrader grade_id is a key
#: of ``answers`` gets that text as its source, as if the student had written it there.
#: Returns how many cells it filled. (Only with ``expose_app``.)
TYPE_ANSWERS_JS = """({path, answers}) => {
  const panel = [...window.jupyterapp.shell.widgets('main')]
    .find(w => w.context && w.context.path === path);
  if (!panel) { return -1; }
  let typed = 0;
  for (const cell of panel.content.model.cells) {
    const id = (cell.getMetadata('nbgrader') || {}).grade_id;
    if (Object.hasOwn(answers, id)) { cell.sharedModel.setSource(answers[id]); typed++; }
  }
  return typed;
}"""


def open_notebook_script(page: Any, server: Server, path: str, workspace: str = "w") -> Script:
    """Open ``path`` and wait for its kernel to be idle: in a fresh workspace, or, in a page
    that shows JupyterLab already (a server with ``expose_app``), in place of the notebooks
    open there (closed unsaved, their kernels shut down), without loading JupyterLab again."""
    if page.url.startswith(server.url) and page.evaluate(HAS_APP_JS):
        page.evaluate(CLOSE_ALL_JS)
        yield from until(
            lambda: not page.locator(".jp-NotebookPanel").count(), 30, "the notebooks to close"
        )
        page.evaluate(
            "p => { window.jupyterapp.commands.execute('docmanager:open', {path: p}); }", path
        )
    else:
        page.goto(notebook_url(server, path, workspace), wait_until="commit")
    yield from until(
        lambda: (
            page.locator(".jp-NotebookPanel .jp-Cell").count()
            and page.locator("#jp-main-statusbar >> text=Idle").count()
        ),
        180,
        f"{path} to open with an idle kernel",
    )
    yield from pause(1.0)  # what JupyterLab changes on open arrives with the kernel


def is_dirty(page: Any) -> bool:
    return bool(page.locator(".lm-TabBar-tab.jp-mod-dirty").count())


LAB_MATH = "document.querySelectorAll('.jp-NotebookPanel mjx-container').length"


def lab_math_script(page: Any) -> Iterator[None]:
    """Wait until the open notebook shows typeset formulas (JupyterLab's MathJax 3)."""
    yield from until(lambda: page.evaluate(LAB_MATH), 60, "typeset math in the notebook")


def menu(page: Any, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


BUSY_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]
                   .some(p => p.textContent.includes('*'))"""


def run_all_script(page: Any, timeout: float = 300) -> Script:
    """Run > Run All Cells, then wait until no cell is queued and the kernel is idle (three
    looks in a row, 0.4 s apart)."""
    menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + timeout
    yield from pause(0.5)
    quiet = 0
    while quiet < 3:
        busy = (
            page.evaluate(BUSY_JS)
            or not page.locator("#jp-main-statusbar", has_text="Idle").count()
        )
        quiet = 0 if busy else quiet + 1
        if time.monotonic() > deadline:
            raise TimeoutError("the notebook was still running")
        yield from pause(0.4)


OUTPUT = ".jp-NotebookPanel .jp-OutputArea-output"
STDERR = "application/vnd.jupyter.stderr"  # what a red (error) output carries


def outputs(page: Any, mime: str = "") -> Any:
    """The notebook's outputs (of one MIME type, when given), as a locator."""
    return page.locator(f'{OUTPUT}[data-mime-type="{mime}"]' if mime else OUTPUT)


def outputs_text(page: Any, mime: str = "") -> list[str]:
    return list(outputs(page, mime).all_text_contents())
