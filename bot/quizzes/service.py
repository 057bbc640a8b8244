"""Trainer quizzes and practice: scoring, summaries, leaderboards and Leitner boxes.

The rules live here, apart from Telegram: plain functions of questions, answers and
times, plus the storage calls that keep them. The handlers (``bot/quizzes/handlers.py``)
only send polls and texts.

Practice follows the Leitner system. A question missed goes to box 1; each right answer
moves its card up one box, each wrong one back to box 1. A card comes back after its
box's interval (box 1 daily, 2 every 3 days, 3 weekly, 4 every two weeks, 5 monthly);
a right answer in the last box, or at first sight, marks it learned (box 0), never
asked again. When nothing is due, new questions are drawn from the SOP.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from bot.storage import Card, ScoredAnswer, Storage
from knowledge.model import Step
from knowledge.quiz import QuizQuestion, generate_questions

log = logging.getLogger(__name__)

DEFAULT_SIZE = 5
MAX_SIZE = 20
# Questions of a practice round: short enough for a break, then "come back tomorrow".
PRACTICE_ROUND = 5
LEADERBOARD_DAYS = 30
LEADERBOARD_LENGTH = 10
# Days a card waits in each Leitner box before it is due again.
BOX_DAYS = (1, 3, 7, 14, 30)
FIRST_RIGHT_DAYS = 7  # a question answered right at first sight is asked again after this
LEARNED = 0
# How many questions a summary lists as the most missed, and weak spots /myscore shows.
MOST_MISSED = 3
WEAK_SPOTS = 3
# New practice questions are drawn from this many generated ones, skipping known cards.
DRAW_POOL = 60

NUMBER_RE = re.compile(r"[0-9]{1,6}\Z")
TIME_RE = re.compile(r"([01]?[0-9]|2[0-3])[:：]([0-5][0-9])\Z")


@dataclass(frozen=True)
class QuizRequest:
    """What ``/quiz [role] [N]`` asks for: a role named (or None) and how many questions."""

    role: str | None
    size: int
    asked: int = field(default=0, compare=False)  # the size typed, before 1…MAX_SIZE held it

    @property
    def capped(self) -> bool:
        return self.asked > self.size


def parse_quiz_request(args: Sequence[str]) -> QuizRequest:
    """Read ``/quiz`` arguments in any order: a number is the size, the rest the role."""
    numbers = [arg for arg in args if NUMBER_RE.fullmatch(arg)]
    words = [arg for arg in args if not NUMBER_RE.fullmatch(arg)]
    size = int(numbers[0]) if numbers else DEFAULT_SIZE
    role = " ".join(words).strip()[:40] or None
    return QuizRequest(role, min(max(size, 1), MAX_SIZE), size)


def parse_time(text: str) -> tuple[int, int] | None:
    """``"7:30"`` → (7, 30); None when it is not a time of day."""
    match = TIME_RE.fullmatch(text.strip())
    return (int(match[1]), int(match[2])) if match else None


# -- questions as stored -------------------------------------------------------------


def to_json(question: QuizQuestion) -> str:
    return json.dumps(asdict(question), ensure_ascii=False)


def from_json(text: str) -> QuizQuestion:
    data = json.loads(text)
    # Questions stored before English wordings existed lack those fields: the defaults hold.
    data["options"] = tuple(data["options"])
    data["options_en"] = tuple(data.get("options_en", ()))
    return QuizQuestion(**data)


def list_to_json(questions: Sequence[QuizQuestion]) -> str:
    return json.dumps([asdict(question) for question in questions], ensure_ascii=False)


def list_from_json(text: str) -> list[QuizQuestion]:
    return [from_json(json.dumps(data)) for data in json.loads(text)]


def card_key(question: QuizQuestion) -> str:
    """A question's identity across sessions: the same text and answer, the same card."""
    text = f"{question.kind}\n{question.question}\n{question.answer}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def role_of(question: QuizQuestion, steps: Mapping[str, Step]) -> str:
    step = steps.get(question.step_id)
    return step.role if step and step.role else ""


