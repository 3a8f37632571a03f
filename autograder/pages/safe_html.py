"""Pages rendered from a notebook run nothing a student wrote.

Feedback pages and the self-study solutions are nbconvert renderings: by default they carry
a notebook's markdown (raw HTML, ``<script>``, ``onerror=``, ``javascript:`` links),
JavaScript and HTML outputs, and metadata that adds scripts of its own (``widgets``) or
iframes (``isolated``), all live. Three layers stand between a student and the reader:

1. :func:`clean_notebook`, before rendering: notebook and cell metadata cut to what the
   rendering needs; outputs cut to inert kinds (text, PNG/JPEG/GIF images, and HTML,
   Markdown or LaTeX that the page's sanitiser cleans); JavaScript, widgets, SVG, PDF and
   anything unknown become a line saying what is not shown; markdown attachments only as
   images; raw cells as text.
2. :func:`sanitize_page`, on the finished page: the ``<head>`` is rebuilt from the
   template's parts (charset, viewport, title, style sheets, and MathJax: its loader and its
   configuration; no other script), and the ``<body>`` goes through an allow-list
   sanitiser (nh3, the ammonia library): no script, style, iframe, object, form, SVG,
   event handler or ``<base>``; links only to http(s), mailto and relative targets; images
   only as ``data:image/png|jpeg|gif``; inline styles only from a list of inert properties
   and without ``url()``, ``expression()`` or escapes. A Content-Security-Policy meta tag
   opens the head: scripts only from MathJax's origin and its configuration by hash,
   images and fonts only inline or from MathJax, no frames, plugins, forms or ``<base>``.
3. :func:`active_content`, the check: it parses the finished page as a browser does
   (html5lib implements the WHATWG parsing algorithm) and lists everything that could
   run. Pages are written only when it finds nothing (:func:`write_page`), and the tests
   run it on every page of the hostile corpus.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat

# -------------------------------------------------------------------- the allow-lists

#: Output types kept as they are (text and raster images) or rendered then cleaned.
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
KEPT_TYPES = ("text/plain", *IMAGE_TYPES, "text/html", "text/markdown", "text/latex")
DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif);base64,[a-z0-9+/=\s]*", re.IGNORECASE)
_B64 = re.compile(r"[A-Za-z0-9+/=\s]*")

TAGS = {
    *"a abbr acronym article aside b bdi bdo blockquote br caption center cite code col".split(),
    *"colgroup data dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4".split(),
    *"h5 h6 header hgroup hr i img ins kbd li main mark nav ol p pre q rp rt rtc ruby s".split(),
    *"samp section small span strike strong sub summary sup table tbody td tfoot th thead".split(),
    *"time tr tt u ul var wbr".split(),
}
ATTRIBUTES = {
    "*": {"class", "id", "name", "title", "lang", "dir", "style", "align", "tabindex"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "ol": {"start", "type", "reversed"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
    "time": {"datetime"},
    "data": {"value"},
}
#: Inline CSS properties that cannot fetch or run anything (values are checked too).
STYLE_PROPERTIES = {
    *"color background-color font-weight font-style font-size font-family text-align".split(),
    *"text-decoration vertical-align white-space width height min-width max-width".split(),
    *"line-height border border-collapse border-color border-style border-width".split(),
    *"border-top border-bottom border-left border-right padding padding-top".split(),
    *"padding-bottom padding-left padding-right margin margin-top margin-bottom".split(),
    *"margin-left margin-right display overflow overflow-x overflow-y".split(),
}
#: Content removed with its tag (everything else not allowed keeps its text).
DROPPED_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "svg"}
DROPPED_WITH_CONTENT |= {"math", "textarea", "select", "title", "noembed", "noframes", "xmp"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_CSS_DANGER = re.compile(r"url\s*\(|expression|javascript|vbscript|@import|behavio|binding|\\|/\*")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")  # browsers drop these inside URLs / schemes

# ---------------------------------------------------------------- 1. the notebook


def note(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=f"[{text}]\n")


def _strings(value: Any) -> str | None:
    """Multi-line text as one string (nbformat allows a list of lines), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def _image_metadata(meta: Any, mime: str) -> dict[str, Any]:
    size = meta.get(mime) if isinstance(meta, dict) else None
    if not isinstance(size, dict):
        return {}
    kept = {k: size[k] for k in ("width", "height") if type(size.get(k)) in (int, float)}
    return {mime: kept} if kept else {}


