"""Turn the blocks of any document (Markdown, Word, PDF, HTML) into steps.

Each reader turns its format into a flat list of :class:`Block` (headings, paragraphs,
lists, quotes and boxes, tables, code) and hands it here, so every format infers the
same structure the same way: document → role → section → step → body and tips.

Two heading schemes are recognised:

- ``sop``, the project's own (``# document``, ``## role``, ``### section``, ``####`` step,
  or a numbered ``##``/``###`` heading as a step): a file that opens with a ``#``
  heading. It parses exactly as it always has.
- ``site``, Markdown as people write it (docs sites, wikis, exported Word): the first
  heading (or the front matter title, or the file name) names the document and every
  other heading is a section; where there are no step headings, each list item, table
  row and paragraph is a step, titled by its bold label or its first words.

Under a step heading, paragraphs, list items and table rows are the step's body; quotes,
boxes (``::: tip``, ``!!! note``) and paragraphs opening with 溫馨提示, 注意, 提示, 💡,
Note or Tip are its tips. Nothing is dropped: text that fits nowhere becomes a step of
its own, and each guess is reported as a lint (see :mod:`knowledge.messages`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from knowledge.messages import lint as make_lint
from knowledge.model import Lint, ParsedSource, StepDraft
from knowledge.reading import DEFAULT_LIMITS, ImportLimits, count_limit

NUMBERED_RE = re.compile(
    # outline numbers first ("1.2 開機" is step 1.2, not step 1 titled "2 開機")
    r"^(?P<num>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?P<title>\S.*)$"
    r"|^(?P<num1>\d{1,3}|[一二三四五六七八九十]+)\s*[、.．)）]\s*(?P<title1>.+)$"
)
# A step heading that is only its number ("#### 3、"): a numbered duty without a title.
BARE_NUMBER_RE = re.compile(r"^(?P<num>\d{1,3}|[一二三四五六七八九十]+)\s*[、.．)）]?$")
# A number written into the text of a list item or paragraph: "1，收银机开机…", "2、…".
LEADING_NUMBER_RE = re.compile(r"^(?P<num>\d{1,3})\s*[、，,.．)）]\s*(?=\S)")
# "提示" alone is not a marker: "提示客戶…" (remind the customer) starts ordinary text.
TIP_RE = re.compile(
    r"^(?:>\s*)?(?:💡\s*(?:溫馨提示|温馨提示)?|⚠️?|溫馨提示|温馨提示|tip(?=\s*[:：])"
    # GitHub's alerts: "> [!NOTE]"
    r"|\[!(?:note|tip|important|warning|caution)\])\s*[:：]?\s*",
    re.IGNORECASE,
)
# Markers that make a paragraph outside a step heading a tip of the step before it.
NOTE_RE = re.compile(
    r"^(?:💡|⚠️?|(?:溫馨提示|温馨提示|注意|提示|小貼士|小贴士|備註|备注|note|tip|warning|important)"
    r"\s*[:：])\s*",
    re.IGNORECASE,
)
TITLE_CUT_RE = re.compile(r"[，,；;。！!？?]")
COLON_RE = re.compile(r"[：:]")
CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
TITLE_MAX = 40
# A list item this short (or ending like a question or a label) is a heading for the
# quote under it: "* 关机" then "> a, 触摸屏幕左下角…".
HEADLIKE_MAX = 24


def document_number(title: str) -> int:
    """A stable number for a document read from Markdown, Word…, clear of the seed's 篇1–14."""
    return 1000 + int.from_bytes(hashlib.blake2s(title.encode(), digest_size=3).digest(), "big")


@dataclass
class Block:
    """One block of a document, whatever its format.

    ``kind`` is "heading" (``level``), "paragraph" (``lines``), "list" (``items``),
    "quote" or "box" (``lines``, one per paragraph; a box has a ``title`` and a
    ``tone``: tip, note, warning, details…), "table" (``rows``, the header first) or
    "code" (``lines``).
    """

    kind: str
    line: int = 0
    text: str = ""
    level: int = 0
    lines: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    title: str = ""
    tone: str = ""
    label: str = ""  # a paragraph's bold label ("**一句话目标**：…")
    pictures: list[str] = field(default_factory=list)
    ordered: bool = False


@dataclass
class Item:
    """A list item: its first paragraph, further paragraphs and sub-items, nested notes."""

    text: str
    line: int = 0
    number: str = ""
    label: str = ""
    more: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    pictures: list[str] = field(default_factory=list)
    starts_with_link: bool = False


