"""Markdown as people write it: docs sites, wikis and handbooks, not the project's scheme."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.parse_markdown import parse_markdown

SHARED = Path(__file__).parents[3] / "shared" / "eval" / "sopdev"
SOPS = Path(__file__).parents[1] / "sops"
SPLIT_RE = re.compile(r"^===== (?P<path>\S+) \(commit [0-9a-f]+\) =====$", re.MULTILINE)


def pages(path: Path) -> list[tuple[str, str]]:
    """The files of a ``source`` dump: ``===== path (commit …) =====`` then the file."""
    parts = SPLIT_RE.split(path.read_text(encoding="utf-8"))
    return [
        (parts[i].rsplit("/", 1)[-1], parts[i + 1].strip("\n") + "\n")
        for i in range(1, len(parts), 2)
    ]


def hand_made_steps(path: Path) -> int:
    return sum(
        1 for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#### ")
    )


@pytest.mark.parametrize(
    "source, hand_made",
    [
        (SHARED / "source.txt", SHARED / "sopdev.md"),
        (SOPS / "tku-b212-lab-office" / "source.md", SOPS / "tku-b212-lab-office" / "sop.md"),
        (
            SOPS / "yipin-fresh-night-shift" / "source.md",
            SOPS / "yipin-fresh-night-shift" / "sop.md",
        ),
    ],
    ids=["sopdev", "tku-b212", "yipin"],
)
def test_site_markdown_gives_about_the_steps_a_reader_sees(source: Path, hand_made: Path) -> None:
    if not source.exists():
        pytest.skip(f"{source} is not here")
    parsed = [parse_markdown(text, source=name) for name, text in pages(source)]
    found = sum(len(p.steps) for p in parsed)
    expected = hand_made_steps(hand_made)
    # The hand-made versions leave out picture galleries and link lists; we keep them.
    assert expected * 0.95 <= found <= expected * 1.25, (found, expected)
    for page in parsed:
        assert all(step.body or step.tips for step in page.steps)
        assert not any("before the first '# document'" in lint.message for lint in page.lints)


def test_site_markdown_hand_made_versions_parse_as_before() -> None:
    """The project's own scheme: one step per #### heading, as the hand-made files count."""
    for path in [SHARED / "sopdev.md", *SOPS.glob("*/sop.md")]:
        if path.exists():
            parsed = parse_markdown(path.read_text(encoding="utf-8"), source=path.name)
            assert len(parsed.steps) == hand_made_steps(path)
            assert parsed.lints == ()


VITEPRESS = """\
---
title: 主持人
---

# 🎤 主持人 SOP

**一句话目标**：控场节奏、带动氛围。

## 现场执行清单

### 活动前（T-3 ~ T-1）
- [ ] 与主理人确认活动主题、流程表与关键时间点。
- [x] 准备串场词与过渡话术，确认场地关键信息（洗手间/WiFi/电源）。

[[toc]]

### 关键标准
1. **开场简短有力**: 避免先聊 10 分钟。

::: tip 大型活动可拆分
可安排主主持 + 副主持。
:::

### 常见问题与应急处理
| 问题 | 解决方案 |
| --- | --- |
| **冷场** | 主动点名互动，带头鼓掌 |

![签到台](./img/desk.png)
"""


def test_site_markdown_structure_is_inferred_from_a_docs_page() -> None:
    parsed = parse_markdown(VITEPRESS, source="mc.md")
    labels = [(s.section, s.label) for s in parsed.steps]
    assert labels == [
        ("", "一句话目标"),
        ("活动前（T-3 ~ T-1）", "与主理人确认活动主题、流程表与关键时间点"),
        ("活动前（T-3 ~ T-1）", "准备串场词与过渡话术"),
        ("关键标准", "1、开场简短有力"),
        ("关键标准", "大型活动可拆分"),
        ("常见问题与应急处理", "冷场"),
    ]
    assert {s.doc for s in parsed.steps} == {"主持人 SOP"}
    assert parsed.steps[0].body == ("一句话目标：控场节奏、带动氛围。",)
    assert parsed.steps[2].body == ("准备串场词与过渡话术，确认场地关键信息（洗手间/WiFi/电源）。",)
    assert parsed.steps[4].body == ("可安排主主持 + 副主持。",)
    assert parsed.steps[5].body == ("主动点名互动，带头鼓掌",)
    assert parsed.steps[5].pictures == ("./img/desk.png",)
    codes = [lint.code for lint in parsed.lints]
    assert "blocks_as_steps" in codes and "titles_guessed" in codes


def test_site_markdown_tips_attach_to_the_step_before_them() -> None:
    text = (
        "## 如何撥分機\n\n打電話至校內分機，拿起話筒後撥號。\n\n"
        "> 使用最右邊的分機鈕。\n\n注意：不要用左邊的。\n"
    )
    (step,) = parse_markdown(text, source="phone.md").steps
    assert step.tips == ("使用最右邊的分機鈕。", "不要用左邊的。")
    assert step.section == "如何撥分機"


