"""The bubblewrap sandbox (Debian package ``bubblewrap``).

Inside: own pid, net, ipc and uts namespaces (no network; loopback only), a read-only
system (``/usr``, ``/etc``, the Python installation and the virtual environment), a
size-capped ``/tmp``, and one writable directory: the scratch copy of the submission at
``/submission``. Nothing else of the host is visible: not the course directory, the
gradebook, the lesson sources or other submissions. Packages the lesson imports (the
kernel's ``backprop_ref``) are bound read-only on request, never for verification.

As root the command then drops to an unprivileged uid with every capability dropped and
``no_new_privs`` set (``setpriv``); as a normal user bubblewrap's user namespace does that.
``prlimit`` caps address space, processes, file size and CPU time, with no core dumps.
When the command ends, or its time is up, the whole pid namespace dies with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.sandbox import Limits, RunResult, base_env, communicate

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
        return args

    def argv(self, command: list[str], workdir: Path, env: dict[str, str]) -> list[str]:
        lim = self.limits
        namespaces = "--unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try"
        lifetime = "--die-with-parent --new-session --hostname sandbox --proc /proc --dev /dev"
        args = ["bwrap", *namespaces.split(), *lifetime.split()]
        args += ["--perms", "1777", "--size", str(lim.file_bytes), "--tmpfs", "/tmp"]
        if os.geteuid() != 0:
            args += ["--unshare-user", "--uid", str(self.uid), "--gid", str(self.uid)]
        args += self.system_binds()
        args += ["--bind", str(workdir), MOUNT_POINT, "--chdir", MOUNT_POINT, "--clearenv"]
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
        self, argv: list[str], workdir: Path, timeout: float, env: dict[str, str] | None = None
    ) -> RunResult:
        """Run ``argv`` with ``workdir`` writable at /submission (paths in argv relative)."""
        _hand_over(workdir, self.uid)
        full_env = {
            **base_env("/tmp"),
            "USER": "student",
            "MPLCONFIGDIR": "/tmp/mpl",
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
            **(env or {}),
        }
        proc = subprocess.Popen(
            self.argv(argv, workdir, full_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        return communicate(proc, timeout, self.limits.output_bytes)


def _hand_over(workdir: Path, uid: int) -> None:
    """The sandbox's uid owns the scratch directory (root mode), so only it is writable."""
    if os.geteuid() != 0:
        return
    for root, dirs, files in os.walk(workdir):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), uid, uid)
    os.chown(workdir, uid, uid)
