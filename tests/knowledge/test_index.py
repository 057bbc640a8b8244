"""The index keeps what the parsers read: pictures of steps, and lints with their codes."""

from __future__ import annotations

from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.corpus import parse_file

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
SOP = """\
# 門市規範
## 店員
#### 1、開門準備
每天早上九點前打開收銀機。

![收銀機](pictures/till.png)

#### 3、冷氣保養
每月清洗冷氣濾網一次。
"""


def test_pictures_and_lint_codes_survive_the_index(tmp_path: Path) -> None:
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "till.png").write_bytes(PNG)
    sop = tmp_path / "store.md"
    sop.write_text(SOP, encoding="utf-8")
    parsed = parse_file(sop)
    kb = KnowledgeBase.open(index_path=tmp_path / "index.db", sources=[sop], questions=[])
    pictured = [step for step in parsed.steps if step.pictures]
    assert pictured, "the parser keeps the step's picture"
    by_id = {step.id: step for step in kb.steps}
    for step in pictured:
        assert by_id[step.id].pictures == step.pictures
    assert [(lint.code, lint.params) for lint in kb.lints] == [
        (lint.code, lint.params) for lint in parsed.lints
    ]
    assert any(lint.code for lint in kb.lints), "the numbering gap (1 → 3) is a lint"
