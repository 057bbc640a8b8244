"""Follow-up questions (knowledge/followup.py): what refers back, and the floors of the
follow-up set and of the plain sets asked one after another (benchmarks/eval_followups.py
prints the figures; the floors sit a little under them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.evaluate import read_questions
from knowledge.followup import (
    FRESH_SECONDS,
    Turn,
    fresh,
    in_context,
    read_follow_ups,
    refers_back,
    right_at_top,
    turn_after,
)

ROOT = Path(__file__).parents[2]
FOLLOW_UPS = ROOT / "tests" / "followups" / "followups.tsv"
HOLDOUT = ROOT / "tests" / "holdout" / "questions.tsv"
FOLLOW_UP_FLOOR = 0.85  # top-1 on the follow-up set (87.5% when written)
PLAIN_COST_CEILING = 3.0  # points of top-1 lost on the held-out set (0.0 when written)


@pytest.mark.parametrize(
    "text",
    ["那VIP呢", "要幾耐", "what if they refuse", "and the change", "如果客人不肯坐呢", "佢唔肯呢"],
)
def test_a_fragment_or_a_follow_up_word_refers_back(text: str) -> None:
    assert refers_back(text)


@pytest.mark.parametrize(
    "text",
    [
        "客人沒有帶身分證來辦業務應該怎麼處理",
        "how many of the front counter staff do I have to spot check today",
        "做汽配销售的那个主管岗，招人有没有年龄限制？要会外语吗",
        "",
    ],
)
def test_a_question_of_its_own_does_not_refer_back(text: str) -> None:
    assert not refers_back(text)


def test_a_turn_is_fresh_for_a_few_minutes() -> None:
    turn = Turn("晨會幾點開始", "abc", at=100.0)
    assert fresh(turn, 100.0 + FRESH_SECONDS) is turn
    assert fresh(turn, 101.0 + FRESH_SECONDS) is None
    assert fresh(None, 100.0) is None


def test_a_follow_up_takes_the_previous_steps_role_and_another_role_when_named(
    kb: KnowledgeBase,
) -> None:
    turn = turn_after(kb, "業務受理上班前要準備什麼")
    first = kb.step(turn.step_id or "")
    assert first is not None and first.role == "業務受理"
    answer = in_context(kb, "那VIP呢", turn)
    assert (answer.best.step.role, answer.best.step.title) == ("VIP接待", first.title)
    # Alone, the same words find nothing of the kind.
    assert kb.ask("那VIP呢").best.step.title != first.title
    # Without a previous turn, or with a clear new question, the answer is the plain one.
    plain = kb.ask("那VIP呢")
    unrelated = in_context(kb, "那VIP呢", None)
    assert [h.step.id for h in unrelated.hits] == [h.step.id for h in plain.hits]
    new = "門市保全怎麼維護秩序"
    assert in_context(kb, new, turn).best.step.id == kb.ask(new).best.step.id


def test_the_follow_up_set_holds_its_floor(kb: KnowledgeBase) -> None:
    pairs = read_follow_ups(FOLLOW_UPS)
    assert {pair.lang for pair in pairs} == {"hant", "hans", "yue", "en"}
    right = sum(
        right_at_top(in_context(kb, pair.follow_up, turn_after(kb, pair.first)), pair.expected)
        for pair in pairs
    )
    assert right / len(pairs) >= FOLLOW_UP_FLOOR, f"{right}/{len(pairs)}"


def test_context_costs_the_plain_questions_little(kb: KnowledgeBase) -> None:
    """Each held-out question asked right after the one before it (a new topic nearly every
    time): context must not drag a clear question away from its answer."""
    questions = read_questions(HOLDOUT)
    alone = after = 0
    previous = None
    for question in questions:
        alone += right_at_top(kb.ask(question.query), question)
        after += right_at_top(in_context(kb, question.query, previous), question)
        previous = turn_after(kb, question.query)
    cost = (alone - after) / len(questions) * 100
    assert cost <= PLAIN_COST_CEILING, f"{cost:.1f} points"
