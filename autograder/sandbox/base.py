"""Running untrusted code: the sandbox interface, and the explicit no-sandbox fallback.

A :class:`Sandbox` runs a command in a scratch directory holding a copy of the files of a
host directory (``workdir``), with a time limit and resource limits, and kills every process
the command started when it ends. Of what the command writes, only the files named in
``outputs`` come back to ``workdir``: they are created empty first, each is capped by the
file-size limit, and the caller reads them with :func:`read_output` (never through a
link). The bubblewrap implementation lives in :mod:`autograder.sandbox.bwrap` (the scratch
directory is a size-capped tmpfs there, so student code cannot fill the host's disk);
:class:`Unsandboxed` (used only with ``--no-sandbox``) runs in ``workdir`` itself and applies
the same limits with rlimits and a process group, but student code then runs with the
grader's privileges and view of the disk.
"""

from __future__ import annotations

import fcntl
import os
import resource
import selectors
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

UID_SPAN = 1000  # uids first .. first + UID_SPAN - 1 are the sandboxes'
_UID_LOCK: list[object] = []  # the open lock file that holds this process's uid, and the uid


def own_uid(first: int = 60000) -> int:
    """A sandbox uid of this process's own, for as long as the process lives.

    RLIMIT_NPROC counts processes per uid across the whole host, so two grading processes
    (workers, test runs, two courses graded on one machine) must never share a uid: each
    process takes the first uid from ``first`` whose lock file it can lock, and the kernel
    releases the lock when the process ends.
    """
    if _UID_LOCK:
        return int(_UID_LOCK[1])  # type: ignore[call-overload]
    folder = Path(tempfile.gettempdir()) / "backprop-course-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    for uid in range(first, first + UID_SPAN):
        f = open(folder / f"{uid}.lock", "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            continue
        _UID_LOCK[:] = [f, uid]
        return uid
    raise RuntimeError(f"all {UID_SPAN} sandbox uids from {first} are in use")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandboxed command."""

    memory_bytes: int = 4 * 1024**3  # address space
    processes: int = 64
    file_bytes: int = 64 * 1024**2  # any one file
    disk_bytes: int = 128 * 1024**2  # the scratch directory and /tmp, each (bubblewrap)
    cpu_seconds: int = 300
    output_bytes: int = 8 * 1024**2  # captured stdout/stderr, each


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool

    def describe(self) -> str:
        if self.timed_out:
            return "timed out"
        if self.returncode < 0:
            try:
                return f"killed by {signal.Signals(-self.returncode).name}"
            except ValueError:
                return f"killed by signal {-self.returncode}"
        return f"exit code {self.returncode}"


class Sandbox(Protocol):
    name: str

    def run(
        self,
        argv: list[str],
        workdir: Path,
        timeout: float,
        env: dict[str, str] | None = None,
        outputs: tuple[str, ...] = (),
    ) -> RunResult: ...


def prepare_outputs(workdir: Path, outputs: tuple[str, ...]) -> list[Path]:
    """Create each output file empty in ``workdir`` (replacing whatever was there)."""
    paths = []
    for name in outputs:
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"an output is a plain file name, not {name!r}")
        path = workdir / name
        if path.is_symlink() or path.exists():
            path.unlink()
        path.write_bytes(b"")
        paths.append(path)
    return paths


def base_env(home: str) -> dict[str, str]:
    """A small, predictable environment: nothing of the grader's leaks in."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "JUPYTER_PLATFORM_DIRS": "1",
    }


#: Output past the cap is read and discarded, up to this many bytes per pipe, so a chatty
#: command goes on; past that the pipe is closed (its writes fail), so a flood costs the
#: grader no memory and little time.
DRAIN_BYTES = 256 * 1024 * 1024


def communicate(proc: subprocess.Popen[bytes], timeout: float, cap: int) -> RunResult:
    """Wait for ``proc`` (its own session) at most ``timeout`` seconds, keeping at most
    ``cap`` bytes of its stdout and stderr each (the rest is never held in memory), and
    kill its whole process group at the end."""
    deadline = time.monotonic() + timeout
    pipes = [p for p in (proc.stdout, proc.stderr) if p is not None]
    kept = {id(p): bytearray() for p in pipes}
    seen = dict.fromkeys(kept, 0)
    timed_out = False
    with selectors.DefaultSelector() as selector:
        for pipe in pipes:
            selector.register(pipe, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in selector.select(min(left, 1.0)):
                chunk = os.read(key.fd, 1 << 16)
                pipe = key.fileobj
                seen[id(pipe)] += len(chunk)
                if not chunk or seen[id(pipe)] > max(DRAIN_BYTES, cap):
                    selector.unregister(pipe)
                    pipe.close()  # type: ignore[union-attr]
                    continue
                buffer = kept[id(pipe)]
                buffer += chunk[: max(cap - len(buffer), 0)]
    if timed_out:
        kill_group(proc.pid)
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(proc.pid)
        proc.wait()
    kill_group(proc.pid)  # daemons the command left behind in its group
    for pipe in pipes:
        pipe.close()
    out, err = (bytes(kept[id(p)]) if p is not None else b"" for p in (proc.stdout, proc.stderr))
    return RunResult(proc.returncode, out, err, timed_out)


def read_output(path: Path, max_bytes: int, truncate: bool = False) -> bytes:
    """Read a file the sandboxed code wrote: a regular file, never through a symlink, at most
    ``max_bytes`` of it (a larger file is an error, or with ``truncate`` its first
    ``max_bytes``). Opened non-blocking: a FIFO put in its place must not hang the grader."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        if info.st_size > max_bytes and not truncate:
            raise OSError(f"{path.name} is larger than {max_bytes} bytes")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(max_bytes + 1)[:max_bytes]
    finally:
        os.close(fd)


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Unsandboxed:
    """No isolation, only limits: for ``--no-sandbox`` where bubblewrap is unavailable."""

    name = "none"

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def _preexec(self) -> None:
        lim = self.limits
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_bytes, lim.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_bytes, lim.file_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_seconds, lim.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def run(
        self,
        argv: list[str],
        workdir: Path,
        timeout: float,
        env: dict[str, str] | None = None,
        outputs: tuple[str, ...] = (),
    ) -> RunResult:
        prepare_outputs(workdir, outputs)
        full_env = {**base_env(str(workdir)), **(env or {})}
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=self._preexec,
        )
        return communicate(proc, timeout, self.limits.output_bytes)
