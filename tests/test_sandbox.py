"""The bubblewrap sandbox on its own: each property of the isolation, one test each.

No network; a read-only system; nothing of the host to see (the course, the repository's
notebooks and sources, the grader's environment); an unprivileged uid without capabilities;
limits on memory, processes, file size, disk, CPU and output; only declared outputs come
back; every process ends with the command. Plus the parts that read what comes back:
``read_output`` never follows a link, kernel records are untrusted data.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.nbgrader_glue.preprocessors import copy_outputs, read_records
from autograder.sandbox import bwrap
from autograder.sandbox.base import Limits, RunResult, Unsandboxed, read_output

REPO = Path(__file__).resolve().parents[1]
UID = 60950  # + the test's index: not a grading worker's uid, nor the corpus's (61000+)


def needs_bwrap(test: Callable[..., None]) -> Callable[..., None]:
    """Marked ``sandbox``. Where bubblewrap cannot run the test fails, naming what to install,
    unless the run opted out of the sandbox (``make test SANDBOX=0``): then it is skipped."""
    required = pytest.mark.usefixtures("requires_sandbox")
    return pytest.mark.sandbox(required(test))  # type: ignore[no-any-return]


SMALL = Limits(
    memory_bytes=1024**3,
    processes=24,
    file_bytes=2 * 1024**2,
    disk_bytes=8 * 1024**2,
    cpu_seconds=20,
    output_bytes=64 * 1024,
)


def run_py(
    tmp_path: Path,
    code: str,
    *,
    limits: Limits = SMALL,
    readable: tuple[Path, ...] = (),
    outputs: tuple[str, ...] = (),
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> RunResult:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "prog.py").write_text(textwrap.dedent(code))
    box = bwrap.Bubblewrap(limits, uid=sandbox_uid(), readable=readable)
    return box.run([sys.executable, "-I", "prog.py"], work, timeout, env=env, outputs=outputs)


def out(result: RunResult) -> str:
    return result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")


def sandbox_uid() -> int:
    """The running test's own uid (tests run in parallel, and RLIMIT_NPROC and the checks
    for leftover processes count per uid)."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
    names = sorted(n for n in globals() if n.startswith("test_"))
    name = current.split("[")[0]
    return UID + (names.index(name) if name in names else len(names))


def no_process_left() -> bool:
    """No process of this test's uid (a killed pid namespace may take a moment to go)."""
    for _ in range(30):
        found = subprocess.run(["pgrep", "-u", str(sandbox_uid())], capture_output=True, text=True)
        if not found.stdout.strip():
            return True
        time.sleep(0.1)
    return False


@needs_bwrap
def test_no_network(tmp_path: Path) -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    r = run_py(
        tmp_path,
        f"""
        import socket
        for host, port in (("127.0.0.1", {port}), ("1.1.1.1", 53), ("10.0.2.2", 80)):
            try:
                socket.create_connection((host, port), timeout=2)
                print("CONNECTED", host)
            except OSError as exc:
                print("refused", host, type(exc).__name__)
        import os
        print("interfaces", sorted(os.listdir("/sys/class/net")) if os.path.exists("/sys/class/net")
              else "no /sys")
        """,
    )
    assert "CONNECTED" not in out(r), out(r)
    assert out(r).count("refused") == 3
    with pytest.raises(TimeoutError):
        server.accept()  # nothing reached the host's loopback
    server.close()


@needs_bwrap
def test_system_is_read_only(tmp_path: Path) -> None:
    r = run_py(
        tmp_path,
        f"""
        import sys
        for path in ("/usr/evil", "/etc/evil", sys.prefix + "/evil", "{REPO}/backprop_ref/evil.py"):
            try:
                open(path, "w").write("x")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path, type(exc).__name__)
        """,
        readable=(REPO / "backprop_ref",),
    )
    assert "WROTE" not in out(r), out(r)
    assert not (REPO / "backprop_ref" / "evil.py").exists()


