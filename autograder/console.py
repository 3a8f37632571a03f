"""What a command shows on the terminal, and the log file that takes everything else.

While a command runs, file descriptor 2 (stderr) is pointed at a log file under the course
directory (``logs/<command>-<UTC time>.log``): nbgrader's, traitlets', SQLAlchemy's and
alembic's warnings and logs, Python warnings, and the stderr of every subprocess and worker
(kernels, sandboxes) land there, whoever writes them. The terminal keeps our own lines
(stdout), one progress bar per long step, and warnings and errors we write on purpose
(:func:`warn`). The command's summary names the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: Log files kept per command (older ones are removed).
KEEP = 20

_terminal: IO[str] | None = None  # the real stderr while a session redirects fd 2
_log: Path | None = None
last_log: Path | None = None  # the log of the last session (for messages after it ended)


def terminal() -> IO[str]:
    """Where our own messages and progress bars go: the user's stderr."""
    return _terminal if _terminal is not None else sys.stderr


def log_path() -> Path | None:
    """The current session's log file (None outside a session)."""
    return _log


def warn(message: str) -> None:
    """A warning the user must see (also written to the log)."""
    print(f"warning: {message}", file=terminal(), flush=True)
    if _log is not None:
        logging.getLogger("autograder").warning(message)


def progress(total: int, desc: str, unit: str = "nb") -> Any:
    """One progress bar on the terminal (none when it is not a terminal); gone when done."""
    from tqdm import tqdm

    out = terminal()
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=out,
        leave=False,
        dynamic_ncols=True,
        disable=not _isatty(out),
    )


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def shown(path: Path) -> str:
    """``path`` as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def clip(text: str, width: int = 110) -> str:
    """One line of at most ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def listing(lines: Iterable[str], limit: int, more: str) -> list[str]:
    """At most ``limit`` lines, then one saying how many more and where they are."""
    items = list(lines)
    if len(items) <= limit:
        return items
    return [*items[:limit], f"... and {len(items) - limit} more: {more}"]


@contextmanager
def session(course_root: Path, command: str) -> Iterator[Path]:
    """Run a command with stderr going to its log; yields the log's path.

    The log goes to ``<course>/logs/``. When the course directory does not exist yet, it
    starts as a temporary file and moves there if the command created the course; otherwise
    it stays where it is, or is removed when nothing was written to it. Its final place is
    :data:`last_log` once the session has ended.
    """
    global _terminal, _log, last_log
    if _terminal is not None:  # nested (demo runs the other commands): one log
        assert _log is not None
        yield _log
        return
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    if course_root.exists():
        folder = course_root / "logs"
        folder.mkdir(exist_ok=True)
        path = folder / f"{command}-{stamp}.log"
        temporary = False
        _prune(folder, command)
    else:
        fd, name = tempfile.mkstemp(prefix=f"autograder-{command}-{stamp}-", suffix=".log")
        os.close(fd)
        path, temporary = Path(name), True
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(2)
    log = open(path, "a", encoding="utf-8", buffering=1)  # closed below
    os.dup2(log.fileno(), 2)
    _terminal = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
    _log = path
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)  # Python warnings, through logging, with a time
    logging.getLogger("autograder").info("python -m autograder %s", " ".join(sys.argv[1:]))
    header = log.tell()
    try:
        yield path
    except BaseException as exc:
        if not isinstance(exc, (KeyboardInterrupt, SystemExit)):
            log.write("".join(traceback.format_exception(exc)))
        raise
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(old_level)
        sys.stderr.flush()
        _terminal.close()
        os.dup2(saved, 2)
        os.close(saved)
        log.close()
        _terminal, _log = None, None
        last_log = path
        if temporary and course_root.is_dir():  # the command created the course
            folder = course_root / "logs"
            folder.mkdir(exist_ok=True)
            last_log = Path(shutil.move(path, folder / f"{command}-{stamp}.log"))
        elif temporary and path.stat().st_size == header:  # nothing but the command line
            path.unlink()
            last_log = None


def _prune(folder: Path, command: str) -> None:
    for old in sorted(folder.glob(f"{command}-*.log"))[:-KEEP]:
        old.unlink(missing_ok=True)
