"""Read saved HTML pages (a wiki or docs-site page saved from the browser) with Beautiful Soup.

The page's ``<main>`` or ``<article>`` is read when it has one, without navigation,
headers, footers, scripts and styles. ``h1``–``h6`` are headings, ``p`` paragraphs,
``ul``/``ol`` lists, ``blockquote`` quotes, the boxes docs sites draw (VitePress
``custom-block``, MkDocs ``admonition``, Docusaurus ``admonition``, Confluence panels)
tips, ``table`` tables, ``pre`` code and ``img`` pictures. The blocks then go through
the same structure inference as Markdown.
"""

from __future__ import annotations

import re
from typing import Any

from knowledge.model import ParsedSource
from knowledge.parse_text import parse_text
from knowledge.reading import DEFAULT_LIMITS, ImportLimits, SopFileError, count_limit
from knowledge.structure import Block, Item, build_source, join_lines, seed_layout_lines

TOC_RE = re.compile(r"^\[\[toc\]\]$", re.IGNORECASE)

BOX_CLASS_RE = re.compile(
    r"custom-block|admonition|callout|panel|alert|notice|\btip\b|\bnote\b|\bwarning\b",
    re.IGNORECASE,
)
BOX_TITLE_CLASS_RE = re.compile(r"title|heading|header", re.IGNORECASE)
DROPPED = ["script", "style", "nav", "header", "footer", "noscript", "template", "svg", "form"]
HEADINGS = {f"h{level}": level for level in range(1, 7)}
BLOCKS = {"p", "ul", "ol", "blockquote", "table", "pre", "img", "figure", "dl", *HEADINGS}


def parse_html(
    text: str,
    source: str = "<html>",
    limits: ImportLimits = DEFAULT_LIMITS,
    document: str = "",
    catalog: dict[str, dict] | None = None,
) -> ParsedSource:
    from bs4 import BeautifulSoup  # imported here: only an import of a page needs it

    try:
        soup = BeautifulSoup(text, "html.parser")
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        for tag in soup.find_all(DROPPED):
            tag.decompose()
        root = soup.find("main") or soup.find("article") or soup.body or soup
        count_limit(source, len(root.find_all(list(HEADINGS))), limits.max_headings, "headings")
        reader = HtmlReader(limits, source)
        reader.read(root)
    except RecursionError:
        # Elements nested hundreds deep: no page a person wrote, and too deep to walk.
        raise SopFileError("too_deep", name=source) from None
    if (lines := seed_layout_lines(reader.blocks)) is not None:
        return parse_text("\n".join(lines), source=source, catalog=catalog)
    # A saved page's <title> is usually "Page · Site": the page part names the document.
    title = re.split(r"\s+[|·\-–—]\s+", title)[0] if title else ""
    return build_source(reader.blocks, source, title, False, document, limits, "page title")


LINE_BREAKS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "blockquote",
    "pre",
    "section",
    "article",
    "dd",
    "dt",
    "figcaption",
    "summary",
    *HEADINGS,
}
WRAP_RE = re.compile(r"\s*\n\s*")


def lines_of(tag: Any) -> list[str]:
    """The lines a browser shows for ``tag``: a break at ``<br>`` and between blocks.

    Inline elements join without a space of their own ("核对 <a>物料清单</a>（…" reads
    "核对 物料清单（…"), and a line the HTML source wraps joins with no space between
    Chinese characters and one between words.
    """
    from bs4 import Comment, Doctype, NavigableString

    parts: list[str] = []

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype)):
                continue
            if isinstance(child, NavigableString):
                parts.append(str(child).replace("\r", ""))
            elif child.name == "br":
                parts.append("\f")
            else:
                breaks = child.name in LINE_BREAKS
                parts.append("\f" if breaks else "")
                walk(child)
                parts.append("\f" if breaks else "")

    walk(tag)
    lines = []
    for line in "".join(parts).split("\f"):
        text = re.sub(r"[ \t\u00a0]+", " ", join_lines(WRAP_RE.split(line))).strip()
        if text:
            lines.append(text)
    return lines


def text_of(tag: Any) -> str:
    return join_lines(lines_of(tag))


def pictures_of(tag: Any) -> list[str]:
    images = [tag] if getattr(tag, "name", "") == "img" else tag.find_all("img")
    return [str(img.get("src")) for img in images if img.get("src")]


def bold_label(tag: Any) -> str:
    first = next((c for c in tag.children if str(c).strip()), None)
    if first is not None and getattr(first, "name", "") == "p":  # a loose item: its first one
        first = next((c for c in first.children if str(c).strip()), None)
    if getattr(first, "name", "") in {"strong", "b"}:
        label = text_of(first)
        rest = text_of(tag)[len(label) :].lstrip()
        if rest[:1] in {":", "："}:
            return label
    return ""


