"""How sure an answer is, from evidence that means the same on any SOP.

An answer is one of three things: *high* (the first step answers the question and is
presented as the answer), *low* (the steps are only the closest the SOP has, offered with
🙋 to ask a person) or *none* (the question is about something the SOP does not cover).

Absolute scores do not carry from one SOP to another: BM25 grows with the question's
length and the rarity of its words, and a document with many indexed staff questions and
its own synonyms explains more of every question than one imported yesterday. So the
judgement rests on :class:`Evidence` that is relative by construction: how far the best
step leads the others, what share of the question it explains, what share of the question
the served SOPs have words for at all, whether it holds the kind of answer asked for.

Two small logistic models weigh that evidence (``confidence.toml``, refitted by
``benchmarks/fit_confidence.py``): the chance that the first step answers, and the chance
that the question is off every topic. Their coefficients are plain data.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.model import Hit

if TYPE_CHECKING:  # the searcher imports nothing from here; this is for types only
    from knowledge.search import Query, Searcher

HIGH, LOW, NONE = "high", "low", "none"
RULE_PATH = Path(__file__).with_name("confidence.toml")

# The leads are read on a log scale and capped: past four times the runner-up's score
# (eight times the others' mean), a lead says nothing more.
MAX_LEAD = math.log(4.0)
MAX_CROWD = math.log(8.0)
# A step scores its best sentences, its heading and its whole text together, so its score
# can pass what the question's words score in one sentence; twice that is strong enough.
MAX_STRENGTH = 2.0
# Two steps scoring within 5% of each other are a tie: the question could be either, so
# neither is the answer, whatever the rest of the evidence says.
TIE = math.log(1.05)
# A step that explains less than about a third of the question answers another question,
# however far it leads: a small SOP has few rivals to lead ("機器嗶嗶叫要怎麼處理" and the
# one step of three that says 處理).
LEAST_EXPLAINED = 0.35
# The hits the evidence reads, the best and four others, however many the asker is shown.
JUDGED = 5


@dataclass(frozen=True)
class Evidence:
    """What the ranking says about one answer, each on a scale that holds on any corpus."""

    lead: float  # log(best score / runner-up's), capped at MAX_LEAD
    crowd: float  # log(best score / the mean of the other hits'), capped at MAX_CROWD
    # The share of the question the best step explains (0–1), a place explained only by a
    # loose reading of the asker's word (a vague translation) counting for that much.
    coverage: float
    # The lead as far as the step explains the question: a step that explains all of it
    # and leads clearly, not one that explains all of it as its rivals do (a document with
    # many staff questions indexed explains most questions well with several steps).
    explained_lead: float
    known: float  # the share of the question the served SOPs' own text has words for (0–1)
    kind: float  # +1 the step holds the kind of answer asked (a time, a count…), -1 not, 0 none
    strength: float  # the best score over what the question's words score in one sentence

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


FEATURES = tuple(f.name for f in fields(Evidence))


def evidence(searcher: Searcher, query: Query, hits: Sequence[Hit]) -> Evidence:
    """The evidence for the first of ``hits`` (at least one, best first) answering ``query``."""
    best = hits[0]
    others = [hit.score for hit in hits[1:JUDGED]]
    lead, crowd = MAX_LEAD, MAX_CROWD
    if others and others[0] > 0:
        lead = min(math.log(max(best.score / others[0], 1.0)), MAX_LEAD)
        mean = sum(others) / len(others)
        crowd = min(math.log(max(best.score / mean, 1.0)), MAX_CROWD)
    step_no = searcher.step_numbers[id(best.step)]
    coverage = searcher.credited_share(query, step_no)
    return Evidence(
        lead=lead,
        crowd=crowd,
        coverage=coverage,
        explained_lead=coverage * lead,
        known=known_share(searcher, query),
        kind=answer_kind(searcher, query, step_no),
        strength=strength(searcher, query, best.score),
    )


def known_share(searcher: Searcher, query: Query) -> float:
    """The share of the question's content characters that some word of the served SOPs'
    own text came from: the asker's word itself, or what a general resource reads it as.

    "今天天氣如何" beside a telecom SOP: 今天 is a word of it, 天氣 is not, so half the
    question asks for something no SOP here says. One document's own lexicon (its
    synonyms, beside other documents) does not count: it knows everyday words for that
    document, not for the whole of what is served.
    """
    content = query.content
    if not content:
        return 0.0
    words = searcher.sop_words
    known: set[int] = set()
    for term, spans in query.spans.items():
        if term in words:
            for start, end in spans:
                known.update(range(start, end))
    return len(known & content) / len(content)


def answer_kind(searcher: Searcher, query: Query, step_no: int) -> float:
    """+1 when the question asks for a kind of answer (a length of time, a count…) and the
    step holds one, -1 when it asks and the step holds none, 0 when it asks for no kind."""
    if not query.asks_for:
        return 0.0
    from knowledge.search import ANSWERED_BY

    wanted = {held for kind in query.asks_for for held in ANSWERED_BY[kind]}
    index = searcher.index
    holds = any(wanted & index.passages[n].holds for n in index.step_passages[step_no])
    return 1.0 if holds else -1.0


def strength(searcher: Searcher, query: Query, score: float) -> float:
    """The best score over what the question's words score in one sentence of this corpus
    holding each once (each word's weight times its rarity here), capped at MAX_STRENGTH."""
    idf = searcher.index.passage_words.idf
    ceiling = sum(weight * idf.get(term, 0.0) for term, weight in query.words.items())
    return min(score / ceiling, MAX_STRENGTH) if ceiling > 0 else 0.0


@dataclass(frozen=True)
class Model:
    """A logistic model over :class:`Evidence`: weights by feature name, in its own units."""

    intercept: float
    weights: Mapping[str, float]

    def probability(self, found: Evidence) -> float:
        values = found.as_dict()
        z = self.intercept + sum(w * values[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class Rule:
    """When an answer is high (the chance it answers at least ``answers_at``, and no tie
    with the runner-up) and when none (the chance the question is off every topic at least
    ``off_topic_at``)."""

    answers: Model
    answers_at: float
    off_topic: Model
    off_topic_at: float

    def judge(self, found: Evidence) -> str:
        if self.off_topic.probability(found) >= self.off_topic_at:
            return NONE
        if found.lead < TIE or found.coverage < LEAST_EXPLAINED:
            return LOW
        return HIGH if self.answers.probability(found) >= self.answers_at else LOW


def read_rule(path: Path = RULE_PATH) -> Rule:
    """The rule in ``path`` (``confidence.toml``'s layout)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))

    def model(table: dict[str, Any]) -> Model:
        weights = table["weights"]
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"{path}: no such evidence: {', '.join(sorted(unknown))}")
        return Model(float(table["intercept"]), {k: float(v) for k, v in weights.items()})

    return Rule(
        answers=model(data["answers"]),
        answers_at=float(data["answers"]["threshold"]),
        off_topic=model(data["off_topic"]),
        off_topic_at=float(data["off_topic"]["threshold"]),
    )


RULE = read_rule()


def judge(searcher: Searcher, query: Query, hits: Sequence[Hit], rule: Rule = RULE) -> str:
    """HIGH, LOW or NONE for ``hits`` (best first) as the answer to ``query``."""
    if not hits:
        return NONE
    return rule.judge(evidence(searcher, query, hits))
