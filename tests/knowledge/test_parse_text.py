"""The seed's plain-text format: structure, quirks, and that no text is lost."""

from __future__ import annotations

import re

import pytest

from knowledge.corpus import CORPUS_DIR, load_catalog, parse_file
from knowledge.model import ParsedSource
from knowledge.parse_text import clean_line, parse_text

SEED = CORPUS_DIR / "營業主管崗位職責.txt"

CLAUSE_SPLIT_RE = re.compile(r"[，,。；;：:！!？?、\s()（）“”\"/\-—]+")
LEADING_NUMBER_RE = re.compile(
    r"^(?:\d{1,2}\s*[、.．)）]?|[(（].[)）]、?|[一二三四五六七八九十]+、)"
)
NUMBERING_RE = re.compile(r"^(?:\d{1,2}|[一二三四五六七八九十]+)$")


@pytest.fixture(scope="module")
def parsed() -> ParsedSource:
    return parse_file(SEED, load_catalog())


def find(parsed: ParsedSource, role: str, label: str):
    matches = [s for s in parsed.steps if s.role == role and s.label == label]
    assert len(matches) == 1, f"{role} › {label}: {len(matches)} matches"
    return matches[0]


def test_parse_every_clause_of_the_source_survives(parsed: ParsedSource, seed_text: str) -> None:
    kept = "".join(
        [parsed.title]
        + [
            s.doc + s.role + s.section + s.number + s.title + "".join(s.body) + "".join(s.tips)
            for s in parsed.steps
        ]
    )
    kept = CLAUSE_SPLIT_RE.sub("", kept)
    missing = []
    for raw in seed_text.splitlines():
        line, _ = clean_line(raw)
        line = re.sub(r"營業主管崗位職責\s*篇\d+", "", line).replace("溫馨提示", " ")
        line = LEADING_NUMBER_RE.sub("", line.replace("服務標準口訣", " "))
        line = re.sub(r"(崗位職責|任職要求)[:：]?$", " ", line)  # headings become sections
        for clause in CLAUSE_SPLIT_RE.split(line):
            if clause and not NUMBERING_RE.match(clause) and clause not in kept:
                missing.append(clause)
    assert missing == []


def test_parse_documents_get_catalog_names(parsed: ParsedSource) -> None:
    docs = {s.doc_no: s.doc for s in parsed.steps}
    assert sorted(docs) == list(range(1, 15))
    assert docs[3] == "電信門市服務規範"


def test_parse_roles_of_the_store_sop(parsed: ParsedSource) -> None:
    roles = list(dict.fromkeys(s.role for s in parsed.steps if s.doc_no == 3))
    assert roles == [
        "值班經理",
        "流動諮詢",
        "業務受理",
        "客戶接待",
        "業務演示",
        "VIP接待",
        "門市保全",
    ]


def test_parse_step_with_its_tip(parsed: ParsedSource) -> None:
    step = find(parsed, "值班經理", "1、晨會")
    assert step.section == "服務標準說明"
    assert step.text.startswith("每日上午營業前15-30分鐘")
    assert step.tips == (
        "班前會以表揚為主,主要對員工進行班前激勵。切忌在班前批評打擊員工工作積極性。",
    )


def test_parse_tip_inside_a_paragraph_without_colon(parsed: ParsedSource) -> None:
    step = find(parsed, "業務受理", "3、主動詢問核實")
    assert len(step.tips) == 3
    assert step.tips[0].startswith("在辦理業務過程中,正在排隊等候的客戶")
    assert "溫馨提示" not in step.text


def test_parse_fused_headings_are_split_and_linted(parsed: ParsedSource) -> None:
    assert find(parsed, "值班經理", "5、人員調配").text.startswith("合理調配營業員用餐")
    assert find(parsed, "客戶接待", "4、澄清").text.startswith("處理投訴時切不可")
    assert find(parsed, "門市保全", "7、秩序維護").text.startswith("客戶在門市門前亂停放車輛")
    fused = [lint for lint in parsed.lints if "heading fused with its body" in lint.message]
    assert len(fused) == 3


def test_parse_section_numbered_with_a_dash(parsed: ParsedSource) -> None:
    sections = {s.section for s in parsed.steps if s.role == "業務演示"}
    assert sections == {"崗位職責說明", "服務標準口訣", "服務標準說明"}


def test_parse_stray_marks_and_misencoded_characters_are_repaired(parsed: ParsedSource) -> None:
    everything = "".join(s.text + "".join(s.tips) for s in parsed.steps)
    assert "臵" not in everything and "'" not in everything and "`" not in everything
    assert "根據席位定置圖" in find(parsed, "值班經理", "2、班前檢查").text
    assert any("read 臵 as 置" in lint.message for lint in parsed.lints)


def test_parse_false_step_is_the_end_of_the_tip_before(parsed: ParsedSource) -> None:
    step = find(parsed, "VIP接待", "1、班前準備")
    assert step.tips[0].endswith("調整好心態和2、情緒。")
    assert "準備上班時" in step.text
    assert not [s for s in parsed.steps if s.role == "VIP接待" and s.number == "2"]
    assert any("read as the end of the previous tip" in lint.message for lint in parsed.lints)


def test_parse_truncated_paragraph_recovers_the_lost_step(parsed: ParsedSource) -> None:
    description = find(parsed, "業務受理", "崗位職責說明")
    assert description.text.endswith("根據客戶需要準確、")
    recovered = find(parsed, "業務受理", "1、班前準備")
    assert recovered.text.startswith("上班前先檢查自己的儀容儀表")
    assert any("borrowed title" in lint.message for lint in parsed.lints)


def test_parse_truncated_paragraph_followed_by_mnemonic(parsed: ParsedSource) -> None:
    mnemonic = find(parsed, "VIP接待", "服務標準口訣")
    assert mnemonic.text.startswith("起身迎客笑問好")


def test_parse_numbering_styles(parsed: ParsedSource) -> None:
    project = [s for s in parsed.steps if s.doc_no == 11]
    assert [s.number for s in project] == ["1", "2", "3", "4"]
    assert project[0].text.startswith("全面負責")
    property_steps = [s for s in parsed.steps if s.doc_no == 9]
    assert property_steps[0].text.startswith("物業主管在經理指導下")
    leasing = [s for s in parsed.steps if s.doc_no == 14]
    assert any(line.startswith("1)項目的前期市場調研") for line in leasing[0].body)


def test_parse_lint_reports_numbering_gaps(parsed: ParsedSource) -> None:
    assert any("numbering jumps from 7 to 10" in lint.message for lint in parsed.lints)


def test_parse_requirements_and_tip_of_a_job_posting(parsed: ParsedSource) -> None:
    sf = [s for s in parsed.steps if s.doc_no == 4]
    assert {s.section for s in sf} >= {"崗位職責", "任職要求", "職位"}
    assert any("不收取任何費用、押金" in tip for s in sf for tip in s.tips)


def test_parse_step_ids_are_stable_and_unique(parsed: ParsedSource) -> None:
    ids = [s.id for s in parsed.steps]
    assert len(ids) == len(set(ids))
    again = parse_file(SEED, load_catalog())
    assert [s.id for s in again.steps] == ids


def test_parse_without_catalog_names_documents_after_their_heading() -> None:
    parsed = parse_text("標題\n\n門市規範 篇1\n\n1、第一條\n", source="x.txt")
    assert parsed.steps[0].doc == "門市規範 篇1"
    assert any("no catalog name" in lint.message for lint in parsed.lints)
