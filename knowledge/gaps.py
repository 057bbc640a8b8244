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


def alike(a: str, b: str) -> bool:
    """Whether two folded questions ask the same thing."""
    if fuzz.token_set_ratio(a, b, processor=None) >= SAME_QUESTION:
        return True
    pairs_a, pairs_b = set(bigrams(a)), set(bigrams(b))
    union = pairs_a | pairs_b
    return bool(union) and len(pairs_a & pairs_b) / len(union) >= SAME_PAIRS


def group_gaps(questions: Iterable[GapQuestion]) -> list[GapGroup]:
    """Group alike questions, biggest group first (ties: the order they came in)."""
    questions = [q for q in questions if q.text.strip()]
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
