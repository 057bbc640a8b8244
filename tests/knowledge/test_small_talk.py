"""Greetings, thanks, goodbyes and an "ok" are recognised as such, never as questions."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase
from knowledge.base import NOT_QUESTIONS
from knowledge.lexicon import load_lexicon
from knowledge.smalltalk import ACK, BYE, GREETING, KINDS, THANKS, small_talk

PHRASES = load_lexicon().small_talk


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("你好", GREETING),
        ("哈囉～", GREETING),
        ("早晨！", GREETING),
        ("Hi!!", GREETING),
        ("good morning 👋", GREETING),
        ("hello 小幫手", GREETING),
        ("謝謝啦", THANKS),
        ("谢谢", THANKS),
        ("唔該晒 🙏", THANKS),
        ("Thanks bot", THANKS),
        ("thx", THANKS),
        ("拜拜", BYE),
        ("bye!", BYE),
        ("OK👍", ACK),
        ("收到～", ACK),
        ("好嘅", ACK),
        ("got it.", ACK),
    ],
)
def test_small_talk_in_three_languages(message: str, kind: str) -> None:
    assert small_talk(message, PHRASES) == kind


@pytest.mark.parametrize(
    "message",
    [
        "你好，客人沒帶證件怎麼辦",
        "hi, customer forgot his ID",
        "謝謝客人要怎麼說",  # how to thank a customer: a question about the SOP
        "ok to leave the counter when busy?",
        "好" * 40,
        "",
        "🙂",
    ],
)
def test_questions_and_odd_input_are_not_small_talk(message: str) -> None:
    assert small_talk(message, PHRASES) is None


def test_every_kind_has_phrases() -> None:
    assert set(PHRASES.values()) == set(KINDS)


def test_small_talk_gets_no_search(kb: KnowledgeBase) -> None:
    for message, kind in (("謝謝", THANKS), ("hi", GREETING), ("ok", ACK), ("bye", BYE)):
        answer = kb.ask(message)
        assert (answer.problem, answer.confidence, answer.hits) == (kind, "none", ())
        assert answer.problem in NOT_QUESTIONS
