"""A real PostgreSQL server on loopback for the tests that need one (started and stopped here).

Uses Debian's binaries (``/usr/lib/postgresql/<version>/bin``; ``.ci/run`` installs the
``postgresql`` package where missing). PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` user the package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def server() -> Iterator[str]:
    """Start a throwaway server; yield an SQLAlchemy URL of an empty database.

    Its files live in a fresh directory under /tmp (the server's user must reach them;
    pytest's own temporary directories are private to root), removed afterwards.
    """
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    with tempfile.TemporaryDirectory(prefix="pg-", dir="/tmp") as tmp:
        with _running(bindir, Path(tmp)) as url:
            yield url


@contextmanager
def _running(bindir: Path, workdir: Path) -> Iterator[str]:
    data, sock = workdir / "pgdata", workdir / "pgsock"
    data.mkdir(parents=True)
    sock.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for p in (workdir, data, sock):
            os.chown(p, user.pw_uid, user.pw_gid)
    port = _free_port()

    def run(argv: list[str]) -> None:
        subprocess.run(_as_server_user(argv), check=True, capture_output=True, text=True)

    run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-w",
            "-l",
            str(workdir / "server.log"),
            "start",
        ]
    )
    try:
        run(
            [
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "gradebook",
            ]
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/gradebook"
    finally:
        run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
