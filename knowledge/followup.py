"""Follow-up questions: a message that refers back to the last answer is answered in its context.

People ask in turns. After "業務受理上班前要準備什麼", "那VIP呢" asks the same about another
role; after "晨會幾點開始", "要幾耐" asks more of the same step; after "客戶投訴點處理",
"what if they refuse" asks a case of it. Each alone says too little to search. So a
message that *refers back* (a follow-up opening or closing, a pronoun without its subject,
a fragment too short to stand alone) is searched together with the previous question, its
hits kept to the previous step's document and role, or, when it names another role, to that
role, where the step like the previous one comes first.

A clear new question is never dragged: a message with no referring cue, or one the search
answers confidently alone in another part of the SOP, is answered alone.

Nothing here knows about Telegram or chats: the caller keeps the previous :class:`Turn` and
decides how long it is fresh (:data:`FRESH_SECONDS`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.base import HIGH, LOW, KnowledgeBase
from knowledge.evaluate import Question, answers
from knowledge.model import Answer, Step
from knowledge.normalize import CJK_RE, fold

# How long an answer stays the context of the next message: "a few minutes".
FRESH_SECONDS = 5 * 60
# How much the message alone counts beside the previous question and it together.
ALONE_WEIGHT = 1.0
# Hits searched in context before they are kept to the previous step's document and role.
WIDE = 40

# Openings and endings that refer back to what was just said, in every script the bot reads
# (folded: simplified, lower case).
OPENINGS = (
    "那",
    "那么",
    "那如果",
    "咁",
    "噉",
    "如果",
    "假如",
    "要是",
    "若",
    "万一",
    "还有",
    "仲有",
    "另外",
    "然后",
    "跟住",
    "又",
    "和",
    "同",
    "跟",
    "至于",
    "换成",
    "如系",
    "系咪",
)
ENDINGS = ("呢", "咧", "又点", "又如何", "又怎样", "点呢", "嘅话")
ENGLISH_OPENINGS = (
    "what if",
    "what about",
    "how about",
    "and ",
    "but ",
    "then ",
    "if ",
    "so ",
    "also ",
    "and?",
    "what else",
    "same for",
    "for ",
)
# Pronouns and stand-ins with no subject of their own.
PRONOUNS = ("他们", "她们", "佢哋", "佢", "他", "她", "它", "这个", "那个", "呢个", "嗰个", "嗰边")
ENGLISH_PRONOUNS = re.compile(
    r"\b(they|them|their|he|him|his|she|her|it|its|that|this|those|one)\b"
)
# A fragment this short (characters of Chinese, words of English) says too little alone.
SHORT_CJK = 6
SHORT_WORDS = 4
# Longer than this, a message is a question of its own even with a follow-up word in it.
LONGEST_CJK = 12
LONGEST_WORDS = 8
WORD_RE = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Turn:
    """What the last answer was about: the question and the step it gave."""

    question: str
    step_id: str | None
    at: float  # seconds on the caller's clock


def refers_back(text: str) -> bool:
    """Whether a message leans on the one before: a fragment too short to be a question of
    its own, or a short one with a follow-up opening or ending or a pronoun without its
    subject. A longer message carries its own subject, whatever its words."""
    folded = fold(text).strip(" ?？!！。.,，~～")
    if not folded:
        return False
    if CJK_RE.search(folded):
        size = len("".join(CJK_RE.findall(folded))) + len(WORD_RE.findall(folded))
        cued = (
            folded.startswith(OPENINGS)
            or folded.endswith(ENDINGS)
            or any(pronoun in folded for pronoun in PRONOUNS)
        )
        return size <= SHORT_CJK or (size <= LONGEST_CJK and cued)
    words = WORD_RE.findall(folded)
    cued = folded.startswith(ENGLISH_OPENINGS) or bool(ENGLISH_PRONOUNS.search(folded))
    return len(words) <= SHORT_WORDS or (len(words) <= LONGEST_WORDS and cued)


def fresh(turn: Turn | None, now: float, seconds: float = FRESH_SECONDS) -> Turn | None:
    return turn if turn is not None and 0 <= now - turn.at <= seconds else None


def in_context(
    kb: KnowledgeBase,
    text: str,
    previous: Turn | None,
    limit: int = 5,
    role: str | None = None,
    hint: str | None = None,
    alone: Answer | None = None,
    hidden: Collection[int] = (),
) -> Answer:
    """Answer ``text``, in the context of the previous turn when it refers back to it.

    ``alone``: the answer to ``text`` by itself, when the caller has it already;
    ``hidden``: documents the asker is not served (as :meth:`KnowledgeBase.ask`).
    """
    alone = alone if alone is not None else kb.ask(text, limit, role, hint, hidden)
    step = kb.step(previous.step_id) if previous and previous.step_id else None
    if previous is None or step is None or alone.problem or not refers_back(text):
        return alone
    named = named_roles(kb, text) - {fold(step.role)}
    combined = kb.ask(f"{previous.question} {text}", WIDE, role, hint, hidden)
    if alone.confidence == HIGH and (not named or fold(alone.hits[0].step.role) in named):
        return alone  # it stands on its own
    if named:
        hits = [hit for hit in combined.hits if fold(hit.step.role) in named]
        like = [hit for hit in hits if hit.step.title and hit.step.title == step.title]
        hits = like + [hit for hit in hits if hit not in like]
    else:
        hits = [hit for hit in combined.hits if same_place(hit.step, step)]
        # What the message says alone counts beside the context: "what if they refuse"
        # after a complaint is another step of the same role, not the complaint again.
        wide = kb.ask(text, WIDE, role, hint, hidden)
        alone_scores = {hit.step.id: hit.score for hit in wide.hits}
        top_alone = max(alone_scores.values(), default=0.0) or 1.0
        top_combined = hits[0].score if hits and hits[0].score else 1.0
        hits.sort(
            key=lambda hit: (
                -(
                    hit.score / top_combined
                    + ALONE_WEIGHT * alone_scores.get(hit.step.id, 0.0) / top_alone
                )
            )
        )
    if not hits:
        return alone
    chosen = tuple(hits[:limit])
    top = combined.hits[0] if combined.hits else None
    # Confident when the context's own best step is the one chosen, or when the message
    # named the role whose step it is.
    confident = named or (top is chosen[0] and combined.confidence == HIGH)
    return replace(
        alone,
        confidence=HIGH if confident else LOW,
        hits=chosen,
        terms=tuple(dict.fromkeys(combined.terms + alone.terms)),
    )


def same_place(one: Step, other: Step) -> bool:
    """The same document, and the same role when it has roles."""
    return one.doc == other.doc and one.role == other.role


def named_roles(kb: KnowledgeBase, text: str) -> set[str]:
    """The roles a message names (folded), as the search reads it."""
    return set(kb.searcher.read(text).roles)


# -- measuring: the follow-up set ---------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """A pair of the follow-up set: a first question, then one that refers back (or not)."""

    first: str
    follow_up: str
    expected: Question  # the follow-up, with the snippets of its expected step
    lang: str
    kind: str


def read_follow_ups(path: Path) -> list[FollowUp]:
    """``first<TAB>follow-up<TAB>snippet|snippet<TAB>lang<TAB>kind`` lines; # comments."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, follow_up, snippets, lang, kind = (line.split("\t") + [""] * 4)[:5]
        expected = Question(follow_up, tuple(s for s in snippets.split("|") if s), lang, kind)
        found.append(FollowUp(first, follow_up, expected, lang, kind))
    return found


def turn_after(kb: KnowledgeBase, question: str, at: float = 0.0) -> Turn:
    """The turn a question leaves behind: its top step (as the bot remembers it)."""
    best = kb.ask(question).best
    return Turn(question, best.step.id if best else None, at)


def right_at_top(answer: Answer, question: Question) -> bool:
    return bool(answer.hits) and answers(answer.hits[0], question)


__all__ = [
    "FRESH_SECONDS",
    "FollowUp",
    "Turn",
    "fresh",
    "in_context",
    "read_follow_ups",
    "refers_back",
    "right_at_top",
    "turn_after",
]
