"""Lints and refusals say what happened in the reader's language."""

from __future__ import annotations

import re

from knowledge.corpus import CORPUS_DIR, load_catalog, parse_file
from knowledge.messages import TEXTS, render, render_lint
from knowledge.parse_markdown import parse_markdown
from knowledge.reading import SopFileError

FIELD_RE = re.compile(r"\{(\w+)\}")


def test_lint_texts_have_the_same_fields_in_every_language() -> None:
    for code, texts in TEXTS.items():
        fields = [sorted(set(FIELD_RE.findall(text))) for text in texts]
        assert fields[0] == fields[1] == fields[2], code


def test_lint_every_repair_of_the_seed_has_a_code_and_reads_in_chinese() -> None:
    parsed = parse_file(CORPUS_DIR / "營業主管崗位職責.txt", load_catalog())
    assert parsed.lints and all(lint.code in TEXTS for lint in parsed.lints)
    for lint in parsed.lints:
        assert render_lint(lint, "en") == lint.message
        assert render(lint.code, lint.parameters) == lint.message
    gap = next(lint for lint in parsed.lints if lint.code == "numbering_gap")
    assert render_lint(gap, "hant").startswith("編號由")
    assert render_lint(gap, "hans").startswith("编号由")


def test_lint_str_stays_readable() -> None:
    (lint, *_) = parse_markdown("# 規範\n\n## 店員\n\n開燈。\n", source="x.md").lints
    assert str(lint) == "x.md:5: text outside a step; kept as a step of its own"
    assert render_lint(lint, "hant") == "步驟以外的文字，另成一個步驟"


def test_lint_refusals_render_in_each_language() -> None:
    error = SopFileError("too_many", name="faq.xlsx", limit=20000, what="rows")
    assert str(error) == "faq.xlsx has more than 20000 rows; split it into smaller files"
    assert error.render("hant") == "faq.xlsx 的列超過 20000 個，請分成較小的檔案"
    assert error.render("hans") == "faq.xlsx 的行超过 20000 个，请分成较小的文件"
