"""Parse the plain-text job-duty format (the seed SOP) into steps.

The format is what word processors and web copy-paste produce: a file title, then
documents headed ``<title> 篇N``; inside a document, roles (``一、值班經理``), sections
(``(一)、崗位職責說明:``), numbered steps (``1、晨會``, ``1.``, ``1)``, a bare ``1全面負責``)
and 溫馨提示 tips, often fused into the surrounding paragraph. The text is real-world
mess, so every repair is recorded as a :class:`Lint` and no text is ever dropped:
``tests/test_parse_text.py`` checks that every clause of the source survives.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from knowledge.messages import lint as make_lint
from knowledge.model import Lint, ParsedSource, StepDraft

CHINESE_NUMERALS = "一二三四五六七八九十"
DESCRIPTION = "崗位職責說明"
MNEMONIC = "服務標準口訣"
PROCEDURE = "服務標準說明"
DUTIES = "崗位職責"
REQUIREMENTS = "任職要求"
POSITION = "職位"

DOC_RE = re.compile(r"^(?P<title>.+?)\s*篇\s*(?P<no>\d+)$")
ROLE_RE = re.compile(rf"^(?P<num>[{CHINESE_NUMERALS}]+)、(?P<title>.+)$")
# The seed writes 一 as an em dash once: "(—)、崗位職責說明".
SECTION_RE = re.compile(rf"^[(（](?P<num>[{CHINESE_NUMERALS}—－-])[)）]、?(?P<title>.+?)[:：]?$")
STEP_RE = re.compile(r"^(?P<num>\d{1,2})(?:\s*[、.．]\s*|(?=[\u4e00-\u9fff]))(?P<rest>.+)$")
SUBITEM_RE = re.compile(r"^\d{1,2}\s*[)）]")
LABEL_RE = re.compile(rf"^(?P<prefix>.*?)(?P<label>{DUTIES}|{REQUIREMENTS})[:：]?$")
KEYED_PARAGRAPH_RE = re.compile(r"^(?P<key>[^:：,，。;；]{2,10})[:：](?P<value>.+)$")
TIP_MARK = "溫馨提示"
TIP_SPLIT_RE = re.compile(rf"\s*{TIP_MARK}\s*[:：]?\s*")
MNEMONIC_SPLIT_RE = re.compile(rf"\s*{MNEMONIC}\s*[:：]?\s*")
# A sentence cut off mid-enumeration: "根據客戶需要準確、 上班前先檢查…".
TRUNCATION_RE = re.compile(r"、\s+(?=\S)")
SENTENCE_PUNCTUATION = re.compile(r"[，,。；;：:！!？?]")
STRAY_MARKS_RE = re.compile(r"['`]")
TERMINAL_PUNCTUATION = "。；;！!？?)）」”"
HEADING_MAX_CHARS = 12


def clean_line(line: str) -> tuple[str, list[str]]:
    """Repair character-level damage in one line; say what was repaired."""
    repairs = []
    marks = STRAY_MARKS_RE.findall(line)
    if marks:
        line = STRAY_MARKS_RE.sub("", line)
        repairs.append(f"removed stray mark(s) {' '.join(marks)}")
    if "臵" in line:
        # 臵 is a mis-encoded 置 (定臵圖, 放臵, 位臵) everywhere in the seed.
        line = line.replace("臵", "置")
        repairs.append("read 臵 as 置")
    if "___" in line:
        repairs.append("kept a blank '___' left in the source")
    return line.strip(), repairs


def split_fused_heading(rest: str) -> tuple[str, str]:
    """Guess where a heading fused with its body ends: "人員調配合理調配…" → 人員調配.

    Step titles in the SOP are a verb ("澄清") or a noun and a verb ("人員調配",
    "秩序維護"), so the title is the first word when that is a verb, else the first two.
    """
    import jieba.posseg  # imported here: only a few lines ever need it

    from knowledge.normalize import to_simplified
    from knowledge.segment import prepared

    if not jieba.dt.initialized:  # loaded as the index build will load it, and only once
        prepared(jieba.dt)

    # jieba's dictionary is simplified; OpenCC keeps the length, so offsets carry over.
    head = rest[:16]
    words = [(pair.word, pair.flag) for pair in jieba.posseg.lcut(to_simplified(head))]
    if not words:
        return "", rest
    first, flag = words[0]
    if len(words) > 1 and not flag.startswith("v") and len(first) + len(words[1][0]) <= 4:
        size = len(first) + len(words[1][0])
    else:
        size = len(first)
    return rest[:size], rest[size:]


class TextParser:
    """Reads one file of the plain-text format; use :func:`parse_text`."""

    def __init__(self, source: str, catalog: dict[str, dict] | None = None) -> None:
        self.source = source
        self.catalog = catalog or {}
        self.title = ""
        self.steps: list[StepDraft] = []
        # Steps whose heading the source lost; titled after the most similar step at the end.
        self.untitled: list[StepDraft] = []
        self.lints: list[Lint] = []
        self.doc = ""
        self.doc_no = 0
        self.role = ""
        self.section = ""
        self.step: StepDraft | None = None
        self.expect_mnemonic = False

    # -- helpers -------------------------------------------------------------------
    def lint(self, at: int, code: str, **params: object) -> None:
        self.lints.append(make_lint(self.source, at, code, **params))

    def lint_repair(self, at: int, repair: str) -> None:
        """A repair :func:`clean_line` made, by its code where it has one."""
        if repair.startswith("removed stray mark(s) "):
            self.lint(at, "stray_marks", marks=repair.removeprefix("removed stray mark(s) "))
        elif repair == "read 臵 as 置":
            self.lint(at, "misencoded_char")
        elif repair == "kept a blank '___' left in the source":
            self.lint(at, "blank_kept")
        else:
            self.lint(at, "repaired", repair=repair)

    def start_step(self, line: int, number: str, title: str, section: str | None = None) -> None:
        self.step = StepDraft(
            self.doc,
            self.doc_no,
            self.role,
            section if section is not None else (self.section or DUTIES),
            number,
            title,
            line,
        )
        self.steps.append(self.step)

    def current_step(self, line: int) -> StepDraft:
        """The step a loose paragraph belongs to, opening an untitled one if needed."""
        if self.step is None:
            self.start_step(line, "", "" if self.section != DESCRIPTION else DESCRIPTION)
        assert self.step is not None
        return self.step

    def add_paragraph(self, line: int, text: str) -> None:
        """Add body text and any 溫馨提示 tips fused into it to the current step."""
        parts = TIP_SPLIT_RE.split(text)
        body, tips = parts[0].strip(), [tip.strip() for tip in parts[1:]]
        step = self.current_step(line)
        if body:
            step.body.append(body)
        for tip in tips:
            if tip:
                step.tips.append(tip)
            else:
                self.lint(line, "empty_tip_marker")

    # -- the line kinds --------------------------------------------------------------
    def parse(self, text: str) -> ParsedSource:
        lines = [(no, line) for no, line in enumerate(text.splitlines(), start=1)]
        content = [(no, line.strip()) for no, line in lines if line.strip()]
        for index, (no, raw) in enumerate(content):
            line, repairs = clean_line(raw)
            for repair in repairs:
                self.lint_repair(no, repair)
            upcoming = [clean_line(text)[0] for _, text in content[index + 1 : index + 3]]
            self.read_line(no, line, upcoming)
        self.finish()
        return ParsedSource(
            source=self.source,
            title=self.title,
            steps=tuple(draft.freeze() for draft in self.steps),
            lints=tuple(self.lints),
        )

    def read_line(self, no: int, line: str, upcoming: list[str]) -> None:
        if not self.title and not self.doc:
            self.title = line
            return
        if match := DOC_RE.match(line):
            self.open_document(no, int(match["no"]), match["title"])
        elif (match := SECTION_RE.match(line)) and len(match["title"]) <= HEADING_MAX_CHARS:
            self.open_section(no, match["title"].strip())
        elif (match := ROLE_RE.match(line)) and any(SECTION_RE.match(u) for u in upcoming):
            self.role, self.section, self.step = match["title"].strip(), "", None
        elif (match := LABEL_RE.match(line)) and len(match["prefix"]) <= 80:
            self.open_label(no, match["prefix"].strip(), match["label"])
        elif self.expect_mnemonic:
            self.expect_mnemonic = False
            self.start_step(no, "", MNEMONIC, section=MNEMONIC)
            self.add_paragraph(no, line)
        elif self.section == DESCRIPTION:
            self.read_description(no, line)
        elif match := ROLE_RE.match(line):
            # "一、開發潛在客戶--銷售" in a document without roles: a duty of its own.
            self.start_step(no, match["num"], "")
            self.add_paragraph(no, match["title"])
        elif SUBITEM_RE.match(line) and self.step is not None:
            self.step.body.append(line)
        elif match := STEP_RE.match(line):
            self.read_step(no, match["num"], match["rest"].strip(), line)
        elif (match := KEYED_PARAGRAPH_RE.match(line)) and self.section != PROCEDURE:
            if TIP_MARK in match["key"]:
                self.add_paragraph(no, line)
            else:
                self.start_step(no, "", match["key"].strip())
                self.add_paragraph(no, match["value"])
        else:
            self.add_paragraph(no, line)

    def open_document(self, no: int, doc_no: int, title: str) -> None:
        entry = self.catalog.get(str(doc_no), {})
        self.doc_no = doc_no
        self.doc = entry.get("name") or f"{title} 篇{doc_no}"
        if not entry:
            self.lint(no, "uncatalogued_document", number=doc_no)
        self.role, self.section, self.step = "", "", None

    def open_section(self, no: int, title: str) -> None:
        self.section, self.step = title, None
        if title == DESCRIPTION:
            self.start_step(no, "", DESCRIPTION)

    def open_label(self, no: int, prefix: str, label: str) -> None:
        self.section, self.step = label, None
        if prefix:
            # "儲備點部主管(營業網點負責人)順豐…崗位職責:": the position's name fused in.
            self.lint(no, "position_fused", label=label)
            self.start_step(no, "", POSITION, section=POSITION)
            self.add_paragraph(no, prefix)
            self.step = None

    def read_description(self, no: int, line: str) -> None:
        """A role's description: duties, then the 服務標準口訣 mnemonic."""
        duties, *mnemonic = MNEMONIC_SPLIT_RE.split(line, maxsplit=1)
        cut = TRUNCATION_RE.search(duties)
        if cut:
            self.read_truncated(no, duties[: cut.start() + 1], duties[cut.end() :])
        elif duties:
            self.add_paragraph(no, duties)
        if mnemonic:
            if mnemonic[0].strip():
                self.start_step(no, "", MNEMONIC, section=MNEMONIC)
                self.add_paragraph(no, mnemonic[0])
                self.step = None
            else:
                self.expect_mnemonic = True

    def read_truncated(self, no: int, head: str, tail: str) -> None:
        """A paragraph cut mid-sentence, with the text of another part pasted on."""
        self.add_paragraph(no, head)
        if not SENTENCE_PUNCTUATION.search(tail) and len(tail) >= 20:
            self.lint(no, "cut_sentence_mnemonic")
            self.start_step(no, "", MNEMONIC, section=MNEMONIC)
            self.add_paragraph(no, tail)
            self.step = None
        else:
            self.lint(no, "cut_sentence_lost_heading")
            self.section = PROCEDURE
            self.start_step(no, "1", "")
            assert self.step is not None
            self.untitled.append(self.step)
            self.add_paragraph(no, tail)

    def read_step(self, no: int, number: str, rest: str, line: str) -> None:
        previous = self.step
        if (
            previous is not None
            and previous.tips
            and len(rest) <= 5
            and rest.endswith("。")
            and not previous.tips[-1].endswith(tuple(TERMINAL_PUNCTUATION))
        ):
            # "2、情緒。" after a tip ending "調整好心態和": the tip's last word, not a step.
            previous.tips[-1] += line
            self.lint(no, "tip_end_not_step", line=line, number=number)
            return
        if line[len(number) : len(number) + 1] not in "、.．":
            self.lint(no, "number_without_separator", number=number, start=line[:8])
        heading_alone = len(rest) <= HEADING_MAX_CHARS and not SENTENCE_PUNCTUATION.search(rest)
        if self.section == PROCEDURE and heading_alone:
            self.start_step(no, number, rest)
        elif self.section == PROCEDURE:
            title, body = split_fused_heading(rest)
            self.lint(no, "heading_fused", title=title)
            self.start_step(no, number, title)
            self.add_paragraph(no, body)
        else:
            self.start_step(no, number, "")
            self.add_paragraph(no, rest)

    def finish(self) -> None:
        self.check_numbering()
        for draft in self.untitled:
            self.borrow_title(draft)
        for draft in self.steps:
            if not draft.body and not draft.tips:
                self.lint(draft.line, "empty_step", label=f"{draft.number}、{draft.title}")

    def borrow_title(self, draft: StepDraft) -> None:
        """Title a step whose heading was lost after the most similar step elsewhere."""
        text = "".join(draft.body)[:60]
        candidates = [d for d in self.steps if d is not draft and d.title and d.body]
        best = max(candidates, key=lambda d: fuzz.partial_ratio(text, "".join(d.body)[:60]))
        draft.title = best.title
        self.lint(draft.line, "lost_heading", title=best.title, role=best.role)

    def check_numbering(self) -> None:
        groups: dict[tuple[int, str, str], list[StepDraft]] = {}
        for draft in self.steps:
            if draft.number.isdigit():
                groups.setdefault((draft.doc_no, draft.role, draft.section), []).append(draft)
        for drafts in groups.values():
            for before, after in zip(drafts, drafts[1:], strict=False):
                if int(after.number) != int(before.number) + 1:
                    self.lint(after.line, "numbering_gap", before=before.number, after=after.number)


def parse_text(
    text: str, source: str = "<text>", catalog: dict[str, dict] | None = None
) -> ParsedSource:
    """Parse a plain-text SOP file; ``catalog`` maps 篇 numbers to readable names."""
    return TextParser(source, catalog).parse(text)
