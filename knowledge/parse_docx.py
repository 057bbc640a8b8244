"""Read Word ``.docx`` SOPs with python-docx.

Heading styles (``Heading 1`` … ``Heading 9``, ``Title``) give the headings, list
paragraphs (bulleted or numbered, by style or by Word's numbering) the lists, ``Quote``
styles the quotes, Word tables the tables, and pictures in a paragraph are kept by the
name they have inside the file (``word/media/image1.png``, see :func:`docx_picture`).
The blocks then go through the same structure inference as Markdown.

A document without heading styles that is laid out like the seed (``… 篇3`` document
lines, ``一、`` roles, ``1、`` steps) is read by the plain-text parser, line by line, so a
store's Word copy of its SOP gives the steps its ``.txt`` copy gives.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from knowledge.messages import lint as make_lint
from knowledge.model import ParsedSource
from knowledge.parse_text import DOC_RE, parse_text
from knowledge.reading import (
    DEFAULT_LIMITS,
    ImportLimits,
    SopFileError,
    check_zip,
    count_limit,
    megabytes,
)
from knowledge.structure import Block, Item, build_source

HEADING_MAX = 40  # characters: a longer bold line is a bold paragraph, not a heading
TERMINAL = ("。", "；", ";", "！", "？", ".", "!", "?", "，", ",")
HEADING_STYLE_RE = re.compile(r"^(?:heading|標題|标题)\s*(?P<level>\d)$", re.IGNORECASE)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
A_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
V_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
TEXT_BOX = f"{W}txbxContent"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def docx_picture(path: Path, name: str) -> bytes:
    """The bytes of a picture a step names (``word/media/image1.png``)."""
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def parse_docx(
    path: Path,
    catalog: dict[str, dict] | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
    document: str = "",
) -> ParsedSource:
    check_zip(path, limits, "Word")
    import docx  # imported here: only an import of a Word file needs it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        word = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise SopFileError("broken_file", name=path.name, kind="Word", detail=error) from None
    reader = DocxReader(word, path.name, limits)
    reader.read()
    if not reader.has_headings and any(DOC_RE.match(line) for line in reader.plain_lines):
        return parse_text("\n".join(reader.plain_lines), source=path.name, catalog=catalog)
    title = (word.core_properties.title or "").strip()
    guessed = 0 if reader.has_headings else reader.guess_headings()
    parsed = build_source(
        reader.blocks, path.name, title, False, document, limits, "document title"
    )
    if guessed:
        lint = make_lint(path.name, 0, "headings_guessed", count=guessed)
        parsed = replace(parsed, lints=(lint, *parsed.lints))
    return parsed


class DocxReader:
    """Word body → :class:`Block` list (and the plain lines, for the seed's layout)."""

    def __init__(self, word: Any, source: str, limits: ImportLimits) -> None:
        self.word = word
        self.source = source
        self.limits = limits
        self.blocks: list[Block] = []
        self.plain_lines: list[str] = []
        self.has_headings = False
        self.counters: dict[tuple[str, int], int] = {}
        self.list: Block | None = None
        self.line = 0
        self.styles: dict[str, str] | None = None
        self.looks: dict[int, tuple[float, bool]] = {}  # paragraph block → (type size, bold)
        self.default_style = ""

    def read(self) -> None:
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        body = self.word.element.body
        for child in body.iterchildren():
            self.line += 1
            if child.tag == f"{W}p":
                self.read_paragraph(Paragraph(child, self.word))
            elif child.tag == f"{W}tbl":
                self.list = None
                self.read_table(Table(child, self.word))

    def style_name(self, paragraph: Any) -> str:
        """The paragraph's style name (python-docx looks styles up slowly: cached here)."""
        if self.styles is None:
            from docx.enum.style import WD_STYLE_TYPE

            styles = self.word.styles
            self.styles = {s.style_id: s.name or "" for s in styles if s.style_id}
            default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
            self.default_style = default.name if default is not None else ""
        properties = paragraph._p.pPr
        style_id = (
            properties.pStyle.val
            if properties is not None and properties.pStyle is not None
            else None
        )
        if style_id is None:
            return self.default_style
        return self.styles.get(style_id, self.default_style)

    def pictures(self, paragraph: Any) -> list[str]:
        found = []
        element = paragraph._p
        part = paragraph.part
        for blip in [*element.iter(A_BLIP), *element.iter(V_IMAGEDATA)]:
            rel_id = blip.get(R_EMBED) or blip.get(R_ID)
            if not rel_id or rel_id not in part.rels:
                continue
            target = part.rels[rel_id].target_part
            name = str(target.partname).lstrip("/")
            size = len(target.blob)
            if size > self.limits.max_picture_bytes:
                raise SopFileError(
                    "picture_too_large",
                    name=self.source,
                    picture=name,
                    size=megabytes(size),
                    limit=megabytes(self.limits.max_picture_bytes),
                )
            found.append(name)
        return found

    def read_paragraph(self, paragraph: Any) -> None:
        self.read_own_text(paragraph)
        for text in self.text_boxes(paragraph):
            self.list = None
            self.plain_lines.append(text)
            self.blocks.append(Block("paragraph", self.line, lines=[text]))

    def text_boxes(self, paragraph: Any) -> list[str]:
        """The text of text boxes and shapes anchored in a paragraph (a flow chart's boxes).

        Word stores each box twice (a drawing and its VML fallback): each text once.
        """
        texts: list[str] = []
        for box in paragraph._p.iter(TEXT_BOX):
            for inner in box.iter(f"{W}p"):
                text = "".join(t.text or "" for t in inner.iter(f"{W}t")).strip()
                if text and text not in texts:
                    texts.append(text)
        return texts

    def read_own_text(self, paragraph: Any) -> None:
        text = paragraph.text.replace("\t", " ").strip()
        style = self.style_name(paragraph)
        pictures = self.pictures(paragraph)
        if text:
            self.plain_lines.append(text)
        heading = HEADING_STYLE_RE.match(style or "")
        level = 1 if style == "Title" else int(heading["level"]) if heading else 0
        if level:
            self.has_headings = True
            self.list = None
            self.blocks.append(Block("heading", self.line, text=text, level=min(level, 6)))
            if pictures:
                self.blocks.append(Block("paragraph", self.line, pictures=pictures))
            return
        numbering = self.numbering(paragraph)
        if numbering is not None or "List" in (style or ""):
            self.read_item(text, pictures, style or "", numbering)
            return
        self.list = None
        if not text and not pictures:
            return
        if "Quote" in (style or ""):
            self.blocks.append(
                Block("quote", self.line, lines=[text] if text else [], pictures=pictures)
            )
            return
        label = self.bold_label(paragraph)
        block = Block(
            "paragraph", self.line, lines=[text] if text else [], label=label, pictures=pictures
        )
        self.blocks.append(block)
        if text:
            runs = [run for run in paragraph.runs if run.text.strip()]
            sizes = [run.font.size.pt for run in runs if run.font.size is not None]
            bold = bool(runs) and all(run.bold for run in runs)
            self.looks[id(block)] = (max(sizes) if sizes else 0.0, bold)

    def guess_headings(self) -> int:
        """Headings made by hand (bold or larger type, short, no full stop): how many.

        Used only when the file has no heading styles at all. Larger type ranks higher,
        and at one size bold ranks above plain; each look is one heading level.
        """
        sizes = Counter(size for size, _ in self.looks.values())
        body = sizes.most_common(1)[0][0] if sizes else 0.0
        candidates = {}
        for block in self.blocks:
            look = self.looks.get(id(block))
            text = block.lines[0] if block.lines else ""
            if look is None or not text or len(text) > HEADING_MAX or text.endswith(TERMINAL):
                continue
            size, bold = look
            # Body text often has no size of its own (the style's, about 11 pt).
            larger = size > body * 1.1 if body else size >= 13
            if larger or (bold and size >= body):
                candidates[id(block)] = look
        ranks = sorted(set(candidates.values()), key=lambda look: (-look[0], not look[1]))
        levels = {look: min(rank + 1, 6) for rank, look in enumerate(ranks)}
        for index, block in enumerate(self.blocks):
            if id(block) in candidates:
                level = levels[candidates[id(block)]]
                self.blocks[index] = Block("heading", block.line, text=block.lines[0], level=level)
        return len(candidates)

    def numbering(self, paragraph: Any) -> tuple[str, int] | None:
        """Word's own numbering of a list paragraph: (list id, level), or None."""
        properties = paragraph._p.pPr
        if properties is None or properties.numPr is None:
            return None
        num_id = properties.numPr.numId
        level = properties.numPr.ilvl
        if num_id is None or num_id.val == 0:
            return None
        return str(num_id.val), int(level.val) if level is not None else 0

    def is_ordered(self, numbering: tuple[str, int] | None, style: str) -> bool:
        if "Number" in style:
            return True
        if numbering is None:
            return False
        try:
            part = self.word.part.numbering_part
        except (NotImplementedError, KeyError, AttributeError):
            return False
        root = part.element
        for num in root.iterfind(f"{W}num"):
            if num.get(f"{W}numId") != numbering[0]:
                continue
            abstract = num.find(f"{W}abstractNumId")
            abstract_id = abstract.get(f"{W}val") if abstract is not None else None
            for definition in root.iterfind(f"{W}abstractNum"):
                if definition.get(f"{W}abstractNumId") != abstract_id:
                    continue
                for lvl in definition.iterfind(f"{W}lvl"):
                    if lvl.get(f"{W}ilvl") == str(numbering[1]):
                        fmt = lvl.find(f"{W}numFmt")
                        value = fmt.get(f"{W}val") if fmt is not None else "bullet"
                        return value not in {"bullet", "none"}
        return False

    def read_item(
        self, text: str, pictures: list[str], style: str, numbering: tuple[str, int] | None
    ) -> None:
        depth = numbering[1] if numbering else (1 if style.endswith(("2", "3")) else 0)
        if depth and self.list is not None and self.list.items:
            parent = self.list.items[-1]
            if text:
                parent.more.append(text)
            parent.pictures.extend(pictures)
            return
        ordered = self.is_ordered(numbering, style)
        key = (numbering[0] if numbering else style, depth)
        self.counters[key] = self.counters.get(key, 0) + 1
        item = Item(
            text, self.line, number=str(self.counters[key]) if ordered else "", pictures=pictures
        )
        if self.list is None or self.list.ordered != ordered:
            self.list = Block("list", self.line, ordered=ordered)
            self.blocks.append(self.list)
        self.list.items.append(item)

    def bold_label(self, paragraph: Any) -> str:
        """ "一句话目标：…" with the label in bold: the label."""
        runs = paragraph.runs
        label = ""
        for run in runs:
            if not run.bold:
                break
            label += run.text
        rest = paragraph.text[len(label) :].lstrip()
        return label.strip() if label.strip() and rest[:1] in {":", "："} else ""

    def read_table(self, table: Any) -> None:
        rows = []
        for row in table.rows:
            cells = []
            for cell in row.cells:
                cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
            rows.append(cells)
            self.plain_lines.append(" ".join(c for c in cells if c))
            count_limit(self.source, len(rows), self.limits.max_rows, "rows")
        self.blocks.append(Block("table", self.line, rows=rows))
