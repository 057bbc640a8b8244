"""Trainer quizzes, the polls sent for them and for practice, answers, Leitner cards and
daily practice reminders. The rules are in ``bot/quizzes/service.py``."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bot.storage.base import Repository

QUIZ_COLUMNS = "id, chat_id, started_by, role, questions, position, started_at, ended_at"
POLL_COLUMNS = (
    "poll_id, chat_id, message_id, quiz_id, position, owner_id, card, round_size, round, "
    "question, correct, options, role, breadcrumb, sent_at"
)
CARD_COLUMNS = "user_id, card, question, box, due_at, updated_at"


@dataclass(frozen=True)
class QuizRun:
    """A trainer quiz in a chat: its questions (JSON) and the one being asked."""

    id: int
    chat_id: int
    started_by: int
    role: str | None
    questions: str
    position: int
    started_at: str
    ended_at: str | None


@dataclass(frozen=True)
class SentPoll:
    """A quiz poll the bot sent, for a trainer quiz (``quiz_id``) or practice (``owner_id``)."""

    poll_id: str
    chat_id: int
    message_id: int
    quiz_id: int | None
    position: int
    owner_id: int | None
    card: str | None
    round_size: int | None
    round: str | None
    question: str  # JSON
    correct: int
    options: int
    role: str | None
    breadcrumb: str | None
    sent_at: str = ""


@dataclass(frozen=True)
class ScoredAnswer:
    user_id: int
    name: str
    poll_id: str
    position: int
    correct: bool
    role: str
    breadcrumb: str
    at: str


@dataclass(frozen=True)
class Card:
    """A practice question in a person's Leitner box (box 0: learned, not asked again)."""

    user_id: int
    card: str
    question: str  # JSON
    box: int
    due_at: str
    updated_at: str


