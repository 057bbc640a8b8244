"""Retrieval quality floors: a change that loses ground on any question set fails.

The floors sit a little under today's figures (benchmarks/bench_ask.py prints them);
raise them as the search improves. Targets are 90% top-1 and 97% top-3.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.base import NONE
from knowledge.evaluate import OFF_TOPIC, answers, evaluate, read_questions

ROOT = Path(__file__).parents[2]
FLOORS = {
    # question set: (top-1, top-3)
    ROOT / "tests" / "golden" / "questions.tsv": (0.90, 0.96),
    ROOT / "tests" / "holdout" / "questions.tsv": (0.90, 0.95),
    ROOT.parent / "shared" / "eval" / "dev_questions.tsv": (0.95, 0.97),
}


# Confidence (knowledge/confidence.py), fitted on neither set: (the share of right answers
# sent as confident, at least; the share of wrong ones, at most). Today: 69/5 and 64/5,
# fitted to keep every other workplace's SOP within a fifth of its wrong answers; the
# goal is 90/10.
CONFIDENCE = {
    ROOT / "tests" / "golden" / "questions.tsv": (0.65, 0.10),
    ROOT / "tests" / "holdout" / "questions.tsv": (0.60, 0.10),
}


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda p: p.parent.name)
def test_quality_holds_its_floor(kb: KnowledgeBase, path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.name} is not beside this checkout")
    report = evaluate(kb, read_questions(path))
    top1, top3 = FLOORS[path]
    assert report.top1_rate >= top1 and report.top3_rate >= top3, report.summary()
    if path in CONFIDENCE:
        right, wrong = CONFIDENCE[path]
        assert report.confident_right_rate >= right, report.summary()
        assert report.confident_wrong_rate <= wrong, report.summary()


# Real SOPs of other workplaces, served alone, as a store that imports its own would serve
# them: (SOP, questions) → (top-1, top-3). Today's figures are 44/65 (the public second
# SOP), 66/75, 74/83, and for the two written in English 58/75 and 51/73; the targets are
# 85/95. On each, at most a fifth of the wrong answers may be sent as confident (the goal
# is a tenth; today 5%, 6%, 15%, 2% and 6%), and most off-topic questions get no step at
# all (today 60%, 60% and 67%; the English SOPs below). Of their 15 off-topic
# questions one may be answered with confidence (a step explaining half of "公司有冇員工餐"
# far better than any other): a rule strict enough to answer none of them confidently would
# also hold back a tenth of the right answers.
OTHER_SOPS = {
    "sopdev": (ROOT.parent / "shared" / "eval" / "sopdev" / "sopdev.md", (0.40, 0.60)),
    "tku-b212-lab-office": (
        ROOT / "tests" / "sops" / "tku-b212-lab-office" / "sop.md",
        (0.63, 0.72),
    ),
    "yipin-fresh-night-shift": (
        ROOT / "tests" / "sops" / "yipin-fresh-night-shift" / "sop.md",
        (0.71, 0.80),
    ),
    # Written in English, asked in Chinese as well.
    "community-kitchen": (
        ROOT / "tests" / "sops" / "community-kitchen" / "sop.md",
        (0.54, 0.72),
    ),
    "lake-afton-observatory": (
        ROOT / "tests" / "sops" / "lake-afton-observatory" / "sop.md",
        (0.48, 0.70),
    ),
}
# Off-topic questions (pay, leave, a pet) said with confidence at most, and told "none" at
# least. An SOP in English is told "none" less often: its words are reached from Chinese
# through a dictionary of many senses each, so a question about what it does not cover
# still finds a reading to match, and is offered the closest steps instead. Those floors
# record where it stands today, to be raised.
OFF_TOPIC_FLOORS = {"community-kitchen": (0.10, 0.40), "lake-afton-observatory": (0.10, 0.05)}
# Wrong first steps said with confidence, at most.
CONFIDENT_WRONG = 0.20


@pytest.mark.parametrize("name", list(OTHER_SOPS))
def test_another_workplaces_sop_holds_its_floor(
    kept_index: Callable[[str], Path], name: str
) -> None:
    sop, (top1, top3) = OTHER_SOPS[name]
    if not sop.exists():
        pytest.skip(f"{sop} is not beside this checkout")
    kb = KnowledgeBase.open(index_path=kept_index(f"quality-{name}"), sources=[sop])
    questions = read_questions(sop.with_name("questions.tsv"))
    report = evaluate(kb, questions)
    assert report.top1_rate >= top1 and report.top3_rate >= top3, report.summary()
    confident_at_most, none_at_least = OFF_TOPIC_FLOORS.get(name, (0.10, 0.5))
    assert report.off_topic_rate <= confident_at_most, report.summary()
    assert report.off_topic_none_rate >= none_at_least, report.summary()
    assert report.confident_wrong_rate <= CONFIDENT_WRONG, report.summary()
    # A right answer reaches the reader: "none" (no step shown, only 🙋 to ask a person)
    # is for chance matches, and a store's own SOP is matched weakly by its staff's words.
    asked = [(kb.ask(q.query), q) for q in questions if q.snippets != (OFF_TOPIC,)]
    right = [a for a, q in asked if a.hits and answers(a.hits[0], q)]
    hidden = sum(a.confidence == NONE for a in right)
    assert hidden <= 0.15 * len(right), f"{hidden} of {len(right)} right answers shown as none"
