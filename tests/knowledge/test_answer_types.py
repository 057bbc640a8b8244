"""The kind of answer a question asks for (a length of time, a count…) and the sentences
that hold one: in every script and in English, and what it does to the ranking."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.answer_types import asked, held
from knowledge.normalize import fold

SPEAKERS = Path(__file__).parent / "data" / "speakers.md"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("講者要提早多久到", "duration"),
        ("讲者要提前多长时间到", "duration"),
        ("講者要早幾耐到", "duration"),  # Cantonese
        ("作品最少要幾秒", "duration"),
        ("how long is each team demo", "duration"),
        ("導師多久要巡一次", "frequency"),
        ("how often do mentors walk around", "frequency"),
        ("幾點開門", "clock"),
        ("什么时候要交周报", "clock"),
        ("when do we post the recap", "clock"),
        ("簽到表要印幾份", "count"),
        ("巡場要抽查幾個", "count"),
        ("how many markers for the desk", "count"),
        ("養蝦的水溫要保持幾度", "temperature"),
        ("一張卡幾多錢", "money"),
    ],
)
def test_a_question_asks_for_its_kind_of_answer(question: str, kind: str) -> None:
    assert kind in asked(fold(question))


@pytest.mark.parametrize(
    "question",
    ["客人沒帶身分證怎麼辦", "个客冇带证件点算", "customer forgot his ID", "投影機沒有畫面"],
)
def test_most_questions_ask_for_no_particular_kind(question: str) -> None:
    assert asked(fold(question)) == frozenset()


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("講者需提前 30 分鐘到場", "duration"),
        ("控制每組展示時長（建議 60-90 秒）", "duration"),
        ("每 15-20 分鐘巡一圈", "frequency"),
        ("水溫保持20度左右", "temperature"),
        ("精選 30-50 張照片", "count"),
        ("營業員人數五人以下，全員檢查", "count"),  # a numeral folds to a digit
        ("14:15 正式開場", "clock"),
        ("押金 200 元", "money"),
    ],
)
def test_a_sentence_holds_its_kind_of_answer(sentence: str, kind: str) -> None:
    assert kind in held(fold(sentence))


def test_a_sentence_without_figures_holds_no_figure() -> None:
    assert (
        held(fold("先安撫客人情緒，再請主管協助處理。")) & {"duration", "count", "money"} == set()
    )


@pytest.fixture(scope="module")
def speakers(kept_index: Callable[[str], Path]) -> KnowledgeBase:
    index = kept_index("answer-types-speakers")
    return KnowledgeBase.open(index_path=index, sources=[SPEAKERS], questions=[])


def first(kb: KnowledgeBase, question: str) -> str:
    best = kb.ask(question).best
    assert best is not None, question
    return best.step.label


def test_the_step_holding_the_asked_kind_of_answer_ranks_first(speakers: KnowledgeBase) -> None:
    # Both steps say 講者 and 到場; the first says them twice, the second says how long.
    assert first(speakers, "讲者到场要多长时间") == "2、講者彩排"
    # The same words asking what to do find the step that says it.
    assert first(speakers, "講者到場後要做什麼") == "1、講者報到"


def test_without_the_answer_kind_the_repeated_words_win(speakers: KnowledgeBase) -> None:
    """What the previous test shows is the answer kind's doing, not the words'."""
    tuning = speakers.searcher.tuning
    speakers.searcher.tuning = dataclasses.replace(tuning, answer_boost=1.0)
    try:
        assert first(speakers, "讲者到场要多长时间") == "1、講者報到"
    finally:
        speakers.searcher.tuning = tuning