@needs_bwrap
def test_host_is_invisible(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "gradebook.db").write_text("CANARY-gradebook")
    r = run_py(
        tmp_path,
        f"""
        import os
        paths = ["{course}", "{course}/gradebook.db", "{REPO}/notebooks", "{REPO}/autograder",
                 "{REPO}/tests", "{REPO}/backprop_ref", "/root/.ssh", "/home", "{tmp_path}"]
        print("VISIBLE", [p for p in paths if os.path.exists(p)])
        print("REPO", sorted(os.listdir("{REPO}")))
        print("ENV", sorted(os.environ))
        print("CANARY" in repr(dict(os.environ)))
        """,
        env={"HARMLESS": "1"},
    )
    text = out(r)
    assert "VISIBLE []" in text, text
    assert "REPO ['.venv']" in text, text  # only the virtual environment's mount point
    assert "CANARY-gradebook" not in text and "\nFalse" in text
    assert "BACKPROP_SECRET" not in text


@needs_bwrap
def test_only_the_lessons_package_when_asked(tmp_path: Path) -> None:
    code = f"""
        import os
        try:
            import backprop_ref.layers
            print("IMPORTED", backprop_ref.layers.__file__)
        except ImportError as exc:
            print("no backprop_ref", exc)
        print("AUTOGRADER", os.path.exists("{REPO}/autograder"))
        """
    hidden = run_py(tmp_path, code)
    assert "no backprop_ref" in out(hidden) and "AUTOGRADER False" in out(hidden), out(hidden)
    shown = run_py(tmp_path, code, readable=(REPO / "backprop_ref",))
    assert "IMPORTED" in out(shown) and "AUTOGRADER False" in out(shown), out(shown)


@needs_bwrap
def test_unprivileged_uid_without_capabilities(tmp_path: Path) -> None:
    r = run_py(
        tmp_path,
        """
        import os
        status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
        print("uid", os.getuid(), os.geteuid(), os.getgid(), os.getgroups())
        for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"):
            print(key, status[key].strip())
        print("pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
        """,
    )
    text = out(r)
    uid = sandbox_uid()
    assert f"uid {uid} {uid} {uid} []" in text, text  # no supplementary groups
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert f"{key} 0000000000000000" in text, text
    assert "NoNewPrivs 1" in text
    pids = eval(text.split("pids ")[1].splitlines()[0])
    assert max(pids) < 10  # its own pid namespace: none of the host's processes


@needs_bwrap
def test_memory_limit(tmp_path: Path) -> None:
    r = run_py(
        tmp_path,
        """
        hog = []
        try:
            while True:
                hog.append(bytearray(64 * 1024 * 1024))
        except MemoryError:
            print("MemoryError after", len(hog) * 64, "MB")
        """,
    )
    assert "MemoryError after" in out(r), out(r)
    assert int(out(r).split("after ")[1].split()[0]) <= 1024


@needs_bwrap
def test_process_limit_stops_a_fork_bomb(tmp_path: Path) -> None:
    r = run_py(
        tmp_path,
        """
        import os, time
        children = 0
        while True:
            try:
                pid = os.fork()
            except OSError as exc:
                print("fork refused after", children, type(exc).__name__)
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children += 1
        """,
        timeout=20,
    )
    assert "fork refused after" in out(r), out(r)
    assert int(out(r).split("after ")[1].split()[0]) < SMALL.processes
    assert no_process_left()


@needs_bwrap
def test_file_size_and_disk_limits(tmp_path: Path) -> None:
    r = run_py(
        tmp_path,
        """
        import errno
        try:
            with open("big", "wb") as f:
                f.write(b"x" * (3 * 1024 * 1024))
        except OSError as exc:
            print("big file refused", errno.errorcode[exc.errno])
        for where in (".", "/tmp"):
            n = 0
            try:
                while True:
                    with open(f"{where}/fill{n}", "wb") as f:
                        f.write(b"x" * (1024 * 1024))
                    n += 1
            except OSError as exc:
                print("disk full", where, n, errno.errorcode[exc.errno])
        """,
        outputs=("result.txt",),
    )
    text = out(r)
    assert "big file refused EFBIG" in text, text
    assert text.count("disk full") == 2 and "ENOSPC" in text, text
    # nothing but the declared output came back to the host
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["prog.py", "result.txt"]


