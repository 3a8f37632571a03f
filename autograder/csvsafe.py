"""Every CSV the project writes goes through here, so that no cell is a live formula.

Spreadsheets (Excel, LibreOffice, Google Sheets) run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula, and some treat a leading tab or carriage return the same way
(OWASP, "CSV Injection"). Student-controlled text reaches our CSVs: folder and file names
(``attention.csv``), names in a platform roster, messages quoting a notebook. The rule:

- a number (``int`` or ``float``, not ``bool``) is written as a number, so a negative score
  stays ``-2`` and sums in a spreadsheet;
- any text that starts with one of those characters, after optional spaces, gets a leading
  ``'`` (OWASP's neutralisation: the spreadsheet shows the text, the quote marks it as
  text), even when the text looks like a number: text never becomes a formula;
- ``None`` is an empty cell.

:func:`restore` undoes the guard for programs that read our CSVs back (the tests).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
Cell = str | int | float | None


def number(value: float) -> str:
    """A number as the CSVs write it: shortest form (``21``, ``0.5``, ``-2``)."""
    return f"{value:g}"


def needs_guard(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula."""
    return text.lstrip(" ").startswith(TRIGGERS)


def cell(value: Cell) -> str:
    """One cell, safe to open in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return number(float(value)) if isinstance(value, float) else str(value)
    text = str(value)
    return GUARD + text if _guarded(text) else text


def _guarded(text: str) -> bool:
    """Gets a guard: a trigger, also after quotes (so that :func:`restore` is exact)."""
    return needs_guard(text.lstrip(GUARD))


def restore(text: str) -> str:
    """The original text of a cell written by :func:`cell` (for readers of our CSVs)."""
    if text.startswith(GUARD) and _guarded(text[1:]):
        return text[1:]
    return text


class Writer:
    """``csv.writer`` that passes every cell through :func:`cell`."""

    def __init__(self, f: IO[str]) -> None:
        self._w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)

    def writerow(self, row: Sequence[Cell]) -> None:
        self._w.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            self.writerow(row)


def write(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Path:
    """Write a whole CSV file (UTF-8, header first), every cell made safe."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = Writer(f)
        w.writerow(list(header))
        w.writerows(rows)
    return path


def read(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV written by :func:`write`, with the guards removed."""
    with path.open(newline="", encoding="utf-8") as f:
        return [{k: restore(v or "") for k, v in row.items()} for row in csv.DictReader(f)]
