"""Knowledge gaps: questions the SOP did not answer well, grouped so one fix covers many.

Staff ask the same thing many ways ("客人沒帶證件", "客戶忘了帶身分證?"), so questions are
grouped by how alike their folded text is: rapidfuzz's ``token_set_ratio`` (with
``processor=None``: its default processor drops Chinese characters) and, for Chinese,
the overlap of character pairs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge.normalize import fold
from knowledge.segment import bigrams

UNANSWERED, DOWNVOTED = "unanswered", "downvoted"
# Tuned on pairs of staff wordings: same question ≥ 70, different questions ≤ 40.
SAME_QUESTION = 65.0
SAME_PAIRS = 0.5
PUNCTUATION_RE = re.compile(r"[^\w\s]+")
# The frame of a question, in folded (simplified) form: compared alone, "下班前要做什么" and
# "我要做什么" share most of their characters but none of what they ask about. Longest first.
FRAME = sorted(
    [
        "怎么办",
        "怎么样",
        "怎么",
        "怎样",
        "如何",
        "什么",
        "为什么",
        "为何",
        "哪里",
        "哪个",
        "是否",
        "可不可以",
        "能不能",
        "要不要",
        "应该",
        "需要",
        "可以",
        "请问",
        "要做",
        "该做",
        "做",
        "要",
        "该",
        "我",
        "你",
        "们",
        "的",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "了",
    ],
    key=len,
    reverse=True,
)
FRAME_RE = re.compile("|".join(map(re.escape, FRAME)))
FRAME_WORDS_EN = frozenset(
    [
        "how",
        "what",
        "why",
        "when",
        "where",
        "which",
        "who",
        "do",
        "does",
        "did",
        "i",
        "we",
        "you",
        "to",
        "the",
        "a",
        "an",
        "is",
        "are",
        "can",
        "should",
        "must",
        "my",
        "our",
    ]
)
# What a person would not teach: a message this long (someone pasted a document), markup,
# or search syntax.
TEACHABLE_CHARS = 120
MARKUP_RE = re.compile(r"<[a-zA-Z/!][^>]*>|&[a-zA-Z#0-9]+;")
SYNTAX_RE = re.compile(r"\b(?:AND|OR|NOT)\b|\bNEAR\s*\(|[*\"{}\[\]\\^=;|`]")
WORD_SHARE = 0.5  # at least this much of a teachable wording is letters or digits


@dataclass(frozen=True)
class GapQuestion:
    """One question the SOP did not answer, or answered with a step someone 👎'd."""

    text: str
    kind: str  # UNANSWERED or DOWNVOTED
    step_id: str | None = None  # the step given (and 👎'd), if any


@dataclass(frozen=True)
class GapGroup:
    """Alike questions, most asked wording first."""

    questions: tuple[GapQuestion, ...]

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def wordings(self) -> tuple[str, ...]:
        """Distinct wordings, most asked first."""
        counts = Counter(q.text.strip() for q in self.questions)
        return tuple(text for text, _ in counts.most_common())

    @property
    def downvoted(self) -> int:
        return sum(q.kind == DOWNVOTED for q in self.questions)


def matching_form(text: str) -> str:
    return " ".join(PUNCTUATION_RE.sub(" ", fold(text)).split())


def teachable(text: str) -> bool:
    """Whether a logged question is a wording worth teaching: short, no markup or syntax,
    mostly words."""
    text = text.strip()
    if not text or len(text) > TEACHABLE_CHARS or MARKUP_RE.search(text) or SYNTAX_RE.search(text):
        return False
    letters = sum(c.isalnum() for c in text)
    return letters >= WORD_SHARE * len(text.replace(" ", ""))


def content(form: str) -> str:
    """A folded question without its frame (how, what, 怎麼辦, 什麼, 我要…): what it is about."""
    words = [w for w in form.split() if w not in FRAME_WORDS_EN]
    return " ".join(FRAME_RE.sub(" ", " ".join(words)).split())


def alike(a: str, b: str) -> bool:
    """Whether two folded questions ask the same thing: what they are about is alike."""
    if a == b:
        return True
    a, b = content(a), content(b)
    if not a or not b:
        return False
    if fuzz.token_set_ratio(a, b, processor=None) >= SAME_QUESTION:
        return True
    pairs_a, pairs_b = set(bigrams(a)), set(bigrams(b))
    union = pairs_a | pairs_b
    return bool(union) and len(pairs_a & pairs_b) / len(union) >= SAME_PAIRS


def group_gaps(questions: Iterable[GapQuestion]) -> list[GapGroup]:
    """Group alike questions, biggest group first (ties: the order they came in)."""
    questions = [q for q in questions if teachable(q.text)]
    forms = Counter(matching_form(q.text) for q in questions)
    # The most asked wordings found the groups; rarer ones join the first they resemble.
    leaders: list[str] = []
    members: dict[str, list[GapQuestion]] = {}
    by_form: dict[str, list[GapQuestion]] = {}
    for question in questions:
        by_form.setdefault(matching_form(question.text), []).append(question)
    for form, _ in forms.most_common():
        if not form:
            continue
        leader = next((lead for lead in leaders if alike(lead, form)), None)
        if leader is None:
            leaders.append(form)
            leader = form
        members.setdefault(leader, []).extend(by_form[form])
    groups = [GapGroup(tuple(members[lead])) for lead in leaders]
    return sorted(groups, key=lambda group: -group.count)