def join_lines(lines: list[str]) -> str:
    """Join the lines of one paragraph: no space between Chinese, one between words."""
    text = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if text and not (CJK_RE.match(line[0]) or CJK_RE.match(text[-1])):
            text += " "
        text += line
    return text


def clean_heading(text: str) -> str:
    """A heading without the emoji and marks a site puts in front: "🎤 主持人 SOP"."""
    text = text.strip()
    while text and (
        unicodedata.category(text[0]) in {"So", "Sk", "Cf", "Mn"} or text[0] in "\ufe0f\u200d"
    ):
        text = text[1:].lstrip()
    return text.strip()


def guess_title(text: str, label: str = "") -> str:
    """A step's title from its bold label or its first words."""
    if label:
        return label.strip().rstrip("：:").strip()
    text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    head = TITLE_CUT_RE.split(text, maxsplit=1)[0]
    colon = COLON_RE.search(head)
    if colon and colon.start() >= 3:
        head = head[: colon.start()]
    head = head.strip().rstrip("：:、. ")
    if len(head) > TITLE_MAX:
        cut = head.rfind(" ", 0, TITLE_MAX)
        head = head[: cut if cut > TITLE_MAX // 2 else TITLE_MAX].rstrip() + "…"
    return head or text[:TITLE_MAX]


def split_number(text: str, number: str = "") -> tuple[str, str]:
    """A number written into the text ("1，收银机开机…"): (number, text as written)."""
    if number:
        return number, text
    match = LEADING_NUMBER_RE.match(text)
    return (match["num"], text) if match else ("", text)


PLAIN_ITEM_RE = re.compile(r"^(?:(?P<num>\d{1,3})\s*[、.．)）]\s*|[-•●*·]\s+)(?=\S)")
PLAIN_SECTION_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十\d]+[章節节篇部])"
)
PLAIN_HEADING_MAX = 30


def plain_blocks(text: str) -> list[Block]:
    """Blocks of a plain-text file that is not in the seed's layout (notes, an export).

    Each line is a paragraph; "1、…", "2." and bulleted lines are list items; a short line
    without end punctuation that something follows is a heading (the first one, before
    any text, level 1; one numbered 一、 or 第二章 level 2, others level 3).
    """
    lines = [(no, line.strip()) for no, line in enumerate(text.splitlines(), start=1)]
    blocks: list[Block] = []
    current: Block | None = None
    for index, (no, line) in enumerate(lines):
        if not line:
            current = None
            continue
        following = next((rest for _, rest in lines[index + 1 :] if rest), "")
        item = PLAIN_ITEM_RE.match(line)
        short = len(line) <= PLAIN_HEADING_MAX and not line.endswith(
            ("。", "；", ";", "！", "!", "？", "?", "，", ",", ".")
        )
        if item is None and short and following and not TIP_RE.match(line):
            current = None
            level = 1 if not blocks else 2 if PLAIN_SECTION_RE.match(line) else 3
            blocks.append(Block("heading", no, text=line.rstrip("：:"), level=level))
        elif item is not None:
            if current is None:
                current = Block("list", no, ordered=bool(item["num"]))
                blocks.append(current)
            current.items.append(Item(line[item.end() :], no, number=item["num"] or ""))
        else:
            current = None
            blocks.append(Block("paragraph", no, lines=[line]))
    return blocks


def seed_layout_lines(blocks: list[Block]) -> list[str] | None:
    """The lines of a file laid out like the seed (no headings, "… 篇3" lines), or None.

    Such a file (the seed pasted into Word, printed to PDF, saved as a page) is for the
    plain-text parser, which knows that layout.
    """
    from knowledge.parse_text import DOC_RE

    if any(block.kind == "heading" for block in blocks):
        return None
    lines = [
        text
        for block in blocks
        for text in (
            block.lines
            if block.kind in {"paragraph", "quote", "box", "code"}
            else [t for item in block.items for t in (item.text, *item.more)]
            if block.kind == "list"
            else [" ".join(row) for row in block.rows]
        )
        if text
    ]
    return lines if any(DOC_RE.match(line) for line in lines) else None