# -- quiz summary, leaderboard, my score --------------------------------------------------


@dataclass(frozen=True)
class Score:
    user_id: int
    name: str
    correct: int
    answered: int


@dataclass(frozen=True)
class Missed:
    """A question of a quiz and how many got it wrong."""

    question: QuizQuestion
    wrong: int
    answered: int


@dataclass(frozen=True)
class QuizSummary:
    questions: int
    scores: tuple[Score, ...]  # best first
    missed: tuple[Missed, ...]  # most missed first


def scores(answers: Iterable[ScoredAnswer]) -> list[Score]:
    """Each person's right answers out of those given, best first (then fewest answered)."""
    right: Counter[int] = Counter()
    given: Counter[int] = Counter()
    names: dict[int, str] = {}
    for answer in answers:
        given[answer.user_id] += 1
        right[answer.user_id] += answer.correct
        names[answer.user_id] = answer.name
    found = [Score(uid, names[uid], right[uid], given[uid]) for uid in given]
    return sorted(found, key=lambda s: (-s.correct, s.answered, s.name, s.user_id))


def summarize(questions: Sequence[QuizQuestion], answers: Sequence[ScoredAnswer]) -> QuizSummary:
    """The end of a quiz: everyone's score and the questions most got wrong."""
    wrong: Counter[int] = Counter(a.position for a in answers if not a.correct)
    given: Counter[int] = Counter(a.position for a in answers)
    missed = [
        Missed(questions[position], count, given[position])
        for position, count in sorted(wrong.items(), key=lambda item: (-item[1], item[0]))
        if 0 <= position < len(questions)
    ]
    return QuizSummary(len(questions), tuple(scores(answers)), tuple(missed[:MOST_MISSED]))


def days_ago(now: str, days: int) -> str:
    """The ISO time ``days`` before ``now``, comparable as text with stored times."""
    return (datetime.fromisoformat(now) - timedelta(days=days)).isoformat(timespec="seconds")


def leaderboard(storage: Storage, stores: Sequence[str]) -> dict[str, list[Score]]:
    """Per store, its active people's scores over the last 30 days (quizzes and practice).

    Only people who answered anything are listed; someone in two stores is on both.
    """
    since = days_ago(storage.connection.clock(), LEADERBOARD_DAYS)
    recent = storage.quizzes.answers_since(since)
    boards: dict[str, list[Score]] = {}
    for store in stores:
        members = {person.user_id for person in storage.people.people(stores=[store])}
        board = scores(answer for answer in recent if answer.user_id in members)
        boards[store] = board[:LEADERBOARD_LENGTH]
    return boards


def all_stores(storage: Storage) -> list[str]:
    stores = {store for person in storage.people.people() for store in person.stores}
    return sorted(stores)


@dataclass(frozen=True)
class WeakSpot:
    name: str  # a role, or a step's breadcrumb
    wrong: int
    answered: int


@dataclass(frozen=True)
class MyScore:
    total: Score
    recent: Score  # the last 30 days
    weak_roles: tuple[WeakSpot, ...]
    weak_topics: tuple[WeakSpot, ...]
    due: int  # practice cards due now
    waiting: int  # cards in a box, not yet due
    learned: int


def my_score(storage: Storage, user_id: int, name: str) -> MyScore:
    """A person's totals, and the roles and steps they miss most."""
    now = storage.connection.clock()
    answers = storage.quizzes.answers_of(user_id)
    since = days_ago(now, LEADERBOARD_DAYS)
    recent = [a for a in answers if a.at >= since]
    cards = storage.quizzes.cards(user_id)
    boxed = [card for card in cards if card.box != LEARNED]
    return MyScore(
        total=Score(user_id, name, sum(a.correct for a in answers), len(answers)),
        recent=Score(user_id, name, sum(a.correct for a in recent), len(recent)),
        weak_roles=weak_spots(answers, lambda a: a.role),
        weak_topics=weak_spots(answers, lambda a: a.breadcrumb),
        due=sum(card.due_at <= now for card in boxed),
        waiting=sum(card.due_at > now for card in boxed),
        learned=len(cards) - len(boxed),
    )


