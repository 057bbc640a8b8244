"""The question log (kept SOPBOT_LOG_DAYS), knowledge gaps, taught wordings, usage counts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.storage.base import MEMORY, Repository
from bot.storage.users import DOWN
from knowledge.base import NOT_QUESTIONS

Taught = dict[str, list[str]]  # wordings by step id


@dataclass(frozen=True)
class TaughtWording:
    """One staff wording taught to a step: who taught it and when."""

    id: int
    step_id: str
    question: str
    taught_by: int
    at: str


# Which stores a count covers: some (their names), or every store (None). Who sees which is
# decided in bot/access/rules.py (stores_seen_by).
Stores = Iterable[str] | None


def in_stores(column: str, stores: Stores) -> tuple[str, tuple[str, ...]]:
    """(SQL condition, its values): ``column`` is one of ``stores``; always true for None."""
    if stores is None:
        return "1", ()
    names = tuple(stores)
    return f"{column} IN ({', '.join('?' * len(names))})", names


def members_of(column: str, stores: Stores) -> tuple[str, tuple[str, ...]]:
    """(SQL condition, its values): the person ``column`` names belongs to one of ``stores``."""
    if stores is None:
        return "1", ()
    condition, names = in_stores("store", stores)
    return f"{column} IN (SELECT user_id FROM memberships WHERE {condition})", names


class Questions(Repository):
    def log_question(
        self,
        user_id: int,
        store: str | None,
        query: str,
        step_id: str | None,
        confidence: str,
        problem: str,
        latency_ms: float,
    ) -> int:
        """Keep one asked question with what it got; returns its id."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO questions (user_id, store, at, query, step_id, confidence, problem,"
                " latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (user_id, store, self.clock(), query, step_id, confidence, problem, latency_ms),
            )
        return int(cursor.lastrowid or 0)

    def last_question(self, user_id: int, step_id: str) -> str | None:
        """The latest question of this person that was answered with this step, if logged."""
        with self.lock:
            row = self.db.execute(
                "SELECT query FROM questions WHERE user_id = ? AND step_id = ? AND query != '' "
                "ORDER BY id DESC LIMIT 1",
                (user_id, step_id),
            ).fetchone()
        return str(row[0]) if row else None

    def prune_questions(self, days: int) -> int:
        """Forget questions (and the votes on them) older than ``days``; returns how many."""
        cutoff = self.cutoff(days)
        with self.transaction():
            removed = self.db.execute("DELETE FROM questions WHERE at < ?", (cutoff,)).rowcount
            self.db.execute("DELETE FROM feedback WHERE at < ?", (cutoff,))
        return removed

    def asked(
        self, days: float, stores: Stores = None
    ) -> list[tuple[str, str | None, str | None, str, str]]:
        """(at, store, step id, confidence, problem) of every question of the last ``days``
        asked in ``stores`` (None: anywhere)."""
        where, names = in_stores("store", stores)
        rows = self.rows(
            "SELECT at, store, step_id, confidence, problem FROM questions WHERE at >= ? "
            f"AND {where} ORDER BY id",
            (self.cutoff(days), *names),
        )
        return [
            (row["at"], row["store"], row["step_id"], row["confidence"], row["problem"])
            for row in rows
        ]

    def gap_questions(
        self, days: float, stores: Stores = None
    ) -> list[tuple[str, str, str | None]]:
        """(question, "unanswered" or "downvoted", step id) of the last ``days``, asked in
        ``stores`` (None: anywhere).

        Unanswered: the answer was not confident (empty and word-less messages, greetings
        and thanks are not questions). Downvoted: a 👎 on an answer, of the store the
        question was logged under.
        """
        since = self.cutoff(days)
        skipped = sorted(NOT_QUESTIONS)
        where, names = in_stores("store", stores)
        unanswered = self.rows(
            "SELECT query, step_id FROM questions WHERE at >= ? AND confidence != 'high' "
            f"AND coalesce(problem, '') NOT IN ({', '.join('?' * len(skipped))}) AND {where} "
            "ORDER BY id",
            (since, *skipped, *names),
        )
        asked_here, names = in_stores("q.store", stores)
        downvoted = self.rows(
            "SELECT query, step_id FROM feedback f WHERE at >= ? AND vote = ? AND query != '' "
            + (
                ""
                if stores is None
                else "AND EXISTS (SELECT 1 FROM questions q WHERE q.user_id = f.user_id "
                f"AND q.query = f.query AND {asked_here}) "
            )
            + "ORDER BY id",
            (since, DOWN, *names),
        )
        return [(row["query"], "unanswered", row["step_id"]) for row in unanswered] + [
            (row["query"], "downvoted", row["step_id"]) for row in downvoted
        ]

    def question_votes(self, days: float, stores: Stores = None) -> tuple[int, int]:
        """👍 and 👎 on the answers to the logged questions of the last ``days``."""
        where, names = in_stores("q.store", stores)
        row = self.row(
            "SELECT coalesce(sum(f.vote = 1), 0) AS up, coalesce(sum(f.vote = -1), 0) AS down "
            "FROM feedback f WHERE f.at >= ? AND EXISTS (SELECT 1 FROM questions q "
            f"WHERE q.user_id = f.user_id AND q.query = f.query AND {where})",
            (self.cutoff(days), *names),
        )
        assert row is not None
        return int(row["up"]), int(row["down"])

    def briefing_reads(self, days: float, stores: Stores = None) -> tuple[int, int]:
        """(read, delivered) of briefings sent in the last ``days`` to people of ``stores``."""
        where, names = members_of("user_id", stores)
        row = self.row(
            "SELECT coalesce(sum(read_at IS NOT NULL), 0) AS read, count(*) AS delivered "
            f"FROM deliveries WHERE sent_at >= ? AND {where}",
            (self.cutoff(days), *names),
        )
        assert row is not None
        return int(row["read"]), int(row["delivered"])

    def quiz_results(self, days: float, stores: Stores = None) -> tuple[int, int]:
        """(correct, answered) quiz answers of the last ``days`` by people of ``stores``."""
        where, names = members_of("user_id", stores)
        row = self.row(
            "SELECT coalesce(sum(correct), 0) AS correct, count(*) AS answered "
            f"FROM answers WHERE at >= ? AND {where}",
            (self.cutoff(days), *names),
        )
        assert row is not None
        return int(row["correct"]), int(row["answered"])

    # -- taught wordings -------------------------------------------------------------------

    def teach(self, step_id: str, questions: Iterable[str], taught_by: int) -> int:
        """Make staff wordings alternate questions of a step; returns how many were new."""
        return len(self.teach_rows(step_id, questions, taught_by))

    def teach_rows(self, step_id: str, questions: Iterable[str], taught_by: int) -> list[int]:
        """:meth:`teach`, returning the row ids of the wordings that were new (to undo)."""
        added = []
        with self.transaction():
            for question in questions:
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO taught (step_id, question, taught_by, at) "
                    "VALUES (?, ?, ?, ?)",
                    (step_id, question, taught_by, self.clock()),
                )
                if cursor.rowcount and cursor.lastrowid is not None:
                    added.append(int(cursor.lastrowid))
        return added

    def taught_wordings(self, limit: int) -> list[TaughtWording]:
        """The latest taught wordings, newest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT id, step_id, question, taught_by, at FROM taught ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [TaughtWording(int(r[0]), r[1], r[2], int(r[3] or 0), r[4]) for r in rows]

    def taught_wording(self, row_id: int) -> TaughtWording | None:
        with self.lock:
            row = self.db.execute(
                "SELECT id, step_id, question, taught_by, at FROM taught WHERE id = ?", (row_id,)
            ).fetchone()
        return TaughtWording(int(row[0]), row[1], row[2], int(row[3] or 0), row[4]) if row else None

    def forget_taught(self, row_ids: Iterable[int]) -> int:
        """Take taught wordings back; returns how many were still there."""
        removed = 0
        with self.transaction():
            for row_id in row_ids:
                removed += self.db.execute("DELETE FROM taught WHERE id = ?", (row_id,)).rowcount
        return removed

    def taught(self) -> Taught:
        """Taught wordings by step id, in the order taught."""
        with self.lock:
            return by_step(self.db.conn)

    @staticmethod
    def read_taught(path: Path | str) -> Taught:
        """Taught wordings from the bot's database without creating or migrating it (CLI)."""
        if str(path) == MEMORY or not Path(path).exists():
            return {}
        connection = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            return by_step(connection)
        except sqlite3.OperationalError:  # an older database, before anything was taught
            return {}
        finally:
            connection.close()


def by_step(connection: sqlite3.Connection) -> Taught:
    found: Taught = {}
    for step_id, question in connection.execute("SELECT step_id, question FROM taught ORDER BY id"):
        found.setdefault(step_id, []).append(question)
    return found
