"""Retrieval quality floors: a change that loses ground on any question set fails.

The floors sit a little under today's figures (benchmarks/bench_ask.py prints them);
raise them as the search improves. Targets are 90% top-1 and 97% top-3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.evaluate import evaluate, read_questions

ROOT = Path(__file__).parents[2]
FLOORS = {
    # question set: (top-1, top-3)
    ROOT / "tests" / "golden" / "questions.tsv": (0.90, 0.96),
    ROOT / "tests" / "holdout" / "questions.tsv": (0.90, 0.95),
    ROOT.parent / "shared" / "eval" / "dev_questions.tsv": (0.95, 0.97),
}


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda p: p.parent.name)
def test_quality_holds_its_floor(kb: KnowledgeBase, path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.name} is not beside this checkout")
    report = evaluate(kb, read_questions(path))
    top1, top3 = FLOORS[path]
    assert report.top1_rate >= top1 and report.top3_rate >= top3, report.summary()


# Real SOPs of other workplaces, served alone, as a store that imports its own would serve
# them: (SOP, questions) → (top-1, top-3). Today's figures are 36/61 (the public second
# SOP), 62/74 and 72/83; the targets are 85/95.
OTHER_SOPS = {
    "sopdev": (ROOT.parent / "shared" / "eval" / "sopdev" / "sopdev.md", (0.34, 0.58)),
    "tku-b212-lab-office": (
        ROOT / "tests" / "sops" / "tku-b212-lab-office" / "sop.md",
        (0.60, 0.72),
    ),
    "yipin-fresh-night-shift": (
        ROOT / "tests" / "sops" / "yipin-fresh-night-shift" / "sop.md",
        (0.70, 0.80),
    ),
}


@pytest.mark.parametrize("name", list(OTHER_SOPS))
def test_another_workplaces_sop_holds_its_floor(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    sop, (top1, top3) = OTHER_SOPS[name]
    if not sop.exists():
        pytest.skip(f"{sop} is not beside this checkout")
    index = tmp_path_factory.mktemp(name) / "index.db"
    kb = KnowledgeBase.open(index_path=index, sources=[sop])
    report = evaluate(kb, read_questions(sop.with_name("questions.tsv")))
    assert report.top1_rate >= top1 and report.top3_rate >= top3, report.summary()
    assert report.off_topic_rate <= 0.05, report.summary()