def clean_output(out: Any) -> nbformat.NotebookNode:
    """One output reduced to inert parts (a note when nothing of it can be shown)."""
    kind = out.get("output_type") if isinstance(out, dict) else None
    if kind == "stream":
        name = out.get("name") if out.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=_strings(out.get("text")) or "")
    if kind == "error":
        trace = out.get("traceback")
        lines = [t for t in trace if isinstance(t, str)] if isinstance(trace, list) else []
        return nbformat.v4.new_output(
            "error",
            ename=str(out.get("ename", "Error")),
            evalue=str(out.get("evalue", "")),
            traceback=lines,
        )
    if kind not in ("display_data", "execute_result"):
        return note(f"an output of kind {str(kind)[:40]} is not shown here")
    data: dict[str, str] = {}
    meta: dict[str, Any] = {}
    given = out.get("data") if isinstance(out.get("data"), dict) else {}
    for mime in KEPT_TYPES:
        text = _strings(given.get(mime))
        if text is None:
            continue
        if mime in IMAGE_TYPES:
            if not _B64.fullmatch(text):
                continue
            meta.update(_image_metadata(out.get("metadata"), mime))
        data[mime] = text
    if not data:
        shown = ", ".join(sorted(str(k)[:40] for k in given)[:3]) or "nothing"
        return note(f"an output of type {shown} is not shown here")
    if kind == "execute_result":
        count = out.get("execution_count")
        return nbformat.v4.new_output(
            kind, data=data, metadata=meta, execution_count=count if type(count) is int else None
        )
    return nbformat.v4.new_output(kind, data=data, metadata=meta)