class HtmlReader:
    def __init__(self, limits: ImportLimits, source: str) -> None:
        self.blocks: list[Block] = []
        self.limits = limits
        self.source = source
        self.line = 0

    def read(self, node: Any) -> None:
        for child in node.children:
            name = getattr(child, "name", None)
            self.line += 1
            if name is None:
                text = str(child).strip()
                if text and not text.startswith("<!"):
                    self.blocks.append(Block("paragraph", self.line, lines=[text]))
                continue
            if name in HEADINGS:
                self.blocks.append(
                    Block("heading", self.line, text=text_of(child), level=HEADINGS[name])
                )
            elif name == "p":
                self.paragraph(child)
            elif name in {"ul", "ol"}:
                self.list(child)
            elif name == "blockquote":
                lines, pictures = self.texts(child)
                self.blocks.append(Block("quote", self.line, lines=lines, pictures=pictures))
            elif name == "table":
                self.table(child)
            elif name == "pre":
                self.blocks.append(Block("code", self.line, lines=child.get_text().splitlines()))
            elif name in {"img", "figure"}:
                caption = child.find("figcaption") if name == "figure" else None
                lines = [text_of(caption)] if caption else []
                self.blocks.append(
                    Block("paragraph", self.line, lines=lines, pictures=pictures_of(child))
                )
            elif name in {"div", "aside", "section"} and self.is_box(child):
                self.box(child)
            elif any(getattr(d, "name", None) in BLOCKS for d in child.descendants):
                self.read(child)
            elif text_of(child) or pictures_of(child):
                lines = [text_of(child)] if text_of(child) else []
                self.blocks.append(
                    Block("paragraph", self.line, lines=lines, pictures=pictures_of(child))
                )

    def is_box(self, tag: Any) -> bool:
        classes = " ".join(tag.get("class") or [])
        return bool(BOX_CLASS_RE.search(classes)) or tag.get("role") == "note"

    def box(self, tag: Any) -> None:
        title_tag = tag.find(class_=BOX_TITLE_CLASS_RE)
        title = text_of(title_tag) if title_tag else ""
        if title_tag:
            title_tag.extract()
        classes = " ".join(tag.get("class") or [])
        tone = next(
            (t for t in ("tip", "info", "note", "warning", "danger", "details") if t in classes), ""
        )
        if title.lower() == tone:
            title = ""
        lines, pictures = self.texts(tag)
        self.blocks.append(
            Block("box", self.line, lines=lines, title=title, tone=tone, pictures=pictures)
        )

    def texts(self, tag: Any) -> tuple[list[str], list[str]]:
        parts = tag.find_all(["p", "li", "pre"]) or [tag]
        lines = [text_of(part) for part in parts if part.name != "li" or not part.find(["p"])]
        return [line for line in lines if line], pictures_of(tag)

    def paragraph(self, tag: Any) -> None:
        lines = lines_of(tag)
        if len(lines) == 1 and TOC_RE.match(lines[0]):
            return
        self.blocks.append(
            Block(
                "paragraph",
                self.line,
                lines=lines,
                label=bold_label(tag),
                pictures=pictures_of(tag),
            )
        )

    def list(self, tag: Any) -> None:
        ordered = tag.name == "ol"
        start = int(tag.get("start", 1)) if ordered and str(tag.get("start", "1")).isdigit() else 1
        block = Block("list", self.line, ordered=ordered)
        for index, li in enumerate(tag.find_all("li", recursive=False)):
            label = bold_label(li)
            nested = li.find_all(["ul", "ol"])
            more = [text_of(sub) for n in nested for sub in n.find_all("li") if text_of(sub)]
            tips = [text_of(quote) for quote in li.find_all("blockquote")]
            for n in [*nested, *li.find_all("blockquote")]:
                n.extract()
            first_link = next((c for c in li.children if str(c).strip()), None)
            # A loose item's paragraphs stay apart: the first is the item, then the rest.
            lines = lines_of(li) if li.find("p") else [text_of(li)]
            text = re.sub(r"^\[[ xX]\]\s+", "", lines[0] if lines else "")
            item = Item(
                text,
                self.line,
                number=str(start + index) if ordered else "",
                label=label,
                more=[*lines[1:], *more],
                tips=[tip for tip in tips if tip],
                pictures=pictures_of(li),
                starts_with_link=getattr(first_link, "name", "") == "a",
            )
            block.items.append(item)
        self.blocks.append(block)

    def table(self, tag: Any) -> None:
        rows = []
        for tr in tag.find_all("tr"):
            rows.append([text_of(cell) for cell in tr.find_all(["th", "td"])])
            count_limit(self.source, len(rows), self.limits.max_rows, "rows")
        self.blocks.append(Block("table", self.line, rows=rows, pictures=pictures_of(tag)))
