"""Confidence: judged from evidence that reads the same on any SOP, by a rule kept as data."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.confidence import (
    FEATURES,
    HIGH,
    LOW,
    NONE,
    Evidence,
    Model,
    Rule,
    evidence,
    known_share,
    read_rule,
)
from knowledge.evaluate import read_questions

HOLDOUT = Path(__file__).parents[1] / "holdout" / "questions.tsv"
EVEN = Evidence(
    lead=0.5, crowd=0.5, coverage=0.5, explained_lead=0.0, known=1.0, kind=0.0, strength=1.0
)


def test_rule_weighs_each_piece_of_evidence_the_way_it_points() -> None:
    rule = read_rule()
    # More lead, more explained, more known: likelier to answer, never less.
    assert rule.answers.weights and all(w >= 0 for w in rule.answers.weights.values())
    assert rule.off_topic.weights and all(w <= 0 for w in rule.off_topic.weights.values())
    assert set(rule.answers.weights) | set(rule.off_topic.weights) <= set(FEATURES)
    assert 0 < rule.answers_at < 1 and 0 < rule.off_topic_at < 1


def test_read_rule_refuses_evidence_it_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "confidence.toml"
    path.write_text(
        "[answers]\nintercept = 0\nthreshold = 0.5\n[answers.weights]\nscore = 1\n"
        "[off_topic]\nintercept = 0\nthreshold = 0.5\n[off_topic.weights]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="score"):
        read_rule(path)


def test_rule_says_none_for_an_off_topic_question_however_well_a_step_leads() -> None:
    sure = Model(intercept=5.0, weights={})
    unsure = Model(intercept=-5.0, weights={})
    assert Rule(sure, 0.5, sure, 0.5).judge(EVEN) == NONE
    assert Rule(sure, 0.5, unsure, 0.5).judge(EVEN) == HIGH
    assert Rule(unsure, 0.5, unsure, 0.5).judge(EVEN) == LOW


def test_rule_never_answers_with_confidence_when_two_steps_tie() -> None:
    sure, unsure = Model(intercept=5.0, weights={}), Model(intercept=-5.0, weights={})
    assert Rule(sure, 0.5, unsure, 0.5).judge(replace(EVEN, lead=0.01)) == LOW


def test_rule_never_answers_with_confidence_with_a_step_explaining_little_of_the_question(
    tmp_path: Path,
) -> None:
    sure, unsure = Model(intercept=5.0, weights={}), Model(intercept=-5.0, weights={})
    assert Rule(sure, 0.5, unsure, 0.5).judge(replace(EVEN, coverage=0.3, lead=1.4)) == LOW
    # A small SOP has few rivals: the one step that says 處理 leads by far, and explains
    # nothing of 機器嗶嗶叫.
    sop = tmp_path / "store.md"
    sop.write_text(
        "# 門市規範\n## 店員\n#### 1、開門準備\n每天早上九點前打開收銀機。\n"
        "#### 2、處理投訴\n客戶投訴時先道歉，再請值班經理處理。\n"
        "#### 3、冷氣保養\n每月清洗冷氣濾網一次。\n",
        encoding="utf-8",
    )
    small = KnowledgeBase.open(index_path=tmp_path / "index.db", sources=[sop], questions=[])
    assert small.ask("機器嗶嗶叫要怎麼處理").confidence != HIGH
    assert small.ask("客戶投訴要怎麼處理").confidence == HIGH


def test_model_probability_follows_its_weights() -> None:
    model = Model(intercept=-1.0, weights={"lead": 2.0})
    assert model.probability(replace(EVEN, lead=0.0)) == pytest.approx(1 / (1 + math.e))
    assert model.probability(replace(EVEN, lead=1.0)) == pytest.approx(1 / (1 + 1 / math.e))


def test_evidence_does_not_change_with_the_scale_of_the_scores(kb: KnowledgeBase) -> None:
    # A corpus whose words are all rarer scores every step higher; the leads stay the same.
    query = kb.searcher.read("客人沒帶身分證要辦業務怎麼處理")
    hits = kb.searcher.rank(query)
    assert len(hits) >= 2
    scaled = [replace(hit, score=hit.score * 7.5) for hit in hits]
    plain, bigger = evidence(kb.searcher, query, hits), evidence(kb.searcher, query, scaled)
    for name in ("lead", "crowd", "coverage", "explained_lead", "known", "kind"):
        assert getattr(bigger, name) == pytest.approx(getattr(plain, name)), name


def test_known_share_is_what_the_served_sop_has_words_for(kb: KnowledgeBase) -> None:
    def known(question: str) -> float:
        return known_share(kb.searcher, kb.searcher.read(question))

    assert known("客人沒帶身分證怎麼辦") == 1.0
    assert known("怎麼煮咖哩飯") < 0.5


def test_ask_judges_alike_however_many_hits_are_shown(kb: KnowledgeBase) -> None:
    for question in read_questions(HOLDOUT)[:40]:
        one, six = kb.ask(question.query, limit=1), kb.ask(question.query, limit=6)
        assert one.confidence == six.confidence, question.query
        assert one.hits == six.hits[:1]


def test_a_step_explains_a_loose_reading_of_a_word_for_what_the_reading_weighs(
    tmp_path: Path,
) -> None:
    sop = Path(__file__).parent / "data" / "kitchen-en.md"
    kitchen = KnowledgeBase.open(index_path=tmp_path / "index.db", sources=[sop], questions=[])
    searcher = kitchen.searcher

    def shares(question: str) -> tuple[float, float]:
        query = searcher.read(question)
        step_no = searcher.step_numbers[id(searcher.rank(query)[0].step)]
        return searcher.step_coverage(query, step_no), searcher.credited_share(query, step_no)

    # The SOP's own words, and a translation into them, count in full.
    assert shares("what temperature should the fridge be") == (1.0, 1.0)
    plain, credited = shares("冰箱溫度要幾度")
    assert credited == pytest.approx(plain) and credited > 0.5
    # "swap" reaches "replace" only as another translation of one Chinese word (掉換): the
    # step still ranks first, but that half of the question is only half explained.
    plain, credited = shares("can i swap it for something else")
    assert credited < plain
    assert kitchen.ask("can i swap it for something else").confidence != HIGH
