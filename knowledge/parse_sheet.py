"""Read question-and-answer sheets (``.xlsx`` with openpyxl, ``.csv``) as a Q&A document.

The first row names the columns: a question column (問題, 问题, question, Q…), an answer
column (答案, 回答, answer, A…), and optionally alternate wordings (其他問法, 相似问题,
alternates…, one column or several, or several wordings in one cell split by new lines,
｜ or ；), a role (角色, 崗位, role…) and a section (分類, 类别, category…). Without such
names, a sheet of two columns is read as question, answer (a lint says so).

Each answer is one step titled by its question; the question and its other wordings are
the step's alternates, and rows that give the same answer merge into one step, so every
way staff asked it leads there.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from knowledge.messages import lint as make_lint
from knowledge.model import Lint, ParsedSource, StepDraft
from knowledge.reading import (
    DEFAULT_LIMITS,
    ImportLimits,
    SopFileError,
    check_zip,
    count_limit,
    decode_text,
    read_bytes,
)
from knowledge.structure import document_number

COLUMNS = {
    "question": ("問題", "问题", "提問", "提问", "question", "questions", "q", "faq", "問", "问"),
    "answer": ("答案", "回答", "解答", "答覆", "答复", "answer", "answers", "a", "reply", "答"),
    "alternates": (
        "其他問法",
        "其他问法",
        "相似問題",
        "相似问题",
        "同義問法",
        "同义问法",
        "別的問法",
        "别的问法",
        "alternates",
        "alternate",
        "alternative",
        "alternatives",
        "variants",
        "similar",
        "other wordings",
        "paraphrases",
    ),
    "role": ("角色", "崗位", "岗位", "職位", "职位", "部門", "部门", "role", "position", "team"),
    "section": (
        "分類",
        "分类",
        "類別",
        "类别",
        "主題",
        "主题",
        "章節",
        "章节",
        "category",
        "section",
        "topic",
    ),
}
SPLIT_RE = re.compile(r"\s*(?:\n|｜|\||；|;)\s*")


def parse_sheet(
    path: Path, limits: ImportLimits = DEFAULT_LIMITS, document: str = ""
) -> ParsedSource:
    """A Q&A sheet; in a workbook of several sheets each sheet is a section by its name."""
    sheets = read_sheets(path, limits)
    document = document or path.stem
    if len(sheets) == 1:
        return sheet_source(sheets[0][1], path.name, document, limits)
    parts, skipped = [], []
    for name, rows in sheets:
        if not any(any(row) for row in rows):
            continue
        try:
            parts.append(sheet_source(rows, path.name, document, limits, section=name))
        except SopFileError as error:
            if error.code != "no_sheet_columns":
                raise
            skipped.append(make_lint(path.name, 0, "sheet_skipped", sheet=name))
    if not parts:
        raise SopFileError("no_sheet_columns", name=path.name)
    steps = tuple(step for part in parts for step in part.steps)
    count_limit(path.name, len(steps), limits.max_steps, "steps")
    lints = (*skipped, *(lint for part in parts for lint in part.lints))
    return ParsedSource(source=path.name, title=document, steps=steps, lints=lints)


def read_sheets(path: Path, limits: ImportLimits) -> list[tuple[str, list[list[str]]]]:
    """Each sheet's name and rows (a CSV file is one sheet); too many rows in all refuse."""
    if path.suffix.lower() == ".csv":
        text = decode_text(read_bytes(path, limits), path.name)
        rows = []
        for row in csv.reader(io.StringIO(text)):
            rows.append([cell.strip() for cell in row])
            count_limit(path.name, len(rows), limits.max_rows + 1, "rows")
        return [(path.stem, rows)]
    check_zip(path, limits, "Excel")
    import openpyxl  # type: ignore[import-untyped]  # imported here: only a sheet needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise SopFileError("broken_file", name=path.name, kind="Excel", detail=error) from None
    try:
        sheets, total = [], 0
        for sheet in book.worksheets:
            rows = []
            for values in sheet.iter_rows(values_only=True):
                rows.append(["" if v is None else str(v).strip() for v in values])
                total += 1
                count_limit(path.name, total, limits.max_rows + len(book.worksheets), "rows")
            sheets.append((str(sheet.title), rows))
        return sheets
    finally:
        book.close()


def find_columns(header: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        key = re.sub(r"[\s_:：()（）0-9]+", " ", name.lower()).strip()
        for column, names in COLUMNS.items():
            if key in names or (column == "alternates" and any(n in key for n in names[:8])):
                found.setdefault(column, []).append(index)
                break
    return found


def sheet_source(
    rows: list[list[str]],
    source: str,
    document: str,
    limits: ImportLimits = DEFAULT_LIMITS,
    section: str = "",
) -> ParsedSource:
    rows = [row for row in rows if any(row)]
    lints: list[Lint] = []
    if not rows:
        raise SopFileError("no_sheet_columns", name=source)
    header = rows[0]
    columns = find_columns(header)
    if "question" in columns and "answer" in columns:
        data = rows[1:]
    elif len([c for c in header if c]) == 2 and not columns:
        columns = {"question": [0], "answer": [1]}
        data = rows
        lints.append(make_lint(source, 1, "sheet_columns", question="1", answer="2"))
    else:
        raise SopFileError("no_sheet_columns", name=source)
    doc_no = document_number(document)

    def cell(row: list[str], column: str) -> str:
        indexes = columns.get(column, [])
        return row[indexes[0]].strip() if indexes and indexes[0] < len(row) else ""

    known = {index for indexes in columns.values() for index in indexes}
    others = [i for i in range(len(header)) if i not in known] if data is not rows else []
    steps: dict[tuple[str, str, str], StepDraft] = {}
    for number, row in enumerate(data, start=2 if data is not rows else 1):
        question, answer = cell(row, "question"), cell(row, "answer")
        if not answer:
            if question:
                lints.append(make_lint(source, number, "sheet_no_answer", row=number))
            continue
        wordings = [question] if question else []
        for index in columns.get("alternates", []):
            if index < len(row) and row[index]:
                wordings += [w for w in SPLIT_RE.split(row[index]) if w]
        key = (cell(row, "role"), cell(row, "section") or section, answer)
        step = steps.get(key)
        if step is None:
            title = question or answer.split("\n")[0][:40]
            step = StepDraft(document, doc_no, key[0], key[1], "", title, number)
            step.body = [line.strip() for line in answer.splitlines() if line.strip()]
            # Columns the sheet has beyond these (備註, 負責人…) stay with the answer.
            step.body += [
                f"{header[index]}：{row[index]}" if header[index] else row[index]
                for index in others
                if index < len(row) and row[index]
            ]
            steps[key] = step
            count_limit(source, len(steps), limits.max_steps, "steps")
        step.alternates += [w for w in wordings if w not in step.alternates]
    return ParsedSource(
        source=source,
        title=document,
        steps=tuple(draft.freeze() for draft in steps.values()),
        lints=tuple(lints),
    )
