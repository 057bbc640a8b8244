"""The Markdown SOP format stores write themselves."""

from __future__ import annotations

from knowledge.parse_markdown import parse_markdown

SAMPLE = """\
# 收銀規範

## 收銀員

### 服務標準說明

#### 1、開機

上班前打開收銀機，檢查零錢是否足夠。

> 溫馨提示：零錢不足時先找值班經理換零。

#### 2. 交班

- 點清現金
- 簽交班表

💡 交班時兩人一起點鈔。

## 保全

### 3、巡場
每小時巡場一次。
"""


def test_markdown_levels_become_document_role_section_step() -> None:
    parsed = parse_markdown(SAMPLE, source="cash.md")
    first, second, third = parsed.steps
    assert (first.doc, first.role, first.section, first.label) == (
        "收銀規範",
        "收銀員",
        "服務標準說明",
        "1、開機",
    )
    assert first.body == ("上班前打開收銀機，檢查零錢是否足夠。",)
    assert first.tips == ("零錢不足時先找值班經理換零。",)
    assert second.label == "2、交班"
    assert second.body == ("點清現金", "簽交班表")
    assert second.tips == ("交班時兩人一起點鈔。",)
    assert (third.role, third.section, third.label) == ("保全", "", "3、巡場")
    assert parsed.lints == ()


def test_markdown_text_outside_a_step_is_kept_and_linted() -> None:
    parsed = parse_markdown("# 規範\n\n## 店員\n\n開店前先開燈。\n", source="x.md")
    assert parsed.steps[0].body == ("開店前先開燈。",)
    assert parsed.steps[0].role == "店員"
    assert "outside a step" in parsed.lints[0].message


def test_markdown_document_numbers_are_stable_and_clear_of_the_seed() -> None:
    one = parse_markdown(SAMPLE).steps[0]
    two = parse_markdown(SAMPLE).steps[0]
    assert one.doc_no == two.doc_no >= 1000
    assert one.id == two.id
