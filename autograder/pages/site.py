"""The self-study site: every lesson as a page with its worked solutions behind toggles, the
student notebooks to download, and an index with the course map; usable offline.

``release`` writes it into ``course/self-study/`` (every lesson's page, then
:func:`write_index` once: :func:`autograder.stages.release.write_self_study_all`);
``make site`` (``python -m autograder.commands.site``) builds the same into ``site/`` from a
temporary course, so it needs no course directory. The course map is read from the lessons
themselves (their title, numbered sections, graded cells and points), never written by hand.

Layout::

    index.html                          course map
    _mathjax/                           MathJax (autograder.pages.mathjax)
    <lesson>/<lesson>-solutions.html    the lesson, solutions behind toggles, figures inline
    <lesson>/<lesson>.ipynb             the student notebook, with the same tests
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.lessons.answers import grade_id, nbgrader_meta
from autograder.pages import mathjax, safe_html

TITLE = "backprop-course: self-study"
_NUMBERED = re.compile(r"^##\s+(\d+)\s*[.·:]?\s*(.+)$")


@dataclass(frozen=True)
class LessonSummary:
    name: str
    title: str
    sections: list[tuple[int, str]]  # the numbered "## n. ..." headings: (n, text)
    functions: list[str]  # graded functions
    written: int  # written answers graded by hand
    points: float


def summarise(name: str, nb: nbformat.NotebookNode) -> LessonSummary:
    """What the course map says about a lesson, read from its (student or source) notebook."""
    title, sections = name, []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# ") and title == name:
                title = line[2:].strip()
            elif m := _NUMBERED.match(line.strip()):
                sections.append((int(m.group(1)), m.group(2).strip()))
    functions, written, points = [], 0, 0.0
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        gid = grade_id(cell) or ""
        if meta.get("solution") and cell.cell_type == "code" and gid.startswith("sol_"):
            functions.append(gid[4:])
        if meta.get("solution") and meta.get("grade") and cell.cell_type == "markdown":
            written += 1
        if meta.get("grade"):
            points += float(meta.get("points", 0) or 0)  # type: ignore[arg-type]
    return LessonSummary(name, title, sections, functions, written, points)


def lesson_nav(name: str, lessons: list[str]) -> str:
    """Links at the top of a lesson page: the index, the student notebook, the neighbours."""
    links = ['<a href="../index.html">Course map</a>']
    links.append(f'<a href="{name}.ipynb" download>Download the student notebook</a>')
    if name in lessons:
        i = lessons.index(name)
        if i > 0:
            prev = lessons[i - 1]
            links.append(f'<a href="../{prev}/{prev}-solutions.html">&larr; {prev}</a>')
        if i + 1 < len(lessons):
            nxt = lessons[i + 1]
            links.append(f'<a href="../{nxt}/{nxt}-solutions.html">{nxt} &rarr;</a>')
    return " ".join(links)


def _inline(text: str) -> str:
    """Markdown inline text (code, emphasis, $math$) to HTML, math left for MathJax."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    out = markdown2html_mistune(text).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", out, flags=re.S)


def write_index(folder: Path) -> Path:
    """``folder/index.html``: the course map of the lessons present in ``folder``."""
    lessons = sorted(
        d.name for d in folder.iterdir() if d.is_dir() and (d / f"{d.name}.ipynb").exists()
    )
    rows = []
    for name in lessons:
        s = summarise(name, nbformat.read(folder / name / f"{name}.ipynb", as_version=4))
        sections = "".join(f"<li>{n}. {_inline(t)}</li>" for n, t in s.sections)
        graded = ", ".join(f"<code>{html.escape(f)}</code>" for f in s.functions)
        if s.written:
            graded += f"; {s.written} written derivation{'s' if s.written > 1 else ''}"
        page = f"{name}/{name}-solutions.html"
        rows.append(
            f'<tr><td><a href="{page}"><strong>{_inline(s.title)}</strong></a>'
            f'<br><a class="nb" href="{name}/{name}.ipynb" download>student notebook</a></td>'
            f"<td><ul>{sections}</ul></td><td>{graded}</td><td>{s.points:g}</td></tr>"
        )
    mj = mathjax.url(folder, mathjax.install(folder))
    page_html = INDEX.format(
        title=TITLE,
        mathjax=mj,
        rows="\n".join(rows),
        count=len(lessons),
    )
    return safe_html.write_page(folder / "index.html", page_html)


INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<script src="{mathjax}"></script>
<script type="text/x-mathjax-config">
MathJax.Hub.Config({{
  tex2jax: {{inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], processEscapes: true}},
  messageStyle: "none",
  "HTML-CSS": {{availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null}}
}});
</script>
<style>
:root {{ color-scheme: light dark; }}
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.45;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; vertical-align: top; padding: 0.6em; border-bottom: 1px solid #8884; }}
td ul {{ margin: 0; padding-left: 0; list-style: none; }}
a.nb {{ font-size: 0.9em; }}
code {{ font-size: 0.95em; }}
</style>
</head>
<body>
<h1>Backpropagation, from the Jacobian to a trained network</h1>
<p>{count} lessons. Each lesson page shows the whole lesson, executed, with every figure; the
worked solutions are folded away: open one only after you have tried. To work through a lesson
yourself, download its <em>student notebook</em> and open it in JupyterLab: its test cells
check your functions and say what is wrong.</p>
<h2>Course map</h2>
<table>
<thead><tr><th>lesson</th><th>sections</th><th>graded</th><th>points</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
