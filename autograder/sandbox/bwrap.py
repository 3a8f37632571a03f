"""The bubblewrap sandbox (Debian package ``bubblewrap``).

Inside: own pid, net, ipc and uts namespaces (no network; loopback only), a read-only
system (``/usr``, ``/etc``, the Python installation and the virtual environment), and two
size-capped tmpfs: ``/tmp`` and the scratch directory ``/submission``, which starts with a
copy of the work directory's files. Nothing else of the host is visible: not the course
directory, the gradebook, the lesson sources or other submissions. The course's own
packages (``backprop_ref``, ``autograder``) are hidden even where they live inside a bound
tree (a non-editable install), unless a package the lesson imports (the kernel's
``backprop_ref``) is bound read-only on request; verification never asks for it.

The only host files the command can write are its declared outputs: each one is an empty
host file bound into ``/submission`` (capped by the file-size limit), so student code can
neither fill the host's disk nor leave links or extra files behind.

As root the command then drops to an unprivileged uid with every capability dropped and
``no_new_privs`` set (``setpriv``); as a normal user bubblewrap's user namespace does that.
``prlimit`` caps address space, processes, file size and CPU time, with no core dumps.
When the command ends, or its time is up, the whole pid namespace dies with it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import autograder
from autograder.sandbox.base import Limits, RunResult, base_env, communicate, prepare_outputs

MOUNT_POINT = "/submission"


def unavailable() -> str:
    """Why the sandbox cannot run here ('' when it can): checked by running it once."""
    if sys.platform != "linux":
        return "bubblewrap needs Linux"
    for tool in ("bwrap", "prlimit") + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        probe = Bubblewrap().run(["/bin/true"], Path(tmp), 10)
    if probe.returncode != 0:
        return f"bubblewrap failed to start: {probe.stderr.decode(errors='replace').strip()[:200]}"
    return ""


def _parents(path: Path) -> list[str]:
    """bwrap creates missing parents as 0700; create each one 0755 ourselves first."""
    args: list[str] = []
    for parent in reversed(path.parents[:-1]):  # skip "/"
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


@cache
def course_packages() -> tuple[Path, ...]:
    """Where the course's own packages live (hidden in the sandbox unless asked for)."""
    found = {Path(autograder.__file__).resolve().parent}
    spec = importlib.util.find_spec("backprop_ref")
    if spec is not None and spec.submodule_search_locations:
        found.update(Path(p).resolve() for p in spec.submodule_search_locations)
    return tuple(sorted(found))


def _within(path: Path, trees: set[Path]) -> bool:
    return any(path == t or t in path.parents for t in trees)


class Bubblewrap:
    """Run commands in a fresh bubblewrap sandbox each time."""

    name = "bubblewrap"

    def __init__(
        self, limits: Limits | None = None, uid: int = 60000, readable: tuple[Path, ...] = ()
    ) -> None:
        self.limits = limits or Limits()
        self.uid = uid
        self.readable = readable  # extra read-only trees (a package the lesson imports)

    def system_binds(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for name in ("bin", "lib", "lib64", "sbin"):
            p = Path("/") / name
            if p.is_symlink():
                args += ["--symlink", os.readlink(p), str(p)]
            elif p.exists():
                args += ["--ro-bind", str(p), str(p)]
        trees = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), *self.readable}
        for tree in sorted(trees):
            if not str(tree).startswith(("/usr/", "/etc/")):
                args += [*_parents(tree), "--ro-bind", str(tree), str(tree)]
        bound = trees | {Path("/usr"), Path("/etc")}
        for package in course_packages():
            if _within(package, bound) and not _within(package, set(self.readable)):
                args += ["--perms", "0555", "--size", "4096", "--tmpfs", str(package)]
                args += ["--remount-ro", str(package)]
        return args

    def scratch(self, workdir: Path, outputs: tuple[str, ...]) -> tuple[list[str], list[int]]:
        """bwrap arguments that fill ``/submission`` with a copy of ``workdir`` (and bind the
        outputs), and the file descriptors they read from (open; the caller closes them)."""
        args = ["--perms", "0777", "--size", str(self.limits.disk_bytes), "--tmpfs", MOUNT_POINT]
        fds: list[int] = []
        try:
            for root, dirs, files in os.walk(workdir):
                dirs.sort()
                here = Path(root)
                inside = Path(MOUNT_POINT) / here.relative_to(workdir)
                for name in dirs:
                    if not (here / name).is_symlink():
                        args += ["--perms", "0777", "--dir", str(inside / name)]
                for name in sorted(files):
                    path = here / name
                    if here == workdir and name in outputs:
                        continue
                    try:
                        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                    except OSError:
                        continue  # a link or something unreadable: not copied
                    fds.append(fd)
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        continue  # only regular files are copied
                    args += ["--perms", "0666", "--file", str(fd), str(inside / name)]
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        for path in prepare_outputs(workdir, outputs):
            if os.geteuid() == 0:
                os.chown(path, self.uid, self.uid)
            args += ["--bind", str(path), f"{MOUNT_POINT}/{path.name}"]
        return args, fds

    def argv(self, command: list[str], scratch: list[str], env: dict[str, str]) -> list[str]:
        """The whole command line; ``scratch`` from :meth:`scratch`."""
        lim = self.limits
        namespaces = "--unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try"
        lifetime = "--die-with-parent --new-session --hostname sandbox --proc /proc --dev /dev"
        args = ["bwrap", *namespaces.split(), *lifetime.split()]
        args += ["--perms", "1777", "--size", str(lim.disk_bytes), "--tmpfs", "/tmp"]
        if os.geteuid() != 0:
            args += ["--unshare-user", "--uid", str(self.uid), "--gid", str(self.uid)]
        args += self.system_binds()
        args += [*scratch, "--chdir", MOUNT_POINT, "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args.append("--")
        if os.geteuid() == 0:
            args += [
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]
        args += [
            "prlimit",
            f"--as={lim.memory_bytes}",
            f"--nproc={lim.processes}",
            f"--fsize={lim.file_bytes}",
            f"--cpu={lim.cpu_seconds}",
            "--core=0",
            "--",
        ]
        return args + command

    def run(
        self,
        argv: list[str],
        workdir: Path,
        timeout: float,
        env: dict[str, str] | None = None,
        outputs: tuple[str, ...] = (),
    ) -> RunResult:
        """Run ``argv`` in /submission, a copy of ``workdir`` (paths in argv relative); only
        the files named in ``outputs`` come back."""
        full_env = {
            **base_env("/tmp"),
            "USER": "student",
            "MPLCONFIGDIR": "/tmp/mpl",
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
            **(env or {}),
        }
        scratch, fds = self.scratch(workdir, outputs)
        try:
            proc = subprocess.Popen(
                self.argv(argv, scratch, full_env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=fds,
            )
        finally:
            for fd in fds:
                os.close(fd)
        return communicate(proc, timeout, self.limits.output_bytes)
