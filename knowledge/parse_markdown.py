"""Read Markdown: the project's own SOP scheme and Markdown as docs sites and wikis write it.

The project's scheme, for a store writing its own procedures::

    # 電信門市服務規範            ← document
    ## 值班經理                   ← role (optional)
    ### 服務標準說明              ← section (optional)
    #### 1、晨會                  ← step (a level-3+ heading that starts with a number
                                     is a step too: ``### 2. 班前檢查``)
    Body paragraphs and list items.
    > 溫馨提示：班前會以表揚為主…  ← tip (also a line starting 溫馨提示, 💡 or "Tip:")

Anything else (front matter, headings of any depth, ``::: tip`` and ``!!! note`` boxes,
checklists, tables, relative images, inline HTML) is read as a docs site shows it and
its structure inferred by :mod:`knowledge.structure`: list items, table rows and
paragraphs outside step headings become steps, each guess a lint.

The Markdown itself is parsed by markdown-it-py (CommonMark, with its table and
strikethrough rules) and mdit-py-plugins (front matter, containers, admonitions).
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from knowledge.model import ParsedSource
from knowledge.parse_text import parse_text
from knowledge.reading import DEFAULT_LIMITS, ImportLimits, count_limit
from knowledge.structure import (
    Block,
    Item,
    build_source,
    document_number,
    join_lines,
    seed_layout_lines,
)

__all__ = ["document_number", "parse_markdown", "markdown_blocks"]

# The boxes VitePress, VuePress and Docusaurus write as ``::: name title``.
CONTAINERS = (
    "tip",
    "info",
    "note",
    "warning",
    "danger",
    "caution",
    "important",
    "details",
    "success",
    "hint",
    "attention",
    "example",
    "question",
    "abstract",
    "quote",
    "bug",
)
TASK_RE = re.compile(r"^\[[ xX]\]\s+")
TOC_RE = re.compile(r"^\s*\[\[toc\]\]\s*$", re.IGNORECASE)
FRONT_TITLE_RE = re.compile(r"^title\s*:\s*(?P<title>.+?)\s*$", re.MULTILINE)
HEADING_LINE_RE = re.compile(r"^ {0,3}#{1,6}(\s|$)", re.MULTILINE)


@cache
def markdown_parser() -> MarkdownIt:
    parser = (
        MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .enable("strikethrough")
        .use(front_matter_plugin)
        .use(admon_plugin)
    )
    for name in CONTAINERS:
        parser.use(container_plugin, name=name)
    return parser


class _HtmlText(HTMLParser):
    """The text and ``<img src>`` of an HTML fragment inside Markdown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pictures: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"img", "video", "source"}:
            src = dict(attrs).get("src")
            if src:
                self.pictures.append(src)
        elif tag in {"br", "p", "div", "li", "tr"}:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(fragment: str) -> tuple[str, list[str]]:
    reader = _HtmlText()
    reader.feed(fragment)
    reader.close()
    return "".join(reader.parts), reader.pictures


class Inline:
    """The plain lines of an inline run, its pictures, bold label and leading link."""

    def __init__(self, node: SyntaxTreeNode) -> None:
        self.lines: list[str] = [""]
        self.pictures: list[str] = []
        self.label = ""
        self.starts_with_link = False
        self._seen_text = False
        self.walk(node.children)
        self.lines = [line.strip() for line in self.lines]
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        while self.lines and not self.lines[0]:
            self.lines.pop(0)
        rest = self.text[len(self.label) :].lstrip() if self.label else ""
        if self.label and not (rest[:1] in {":", "：", ""} or self.label.endswith((":", "："))):
            self.label = ""

    @property
    def text(self) -> str:
        return join_lines(self.lines)

    def add(self, text: str) -> None:
        if text.strip():
            self._seen_text = True
        self.lines[-1] += text

    def walk(self, nodes: list[SyntaxTreeNode]) -> None:
        for node in nodes:
            kind = node.type
            if kind in {"text", "code_inline"}:
                self.add(node.content)
            elif kind in {"softbreak", "hardbreak"}:
                self.lines.append("")
            elif kind == "image":
                src = str(node.attrs.get("src", ""))
                if src:
                    self.pictures.append(src)
            elif kind == "html_inline":
                text, pictures = html_text(node.content)
                self.pictures.extend(pictures)
                self.add(text.replace("\n", " "))
            elif kind == "strong" and not self._seen_text and not self.label:
                before = len(self.lines[-1])
                self.walk(node.children)
                self.label = self.lines[-1][before:].strip()
            elif kind == "link":
                if not self._seen_text:
                    self.starts_with_link = True
                self.walk(node.children)
            else:
                self.walk(node.children)


