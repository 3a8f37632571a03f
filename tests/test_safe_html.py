"""Pages rendered from a notebook run nothing a student wrote (autograder.pages.safe_html).

Each attack is rendered by nbconvert's real exporters; the checker must find it in the raw
page (so the checker has teeth) and nothing in the sanitised one, while the page's own
machinery (MathJax, the template's CSS, PNG figures, the text) survives.
"""

from __future__ import annotations

import base64

import nbformat
import pytest
from nbconvert import HTMLExporter

from autograder.pages import safe_html

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()

#: Markdown a student can write, each alone in a cell; every one is live in a raw page.
MARKDOWN = {
    "script": "<script>alert(1)</script>",
    "script src": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "mathjax config": '<script type="text/x-mathjax-config">alert(1)</script>',
    "onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg onload=alert(1)></svg>",
    "ontoggle": "<details open ontoggle=alert(1)><summary>s</summary></details>",
    "body onload": "<body onload=alert(1)>",
    "javascript link": "[x](javascript:alert(1))",
    "mixed case": "[x](JaVaScRiPt:alert(1))",
    "entity": '<a href="&#106;avascript:alert(1)">x</a>',
    "tab": '<a href="java&#09;script:alert(1)">x</a>',
    "autolink": "<javascript:alert(1)>",
    "data html link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript": "[x](vbscript:msgbox(1))",
    "image javascript": "![x](javascript:alert(1))",
    "srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "svg script": "<svg><script>alert(1)</script></svg>",
    "math href": '<math><maction href="javascript:alert(1)">x</maction></math>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="javascript:/">',
    "css url": '<div style="background:url(javascript:alert(1))">x</div>',
    "css expression": '<div style="width: expression(alert(1))">x</div>',
    "style sheet": "<style>@import 'http://evil.example/x.css';</style>",
    "form": "<form action=javascript:alert(1)><button>go</button></form>",
    "object": '<object data="data:text/html,<script>alert(1)</script>"></object>',
    "embed": "<embed src=javascript:alert(1)>",
    "link": '<link rel="stylesheet" href="//evil.example/x.css">',
    "noscript mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "formaction": '<button formaction="javascript:alert(1)">go</button>',
    "tracking image": "![x](https://evil.example/pixel.png)",
}


def _outputs() -> list[nbformat.NotebookNode]:
    new = nbformat.v4.new_output
    return [
        new("display_data", data={"application/javascript": "alert(1)", "text/plain": "js"}),
        new("display_data", data={"text/html": "<script>alert(2)</script><b>kept</b>"}),
        new("display_data", data={"text/html": "<img src=x onerror=alert(3)>"}),
        new(
            "display_data",
            data={"image/svg+xml": "<svg><script>alert(4)</script></svg>"},
        ),
        new(
            "display_data",
            data={"text/html": "<script>alert(5)</script>"},
            metadata={"text/html": {"isolated": True}},
        ),
        new(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {
                    "model_id": "m",
                    "version_major": 2,
                    "version_minor": 0,
                },
                "text/plain": "a widget",
            },
        ),
        new("display_data", data={"image/png": 'x" onerror="alert(6)'}),
        new("display_data", data={"text/markdown": "[x](javascript:alert(7))"}),
        new("execute_result", data={"text/html": "<svg onload=alert(8)>"}, execution_count=1),
        new("display_data", data={"image/png": PNG}, metadata={"image/png": {"width": 40}}),
    ]


def hostile_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["title"] = "</title><script>alert('title')</script>"
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}
    }
    nb.cells.append(nbformat.v4.new_markdown_cell("Inline $x^2$ and $$\\frac{a}{b}$$ stay."))
    nb.cells += [nbformat.v4.new_markdown_cell(f"{k}: {v}") for k, v in MARKDOWN.items()]
    raw = nbformat.v4.new_raw_cell("<script>alert('raw')</script>")
    raw.metadata["format"] = "text/html"
    nb.cells.append(raw)
    attached = nbformat.v4.new_markdown_cell("[a](attachment:a.html)")
    attached["attachments"] = {"a.html": {"text/html": base64.b64encode(b"<script>").decode()}}
    nb.cells.append(attached)
    code = nbformat.v4.new_code_cell("show()")
    code.outputs = _outputs()
    nb.cells.append(code)
    return nb


