"""Write one SOP in every format a store might keep it in, with the libraries people use.

The tests (and ``benchmarks/bench_import.py``) read these back and compare the steps.
Two layouts:

- the seed's plain lines (``… 篇3``, ``一、值班經理``, ``1、晨會…``) as Word paragraphs or
  PDF paragraphs, as a store pasting its text file into Word would have it;
- structured: headings for document, role, section and step (Markdown ``#``…``####``,
  Word's Heading 1–4 styles, larger PDF type, HTML ``h1``–``h4``), body paragraphs and
  tips written 溫馨提示：….

PDFs use reportlab's built-in STSong-Light font, a CID font every PDF reader has, so
Chinese needs no font file; pdfminer reads its text back exactly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from knowledge.model import Step

MARKDOWN_PUNCTUATION_RE = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~>])")
TIP = "溫馨提示："


def outline(steps: Iterable[Step]) -> list[tuple[str, str]]:
    """The SOP as (kind, text) rows: h1–h4 headings, then "p" body and "tip" rows."""
    rows: list[tuple[str, str]] = []
    doc = role = section = None
    for step in steps:
        if step.doc != doc:
            doc, role, section = step.doc, None, None
            rows.append(("h1", step.doc))
        if step.role != role:
            role, section = step.role, None
            if step.role:
                rows.append(("h2", step.role))
        if step.section != section:
            section = step.section
            if step.section:
                rows.append(("h3", step.section))
        label = f"{step.number}、{step.title}" if step.number else step.title
        rows.append(("h4", label))
        rows += [("p", text) for text in step.body]
        rows += [("tip", text) for text in step.tips]
    return rows


def escape_markdown(text: str) -> str:
    return MARKDOWN_PUNCTUATION_RE.sub(r"\\\1", text)


def write_markdown(steps: Iterable[Step], path: Path) -> Path:
    marks = {"h1": "# ", "h2": "## ", "h3": "### ", "h4": "#### "}
    lines = []
    for kind, text in outline(steps):
        if kind in marks:
            lines.append(marks[kind] + escape_markdown(text))
        elif kind == "tip":
            lines.append(f"> {TIP}{escape_markdown(text)}")
        else:
            lines.append(escape_markdown(text))
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_html(steps: Iterable[Step], path: Path) -> Path:
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>SOP</title></head>"]
    parts.append("<body><nav><a href='/'>Home</a></nav><main>")
    for kind, text in outline(steps):
        if kind.startswith("h"):
            parts.append(f"<{kind}>{html.escape(text)}</{kind}>")
        elif kind == "tip":
            parts.append(f"<blockquote><p>{TIP}{html.escape(text)}</p></blockquote>")
        else:
            parts.append(f"<p>{html.escape(text)}</p>")
    parts.append("</main><footer>© store</footer></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_docx(steps: Iterable[Step], path: Path, picture: Path | None = None) -> Path:
    import docx

    document = docx.Document()
    for kind, text in outline(steps):
        if kind.startswith("h"):
            document.add_heading(text, level=int(kind[1]))
        elif kind == "tip":
            document.add_paragraph(TIP + text)
        else:
            document.add_paragraph(text)
    if picture is not None:
        document.add_paragraph().add_run().add_picture(str(picture))
    document.save(str(path))
    return path


def write_plain_docx(lines: Iterable[str], path: Path) -> Path:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def pdf_styles() -> dict[str, object]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    sizes = {"h1": 20, "h2": 17, "h3": 14.5, "h4": 12.5, "p": 10.5, "tip": 10.5}
    return {
        kind: ParagraphStyle(
            kind,
            fontName="STSong-Light",
            fontSize=size,
            leading=size * 1.4,
            wordWrap="CJK",
            spaceBefore=6 if kind.startswith("h") else 0,
            spaceAfter=4,
        )
        for kind, size in sizes.items()
    }


def write_pdf(rows: Iterable[tuple[str, str]], path: Path) -> Path:
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = pdf_styles()
    story = [
        Paragraph(html.escape(TIP + text if kind == "tip" else text), styles[kind])
        for kind, text in rows
    ]
    SimpleDocTemplate(str(path), title="").build(story)
    return path


def write_structured_pdf(steps: Iterable[Step], path: Path) -> Path:
    return write_pdf(outline(steps), path)


def write_plain_pdf(lines: Iterable[str], path: Path) -> Path:
    return write_pdf((("p", line) for line in lines), path)


def content(steps: Iterable[Step]) -> list[tuple[str, ...]]:
    """What a reader sees of each step, without the document numbers formats assign."""
    return [(s.doc, s.role, s.section, s.number, s.title, *s.body, "|", *s.tips) for s in steps]


def render_site_page(markdown: str, title: str = "SOP") -> str:
    """A Markdown page as a VitePress site serves it, saved from the browser: the page in
    ``<main>`` beside the site's navigation, boxes as ``custom-block`` divs with titles."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    from knowledge.parse_markdown import CONTAINERS

    def box(name: str) -> Callable[..., str]:
        def render(self: object, tokens: list, index: int, options: object, env: object) -> str:
            token = tokens[index]
            if token.nesting != 1:
                return "</div>\n"
            heading = token.info.strip()[len(name) :].strip()
            head = f'<p class="custom-block-title">{html.escape(heading)}</p>' if heading else ""
            return f'<div class="{name} custom-block">{head}\n'

        return render

    parser = MarkdownIt("commonmark", {"html": True}).enable("table").use(front_matter_plugin)
    for name in CONTAINERS:
        parser.use(container_plugin, name=name, render=box(name))
    return (
        f"<!doctype html><html><head><title>{html.escape(title)} | Site</title></head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/roles/'>Roles</a></li></ul></nav>"
        f"<main>{parser.render(markdown)}</main><footer>MIT Licensed</footer></body></html>"
    )