@needs_bwrap
def test_cpu_limit_and_core_dumps(tmp_path: Path) -> None:
    r = run_py(
        tmp_path,
        """
        import resource
        print("cpu", resource.getrlimit(resource.RLIMIT_CPU))
        print("core", resource.getrlimit(resource.RLIMIT_CORE))
        print("nproc", resource.getrlimit(resource.RLIMIT_NPROC))
        """,
    )
    text = out(r)
    assert f"cpu ({SMALL.cpu_seconds}, {SMALL.cpu_seconds})" in text, text
    assert "core (0, 0)" in text and f"nproc ({SMALL.processes}, {SMALL.processes})" in text


@needs_bwrap
def test_every_process_ends_with_the_command(tmp_path: Path) -> None:
    start = time.monotonic()
    r = run_py(
        tmp_path,
        """
        import os, signal, time
        if os.fork() == 0:          # a double-forked daemon in its own session
            os.setsid()
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                time.sleep(3)
                open("late.txt", "w").write("still alive")
                os._exit(0)
            os._exit(0)
        print("parent done")
        """,
        outputs=("late.txt",),
    )
    assert "parent done" in out(r) and time.monotonic() - start < 10
    assert no_process_left()
    time.sleep(4)
    assert (tmp_path / "work" / "late.txt").read_bytes() == b""


@needs_bwrap
def test_wall_clock_limit(tmp_path: Path) -> None:
    start = time.monotonic()
    r = run_py(
        tmp_path,
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n",
        timeout=1.5,
    )
    assert r.timed_out and r.describe() == "timed out"
    assert time.monotonic() - start < 6
    assert no_process_left()


@needs_bwrap
def test_output_is_capped_in_bytes(tmp_path: Path) -> None:
    r = run_py(
        tmp_path,
        "import sys\nsys.stdout.write('x' * 10_000_000)\nsys.stderr.write('y' * 10_000_000)\n",
    )
    assert len(r.stdout) == SMALL.output_bytes and len(r.stderr) == SMALL.output_bytes