@pytest.fixture(scope="module", params=["lab", "classic"])
def pages(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(raw page, sanitised page) of the hostile notebook with nbconvert's template."""
    exporter = HTMLExporter(template_name=request.param)
    raw, _ = exporter.from_notebook_node(hostile_notebook())
    clean, _ = exporter.from_notebook_node(safe_html.clean_notebook(hostile_notebook()))
    return raw, safe_html.sanitize_page(clean)


def test_the_checker_finds_every_attack_in_a_raw_page(pages: tuple[str, str]) -> None:
    raw, _ = pages
    found = "\n".join(safe_html.active_content(raw))
    for needle in ("a script: 'alert(1)'", "onerror=", "a javascript: URL", "srcdoc"):
        assert needle in found, found
    assert "no Content-Security-Policy" in found


@pytest.mark.parametrize("name", sorted(MARKDOWN))
def test_the_checker_finds_each_attack_alone(name: str) -> None:
    if name == "tracking image":
        page = f'<p><img src="https://evil.example/pixel.png"></p>{MARKDOWN["entity"]}'
    else:
        page, _ = HTMLExporter(template_name="lab").from_notebook_node(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MARKDOWN[name])])
        )
    problems = [p for p in safe_html.active_content(page) if "Content-Security" not in p]
    assert problems, f"{name}: nothing found in\n{page[-3000:]}"


def test_the_sanitised_page_is_inert_and_keeps_the_machinery(pages: tuple[str, str]) -> None:
    _, clean = pages
    assert safe_html.active_content(clean) == []
    assert 'type="text/x-mathjax-config"' in clean and "mathjax" in clean.lower()
    assert "Content-Security-Policy" in clean and "'unsafe-inline'" not in clean.split("style")[0]
    assert f"data:image/png;base64,{PNG}" in clean
    assert "<style>" in clean and "<b>kept</b>" in clean
    assert "Inline $x^2$ and $$\\frac{a}{b}$$ stay." in clean
    body = clean.split("</head>")[1]
    for gone in ("<script", 'href="javascript', "<iframe", "<svg", "<base", "<form"):
        assert gone not in body, gone
    assert "is not shown here" in clean  # what was left out is said, not silently dropped


@pytest.mark.parametrize("name", sorted(MARKDOWN))
def test_each_attack_is_neutralised_alone(name: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MARKDOWN[name])])
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(safe_html.clean_notebook(nb))
    assert safe_html.active_content(safe_html.sanitize_page(page)) == []


def test_the_checker_accepts_what_the_sanitiser_keeps_and_nothing_else() -> None:
    head = (
        '<head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; script-src 'self' 'unsafe-eval'\">"
        '<script src="mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"></script></head>'
    )
    assert safe_html.active_content(f"<html>{head}<body><p>ok</p></body></html>") == []
    no_safe = head.replace(",Safe", "")
    assert safe_html.active_content(f"<html>{no_safe}<body></body></html>")
    other = head.replace("mathjax/MathJax.js", "https://evil.example/x.js")
    assert safe_html.active_content(f"<html>{other}<body></body></html>")
    inline = head.replace("'unsafe-eval'", "'unsafe-inline'")
    assert safe_html.active_content(f"<html>{inline}<body></body></html>")
    in_body = f"<html>{head}<body><script src='mathjax/MathJax.js'></script></body></html>"
    assert safe_html.active_content(in_body)


def test_write_page_refuses_and_leaves_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "page.html"
    target.write_text("old")
    monkeypatch.setattr(safe_html, "sanitize_page", lambda page: page)  # a broken sanitiser
    with pytest.raises(safe_html.ActiveContent):
        safe_html.write_page(target, "<html><body><script>alert(1)</script></body></html>")
    assert not target.exists()
