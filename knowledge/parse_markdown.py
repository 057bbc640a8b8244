"""Parse the clean Markdown SOP format a store can write for its own procedures.

    # 電信門市服務規範            ← document
    ## 值班經理                   ← role (optional)
    ### 服務標準說明              ← section (optional)
    #### 1、晨會                  ← step (a level-3+ heading that starts with a number
                                     is a step too: ``### 2. 班前檢查``)
    Body paragraphs and list items.
    > 溫馨提示：班前會以表揚為主…  ← tip (also a line starting 溫馨提示, 💡 or "Tip:")

Text before any step heading under a role or section becomes an untitled step, so
nothing written is lost; each such guess is reported as a lint.
"""

from __future__ import annotations

import hashlib
import re

from knowledge.model import Lint, ParsedSource, StepDraft

HEADING_RE = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
NUMBERED_RE = re.compile(r"^(?P<num>\d{1,3}|[一二三四五六七八九十]+)\s*[、.．)）]\s*(?P<title>.+)$")
# "提示" alone is not a marker: "提示客戶…" (remind the customer) starts ordinary text.
TIP_RE = re.compile(
    r"^(?:>\s*)?(?:💡\s*(?:溫馨提示|温馨提示)?|溫馨提示|温馨提示|tip(?=\s*[:：]))\s*[:：]?\s*",
    re.IGNORECASE,
)
QUOTE_RE = re.compile(r"^>\s?")
LIST_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def document_number(title: str) -> int:
    """A stable number for a Markdown document, clear of the seed's 篇1–14."""
    return 1000 + int.from_bytes(hashlib.blake2s(title.encode(), digest_size=3).digest(), "big")


def parse_markdown(text: str, source: str = "<markdown>") -> ParsedSource:
    lints: list[Lint] = []
    drafts: list[StepDraft] = []
    title = doc = role = section = ""
    doc_no = 0
    current: StepDraft | None = None
    paragraph: list[str] = []
    paragraph_is_tip = False

    def flush(line_no: int) -> None:
        nonlocal paragraph, paragraph_is_tip, current
        if not paragraph:
            return
        content = "".join(paragraph).strip()
        paragraph, tip = [], paragraph_is_tip
        paragraph_is_tip = False
        if not content:
            return
        if current is None:
            if not doc:
                lints.append(Lint(source, line_no, "text before the first '# document' heading"))
            else:
                lints.append(Lint(source, line_no, "text outside a step; kept as an untitled step"))
            current = StepDraft(doc or source, doc_no, role, section, "", "", line_no)
            drafts.append(current)
        (current.tips if tip else current.body).append(content)

    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        heading = HEADING_RE.match(line)
        if not line:
            flush(line_no)
            continue
        if heading:
            flush(line_no)
            level, heading_text = len(heading["level"]), heading["text"].strip()
            numbered = NUMBERED_RE.match(heading_text)
            if level == 1:
                doc, role, section, current = heading_text, "", "", None
                doc_no = document_number(heading_text)
                title = title or heading_text
            elif level == 2 and not numbered:
                role, section, current = heading_text, "", None
            elif level == 3 and not numbered:
                section, current = heading_text, None
            else:
                number, step_title = (
                    (numbered["num"], numbered["title"]) if numbered else ("", heading_text)
                )
                current = StepDraft(
                    doc or source, doc_no, role, section, number, step_title.strip(), line_no
                )
                drafts.append(current)
            continue
        tip = TIP_RE.match(line)
        if tip or QUOTE_RE.match(line):
            if paragraph and not paragraph_is_tip:
                flush(line_no)
            paragraph_is_tip = True
            line = (
                TIP_RE.sub("", QUOTE_RE.sub("", line), count=1) if tip else QUOTE_RE.sub("", line)
            )
        elif LIST_RE.match(line):
            flush(line_no)
            line = LIST_RE.sub("", line)
        paragraph.append(line)
    flush(len(text.splitlines()) + 1)

    steps = tuple(d.freeze() for d in drafts if d.body or d.tips or d.title)
    return ParsedSource(source=source, title=title or source, steps=steps, lints=tuple(lints))