@needs_bwrap
def test_only_declared_outputs_come_back_and_links_do_not(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-host-file")
    r = run_py(
        tmp_path,
        f"""
        import os
        open("out.txt", "w").write("result")
        open("other.txt", "w").write("not declared")
        os.symlink("{secret}", "link.txt")
        try:
            os.replace("link.txt", "out2.txt")
            print("replaced a declared output")
        except OSError as exc:
            print("replace refused", type(exc).__name__)
        """,
        outputs=("out.txt", "out2.txt"),
    )
    work = tmp_path / "work"
    assert (work / "out.txt").read_bytes() == b"result"
    assert "replace refused" in out(r), out(r)
    assert read_output(work / "out2.txt", 100) == b""
    assert not (work / "other.txt").exists() and not (work / "link.txt").exists()


def test_read_output_refuses_links_and_large_files(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("CANARY")
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(OSError):
        read_output(tmp_path / "link", 100)
    (tmp_path / "big").write_bytes(b"x" * 200)
    with pytest.raises(OSError, match="larger"):
        read_output(tmp_path / "big", 100)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OSError):
        read_output(tmp_path / "fifo", 100)


def test_unsandboxed_applies_limits_and_outputs(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "out.txt").symlink_to(tmp_path / "elsewhere")
    r = Unsandboxed(Limits(output_bytes=10)).run(
        [sys.executable, "-c", "print('x' * 100); open('out.txt', 'w').write('ok')"],
        work,
        10,
        outputs=("out.txt",),
    )
    assert len(r.stdout) == 10
    assert read_output(work / "out.txt", 10) == b"ok"  # the link was replaced, not followed
    assert not (tmp_path / "elsewhere").exists()


def test_kernel_records_are_untrusted_data() -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"cell {i}") for i in range(5)])
    good = {"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]}
    lines = [
        b'{"index": 0, "execution_count": 1, "outputs": []}',
        b'{"index": 1, "execution_count": 2, "outputs": ['
        + str(good).replace("'", '"').encode()
        + b"]}",
        b'{"index": 2, "execution_count": true, "outputs": []}',  # not a count
        b'{"index": 3, "execution_count": 4, "outputs": [{"output_type": "error"}]}',
        b"[" * 100000,  # deeply nested junk
        b'{"index": 99, "outputs": []}',
        b'{"index": 4, "execution_count": 5, "outputs": []',  # cut short by a kill
    ]
    executed, done = read_records(b"\n".join(lines), len(nb.cells))
    assert not done
    copy_outputs(nb, executed, "not run: stopped")
    kinds = [[o.get("ename", o.output_type) for o in c.outputs] for c in nb.cells]
    assert kinds[0] == [] and nb.cells[0].execution_count == 1
    assert nb.cells[1].outputs[0].text == "a\nb\n"  # multi-line text joined
    assert kinds[2] == ["NotebookStopped"] and kinds[3] == ["NotebookStopped"]
    assert nb.cells[4].outputs[0].evalue == "not run: stopped"


def _execute(sources: list[str], cell_timeout: int = 3, notebook_timeout: int = 30) -> list[str]:
    """Run a small notebook through SandboxedExecute; each code cell's outputs as text."""
    import json

    import nbformat

    from autograder.nbgrader_glue.preprocessors import SandboxedExecute

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    pre = SandboxedExecute(
        uid=sandbox_uid(),
        readable=[str(REPO / "backprop_ref")],
        cell_timeout=cell_timeout,
        notebook_timeout=notebook_timeout,
        max_cell_bytes=10_000,
    )
    out, _ = pre.preprocess(nb, {})
    return [json.dumps(c.outputs) for c in out.cells]


@needs_bwrap
@pytest.mark.slow
def test_kernel_stuck_in_a_loop_that_ignores_sigint() -> None:
    start = time.monotonic()
    cells = _execute(
        [
            "print('first')",
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
            "print('never')",
        ]
    )
    assert "first" in cells[0]
    assert "CellTimeoutError" in cells[1]
    assert "stopped responding" in cells[2] and "never" not in cells[2]
    assert time.monotonic() - start < 20  # the cell's 3 s, the probe's 5 s, start and stop
    assert no_process_left()


@needs_bwrap
@pytest.mark.slow
def test_kernel_death_flood_and_timeouts() -> None:
    cells = _execute(
        [
            "while True:\n    pass",  # interrupted: the rest still runs
            "print('x' * 10_000_000)\nfor i in range(100_000):\n    print(i)",
            "print('after')",
            "import os\nos._exit(3)",
            "print('never')",
        ]
    )
    assert "CellTimeoutError" in cells[0]
    assert "[output truncated]" in cells[1] and len(cells[1]) < 12_000
    assert "after" in cells[2]
    assert "the kernel died" in cells[3] and "kernel died in an earlier cell" in cells[4]
    assert no_process_left()


@needs_bwrap
@pytest.mark.slow
def test_grading_kernel_is_an_ordinary_kernel_without_its_debugger() -> None:
    """The grading kernel starts without loading debugpy (kernel_exec.LAUNCH), yet the
    student's code sees an ordinary kernel: the notebook's folder on the path, debugpy
    importable, and figures drawn once at their own size (no tight bounding box)."""
    cells = _execute(
        [
            "import sys\nprint('debugger loaded:', 'debugpy' in sys.modules)",
            "import debugpy\nprint('debugpy', bool(debugpy.__version__))",
            "print('' in sys.path or __import__('os').getcwd() in sys.path)",
            "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
            "fig = plt.figure(figsize=(4, 2), dpi=50)\nplt.plot([0, 1])\nplt.show()",
        ],
        cell_timeout=30,
        notebook_timeout=60,
    )
    assert "debugger loaded: False" in cells[0], cells[0]
    assert "debugpy True" in cells[1], cells[1]
    assert "True" in cells[2], cells[2]
    png = base64.b64decode(json.loads(cells[3])[0]["data"]["image/png"])
    assert struct.unpack(">II", png[16:24]) == (200, 100)  # 4 x 2 inches at 50 dpi, uncut
