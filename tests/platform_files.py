"""Learning-platform files as the platforms write them, for the collect and export tests.

Where each layout fact comes from (read in the platforms' own source):

Canvas (github.com/instructure/canvas-lms)
- ``lib/content_zipper.rb`` (``get_filename``, ``add_upload_submission``,
  ``sanitize_user_name``, ``sanitize_file_name``, ``sanitize_attachment_filename``): a file
  of the "Download Submissions" zip is named
  ``[<sortable name>, "LATE" if submission.late?, <user id>].join("_")`` with every
  non-word character removed and the name lower-cased (``_<digits>_`` inside the name
  collapsed), then ``_<attachment id>_<display name>`` (``\\ / : * ? " < > |`` in the
  display name become ``_``). Anonymous grading puts ``anon_<anonymous id>`` instead of
  name and user id. The zip is flat.
- ``app/models/attachment.rb`` (``make_unique_filename``): a file uploaded again under the
  same name becomes ``<base>-1<ext>``, ``<base>-2<ext>``, ...
- ``lib/gradebook_exporter.rb`` (the gradebook export, our roster): header ``Student, ID,
  SIS User ID, SIS Login ID, [Integration ID], Section``, assignment columns
  ``<title> (<id>)`` (``title_with_id``), totals; second row ``    Points Possible``.
- ``app/models/gradebook_importer.rb`` (the import our export feeds): first column
  ``Student``, second ``ID``, optional ``SIS User ID``/``SIS Login ID``, last student column
  ``Section``; assignment ids read from ``<title> (<id>)``; a ``Points Possible`` row.
- Submissions API docs (Submission object: ``user_id``, ``submitted_at``, ``late``,
  ``seconds_late``) for Canvas's own record of times.

Moodle (github.com/moodle/moodle)
- ``mod/assign/classes/downloader.php`` (Moodle >= 4.1) and ``mod/assign/locallib.php``
  ``download_submissions`` (3.1-4.0): the prefix is ``<full name with _ as spaces>_<unique
  id for the user>``; with download-as-folders (the default) a folder
  ``<prefix>_assignsubmission_file`` (4.1+) or ``<prefix>_assignsubmission_file_``
  (before) holds the files; without, flat ``<prefix>_assignsubmission_file_<name>``.
- ``mod/assign/gradingtable.php`` (worksheet download): ``Identifier`` (``Participant `` +
  unique id, ``col_recordid``), ``Full name``, identity fields, ``Status``, ``Grade``,
  ``Maximum Grade``, ``Grade can be changed``, ``Last modified (submission)`` (``userdate``),
  ``Last modified (grade)``, feedback columns (``Feedback comments``).
- ``mod/assign/lang/en/assign.php``: ``hiddenuser`` = "Participant ", ``recordid`` =
  "Identifier", ``lastmodifiedsubmission`` = "Last modified (submission)",
  ``submittedlateshort`` = "{$a} late".
- ``mod/assign/feedback/offline/importgradeslib.php``: the worksheet upload finds the
  ``Grade``, ``Identifier`` and ``Last modified (grade)`` columns by name.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path


def canvas_lastfirst(sortable_name: str) -> str:
    """Canvas's file-name form of a sortable name ("Doe, Jane" -> "doejane")."""
    name = re.sub(r"_(\d+)_", r"\1", sortable_name).lower()
    return re.sub(r"[^\w]", "", name)


def canvas_entry(
    sortable_name: str, user_id: int, attachment_id: int, display_name: str, late: bool = False
) -> str:
    prefix = "_".join([canvas_lastfirst(sortable_name), *(["LATE"] if late else []), str(user_id)])
    prefix = re.sub(r"[^\w]", "", prefix)
    display = re.sub(r'[\x00/\\:*?"<>|]+', "_", display_name)
    return f"{prefix}_{attachment_id}_{display}"


def canvas_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


TOTALS = ("Current Points", "Final Points", "Current Score", "Final Score")


def canvas_roster(path: Path, students: list[tuple[str, int, str, str, str]]) -> Path:
    """(sortable name, Canvas id, SIS user id, SIS login id, section) rows, as exported."""
    f = io.StringIO()
    w = csv.writer(f)
    ids = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    w.writerow([*ids, "Linear layer (4521)", *TOTALS])
    w.writerow(
        [
            "    Points Possible",
            "",
            "",
            "",
            "",
            "21",
            "(read only)",
            "(read only)",
            "(read only)",
            "(read only)",
        ]
    )
    for name, cid, sis, login, section in students:
        w.writerow([name, cid, sis, login, section, "", "0", "0", "", ""])
    path.write_text(f.getvalue(), encoding="utf-8")
    return path


WORKSHEET_HEADER = [
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Grade can be changed",
    "Last modified (submission)",
    "Last modified (grade)",
    "Feedback comments",
]


def moodle_worksheet(path: Path, rows: list[tuple[int, str, str, str, str]]) -> Path:
    """(participant id, full name, email, status, last modified (submission)) rows."""
    f = io.StringIO()
    w = csv.writer(f)
    w.writerow(WORKSHEET_HEADER)
    for pid, name, email, status, when in rows:
        w.writerow([f"Participant {pid}", name, email, status, "", "21.00", "Yes", when, "-", ""])
    path.write_text(f.getvalue(), encoding="utf-8")
    return path


def moodle_folder(full_name: str, participant: int, before_41: bool = False) -> str:
    prefix = f"{full_name.replace('_', ' ')}_{participant}_assignsubmission_file"
    return prefix + ("_" if before_41 else "")
