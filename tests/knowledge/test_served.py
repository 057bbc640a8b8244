"""Documents not served to an asker (out of service, limited to other stores) are left
out of the candidates before ranking; the rest rank as they would anyway."""

from __future__ import annotations

from knowledge import KnowledgeBase
from knowledge.base import NONE

QUESTION = "客人沒帶身分證怎麼辦"


def test_a_hidden_documents_steps_are_never_hits(kb: KnowledgeBase) -> None:
    best = kb.ask(QUESTION).best
    assert best is not None
    hidden = {best.step.doc_no}
    answer = kb.ask(QUESTION, hidden=hidden)
    assert answer.hits and all(hit.step.doc_no not in hidden for hit in answer.hits)


def test_the_served_steps_keep_their_scores(kb: KnowledgeBase) -> None:
    everything = kb.ask(QUESTION, limit=10)
    other_doc = next(
        h.step.doc_no for h in everything.hits if h.step.doc_no != everything.hits[0].step.doc_no
    )
    kept = kb.ask(QUESTION, limit=10, hidden={other_doc})
    scores = {h.step.id: h.score for h in everything.hits}
    for hit in kept.hits:
        if hit.step.id in scores:
            assert hit.score == scores[hit.step.id]
    assert kb.ask(QUESTION, hidden=()).hits == kb.ask(QUESTION).hits


def test_nothing_served_answers_nothing(kb: KnowledgeBase) -> None:
    every = {step.doc_no for step in kb.steps}
    answer = kb.ask(QUESTION, hidden=every)
    assert answer.hits == () and answer.confidence == NONE