class BlockReader:
    """Markdown syntax tree → :class:`Block` list."""

    def __init__(self, limits: ImportLimits, source: str) -> None:
        self.blocks: list[Block] = []
        self.title = ""
        self.front_matter = False
        self.limits = limits
        self.source = source

    def read(self, nodes: list[SyntaxTreeNode]) -> None:
        for node in nodes:
            self.read_node(node)

    def read_node(self, node: SyntaxTreeNode) -> None:
        line = node.map[0] + 1 if node.map else 0
        kind = node.type
        if kind == "front_matter":
            self.front_matter = True
            match = FRONT_TITLE_RE.search(node.content)
            if match:
                self.title = match["title"].strip("'\"")
        elif kind == "heading":
            inline = Inline(node.children[0]) if node.children else None
            text = inline.text if inline else ""
            self.blocks.append(Block("heading", line, text=text, level=int(node.tag[1])))
            if inline and inline.pictures:
                self.blocks.append(Block("paragraph", line, pictures=inline.pictures))
        elif kind == "paragraph":
            inline = Inline(node.children[0])
            if len(inline.lines) == 1 and TOC_RE.match(inline.lines[0]):
                return
            self.blocks.append(
                Block(
                    "paragraph",
                    line,
                    lines=inline.lines,
                    label=inline.label,
                    pictures=inline.pictures,
                )
            )
        elif kind in {"bullet_list", "ordered_list"}:
            items = [self.item(child) for child in node.children]
            self.blocks.append(Block("list", line, items=items, ordered=kind == "ordered_list"))
        elif kind == "blockquote":
            lines, pictures = self.texts(node.children)
            self.blocks.append(Block("quote", line, lines=lines, pictures=pictures))
        elif kind.startswith("container_") or kind == "admonition":
            tone, _, title = (node.info or "").strip().partition(" ")
            if kind == "admonition":
                tone = str(node.meta.get("tag", tone))
                children = [c for c in node.children if c.type != "admonition_title"]
                title = "" if title.strip("\"'") == "" else title.strip().strip("\"'")
            else:
                children = node.children
            lines, pictures = self.texts(children)
            self.blocks.append(
                Block("box", line, lines=lines, title=title.strip(), tone=tone, pictures=pictures)
            )
        elif kind == "table":
            rows = []
            for row in node.walk():
                if row.type == "tr":
                    rows.append(
                        [
                            Inline(cell.children[0]).text if cell.children else ""
                            for cell in row.children
                        ]
                    )
            count_limit(self.source, len(rows), self.limits.max_rows, "rows")
            self.blocks.append(Block("table", line, rows=rows))
        elif kind in {"fence", "code_block"}:
            self.blocks.append(Block("code", line, lines=node.content.splitlines()))
        elif kind == "html_block":
            text, pictures = html_text(node.content)
            lines = [part.strip() for part in text.splitlines() if part.strip()]
            self.blocks.append(
                Block("paragraph", line, lines=lines[:1] and [" ".join(lines)], pictures=pictures)
            )

    def texts(self, nodes: list[SyntaxTreeNode]) -> tuple[list[str], list[str]]:
        """The paragraphs (and list items) inside a quote or box, one text each."""
        texts: list[str] = []
        pictures: list[str] = []
        for node in nodes:
            if node.type == "paragraph":
                inline = Inline(node.children[0])
                texts.append(inline.text)
                pictures += inline.pictures
            elif node.type in {"bullet_list", "ordered_list"}:
                for item in (self.item(child) for child in node.children):
                    texts += [t for t in (item.text, *item.more) if t]
                    pictures += item.pictures
            elif node.type in {"fence", "code_block"}:
                texts.append(node.content.strip())
            elif node.children:
                inner, more = self.texts(node.children)
                texts += inner
                pictures += more
        return [text for text in texts if text], pictures

    def item(self, node: SyntaxTreeNode) -> Item:
        item = Item("", node.map[0] + 1 if node.map else 0, number=node.info or "")
        for child in node.children:
            if child.type == "paragraph":
                inline = Inline(child.children[0])
                text = TASK_RE.sub("", inline.text)
                if not item.text and not item.more:
                    item.text = text
                    item.label = inline.label
                    item.starts_with_link = inline.starts_with_link
                elif text:
                    item.more.append(text)
                item.pictures += inline.pictures
            elif child.type in {"bullet_list", "ordered_list"}:
                for sub in (self.item(grandchild) for grandchild in child.children):
                    item.more += [t for t in (sub.text, *sub.more) if t]
                    item.tips += sub.tips
                    item.pictures += sub.pictures
            elif child.type == "blockquote" or child.type.startswith("container_"):
                texts, pictures = self.texts(child.children)
                item.tips += texts
                item.pictures += pictures
            elif child.type in {"fence", "code_block"}:
                item.more.append(child.content.strip())
            elif child.type == "table":
                for row in child.walk():
                    if row.type == "tr":
                        cells = [
                            Inline(c.children[0]).text if c.children else "" for c in row.children
                        ]
                        item.more.append("；".join(c for c in cells if c))
        if not item.text and item.more:
            item.text = item.more.pop(0)
        return item


def markdown_blocks(
    text: str, source: str = "<markdown>", limits: ImportLimits = DEFAULT_LIMITS
) -> tuple[list[Block], str, bool]:
    """The blocks of a Markdown text, its front matter title, and whether it has one."""
    count_limit(source, len(HEADING_LINE_RE.findall(text)), limits.max_headings, "headings")
    tree = SyntaxTreeNode(markdown_parser().parse(text))
    reader = BlockReader(limits, source)
    reader.read(tree.children)
    return reader.blocks, reader.title, reader.front_matter


def parse_markdown(
    text: str,
    source: str = "<markdown>",
    document: str = "",
    limits: ImportLimits = DEFAULT_LIMITS,
    catalog: dict[str, dict] | None = None,
) -> ParsedSource:
    """Parse one Markdown file; ``document`` files it as a page of that document.

    A file with no headings laid out like the seed ("… 篇3" lines) is the seed's plain
    text saved as .md: the plain-text parser reads it, with ``catalog``'s names.
    """
    blocks, title, front_matter = markdown_blocks(text, source, limits)
    if seed_layout_lines(blocks) is not None:
        return parse_text(text, source=source, catalog=catalog)
    return build_source(blocks, source, title, front_matter, document, limits, markdown=True)
