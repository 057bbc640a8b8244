"""Score the search against a question set: does the right step come first?

A question set is a TSV file, ``query<TAB>snippet|snippet<TAB>lang<TAB>kind``; a hit
counts when one of the snippets occurs in a step's text, passage or tips once spaces
and punctuation are removed and scripts folded (the rule the product is judged by).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.model import Hit
from knowledge.normalize import to_simplified

NOISE_RE = re.compile(r"[\W_]+")


def squash(text: str) -> str:
    """Text with no spaces or punctuation, in simplified characters.

    臵 is folded to 置 as the parser repairs it, so a snippet quoted from the raw seed
    still meets the repaired step text.
    """
    return NOISE_RE.sub("", to_simplified(text.lower().replace("臵", "置")))


@dataclass(frozen=True)
class Question:
    query: str
    snippets: tuple[str, ...]
    lang: str
    kind: str


def read_questions(path: Path) -> list[Question]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, snippets, lang, kind = (line.split("\t") + ["", "", ""])[:4]
        questions.append(Question(query, tuple(s for s in snippets.split("|") if s), lang, kind))
    return questions


OFF_TOPIC = "NONE"


def answers(hit: Hit, question: Question) -> bool:
    haystack = squash(hit.step.text + hit.passage + "".join(hit.step.tips))
    return any(squash(snippet) in haystack for snippet in question.snippets)


def shown(hit: Hit) -> str:
    """What the first reply shows of a hit: the step's heading, the matching sentences and
    what of the best tip matched (bot/render.py's card)."""
    return hit.step.title + hit.passage + hit.tip_passage


def answers_in_reply(hit: Hit, question: Question) -> bool:
    """Whether the answering sentence or tip is in the first reply itself."""
    haystack = squash(shown(hit))
    return any(squash(snippet) in haystack for snippet in question.snippets)


@dataclass
class Report:
    """How the search did on a question set; off-topic questions (``NONE``) apart."""

    total: int = 0
    top1: int = 0
    top3: int = 0
    reply1: int = 0  # right first, and the answering text in the first reply
    by_lang: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    misses: list[tuple[Question, list[Hit]]] = field(default_factory=list)
    confident_right: int = 0
    confident_wrong: int = 0
    off_topic: int = 0
    off_topic_confident: int = 0
    off_topic_none: int = 0  # off-topic questions given no step at all, as they should be
    right_none: int = 0  # right answers given no step at all (shown only 🙋)

    def add(self, question: Question, hits: list[Hit], confidence: str = "low") -> None:
        confident = confidence == "high"
        if question.snippets == (OFF_TOPIC,):
            self.off_topic += 1
            self.off_topic_confident += confident
            self.off_topic_none += confidence == "none"
            return
        rank = next((i for i, hit in enumerate(hits) if answers(hit, question)), None)
        self.total += 1
        if confident:
            if rank == 0:
                self.confident_right += 1
            else:
                self.confident_wrong += 1
        counts = self.by_lang[question.lang]
        counts[0] += 1
        if rank == 0:
            self.top1 += 1
            self.right_none += confidence == "none"
            counts[1] += 1
            self.reply1 += answers_in_reply(hits[0], question)
        if rank is not None and rank < 3:
            self.top3 += 1
            counts[2] += 1
        if rank != 0:
            self.misses.append((question, hits))

    @staticmethod
    def share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    @property
    def top1_rate(self) -> float:
        return self.share(self.top1, self.total)

    @property
    def top3_rate(self) -> float:
        return self.share(self.top3, self.total)

    @property
    def reply1_rate(self) -> float:
        return self.share(self.reply1, self.total)

    def lang_top1(self, lang: str) -> float:
        n, one, _ = self.by_lang.get(lang, (0, 0, 0))
        return self.share(one, n)

    @property
    def confident_right_rate(self) -> float:
        """The share of right answers given with confidence."""
        return self.share(self.confident_right, self.top1)

    @property
    def confident_wrong_rate(self) -> float:
        """The share of wrong answers given with confidence."""
        return self.share(self.confident_wrong, self.total - self.top1)

    @property
    def off_topic_rate(self) -> float:
        """The share of off-topic questions answered with confidence."""
        return self.share(self.off_topic_confident, self.off_topic)

    @property
    def off_topic_none_rate(self) -> float:
        """The share of off-topic questions given no step at all."""
        return self.share(self.off_topic_none, self.off_topic)

    @property
    def right_none_rate(self) -> float:
        """The share of right answers given no step at all (hidden behind 🙋)."""
        return self.share(self.right_none, self.top1)

    def figures(self) -> dict[str, float]:
        return {
            "n": self.total,
            "top1": self.top1_rate,
            "top3": self.top3_rate,
            "en_top1": self.lang_top1("en"),
            "reply1": self.reply1_rate,
            "conf_right": self.confident_right_rate,
            "conf_wrong": self.confident_wrong_rate,
            "off_topic": self.off_topic_rate,
            "off_topic_none": self.off_topic_none_rate,
            "right_none": self.right_none_rate,
        }

    def summary(self) -> str:
        parts = [f"top-1 {self.top1_rate:.1%} top-3 {self.top3_rate:.1%} (n={self.total})"]
        parts.append(f"reply@1 {self.reply1_rate:.1%}")
        if self.top1:
            parts.append(
                f"confident: {self.confident_right_rate:.0%} of right answers, "
                f"{self.confident_wrong_rate:.0%} of wrong ones"
            )
        if self.off_topic:
            confident, none = self.off_topic_rate, self.off_topic_none_rate
            parts.append(
                f"off-topic confident {confident:.0%}, none {none:.0%} of {self.off_topic}"
            )
        for lang, (n, one, three) in sorted(self.by_lang.items()):
            parts.append(f"{lang}: {one / n:.0%}/{three / n:.0%} of {n}")
        return "; ".join(parts)


def evaluate(kb, questions: list[Question]) -> Report:
    report = Report()
    for question in questions:
        answer = kb.ask(question.query)
        report.add(question, list(answer.hits), answer.confidence)
    return report


def read_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def confident_share(kb, questions: list[str]) -> float:
    """The share of ``questions`` answered with confidence (for off-topic ones: ~0)."""
    confident = sum(1 for q in questions if kb.ask(q).confidence == "high")
    return confident / len(questions) if questions else 0.0