class Quizzes(Repository):
    def start_quiz(self, chat_id: int, started_by: int, role: str | None, questions: str) -> int:
        """Store a new quiz (``questions`` as JSON) at its first question; return its id."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO quizzes (chat_id, started_by, role, questions, position, started_at) "
                "VALUES (?, ?, ?, ?, 0, ?)",
                (chat_id, started_by, role, questions, self.clock()),
            )
        return int(cursor.lastrowid or 0)

    def quiz(self, quiz_id: int) -> QuizRun | None:
        row = self.row(f"SELECT {QUIZ_COLUMNS} FROM quizzes WHERE id = ?", (quiz_id,))
        return QuizRun(**row) if row else None

    def running_quiz(self, chat_id: int) -> QuizRun | None:
        """The quiz still running in a chat, if any."""
        row = self.row(
            f"SELECT {QUIZ_COLUMNS} FROM quizzes WHERE chat_id = ? AND ended_at IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (chat_id,),
        )
        return QuizRun(**row) if row else None

    def running_group_quizzes(self) -> list[tuple[QuizRun, str | None]]:
        """Quizzes still running in groups, each with when its current question was sent
        (None if the bot stopped before sending it)."""
        columns = ", ".join(f"q.{name.strip()}" for name in QUIZ_COLUMNS.split(","))
        rows = self.rows(
            f"SELECT {columns}, p.sent_at AS current_sent_at FROM quizzes q LEFT JOIN polls p "
            "ON p.quiz_id = q.id AND p.position = q.position "
            "WHERE q.ended_at IS NULL AND q.chat_id < 0 ORDER BY q.id"
        )
        found = []
        for row in rows:
            sent_at = row.pop("current_sent_at")
            found.append((QuizRun(**row), sent_at))
        return found

    def advance_quiz(self, quiz_id: int, position: int) -> bool:
        """Move a running quiz past question ``position``; False if it already moved on."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE quizzes SET position = position + 1 "
                "WHERE id = ? AND position = ? AND ended_at IS NULL",
                (quiz_id, position),
            )
        return cursor.rowcount == 1

    def end_quiz(self, quiz_id: int) -> bool:
        """Mark a quiz ended; False if it already was (so its summary is posted once)."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE quizzes SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                (self.clock(), quiz_id),
            )
        return cursor.rowcount == 1

    def add_poll(self, poll: SentPoll) -> None:
        row = asdict(poll)
        row["sent_at"] = poll.sent_at or self.clock()
        with self.transaction():
            self.db.execute(
                f"INSERT INTO polls ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )

    def poll(self, poll_id: str) -> SentPoll | None:
        row = self.row(f"SELECT {POLL_COLUMNS} FROM polls WHERE poll_id = ?", (poll_id,))
        return SentPoll(**row) if row else None

    def record_answer(self, poll_id: str, user_id: int, option: int, correct: bool) -> bool:
        """Store a person's answer to a poll; False if they had answered it already."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO answers (poll_id, user_id, option, correct, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (poll_id, user_id, option, int(correct), self.clock()),
            )
        return cursor.rowcount == 1

    def quiz_answers(self, quiz_id: int) -> list[ScoredAnswer]:
        """Every answer given in a quiz, with the answerer's name, in question order."""
        return self._answers("p.quiz_id = ?", (quiz_id,))

    def round_answers(self, round_id: str) -> list[ScoredAnswer]:
        """The answers of one practice round."""
        return self._answers("p.round = ?", (round_id,))

    def answers_of(self, user_id: int, since: str = "") -> list[ScoredAnswer]:
        """A person's answers (quizzes and practice) given at or after ``since``."""
        return self._answers("a.user_id = ? AND a.at >= ?", (user_id, since))

    def answers_since(self, since: str) -> list[ScoredAnswer]:
        """Everyone's answers given at or after ``since`` (for leaderboards)."""
        return self._answers("a.at >= ?", (since,))

    def _answers(self, where: str, values: tuple[object, ...]) -> list[ScoredAnswer]:
        rows = self.rows(
            "SELECT a.user_id, COALESCE(pe.name, u.name, '') AS name, p.poll_id, p.position, "
            "a.correct, COALESCE(p.role, '') AS role, COALESCE(p.breadcrumb, '') AS breadcrumb, "
            "a.at FROM answers a JOIN polls p ON p.poll_id = a.poll_id "
            "LEFT JOIN people pe ON pe.user_id = a.user_id "
            "LEFT JOIN users u ON u.id = a.user_id "
            f"WHERE {where} ORDER BY p.position, a.id",
            values,
        )
        return [ScoredAnswer(**{**row, "correct": bool(row["correct"])}) for row in rows]

    def card(self, user_id: int, card: str) -> Card | None:
        row = self.row(
            f"SELECT {CARD_COLUMNS} FROM cards WHERE user_id = ? AND card = ?", (user_id, card)
        )
        return Card(**row) if row else None

    def cards(self, user_id: int) -> list[Card]:
        """A person's practice cards, the soonest due first (learned ones, box 0, too)."""
        rows = self.rows(
            f"SELECT {CARD_COLUMNS} FROM cards WHERE user_id = ? ORDER BY due_at, card",
            (user_id,),
        )
        return [Card(**row) for row in rows]

    def save_card(self, card: Card) -> None:
        row = asdict(card)
        with self.transaction():
            self.db.execute(
                f"INSERT OR REPLACE INTO cards ({', '.join(row)}) "
                f"VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )

    def set_reminder(self, user_id: int, chat_id: int, at: str) -> None:
        """Remind a person to practise every day at ``at`` (HH:MM, the store's time)."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO practice_reminders (user_id, chat_id, at) VALUES (?, ?, ?)",
                (user_id, chat_id, at),
            )

    def clear_reminder(self, user_id: int) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM practice_reminders WHERE user_id = ?", (user_id,))

    def reminders(self) -> list[tuple[int, int, str]]:
        """(user id, chat id, HH:MM) of every daily practice reminder."""
        rows = self.rows("SELECT user_id, chat_id, at FROM practice_reminders ORDER BY user_id")
        return [(int(row["user_id"]), int(row["chat_id"]), str(row["at"])) for row in rows]
