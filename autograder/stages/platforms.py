"""Learning-platform downloads: which file belongs to which student and assignment.

**Canvas** ("Download Submissions", a flat zip; canvas-lms ``lib/content_zipper.rb``):
each uploaded file is ``<lastfirst>_[LATE_]<user id>_<attachment id>_<original name>``.
``<lastfirst>`` is the sortable name lower-cased with everything but letters, digits and
``_`` removed (so it never contains ``LATE`` in capitals, nor ``_<digits>_``, which Canvas
strips); ``LATE`` is Canvas's own verdict that the submission was late; an anonymous
assignment has ``anon_<id>`` instead of the name and user id. A file uploaded again gets
``-1``, ``-2``, ... before its extension (``Attachment.make_unique_filename`` in
``app/models/attachment.rb``). The user id is matched to the roster's ``ID`` column; the
leftmost ``_[LATE_]<digits>_<digits>_`` whose user id is on the roster wins, so a name that
happens to end in digits cannot shift the parse.

**Moodle** ("Download all submissions"; moodle ``mod/assign/classes/downloader.php``, and
``mod/assign/locallib.php`` before Moodle 4.1): a folder per student and plugin,
``<Full Name>_<participant id>_assignsubmission_file`` (with a trailing ``_`` before 4.1),
holding the uploaded files; with "download as folders" off, flat files
``<Full Name>_<participant id>_assignsubmission_file_<name>``. Moodle turns ``_`` in names
into spaces, so the name is everything before the first ``_``. The participant id is
matched to the worksheet's ``Identifier`` (``Participant <id>``).

Nothing in a file name decides a student id by itself: the platform's id is looked up in
the roster, and a file that cannot be mapped is listed with the reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from autograder.stages.roster import Roster

CANVAS_ENTRY = re.compile(r"_(LATE_)?(\d+)_(\d+)_(.+)", re.S)
CANVAS_ANON = re.compile(r"(LATE_)?anon_([A-Za-z0-9]+)_(\d+)_(.+)", re.S)  # at the start
MOODLE_FOLDER = re.compile(r"([^_]*)_(\d+)_assign(?:submission|feedback)_([a-z]+)_?")
MOODLE_FLAT = re.compile(r"([^_]*)_(\d+)_assign(?:submission|feedback)_([a-z]+)_(.+)", re.S)
RESUBMITTED = re.compile(r"-\d+(?=\.ipynb$)")


@dataclass
class Found:
    """A notebook placed for a student and assignment, and what the platform said of it."""

    student: str
    assignment: str
    data: bytes
    origin: str
    late_marker: bool | None = None  # Canvas's LATE (None: the platform does not say)
    platform_id: str = ""


@dataclass
class Unplaced:
    origin: str
    reason: str
    student: str = ""
    data: bytes | None = None


def _lesson(original: str, assignments: list[str], chosen: str | None) -> tuple[str, str]:
    """(assignment, '') for a notebook's original name, or ('', why not)."""
    if not original.endswith(".ipynb"):
        return "", f"not a notebook ({original[:80]})"
    if chosen:
        return chosen, ""
    name = RESUBMITTED.sub("", original)[: -len(".ipynb")]
    if name in assignments:
        return name, ""
    return "", (
        f"notebook {original[:80]!r} is not named after a released assignment "
        f"({', '.join(assignments)}); pass --assignment to collect it anyway"
    )


def canvas_entry(name: str, known: set[str]) -> tuple[str, bool, str] | None:
    """(user id, LATE, original name) for a Canvas file name, or None; ``known`` user ids
    (the roster's) decide between possible splits."""
    first = None
    for i, ch in enumerate(name):
        if ch != "_":
            continue
        m = CANVAS_ENTRY.match(name, i)
        if m and i > 0:
            parsed = (m.group(2), bool(m.group(1)), m.group(4))
            if m.group(2) in known:
                return parsed
            first = first or parsed
    return first