def detect_scheme(blocks: list[Block], has_front_matter: bool, markdown: bool = True) -> str:
    """``sop`` for a file in the project's scheme, else ``site``.

    The project's scheme opens with a ``#`` document heading, has no front matter, and
    either has step headings (``####``, or numbered ones) or no ``###`` sections: a docs
    page that opens with its title and groups lists under ``##`` and ``###`` is a site
    page, whose ``##`` headings are not roles. Other formats (Word, PDF, HTML) need the
    step headings: their second-level headings are a procedure's parts far more often
    than roles.
    """
    if has_front_matter or not blocks:
        return "site"
    first = blocks[0]
    if not (first.kind == "heading" and first.level == 1 and first.text):
        return "site"
    headings = [block for block in blocks if block.kind == "heading"]
    has_steps = any(
        h.level >= 4 or (h.level >= 2 and NUMBERED_RE.match(clean_heading(h.text)))
        for h in headings
    )
    has_sections = any(h.level == 3 for h in headings)
    return "sop" if has_steps or (markdown and not has_sections) else "site"


class StructureBuilder:
    """Reads blocks into steps; use :func:`build_source`."""

    def __init__(
        self,
        source: str,
        scheme: str,
        title: str = "",
        document: str = "",
        limits: ImportLimits = DEFAULT_LIMITS,
        title_origin: str = "front matter title",
    ) -> None:
        self.source = source
        self.title_origin = title_origin
        self.scheme = scheme
        self.limits = limits
        self.title = ""
        self.hinted_title = title
        self.document = document
        self.doc = ""
        self.doc_no = 0
        self.role = ""
        self.section = ""
        self.steps: list[StepDraft] = []
        self.lints: list[Lint] = []
        self.heading_step: StepDraft | None = None  # a step opened by a step heading
        self.last: StepDraft | None = None  # the last step in this section
        self.last_headlike = False
        self.last_caption = False
        self.pending_pictures: list[str] = []
        self.outside_run = False
        self.block_steps = 0
        self.guessed_titles = 0
        self.headings = 0

    # -- helpers ---------------------------------------------------------------------
    def lint(self, at: int, code: str, **params: object) -> None:
        self.lints.append(make_lint(self.source, at, code, **params))

    def open_document(self, name: str, line: int) -> None:
        self.doc, self.doc_no = name, document_number(name)
        self.title = self.title or name
        self.role = self.section = ""
        self.close_section()

    def close_section(self) -> None:
        self.heading_step = self.last = None
        self.outside_run = False

    def new_step(self, line: int, number: str, title: str) -> StepDraft:
        if not self.doc:
            self.start_without_heading(line)
        step = StepDraft(self.doc, self.doc_no, self.role, self.section, number, title, line)
        step.pictures.extend(self.pending_pictures)
        self.pending_pictures = []
        self.steps.append(step)
        count_limit(self.source, len(self.steps), self.limits.max_steps, "steps")
        return step

    def start_without_heading(self, line: int) -> None:
        if self.document:
            self.open_document(self.document, line)
            self.role = clean_heading(self.hinted_title or self.source.rsplit(".", 1)[0])
            return
        name, origin = self.hinted_title, self.title_origin
        if not name:
            name, origin = self.source.rsplit(".", 1)[0] or self.source, "file name"
        self.lint(line, "no_document_heading", name=name, origin=origin)
        self.open_document(name, line)

    def block_step(self, line: int, text: str, label: str = "", number: str = "") -> StepDraft:
        """A step made from a block outside any step heading."""
        if self.scheme == "sop" and not self.outside_run:
            self.lint(line, "outside_step")
        self.outside_run = True
        number, text = split_number(text, number)
        step = self.new_step(line, number, guess_title(text, label))
        self.guessed_titles += 0 if label else 1
        self.block_steps += 1
        if text:
            step.body.append(text)
        self.last = step
        self.last_caption = False
        self.last_headlike = False
        return step

    # -- blocks ----------------------------------------------------------------------
    def read(self, blocks: list[Block]) -> ParsedSource:
        for index, block in enumerate(blocks):
            after = blocks[index + 1] if index + 1 < len(blocks) else None
            if (
                block.kind == "quote"
                and after is not None
                and after.kind == "paragraph"
                and after.pictures
                and not after.lines
                and len(block.lines) == 1
                and len(block.lines[0]) <= HEADLIKE_MAX
            ):
                # "> 蔬菜收货单" over a picture: captions of pictures, one step for a run.
                self.read_caption(block)
                continue
            getattr(self, f"read_{block.kind}")(block)
        return self.finish()

    def read_heading(self, block: Block) -> None:
        self.headings += 1
        count_limit(self.source, self.headings, self.limits.max_headings, "headings")
        text = clean_heading(block.text)
        if not text:
            self.lint(block.line, "empty_heading")
            self.close_section()
            return
        numbered = NUMBERED_RE.match(text)
        if self.scheme == "sop":
            if block.level == 1:
                self.open_document(text, block.line)
                return
            if block.level == 2 and not numbered:
                self.role, self.section = text, ""
                self.close_section()
                return
            if block.level == 3 and not numbered:
                self.section = text
                self.close_section()
                return
        elif block.level == 1 and self.headings == 1 and not self.steps:
            self.open_document(self.document or text, block.line)
            self.role = text if self.document else ""
            return
        elif block.level < 4 and not numbered:
            if not self.doc:
                self.start_without_heading(block.line)
            self.section = text
            self.close_section()
            return
        number, title = ("", text)
        if numbered:
            number = numbered["num"] or numbered["num1"]
            title = numbered["title"] or numbered["title1"]
        if bare := BARE_NUMBER_RE.match(text):
            number, title = bare["num"], ""
        self.close_section()
        self.heading_step = self.new_step(block.line, number, title.strip())
        self.last = self.heading_step

    def read_paragraph(self, block: Block) -> None:
        if not block.lines:
            self.add_pictures(block.pictures)
            return
        if self.heading_step is not None:
            self.add_to_heading_step(self.heading_step, block)
            return
        text = join_lines(block.lines)
        note = NOTE_RE.match(text) or TIP_RE.match(text)
        if note and self.last is not None and note.end() < len(text):
            self.last.tips.append(text[note.end() :].strip())
            self.last.pictures.extend(block.pictures)
            return
        if self.scheme == "sop" and note:
            # The project's scheme: a tip marker outside a step still reads as a tip.
            step = self.block_step(block.line, "")
            step.tips.append(text[note.end() :].strip())
        else:
            step = self.block_step(block.line, text, block.label)
        step.pictures.extend(block.pictures)

    def add_to_heading_step(self, step: StepDraft, block: Block) -> None:
        """Body lines and 溫馨提示 tips of a paragraph under a step heading."""
        segments: list[tuple[bool, list[str]]] = []
        for line in block.lines:
            tip = TIP_RE.match(line)
            if tip or not segments:
                segments.append((bool(tip), []))
            segments[-1][1].append(TIP_RE.sub("", line, count=1) if tip else line)
        for is_tip, lines in segments:
            text = join_lines(lines)
            if text:
                (step.tips if is_tip else step.body).append(text)
        step.pictures.extend(block.pictures)

    def read_list(self, block: Block) -> None:
        if self.heading_step is not None:
            for item in block.items:
                self.heading_step.body.extend(t for t in (item.text, *item.more) if t)
                self.heading_step.tips.extend(item.tips)
                self.heading_step.pictures.extend(item.pictures)
            return
        if len(block.items) >= 2 and all(item.starts_with_link for item in block.items):
            self.lint(block.line, "navigation_list")
            step = self.block_step(block.line, "", self.section or self.doc or "links")
            step.body.extend(t for item in block.items for t in (item.text, *item.more) if t)
            for item in block.items:
                step.pictures.extend(item.pictures)
            return
        for item in block.items:
            if not item.text and not item.more:
                self.add_pictures(item.pictures)
                continue
            step = self.block_step(
                item.line,
                item.text or item.more[0],
                item.label,
                item.number if block.ordered else "",
            )
            head = (item.text or item.more[0]).rstrip()
            self.last_headlike = head.endswith(("？", "?", "：", ":")) or (
                len(head) <= HEADLIKE_MAX and not head.endswith(("。", "."))
            )
            step.body.extend(item.more if item.text else item.more[1:])
            step.tips.extend(item.tips)
            step.pictures.extend(item.pictures)

    def read_quote(self, block: Block) -> None:
        texts = [TIP_RE.sub("", text, count=1).strip() for text in block.lines]
        texts = [text for text in texts if text]
        if block.title and self.heading_step is None:
            self.note_step(block, texts)
            return
        if self.heading_step is not None:
            if block.title:
                texts = [f"{block.title}：{texts[0]}", *texts[1:]] if texts else [block.title]
            self.heading_step.tips.extend(texts)
            self.heading_step.pictures.extend(block.pictures)
        elif self.last is not None and texts:
            if self.last_headlike and not self.last.tips:
                self.last.body.extend(texts)  # the answer under "* 关机", "1. 扫不出来？"
            else:
                self.last.tips.extend(texts)
            self.last.pictures.extend(block.pictures)
        elif texts or block.pictures:
            self.note_step(block, texts)
        else:
            self.add_pictures(block.pictures)

    read_box = read_quote

    def note_step(self, block: Block, texts: list[str]) -> None:
        """A note, box or quote with no step to attach to: a step of its own."""
        if not block.title:
            self.lint(block.line, "note_as_step")
        first = texts[0] if texts else ""
        step = self.block_step(block.line, first, block.title)
        step.body = texts if texts else step.body
        step.pictures.extend(block.pictures)
        self.last = step
        self.last_headlike = False

    def read_caption(self, block: Block) -> None:
        if self.heading_step is not None:
            self.heading_step.body.extend(block.lines)
        elif self.last is not None and self.last_caption:
            self.last.body.extend(block.lines)
        else:
            step = self.block_step(block.line, block.lines[0], self.section)
            if not self.section:
                self.guessed_titles += 1
            self.last_caption = True
            self.last_headlike = False
            step.pictures.extend(block.pictures)

    def read_table(self, block: Block) -> None:
        header, *rows = block.rows if len(block.rows) > 1 else ([], *block.rows)
        for row in rows:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            title, *rest = cells
            if len(cells) > 2 and header:
                rest = [
                    f"{name}：{cell}" if name else cell
                    for name, cell in zip(header[1:], rest, strict=False)
                    if cell
                ]
            rest = [cell for cell in rest if cell]
            if self.heading_step is not None:
                # A row of a table under a step heading: one line of the step's body.
                line = "；".join(rest)
                self.heading_step.body.append(
                    f"{title}：{line}" if title and line else title or line
                )
                continue
            step = self.block_step(block.line, title if not rest else rest[0], title)
            step.body = rest if rest else [title]
            self.last_headlike = False
        self.add_pictures(block.pictures)

    def read_code(self, block: Block) -> None:
        text = "\n".join(block.lines).strip()
        if not text:
            return
        target = self.heading_step or self.last
        if target is not None:
            target.body.append(text)
        else:
            self.block_step(block.line, text)

    def add_pictures(self, pictures: list[str]) -> None:
        """Pictures on their own: the step before them shows them, else the next one."""
        if not pictures:
            return
        target = self.heading_step or self.last
        if target is not None:
            target.pictures.extend(pictures)
        else:
            self.pending_pictures.extend(pictures)

    # -- the end ---------------------------------------------------------------------
    def finish(self) -> ParsedSource:
        if self.pending_pictures and self.steps:
            self.steps[-1].pictures.extend(self.pending_pictures)
        if self.scheme == "site" and self.block_steps:
            self.lint(0, "blocks_as_steps", count=self.block_steps)
            if self.guessed_titles:
                self.lint(0, "titles_guessed", count=self.guessed_titles)
        self.check_numbering()
        kept = [d for d in self.steps if d.body or d.tips or d.title]
        for draft in kept:
            if not draft.body and not draft.tips and self.scheme == "site":
                self.lint(draft.line, "empty_step", label=f"{draft.number}、{draft.title}")
        return ParsedSource(
            source=self.source,
            title=self.title or self.hinted_title or self.source,
            steps=tuple(draft.freeze() for draft in kept),
            lints=tuple(self.lints),
        )

    def check_numbering(self) -> None:
        before: dict[tuple[int, str, str], StepDraft] = {}
        for draft in self.steps:
            if not draft.number.isdigit():
                continue
            key = (draft.doc_no, draft.role, draft.section)
            previous = before.get(key)
            if previous is not None and int(draft.number) not in (int(previous.number) + 1, 1):
                self.lint(draft.line, "numbering_gap", before=previous.number, after=draft.number)
            before[key] = draft


def build_source(
    blocks: list[Block],
    source: str,
    title: str = "",
    has_front_matter: bool = False,
    document: str = "",
    limits: ImportLimits = DEFAULT_LIMITS,
    title_origin: str = "front matter title",
    markdown: bool = False,
) -> ParsedSource:
    """Steps from the blocks of one file.

    ``title`` is a title the file states outside its headings (front matter, document
    properties); ``document`` files the steps under a document of that name, with the
    file's own title as the role (several pages of one handbook).
    """
    scheme = detect_scheme(blocks, has_front_matter or bool(document), markdown)
    builder = StructureBuilder(source, scheme, title, document, limits, title_origin)
    return builder.read(blocks)
