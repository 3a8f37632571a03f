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
                    raise RuntimeError(f"jupyter lab did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield server
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