def canvas(
    items: list[tuple[tuple[str, ...], bytes | None, str]],
    roster: Roster,
    assignments: list[str],
    chosen: str | None,
) -> tuple[list[Found], list[Unplaced]]:
    """Map the entries of a Canvas submissions zip (``(parts, data, problem)`` each)."""
    by_id = roster.by_platform_id()
    found, unplaced = [], []
    for parts, data, problem in items:
        origin = "/".join(parts)
        name = parts[-1]
        if len(parts) != 1:
            why = "not a Canvas submissions file (inside a folder)"
            unplaced.append(Unplaced(origin, why, data=data))
            continue
        if CANVAS_ANON.match(name):
            why = "an anonymous Canvas submission: no user id to find on the roster"
            unplaced.append(Unplaced(origin, why, data=data))
            continue
        parsed = canvas_entry(name, set(by_id))
        if parsed is None:
            why = "not named <name>_[LATE_]<user id>_<attachment id>_<file> as Canvas names"
            unplaced.append(Unplaced(origin, why, data=data))
            continue
        user, late, original = parsed
        member = by_id.get(user)
        if member is None:
            unplaced.append(Unplaced(origin, f"Canvas user {user} is not on the roster", data=data))
            continue
        if not member.student_id:
            unplaced.append(Unplaced(origin, member.problem, data=data))
            continue
        if problem or data is None:
            unplaced.append(Unplaced(origin, problem or "not a file", member.student_id, data))
            continue
        assignment, why = _lesson(original, assignments, chosen)
        if why:
            unplaced.append(Unplaced(origin, why, member.student_id, data))
            continue
        found.append(Found(member.student_id, assignment, data, origin, late, user))
    return _one_each(found, unplaced)


def moodle(
    items: list[tuple[tuple[str, ...], bytes | None, str]],
    roster: Roster,
    assignments: list[str],
    chosen: str | None,
) -> tuple[list[Found], list[Unplaced]]:
    """Map the entries of a Moodle "Download all submissions" zip."""
    by_id = roster.by_platform_id()
    found, unplaced = [], []
    for parts, data, problem in items:
        origin = "/".join(parts)
        folder = MOODLE_FOLDER.fullmatch(parts[0]) if len(parts) == 2 else None
        flat = MOODLE_FLAT.fullmatch(parts[0]) if len(parts) == 1 else None
        if folder:
            participant, plugin, original = folder.group(2), folder.group(3), parts[1]
        elif flat:
            participant, plugin, original = flat.group(2), flat.group(3), flat.group(4)
        else:
            why = "not laid out <Full Name>_<participant id>_assignsubmission_file/<file>"
            unplaced.append(Unplaced(origin, why, data=data))
            continue
        member = by_id.get(participant)
        if member is None:
            why = f"Moodle participant {participant} is not in the grading worksheet"
            unplaced.append(Unplaced(origin, why, data=data))
            continue
        if not member.student_id:
            unplaced.append(Unplaced(origin, member.problem, data=data))
            continue
        if problem or data is None:
            unplaced.append(Unplaced(origin, problem or "not a file", member.student_id, data))
            continue
        if plugin != "file":
            why = f"Moodle {plugin} submission, not an uploaded file"
            unplaced.append(Unplaced(origin, why, member.student_id, data))
            continue
        assignment, why = _lesson(original, assignments, chosen)
        if why:
            unplaced.append(Unplaced(origin, why, member.student_id, data))
            continue
        found.append(Found(member.student_id, assignment, data, origin, None, participant))
    return _one_each(found, unplaced)


def _one_each(found: list[Found], unplaced: list[Unplaced]) -> tuple[list[Found], list[Unplaced]]:
    """One notebook per student and assignment: the one named after the assignment, else
    none (each is listed)."""
    groups: dict[tuple[str, str], list[Found]] = defaultdict(list)
    for f in found:
        groups[(f.student, f.assignment)].append(f)
    kept = []
    for (student, assignment), group in groups.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        named = [f for f in group if RESUBMITTED.sub("", f.origin).endswith(f"{assignment}.ipynb")]
        winner = named[0] if len(named) == 1 else None
        for f in group:
            if f is winner:
                kept.append(f)
            else:
                why = f"one of {len(group)} notebooks for {student}/{assignment}" + (
                    f"; {winner.origin} was collected" if winner else ": none collected"
                )
                unplaced.append(Unplaced(f.origin, why, student, f.data))
    return kept, unplaced