def test_site_markdown_quote_under_a_short_item_is_its_answer() -> None:
    text = "## 开关机\n\n* 关机\n\n> a, 触摸屏幕左下角\n\n> b, 按下键盘的win键\n"
    (step,) = parse_markdown(text, source="till.md").steps
    assert step.title == "关机"
    assert step.body == ("关机", "a, 触摸屏幕左下角", "b, 按下键盘的win键")


def test_site_markdown_admonitions_and_nested_lists() -> None:
    text = (
        "# Opening\n\n## Cashier\n\n#### 1. Count the float\n\n- notes\n  - coins\n\n"
        '!!! note "Safe"\n    Keep the safe locked.\n'
    )
    (step,) = parse_markdown(text, source="open.md").steps
    assert step.body == ("notes", "coins")
    assert step.tips == ("Safe：Keep the safe locked.",)
    assert step.role == "Cashier"


def test_site_markdown_english_lines_are_joined_with_a_space() -> None:
    text = "# Close\n\n#### Lock up\n\nTurn off the lights\nand lock the door.\n"
    assert parse_markdown(text).steps[0].body == ("Turn off the lights and lock the door.",)


def test_markdown_empty_heading_does_not_glue_onto_the_step_before() -> None:
    text = "# 規範\n\n## 店員\n\n#### 1、開門\n\n先開燈。\n\n## \n\n#### 2、關門\n\n關燈。\n"
    parsed = parse_markdown(text, source="x.md")
    assert [s.body for s in parsed.steps] == [("先開燈。",), ("關燈。",)]
    assert "empty_heading" in [lint.code for lint in parsed.lints]


def test_markdown_numbering_gap_is_a_lint() -> None:
    text = "# 規範\n\n## 店員\n\n#### 4、開門\n\n開。\n\n#### 6、關門\n\n關。\n"
    (gap,) = [
        lint for lint in parse_markdown(text, source="x.md").lints if lint.code == "numbering_gap"
    ]
    assert gap.parameters == {"before": "4", "after": "6"}
    assert str(gap) == "x.md:9: numbering jumps from 4 to 6"


def test_markdown_without_headings_is_not_one_glued_step() -> None:
    text = "開店前先開燈。\n\n收銀機開機，清點零錢。\n\n- 檢查冷櫃溫度\n- 打開大門\n"
    parsed = parse_markdown(text, source="open-store.md")
    assert [s.text for s in parsed.steps] == [
        "開店前先開燈。",
        "收銀機開機，清點零錢。",
        "檢查冷櫃溫度",
        "打開大門",
    ]
    (named,) = [lint for lint in parsed.lints if lint.code == "no_document_heading"]
    assert named.parameters["name"] == "open-store"


def test_markdown_front_matter_title_names_the_document() -> None:
    parsed = parse_markdown(
        "---\ntitle: 上班注意事項\n---\n\n## 注意事項\n\n1. 記得簽到。\n", "n.md"
    )
    assert parsed.steps[0].doc == "上班注意事項"
    assert parsed.steps[0].label == "1、記得簽到"


def test_markdown_pages_of_one_handbook_share_a_document() -> None:
    parsed = parse_markdown("# 🎤 主持人 SOP\n\n- 控场\n", source="mc.md", document="岗位角色 SOP")
    (step,) = parsed.steps
    assert (step.doc, step.role) == ("岗位角色 SOP", "主持人 SOP")


def test_markdown_empty_file_has_no_steps() -> None:
    assert parse_markdown("", source="e.md").steps == ()
    assert parse_markdown("---\ntitle: x\n---\n", source="e.md").steps == ()


def test_markdown_github_alerts_and_docusaurus_boxes_are_tips() -> None:
    text = (
        "## Till\n\n- Count the float.\n\n> [!NOTE]\n> Coins go left.\n\n:::warning\nNever.\n:::\n"
    )
    (step,) = parse_markdown(text, source="till.md").steps
    assert step.tips == ("Coins go left.", "Never.")


def test_markdown_table_under_a_step_heading_is_one_body_line_a_row() -> None:
    table = "| 問題 | 解決方案 |\n|---|---|\n| 冷場 | 主動點名 |\n| 超時 | 提示 |\n"
    text = "# D\n\n#### 1、應急\n\n" + table
    assert parse_markdown(text).steps[0].body == ("冷場：主動點名", "超時：提示")


def test_markdown_code_block_step_is_titled_by_its_first_line() -> None:
    text = "## 售后\n\n```\nphone@189-26450135 陶工\n\nhttp://example.com/problem\n```\n"
    (step,) = parse_markdown(text, source="ice.md").steps
    assert step.title == "phone@189-26450135 陶工"