def _attachments(value: Any) -> dict[str, dict[str, str]]:
    """Markdown attachments that are raster images (rendered as data: images)."""
    kept: dict[str, dict[str, str]] = {}
    for name, bundle in (value or {}).items() if isinstance(value, dict) else ():
        if not isinstance(bundle, dict):
            continue
        images = {
            m: v
            for m, v in bundle.items()
            if m in IMAGE_TYPES and isinstance(v, str) and _B64.fullmatch(v)
        }
        if images and isinstance(name, str):
            kept[name] = images
    return kept


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with nothing that rendering would turn into active content."""
    nb = copy.deepcopy(nb)
    nb.metadata = nbformat.NotebookNode(
        kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
        language_info={"name": "python", "pygments_lexer": "ipython3"},
    )
    for cell in nb.cells:
        grading = cell.get("metadata", {}).get("nbgrader")
        cell.metadata = nbformat.NotebookNode()
        if isinstance(grading, dict):
            cell.metadata["nbgrader"] = grading
        if cell.cell_type == "markdown":
            attachments = _attachments(cell.pop("attachments", None))
            if attachments:
                cell["attachments"] = attachments
        elif cell.cell_type == "code":
            cell.outputs = [clean_output(o) for o in cell.get("outputs", [])]
        else:  # raw cells (and unknown kinds) are shown as text, never inserted as HTML
            cell.pop("attachments", None)
    return nb


# ------------------------------------------------------------------ 2. the page


def _url_scheme(value: str) -> str:
    """The scheme a browser would see in ``value`` ('' for a relative URL)."""
    found = _SCHEME.match(_INVISIBLE.sub("", value).lower())
    return found.group(1) if found else ""


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        if tag == "img" and attribute == "src":
            return value if DATA_IMAGE.fullmatch(value.strip()) else None
        scheme = _url_scheme(value)
        return value if not scheme or scheme in SAFE_SCHEMES else None
    if attribute == "style" and _CSS_DANGER.search(value.lower()):
        return None
    return value


def clean_fragment(text: str) -> str:
    """HTML through the allow-list: what is left is markup and text, nothing that runs."""
    import nh3

    return nh3.clean(
        text,
        tags=TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        generic_attribute_prefixes={"data-"},
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
        url_schemes=SAFE_SCHEMES | {"data"},
        filter_style_properties=STYLE_PROPERTIES,
    )


def _parse(page: str) -> Any:
    import html5lib

    return html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)


def _text(element: Any) -> str:
    return "".join(element.itertext())


def trusted_script(element: Any) -> bool:
    """MathJax's loader (a ``src`` naming MathJax, over https or relative) or its inline
    configuration block: the only scripts a page may keep, and only in its ``<head>``."""
    src = element.get("src")
    if src is None:
        return (element.get("type") or "").replace(" ", "").lower() == "text/x-mathjax-config"
    scheme = _url_scheme(src)
    path = urlsplit(src.strip()).path.lower()
    return scheme in ("https", "") and "mathjax" in path and not src.strip().startswith("//")


def _origin(src: str) -> str:
    parts = urlsplit(src.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else "'self'"


def content_security_policy(scripts: list[Any]) -> str:
    """The page's CSP: MathJax's origins (its fonts and extensions load from there too), its
    inline configuration by hash, and ``'unsafe-eval'``, because MathJax 2 runs its
    configuration block with eval; nothing else runs, loads or frames."""
    origins = sorted({_origin(s.get("src")) for s in scripts if s.get("src") is not None})
    hashes = sorted(
        "'sha256-" + base64.b64encode(hashlib.sha256(_text(s).encode()).digest()).decode() + "'"
        for s in scripts
        if s.get("src") is None
    )
    where = " ".join(origins)
    return "; ".join(
        [
            "default-src 'none'",
            " ".join(["script-src", *origins, *hashes, "'unsafe-eval'"]),
            f"style-src 'unsafe-inline' {where}".strip(),
            f"font-src data: {where}".strip(),
            f"img-src data: {where}".strip(),
            f"connect-src {where}".strip() if where else "connect-src 'none'",
            "object-src 'none'",
            "frame-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _head(head: Any) -> str:
    """The head rebuilt from its allowed parts, the CSP first."""
    parts: list[str] = []
    scripts = []
    for el in list(head) if head is not None else []:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "title":
            parts.append(f"<title>{html.escape(_text(el))}</title>")
        elif tag == "meta" and el.get("name") == "viewport":
            parts.append('<meta name="viewport" content="width=device-width, initial-scale=1.0">')
        elif tag == "style" and not _css_problem(_text(el), in_head=True):
            parts.append(f"<style>{_text(el)}</style>")
        elif tag == "script" and trusted_script(el) and "</script" not in _text(el).lower():
            scripts.append(el)
            if el.get("src") is not None:
                parts.append(f'<script src="{html.escape(el.get("src").strip())}"></script>')
            else:
                parts.append(f'<script type="text/x-mathjax-config">{_text(el)}</script>')
    policy = content_security_policy(scripts)
    return "".join(
        [
            '<head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">',
            *parts,
            "</head>",
        ]
    )


def _body_tag(body: Any) -> str:
    keep = {
        k: v
        for k, v in (body.attrib.items() if body is not None else ())
        if k == "class" or k.startswith("data-jp-")
    }
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in keep.items())
    return f"<body{attrs}>"


def sanitize_page(page: str) -> str:
    """The finished page with its head rebuilt and its body through the allow-list."""
    import html5lib

    root = _parse(page)
    head, body = root.find("head"), root.find("body")
    inner = ""
    if body is not None:
        walker = html5lib.getTreeWalker("etree")
        serializer = html5lib.serializer.HTMLSerializer(
            quote_attr_values="always", omit_optional_tags=False, resolve_entities=False
        )
        inner = serializer.render(walker(body))
    return "".join(
        [
            "<!DOCTYPE html>\n<html>",
            _head(head),
            _body_tag(body),
            clean_fragment(inner),
            "</body></html>\n",
        ]
    )


# ----------------------------------------------------------------- 3. the check

#: Elements that run, load, frame, submit or redirect, wherever they are.
ACTIVE_TAGS = {
    *"script iframe frame frameset object embed applet base form button input textarea".split(),
    *"select link portal svg math template audio video source track style isindex".split(),
    *"fencedframe".split(),
}
URL_ATTRIBUTES = {
    *"href src action formaction xlink:href data poster background srcset lowsrc dynsrc".split(),
    *"ping longdesc manifest codebase cite usemap archive classid profile".split(),
}


_CSS_RUNS = re.compile(
    r"expression\s*\(|url\s*\(\s*[\"']?\s*(?:javascript|vbscript|data:text)|-moz-binding|behavior\s*:"
)


def _css_problem(css: str, in_head: bool = False) -> str:
    """What in ``css`` could run code (or, outside the head, fetch a URL); '' if nothing."""
    low = _INVISIBLE.sub("", css.lower())
    found = _CSS_RUNS.search(low)
    if found:
        return f"CSS with {found.group(0)!r}"
    if not in_head and ("@import" in low or "url(" in low or "\\" in low):
        return "CSS that loads a URL or hides words in escapes"
    return ""


def active_content(page: str) -> list[str]:
    """Everything in ``page`` that could run, load or redirect (empty: the page is inert).

    Allowed: MathJax's loader and configuration in the head (:func:`trusted_script`), the
    head's style sheets, ``data:image/png|jpeg|gif`` images, and a Content-Security-Policy
    meta tag, which must be there, first in the head, before any script.
    """
    root = _parse(page)
    problems: list[str] = []
    head = root.find("head")
    head_children = list(head) if head is not None else []
    first = head_children[1] if len(head_children) > 1 else None
    if first is None or (first.get("http-equiv") or "").lower() != "content-security-policy":
        problems.append("no Content-Security-Policy meta tag first in the head")
    else:
        script_src = next(
            (d for d in first.get("content", "").split(";") if d.split()[:1] == ["script-src"]),
            "",
        )
        if not script_src or "'unsafe-inline'" in script_src or "*" in script_src.split():
            problems.append(f"a Content-Security-Policy that lets scripts run: {script_src!r}")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        where = f"<{tag}>"
        in_head = any(el is c for c in head_children)
        if tag == "script":
            if not (in_head and trusted_script(el)):
                problems.append(f"a script: {(el.get('src') or _text(el))[:80]!r}")
            elif "config=" in (el.get("src") or "") and "safe" not in el.get("src", "").lower():
                problems.append("MathJax 2 without its Safe extension (\\href{javascript:})")
            continue
        if tag == "style":
            problem = _css_problem(_text(el), in_head)
            if problem or not in_head:
                problems.append(f"a style sheet outside the head or with {problem or 'styles'}")
            continue
        if tag == "meta":
            equiv = (el.get("http-equiv") or "").lower()
            if equiv and equiv != "content-security-policy":
                problems.append(f"<meta http-equiv={equiv!r}>")
            continue
        if tag in ACTIVE_TAGS:
            problems.append(f"an active element {where}")
        for name, value in el.attrib.items():
            name = str(name).lower()
            if name.startswith("on"):
                problems.append(f"an event handler {name}= on {where}")
            elif name == "srcdoc":
                problems.append(f"srcdoc on {where}")
            elif name == "style" and _css_problem(value):
                problems.append(f"{_css_problem(value)} in a style attribute on {where}")
            elif name in URL_ATTRIBUTES or name.endswith(":href"):
                problem = _url_problem(tag, name, value)
                if problem:
                    problems.append(f"{problem} in {name}= on {where}")
            elif name == "http-equiv":
                problems.append(f"http-equiv on {where}")
    return problems


def _url_problem(tag: str, name: str, value: str) -> str:
    if tag == "img" and name == "src":
        return "" if DATA_IMAGE.fullmatch(value.strip()) else f"an image from {value[:60]!r}"
    if name == "srcset":
        return "a srcset"
    scheme = _url_scheme(value)
    if scheme in ("", *SAFE_SCHEMES):
        return ""
    return f"a {scheme}: URL"


class ActiveContent(ValueError):
    """A finished page that still holds something that could run."""


def write_page(path: Path, page: str) -> Path:
    """Sanitise ``page`` and write it to ``path``, after checking the result is inert (else
    raise :class:`ActiveContent`, leaving no page at ``path``)."""
    clean = sanitize_page(page)
    problems = active_content(clean)
    if problems:
        path.unlink(missing_ok=True)
        raise ActiveContent(f"{path.name}: {'; '.join(problems[:5])}")
    path.write_text(clean, encoding="utf-8")
    return path


def sanitize_file(path: Path) -> Path:
    """Sanitise a page an exporter wrote (in place)."""
    return write_page(path, path.read_text(encoding="utf-8", errors="replace"))