def weak_spots(
    answers: Sequence[ScoredAnswer], key: Callable[[ScoredAnswer], str]
) -> tuple[WeakSpot, ...]:
    """The groups (by ``key``) with the most wrong answers, then the worst share wrong."""
    wrong: Counter[str] = Counter()
    given: Counter[str] = Counter()
    for answer in answers:
        name = key(answer)
        if not name:
            continue
        given[name] += 1
        wrong[name] += not answer.correct
    spots = [WeakSpot(name, wrong[name], given[name]) for name in given if wrong[name]]
    spots.sort(key=lambda s: (-s.wrong, -s.wrong / s.answered, s.name))
    return tuple(spots[:WEAK_SPOTS])


# -- practice: Leitner boxes --------------------------------------------------------------


def after_answer(box: int | None, correct: bool, now: datetime) -> tuple[int, datetime]:
    """The box a card moves to and when it is due next, after a right or wrong answer.

    ``box`` is None for a question seen for the first time. Wrong: box 1, due in a day.
    Right: one box up, due after that box's interval; learned from the last box. Right at
    first sight: the last box, asked once more a week later (one right answer, perhaps a
    lucky guess, is not yet "learned").
    """
    if not correct:
        return 1, now + timedelta(days=BOX_DAYS[0])
    if box is None:
        return len(BOX_DAYS), now + timedelta(days=FIRST_RIGHT_DAYS)
    if box == LEARNED or box >= len(BOX_DAYS):
        return LEARNED, now
    return box + 1, now + timedelta(days=BOX_DAYS[box])


def record_practice(storage: Storage, user_id: int, question: QuizQuestion, correct: bool) -> Card:
    """Move a practice question's card after an answer, and store it."""
    now = storage.connection.clock()
    key = card_key(question)
    card = storage.quizzes.card(user_id, key)
    box, due = after_answer(card.box if card else None, correct, datetime.fromisoformat(now))
    moved = Card(user_id, key, to_json(question), box, due.isoformat(timespec="seconds"), now)
    storage.quizzes.save_card(moved)
    return moved


def next_practice(
    storage: Storage,
    user_id: int,
    steps: Sequence[Step],
    role: str | None,
    seed: int | str,
) -> tuple[QuizQuestion, bool] | None:
    """The next practice question, and whether it is a card come due (else a new one).

    Due cards come first, the longest-waiting first; then a question the person has no
    card for. None when the SOP has nothing new left to ask.
    """
    now = storage.connection.clock()
    cards = storage.quizzes.cards(user_id)
    served = {step.id for step in steps}
    due = [card for card in cards if card.box != LEARNED and card.due_at <= now]
    # A card of a step no longer served to the person (removed, or its document out of
    # service or limited to other stores) waits until it is served again.
    for card in due:
        question = from_json(card.question)
        if question.step_id in served:
            return question, True
    known = {card.card for card in cards}
    for question in draw(steps, role, seed):
        if card_key(question) not in known:
            return question, False
    if role is not None:
        return next_practice(storage, user_id, steps, None, seed)
    return None


def draw(steps: Sequence[Step], role: str | None, seed: int | str) -> list[QuizQuestion]:
    """Questions to practise: for the person's role when it has material, else any."""
    questions = generate_questions(steps, DRAW_POOL, role=role, seed=seed)
    if not questions and role is not None:
        questions = generate_questions(steps, DRAW_POOL, seed=seed)
    return questions


def due_count(storage: Storage, user_id: int) -> int:
    now = storage.connection.clock()
    return sum(
        card.box != LEARNED and card.due_at <= now for card in storage.quizzes.cards(user_id)
    )
