"""Read text PDFs with pdfplumber.

pdfplumber (on pdfminer.six) gives every character with its font and size and position,
which is what finding structure in a PDF needs: pypdf gives text, not the sizes. Lines
set larger than the body text are headings (the largest size level 1, the next level
2 …), lines opening with a bullet or a number are list items, and lines that run to the
right margin continue into the next line, so a wrapped paragraph reads as one. The
blocks then go through the same structure inference as Markdown. A PDF without heading
sizes that is laid out like the seed (``… 篇3`` lines) is read by the plain-text parser.

A scanned PDF has no text to read: it is refused with a request to export it as text or
Word, as are PDFs that need a password and broken ones.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from knowledge.messages import lint as make_lint
from knowledge.model import ParsedSource
from knowledge.parse_text import DOC_RE, parse_text
from knowledge.reading import DEFAULT_LIMITS, ImportLimits, SopFileError, count_limit
from knowledge.structure import Block, Item, build_source

BULLET_RE = re.compile(r"^[•●▪◦·○■□‣∙–-]\s*")
ORDERED_RE = re.compile(r"^(?P<num>\d{1,3})[.)]\s+")
PAGE_NUMBER_RE = re.compile(
    r"^(?:\d{1,4}|第\s*\d+\s*[頁页]|page \d+(?: of \d+)?|\d+\s*/\s*\d+)$", re.I
)
HEADING_RATIO = 1.15
CID_RE = re.compile(r"\(cid:\d+\)")
# Headings numbered in outline form, "1.2 開機" (two parts or more), or "第三章 收銀".
OUTLINE_RE = re.compile(r"^(?P<number>\d{1,2}(?:\.\d{1,2})+)\.?\s+\S")
CHAPTER_RE = re.compile(r"^第[一二三四五六七八九十百\d]+(?P<unit>[章篇部節节])\s*\S")
NUMBERED_HEADING_MAX = 40


@dataclass
class Line:
    text: str
    size: float
    x0: float
    x1: float
    top: float
    bottom: float
    page: int


def parse_pdf(
    path: Path,
    catalog: dict[str, dict] | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
    document: str = "",
) -> ParsedSource:
    lines, title = read_lines(path, limits)
    # Glyphs pdfminer cannot map to characters come out as "(cid:97)": when a third of
    # them are, the text layer is unreadable; a few (a bullet's symbol) are dropped.
    unreadable = sum(len(CID_RE.findall(line.text)) for line in lines)
    glyphs = sum(len(CID_RE.sub("x", line.text)) for line in lines)
    if not lines or unreadable * 3 > glyphs:
        raise SopFileError("pdf_no_text", name=path.name)
    for line in lines:
        line.text = CID_RE.sub("", line.text)
    lines = [line for line in lines if line.text.strip()]
    body_size = Counter(round(line.size, 1) for line in lines for _ in line.text).most_common(1)[0][
        0
    ]
    sizes = sorted(
        {round(ln.size, 1) for ln in lines if ln.size >= body_size * HEADING_RATIO}, reverse=True
    )
    levels = {size: min(index + 1, 6) for index, size in enumerate(sizes)}
    paragraphs = join_paragraphs(lines, body_size)
    if not levels and any(DOC_RE.match(text) for text, _, _ in paragraphs):
        return parse_text("\n".join(t for t, _, _ in paragraphs), source=path.name, catalog=catalog)
    blocks = to_blocks(paragraphs, levels)
    parsed = build_source(blocks, path.name, title, False, document, limits, "document title")
    count = sum(1 for block in blocks if block.kind == "heading")
    if count:
        lint = make_lint(path.name, 0, "headings_by_size", count=count)
        parsed = ParsedSource(parsed.source, parsed.title, parsed.steps, (lint, *parsed.lints))
    return parsed


def read_lines(path: Path, limits: ImportLimits) -> tuple[list[Line], str]:
    import pdfplumber  # imported here: only an import of a PDF needs it
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    lines: list[Line] = []
    try:
        with pdfplumber.open(path) as pdf:
            count_limit(path.name, len(pdf.pages), limits.max_pages, "pages")
            title = str((pdf.metadata or {}).get("Title") or "").strip()
            for number, page in enumerate(pdf.pages):
                for found in page.extract_text_lines(return_chars=True, strip=False):
                    text = line_text(found["chars"])
                    chars = [c for c in found["chars"] if c["text"].strip()]
                    if not text.strip() or not chars or PAGE_NUMBER_RE.match(text.strip()):
                        continue
                    size = Counter(round(c["size"], 1) for c in chars).most_common(1)[0][0]
                    lines.append(
                        Line(
                            text,
                            size,
                            found["x0"],
                            found["x1"],
                            found["top"],
                            found["bottom"],
                            number,
                        )
                    )
                page.close()
    except SopFileError:
        raise
    except Exception as error:  # pdfplumber wraps what pdfminer raises for a damaged file
        causes = [error, *getattr(error, "args", ())]
        if any(isinstance(c, (PDFPasswordIncorrect, PDFEncryptionError)) for c in causes):
            raise SopFileError("encrypted_pdf", name=path.name) from None
        raise SopFileError("broken_file", name=path.name, kind="PDF", detail=error) from None
    return lines, title


# A wrapped line seldom starts like a numbered item: "5、", "(二)、", "三、", "2."
NEW_ITEM_RE = re.compile(
    r"^(?:\d{1,3}\s*[、.．)）]|[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)"
)
TERMINAL = "。！？.!?；;：:"
CJK_EDGE_RE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def line_text(chars: list[dict]) -> str:
    """A line's characters as written, with a space where the PDF leaves a gap.

    pdfplumber's own line text also puts spaces between spaced-out Chinese characters
    and around half-width punctuation, so the characters are joined here instead.
    """
    text = ""
    previous: dict | None = None
    for char in chars:
        glyph = char["text"]
        gap = char["x0"] - previous["x1"] if previous is not None else 0.0
        if glyph.strip() and text and not text.endswith(" ") and gap > 0.15 * char["size"]:
            text += " "
        text += glyph
        previous = char
    # A space at the end is kept: the seed's "準確、 上班前…" marks a cut sentence.
    return re.sub(r"\s+", " ", text).lstrip()


def join_paragraphs(lines: list[Line], body_size: float) -> list[tuple[str, float, int]]:
    """Lines → paragraphs: a line that reaches the right margin goes on in the next one,
    unless a wider gap than between the lines of a paragraph, or a number, starts anew."""
    right = max((line.x1 for line in lines), default=0.0)
    # The gap between the lines of one paragraph: the usual one after a full line.
    gaps = Counter(
        round(after.top - before.bottom)
        for before, after in zip(lines, lines[1:], strict=False)
        if before.page == after.page
        and abs(before.size - after.size) < 0.5
        and before.x1 >= right - 2 * before.size
    )
    usual_gap = gaps.most_common(1)[0][0] if gaps else body_size * 0.5
    paragraphs: list[tuple[str, float, int]] = []
    previous: Line | None = None
    for index, line in enumerate(lines):
        continues = (
            previous is not None
            and bool(paragraphs)
            and abs(previous.size - line.size) < 0.5
            and (
                previous.x1 >= right - 2 * previous.size
                # a line broken early before a long word ("必要時向" then "110報警")
                or (
                    previous.x1 >= right - 6 * previous.size
                    and not previous.text.rstrip().endswith(tuple(TERMINAL))
                )
            )
            and (
                line.top - previous.bottom <= usual_gap + 1.5
                if previous.page == line.page
                else not previous.text.rstrip().endswith(tuple(TERMINAL))
            )
            and not BULLET_RE.match(line.text)
            and not NEW_ITEM_RE.match(line.text)
        )
        if continues:
            text, size, number = paragraphs[-1]
            before, after = text[-1:], line.text[:1]
            # "台席前," then "VIP…": half-width punctuation in Chinese text, no space.
            cjk = bool(
                CJK_EDGE_RE.match(after)
                or CJK_EDGE_RE.match(before)
                or (not before.isalnum() and CJK_EDGE_RE.match(text[-2:-1]))
            )
            tight = after in ",.;:!?)]}%" or before in "([{/-" or before == " "
            joiner = "" if cjk or tight else " "
            paragraphs[-1] = (text + joiner + line.text, size, number)
        else:
            paragraphs.append((line.text, line.size, index + 1))
        previous = line
    return [(text.strip(), size, number) for text, size, number in paragraphs]


def numbered_heading(text: str, below: int) -> int:
    """The level of a body-size line numbered like a heading ("2.1 收銀", "第三章 …"), or 0."""
    if len(text) > NUMBERED_HEADING_MAX or text.endswith(tuple(TERMINAL + "，,")):
        return 0
    if match := OUTLINE_RE.match(text):
        return min(below + match["number"].count(".") + 1, 6)
    if match := CHAPTER_RE.match(text):
        return min(below + (1 if match["unit"] in "章篇部" else 2), 6)
    return 0


def to_blocks(paragraphs: list[tuple[str, float, int]], levels: dict[float, int]) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    below = max(levels.values(), default=0)
    for text, size, number in paragraphs:
        level = levels.get(round(size, 1), 0) or numbered_heading(text, below)
        if level:
            current = None
            blocks.append(Block("heading", number, text=text, level=level))
            continue
        bullet = BULLET_RE.match(text)
        ordered = ORDERED_RE.match(text)
        if bullet or ordered:
            is_ordered = bool(ordered)
            if current is None or current.ordered != is_ordered:
                current = Block("list", number, ordered=is_ordered)
                blocks.append(current)
            item_text = text[(bullet or ordered).end() :]  # type: ignore[union-attr]
            current.items.append(Item(item_text, number, number=ordered["num"] if ordered else ""))
            continue
        current = None
        blocks.append(Block("paragraph", number, lines=[text]))
    return blocks
