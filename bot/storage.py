"""The bot's own data in SQLite: who uses it, their role, and what they thought of answers.

The schema is versioned with ``PRAGMA user_version``: ``MIGRATIONS`` is an ordered list and
a database at version n gets migrations n+1… applied, each in its own transaction. Later
features append migrations; they never edit one that has shipped.

Calls are short (one indexed row) and run on the event loop's thread; the connection is
opened with ``check_same_thread=False`` and guarded by a lock so a worker thread (a job, a
benchmark) may use it as well.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from knowledge.base import NOT_QUESTIONS

log = logging.getLogger(__name__)

MEMORY = ":memory:"
UP, DOWN = 1, -1


def create_users_and_feedback(db: sqlite_utils.Database) -> None:
    db.table("users").create(
        {
            "id": int,  # Telegram user id
            "name": str,
            "username": str,
            "language": str,  # Telegram's language_code, e.g. "zh-hant"
            "role": str,  # preferred SOP role, NULL for none
            "first_seen": str,  # ISO 8601, UTC
            "last_seen": str,
        },
        pk="id",
    )
    db.table("feedback").create(
        {
            "id": int,
            "user_id": int,
            "query": str,
            "step_id": str,
            "vote": int,  # +1 or -1
            "at": str,
        },
        pk="id",
        not_null={"user_id", "query", "step_id", "vote", "at"},
    )
    # A user's later vote on the same answer replaces the earlier one.
    db.table("feedback").create_index(["user_id", "query", "step_id"], unique=True)


def create_people(db: sqlite_utils.Database) -> None:
    """Who may use the bot: access level, stores, and an audit trail."""
    db["people"].create(
        {
            "user_id": int,  # Telegram user id
            "name": str,
            "access": str,  # staff, trainer, manager or admin
            "active": int,  # 0 once revoked
            "joined_at": str,
            "revoked_at": str,
        },
        pk="user_id",
        not_null={"name", "access", "active", "joined_at"},
    )
    # A person belongs to one store or team, a manager possibly to several.
    db["memberships"].create({"user_id": int, "store": str}, pk=("user_id", "store"))
    db["audit"].create(
        {"id": int, "at": str, "actor": int, "action": str, "target": str, "detail": str},
        pk="id",
    )


def create_quizzes(db: sqlite_utils.Database) -> None:
    """Trainer quizzes, the polls sent for them and for practice, answers, Leitner cards."""
    db["quizzes"].create(
        {
            "id": int,
            "chat_id": int,
            "started_by": int,
            "role": str,  # the role asked about, NULL for all
            "questions": str,  # JSON list of the questions, in the order asked
            "position": int,  # the question being asked, from 0
            "started_at": str,
            "ended_at": str,  # NULL while running
        },
        pk="id",
        not_null={"chat_id", "started_by", "questions", "position", "started_at"},
    )
    db["quizzes"].create_index(["chat_id", "ended_at"])
    # Every quiz poll the bot sent: a trainer quiz's (quiz_id, position) or a practice
    # question's (owner_id, card, position in the round of round_size, round id).
    db["polls"].create(
        {
            "poll_id": str,  # Telegram's id, what a PollAnswer names
            "chat_id": int,
            "message_id": int,
            "quiz_id": int,
            "position": int,
            "owner_id": int,
            "card": str,
            "round_size": int,
            "round": str,
            "question": str,  # JSON of the question
            "correct": int,
            "options": int,  # how many options, to reject answers naming others
            "role": str,
            "breadcrumb": str,
            "sent_at": str,
        },
        pk="poll_id",
        not_null={"chat_id", "question", "correct", "options", "sent_at"},
    )
    db["polls"].create_index(["quiz_id", "position"])
    db["answers"].create(
        {"id": int, "poll_id": str, "user_id": int, "option": int, "correct": int, "at": str},
        pk="id",
        not_null={"poll_id", "user_id", "option", "correct", "at"},
    )
    # Only a person's first answer to a poll counts (Telegram allows one for quizzes).
    db["answers"].create_index(["poll_id", "user_id"], unique=True)
    db["answers"].create_index(["user_id", "at"])
    # /practice: a person's missed questions in Leitner boxes (box 0: learned).
    db["cards"].create(
        {
            "user_id": int,
            "card": str,
            "question": str,
            "box": int,
            "due_at": str,
            "updated_at": str,
        },
        pk=("user_id", "card"),
        not_null={"question", "box", "due_at", "updated_at"},
    )
    db["practice_reminders"].create(
        {"user_id": int, "chat_id": int, "at": str}, pk="user_id", not_null={"chat_id", "at"}
    )


def create_invites_and_confirmations(db: sqlite_utils.Database) -> None:
    """Invite links (stored as hashes of their codes) and admin actions awaiting ✅/✖."""
    db["invites"].create(
        {
            "id": int,
            "code_hash": str,  # sha256 of the code: the database alone opens no door
            "access": str,
            "store": str,
            "created_by": int,
            "created_at": str,
            "expires_at": str,
            "max_uses": int,
            "uses": int,
            "revoked_at": str,
        },
        pk="id",
        not_null={"code_hash", "access", "store", "created_by", "expires_at", "max_uses", "uses"},
    )
    db["invites"].create_index(["code_hash"], unique=True)
    db["confirmations"].create(
        {
            "id": int,
            "actor": int,
            "action": str,  # grant or revoke
            "target": int,
            "access": str,
            "store": str,
            "created_at": str,
            "settled_at": str,  # set once confirmed or cancelled: a button works once
        },
        pk="id",
        not_null={"actor", "action", "target", "created_at"},
    )


def create_briefings(db: sqlite_utils.Database) -> None:
    """Manager briefings, one delivery row per (briefing, person), and their schedules."""
    # A briefing is a note (text, or a photo/document with a caption) for an audience.
    # status: composing/timing (waiting for the author's next message), draft, sent,
    # scheduled (the template a schedule copies), cancelled.
    db["briefings"].create(
        {
            "id": int,
            "author": int,
            "author_name": str,
            "kind": str,  # text, photo or document
            "text": str,
            "file_id": str,
            "audience": str,  # all, store:<name> or level:<access>
            "status": str,
            "schedule_id": int,  # the schedule that sent it, if any
            "created_at": str,
            "sent_at": str,
            "remind_at": str,  # when the unread get a reminder; NULL once done
        },
        pk="id",
        not_null={"author", "kind", "text", "status", "created_at"},
    )
    db["briefings"].create_index(["author", "status"])
    # The durable job: pending -> sending (written before the Bot API call) -> sent, failed,
    # blocked, or uncertain (a "sending" row found after a crash; see bot/briefings.py).
    db["deliveries"].create(
        {
            "briefing_id": int,
            "user_id": int,
            "state": str,
            "attempts": int,
            "message_id": int,
            "error": str,
            "queued_at": str,
            "sent_at": str,
            "read_at": str,
            "reminded_at": str,
        },
        pk=("briefing_id", "user_id"),
        not_null={"state", "attempts", "queued_at"},
    )
    db["deliveries"].create_index(["user_id", "read_at"])
    db["deliveries"].create_index(["state"])
    db["briefing_schedules"].create(
        {
            "id": int,
            "briefing_id": int,  # the template
            "author": int,
            "repeat": str,  # once, daily or weekdays
            "at": str,  # HH:MM in the store's time zone
            "run_on": str,  # YYYY-MM-DD, for once
            "active": int,
            "last_fired": str,  # the local date it last fired: never twice a day
            "created_at": str,
        },
        pk="id",
        not_null={"briefing_id", "author", "repeat", "at", "active", "created_at"},
    )
    # People who blocked the bot: no briefing is pushed to them until they write again.
    db["briefing_unreachable"].create(
        {"user_id": int, "since": str, "reason": str}, pk="user_id", not_null={"since"}
    )


def create_question_log_and_taught(db: sqlite_utils.Database) -> None:
    """Every question asked (kept SOPBOT_LOG_DAYS), and staff wordings taught to steps."""
    db["questions"].create(
        {
            "id": int,
            "user_id": int,
            "store": str,  # the asker's (first) store, NULL for none
            "at": str,
            "query": str,  # cut to 500 characters, like a vote's; votes join on (user, query)
            "step_id": str,  # the top step, NULL when there was none
            "confidence": str,  # high, low or none
            "problem": str,  # empty, no_words, too_long, small talk (greeting...) or ""
            "latency_ms": float,
        },
        pk="id",
        not_null={"user_id", "at", "query", "confidence"},
    )
    db["questions"].create_index(["at"])
    db["questions"].create_index(["user_id", "query"])
    db["taught"].create(
        {"id": int, "step_id": str, "question": str, "taught_by": int, "at": str},
        pk="id",
        not_null={"step_id", "question", "at"},
    )
    db["taught"].create_index(["step_id", "question"], unique=True)


Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = [
    create_users_and_feedback,  # 1
    create_people,  # 2
    create_invites_and_confirmations,  # 3
    create_briefings,  # 4
    create_quizzes,  # 5
    create_question_log_and_taught,  # 6
]

# Access levels, least to most: what each may do is decided in bot/access.py.
ACCESS_LEVELS = ("staff", "trainer", "manager", "admin")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    username: str | None
    language: str | None
    role: str | None
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class Person:
    """Someone registered to use the bot."""

    user_id: int
    name: str
    access: str  # one of ACCESS_LEVELS
    stores: tuple[str, ...]
    active: bool

    def at_least(self, access: str) -> bool:
        return self.active and ACCESS_LEVELS.index(self.access) >= ACCESS_LEVELS.index(access)


@dataclass(frozen=True)
class Vote:
    user_id: int
    query: str
    step_id: str
    vote: int
    at: str


@dataclass(frozen=True)
class Invite:
    """An invite link: who may join with it, at which level, into which store, until when."""

    id: int
    access: str
    store: str
    created_by: int
    created_at: str
    expires_at: str
    max_uses: int
    uses: int
    revoked_at: str | None


INVITE_SELECT = (
    "SELECT id, access, store, created_by, created_at, expires_at, max_uses, uses, revoked_at "
    "FROM invites"
)
# What opening an invite link came to.
JOINED, UNKNOWN, USED, EXPIRED, WITHDRAWN = "joined", "unknown", "used", "expired", "withdrawn"


@dataclass(frozen=True)
class Redemption:
    outcome: str  # JOINED, or why not: UNKNOWN, USED, EXPIRED, WITHDRAWN
    invite: Invite | None


@dataclass(frozen=True)
class Confirmation:
    """A grant or revocation an admin or manager asked for, awaiting their ✅ or ✖."""

    id: int
    actor: int
    action: str
    target: int
    access: str | None
    store: str | None
    created_at: str
    settled_at: str | None


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


QUIZ_COLUMNS = "id, chat_id, started_by, role, questions, position, started_at, ended_at"
POLL_COLUMNS = (
    "poll_id, chat_id, message_id, quiz_id, position, owner_id, card, round_size, round, "
    "question, correct, options, role, breadcrumb, sent_at"
)
CARD_COLUMNS = "user_id, card, question, box, due_at, updated_at"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Storage:
    """Users and feedback, in one SQLite file."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], str] = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.lock = threading.Lock()
        self.migrate()

    @classmethod
    def open(cls, path: Path | str, clock: Callable[[], str] = utc_now) -> Storage:
        """Open (creating it and its folder if needed) and migrate the database at ``path``."""
        if str(path) != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), check_same_thread=False)
        db = sqlite_utils.Database(connection)
        if str(path) != MEMORY:
            db.enable_wal()
            # WAL with synchronous=NORMAL survives a crash of the bot; only a power cut can
            # lose the last moments, which for usage stats and votes is acceptable.
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA busy_timeout = 5000")
        return cls(db, clock)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        """Bring the schema up to the newest version."""
        current = self.version
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"the database is at schema version {current}, newer than this sopbot "
                f"({len(MIGRATIONS)}); upgrade sopbot"
            )
        for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction():
                migration(self.db)
                # user_version is part of the database header, so it commits with the rest.
                self.db.execute(f"PRAGMA user_version = {number}")
            log.info("migrated the bot database to version %d (%s)", number, migration.__name__)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            conn = self.db.conn
            conn.execute("BEGIN")
            try:
                yield
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    # -- users -----------------------------------------------------------------------------

    def seen(self, user_id: int, name: str, username: str | None, language: str | None) -> None:
        """Record that a user used the bot, keeping when they first did."""
        now = self.clock()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO users (id, name, username, language, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    name = excluded.name,
                    username = excluded.username,
                    language = excluded.language,
                    last_seen = excluded.last_seen
                """,
                (user_id, name, username, language, now, now),
            )

    def user(self, user_id: int) -> User | None:
        with self.lock:
            row = self.db.execute(
                "SELECT id, name, username, language, role, first_seen, last_seen "
                "FROM users WHERE id = ?",
                (user_id,),
            ).fetchone()
        return User(*row) if row else None

    def role_of(self, user_id: int) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT role FROM users WHERE id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    def set_role(self, user_id: int, role: str | None) -> None:
        """Set (or with None, clear) the role whose steps rank first for this user."""
        now = self.clock()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO users (id, name, role, first_seen, last_seen) VALUES (?, '', ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET role = excluded.role
                """,
                (user_id, role, now, now),
            )

    # -- feedback --------------------------------------------------------------------------

    def vote(self, user_id: int, query: str, step_id: str, vote: int) -> None:
        """Store a 👍 (+1) or 👎 (-1) on an answer; a second vote replaces the first."""
        if vote not in (UP, DOWN):
            raise ValueError(f"a vote is +1 or -1, not {vote!r}")
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO feedback (user_id, query, step_id, vote, at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (user_id, query, step_id) DO UPDATE SET
                    vote = excluded.vote, at = excluded.at
                """,
                (user_id, query, step_id, vote, self.clock()),
            )

    def votes(self) -> list[Vote]:
        """Every stored vote, oldest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT user_id, query, step_id, vote, at FROM feedback ORDER BY id"
            ).fetchall()
        return [Vote(*row) for row in rows]

    # -- question log, knowledge gaps and taught questions (issue 7) ---------------------------

    def cutoff(self, days: float) -> str:
        """The moment ``days`` before now, in the stored form (ISO 8601, UTC)."""
        now = datetime.fromisoformat(self.clock())
        return (now - timedelta(days=days)).isoformat(timespec="seconds")

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

    def prune_questions(self, days: int) -> int:
        """Forget questions (and the votes on them) older than ``days``; returns how many."""
        cutoff = self.cutoff(days)
        with self.transaction():
            removed = self.db.execute("DELETE FROM questions WHERE at < ?", (cutoff,)).rowcount
            self.db.execute("DELETE FROM feedback WHERE at < ?", (cutoff,))
        return removed

    def asked(self, days: float) -> list[tuple[str, str | None, str | None, str, str]]:
        """(at, store, step id, confidence, problem) of every question of the last ``days``."""
        with self.lock:
            rows = self.db.execute(
                "SELECT at, store, step_id, confidence, problem FROM questions WHERE at >= ? "
                "ORDER BY id",
                (self.cutoff(days),),
            ).fetchall()
        return [tuple(row) for row in rows]

    def gap_questions(self, days: float) -> list[tuple[str, str, str | None]]:
        """(question, "unanswered" or "downvoted", step id) of the last ``days``.

        Unanswered: the answer was not confident (empty and word-less messages, greetings
        and thanks are not questions). Downvoted: a 👎 on an answer.
        """
        since = self.cutoff(days)
        skipped = sorted(NOT_QUESTIONS)
        with self.lock:
            unanswered = self.db.execute(
                "SELECT query, step_id FROM questions WHERE at >= ? AND confidence != 'high' "
                f"AND coalesce(problem, '') NOT IN ({', '.join('?' * len(skipped))}) ORDER BY id",
                (since, *skipped),
            ).fetchall()
            downvoted = self.db.execute(
                "SELECT query, step_id FROM feedback WHERE at >= ? AND vote = ? AND query != '' "
                "ORDER BY id",
                (since, DOWN),
            ).fetchall()
        return [(q, "unanswered", s) for q, s in unanswered] + [
            (q, "downvoted", s) for q, s in downvoted
        ]

    def question_votes(self, days: float) -> tuple[int, int]:
        """👍 and 👎 on the answers to the logged questions of the last ``days``."""
        with self.lock:
            row = self.db.execute(
                "SELECT coalesce(sum(f.vote = 1), 0), coalesce(sum(f.vote = -1), 0) "
                "FROM feedback f WHERE f.at >= ? AND EXISTS (SELECT 1 FROM questions q "
                "WHERE q.user_id = f.user_id AND q.query = f.query)",
                (self.cutoff(days),),
            ).fetchone()
        return int(row[0]), int(row[1])

    def teach(self, step_id: str, questions: Iterable[str], taught_by: int) -> int:
        """Make staff wordings alternate questions of a step; returns how many were new."""
        added = 0
        with self.transaction():
            for question in questions:
                added += self.db.execute(
                    "INSERT OR IGNORE INTO taught (step_id, question, taught_by, at) "
                    "VALUES (?, ?, ?, ?)",
                    (step_id, question, taught_by, self.clock()),
                ).rowcount
        return added

    def taught(self) -> dict[str, list[str]]:
        """Taught wordings by step id, in the order taught."""
        with self.lock:
            rows = self.db.execute("SELECT step_id, question FROM taught ORDER BY id").fetchall()
        found: dict[str, list[str]] = {}
        for step_id, question in rows:
            found.setdefault(step_id, []).append(question)
        return found

    @staticmethod
    def read_taught(path: Path | str) -> dict[str, list[str]]:
        """Taught wordings from the bot's database without creating or migrating it (CLI)."""
        if str(path) == MEMORY or not Path(path).exists():
            return {}
        connection = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT step_id, question FROM taught ORDER BY id")
            found: dict[str, list[str]] = {}
            for step_id, question in rows:
                found.setdefault(step_id, []).append(question)
            return found
        except sqlite3.OperationalError:  # an older database, before anything was taught
            return {}
        finally:
            connection.close()

    def table_exists(self, name: str) -> bool:
        with self.lock:
            return bool(
                self.db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
                ).fetchone()
            )

    def briefing_reads(self, days: float) -> tuple[int, int] | None:
        """(read, delivered) of briefings sent in the last ``days``; None without briefings."""
        if not self.table_exists("deliveries"):
            return None
        with self.lock:
            row = self.db.execute(
                "SELECT coalesce(sum(read_at IS NOT NULL), 0), count(*) FROM deliveries "
                "WHERE sent_at >= ?",
                (self.cutoff(days),),
            ).fetchone()
        return int(row[0]), int(row[1])

    def quiz_results(self, days: float) -> tuple[int, int] | None:
        """(correct, answered) quiz answers of the last ``days``; None without quizzes."""
        if not self.table_exists("answers"):
            return None
        with self.lock:
            row = self.db.execute(
                "SELECT coalesce(sum(correct), 0), count(*) FROM answers WHERE at >= ?",
                (self.cutoff(days),),
            ).fetchone()
        return int(row[0]), int(row[1])

    # -- people: who may use the bot, with which access, in which stores ----------------------

    def add_person(
        self, user_id: int, name: str, access: str, stores: Iterable[str] = ()
    ) -> Person:
        """Register (or re-activate) a person with one access level and their stores."""
        if access not in ACCESS_LEVELS:
            raise ValueError(f"access is one of {ACCESS_LEVELS}, not {access!r}")
        with self.transaction():
            self._register(user_id, name, access, stores)
        person = self.person(user_id)
        assert person is not None
        return person

    def _register(self, user_id: int, name: str, access: str, stores: Iterable[str]) -> None:
        """add_person's writes, for use inside a transaction."""
        self.db.execute(
            """
            INSERT INTO people (user_id, name, access, active, joined_at)
            VALUES (?, ?, ?, 1, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                name = excluded.name, access = excluded.access, active = 1,
                revoked_at = NULL
            """,
            (user_id, name, access, self.clock()),
        )
        for store in stores:
            self.db.execute(
                "INSERT OR IGNORE INTO memberships (user_id, store) VALUES (?, ?)",
                (user_id, store),
            )

    def person(self, user_id: int) -> Person | None:
        """The registered person with this Telegram id (active or not), or None."""
        with self.lock:
            row = self.db.execute(
                "SELECT user_id, name, access, active FROM people WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is None:
                return None
            stores = tuple(
                store
                for (store,) in self.db.execute(
                    "SELECT store FROM memberships WHERE user_id = ? ORDER BY store", (user_id,)
                )
            )
        return Person(row[0], row[1], row[2], stores, bool(row[3]))

    def people(
        self, stores: Iterable[str] | None = None, active: bool | None = True
    ) -> list[Person]:
        """People, optionally only those in some stores, by name."""
        with self.lock:
            ids = [
                user_id
                for (user_id,) in self.db.execute(
                    "SELECT user_id FROM people ORDER BY name, user_id"
                )
            ]
        found = [person for person in map(self.person, ids) if person is not None]
        if stores is not None:
            wanted = set(stores)
            found = [p for p in found if wanted.intersection(p.stores)]
        if active is not None:
            found = [p for p in found if p.active == active]
        return found

    def set_access(self, user_id: int, access: str) -> None:
        if access not in ACCESS_LEVELS:
            raise ValueError(f"access is one of {ACCESS_LEVELS}, not {access!r}")
        with self.transaction():
            self.db.execute("UPDATE people SET access = ? WHERE user_id = ?", (access, user_id))

    def deactivate(self, user_id: int) -> None:
        """Revoke a person: they lose access at once; their history stays."""
        with self.transaction():
            self.db.execute(
                "UPDATE people SET active = 0, revoked_at = ? WHERE user_id = ?",
                (self.clock(), user_id),
            )

    def log_action(self, actor: int, action: str, target: str, detail: str = "") -> None:
        """Keep an audit trail of who changed what (grants, revocations, invites)."""
        with self.transaction():
            self.db["audit"].insert(
                {
                    "at": self.clock(),
                    "actor": actor,
                    "action": action,
                    "target": target,
                    "detail": detail,
                }
            )

    # -- invites and confirmations (# 3; bot/access.py holds the rules) ----------------------

    def user_by_username(self, username: str) -> User | None:
        """The user who last wrote with this @username (without the @), if any."""
        with self.lock:
            row = self.db.execute(
                "SELECT id FROM users WHERE username = ? COLLATE NOCASE "
                "ORDER BY last_seen DESC LIMIT 1",
                (username,),
            ).fetchone()
        return self.user(row[0]) if row else None

    def create_invite(
        self, code_hash: str, access: str, store: str, created_by: int, hours: int, max_uses: int
    ) -> Invite:
        """Store an invite link (by the hash of its code), valid for ``hours`` from now."""
        if access not in ACCESS_LEVELS:
            raise ValueError(f"access is one of {ACCESS_LEVELS}, not {access!r}")
        now = self.clock()
        expires = datetime.fromisoformat(now) + timedelta(hours=hours)
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO invites (code_hash, access, store, created_by, created_at, "
                "expires_at, max_uses, uses) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (code_hash, access, store, created_by, now, expires.isoformat(), max_uses),
            )
            invite_id = cursor.lastrowid
        invite = self.invite(invite_id)
        assert invite is not None
        return invite

    def invite(self, invite_id: int) -> Invite | None:
        with self.lock:
            row = self.db.execute(f"{INVITE_SELECT} WHERE id = ?", (invite_id,)).fetchone()
        return Invite(*row) if row else None

    def withdraw_invite(self, invite_id: int) -> None:
        """Make an invite link refuse everyone from now on."""
        with self.transaction():
            self.db.execute(
                "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self.clock(), invite_id),
            )

    def redeem_invite(self, code_hash: str, user_id: int, name: str) -> Redemption:
        """Register ``user_id`` with the invite's level and store, if the invite still admits.

        Checking and counting the use happen in one transaction, so a one-time link
        admits one person even when two open it at once.
        """
        with self.transaction():
            row = self.db.execute(f"{INVITE_SELECT} WHERE code_hash = ?", (code_hash,)).fetchone()
            if row is None:
                return Redemption(UNKNOWN, None)
            invite = Invite(*row)
            if invite.revoked_at is not None:
                return Redemption(WITHDRAWN, invite)
            if datetime.fromisoformat(self.clock()) >= datetime.fromisoformat(invite.expires_at):
                return Redemption(EXPIRED, invite)
            if invite.uses >= invite.max_uses:
                return Redemption(USED, invite)
            self.db.execute("UPDATE invites SET uses = uses + 1 WHERE id = ?", (invite.id,))
            self._register(user_id, name, invite.access, [invite.store])
        return Redemption(JOINED, invite)

    def propose(
        self, actor: int, action: str, target: int, access: str | None, store: str | None
    ) -> Confirmation:
        """Keep an action until its ✅ or ✖ is pressed (it survives a restart)."""
        now = self.clock()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO confirmations (actor, action, target, access, store, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (actor, action, target, access, store, now),
            )
            confirmation_id = cursor.lastrowid
        return Confirmation(confirmation_id, actor, action, target, access, store, now, None)

    def settle(self, confirmation_id: int, actor: int) -> Confirmation | None:
        """Mark ``actor``'s awaited action as answered; None if unknown, theirs or not, or
        answered already.

        Only the first press of ✅ or ✖ gets the action back, so a double tap acts once, and
        a forged press by someone else settles nothing.
        """
        with self.transaction():
            row = self.db.execute(
                "SELECT id, actor, action, target, access, store, created_at, settled_at "
                "FROM confirmations WHERE id = ? AND actor = ? AND settled_at IS NULL",
                (confirmation_id, actor),
            ).fetchone()
            if row is None:
                return None
            self.db.execute(
                "UPDATE confirmations SET settled_at = ? WHERE id = ?",
                (self.clock(), confirmation_id),
            )
        return Confirmation(*row)

    # -- quizzes, practice and their answers (bot/quizzes.py holds the rules) ----------------

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
        with self.lock:
            row = self.db.execute(
                f"SELECT {QUIZ_COLUMNS} FROM quizzes WHERE id = ?", (quiz_id,)
            ).fetchone()
        return QuizRun(*row) if row else None

    def running_quiz(self, chat_id: int) -> QuizRun | None:
        """The quiz still running in a chat, if any."""
        with self.lock:
            row = self.db.execute(
                f"SELECT {QUIZ_COLUMNS} FROM quizzes WHERE chat_id = ? AND ended_at IS NULL "
                "ORDER BY id DESC LIMIT 1",
                (chat_id,),
            ).fetchone()
        return QuizRun(*row) if row else None

    def running_group_quizzes(self) -> list[tuple[QuizRun, str | None]]:
        """Quizzes still running in groups, each with when its current question was sent
        (None if the bot stopped before sending it)."""
        columns = ", ".join(f"q.{name.strip()}" for name in QUIZ_COLUMNS.split(","))
        with self.lock:
            rows = self.db.execute(
                f"SELECT {columns}, p.sent_at FROM quizzes q LEFT JOIN polls p "
                "ON p.quiz_id = q.id AND p.position = q.position "
                "WHERE q.ended_at IS NULL AND q.chat_id < 0 ORDER BY q.id"
            ).fetchall()
        return [(QuizRun(*row[:-1]), row[-1]) for row in rows]

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
        with self.transaction():
            self.db.execute(
                f"INSERT INTO polls ({POLL_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                (
                    poll.poll_id,
                    poll.chat_id,
                    poll.message_id,
                    poll.quiz_id,
                    poll.position,
                    poll.owner_id,
                    poll.card,
                    poll.round_size,
                    poll.round,
                    poll.question,
                    poll.correct,
                    poll.options,
                    poll.role,
                    poll.breadcrumb,
                    poll.sent_at or self.clock(),
                ),
            )

    def poll(self, poll_id: str) -> SentPoll | None:
        with self.lock:
            row = self.db.execute(
                f"SELECT {POLL_COLUMNS} FROM polls WHERE poll_id = ?", (poll_id,)
            ).fetchone()
        return SentPoll(*row) if row else None

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
        with self.lock:
            rows = self.db.execute(
                "SELECT a.user_id, COALESCE(pe.name, u.name, ''), p.poll_id, p.position, "
                "a.correct, COALESCE(p.role, ''), COALESCE(p.breadcrumb, ''), a.at "
                "FROM answers a JOIN polls p ON p.poll_id = a.poll_id "
                "LEFT JOIN people pe ON pe.user_id = a.user_id "
                "LEFT JOIN users u ON u.id = a.user_id "
                f"WHERE {where} ORDER BY p.position, a.id",
                values,
            ).fetchall()
        return [ScoredAnswer(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]

    def card(self, user_id: int, card: str) -> Card | None:
        with self.lock:
            row = self.db.execute(
                f"SELECT {CARD_COLUMNS} FROM cards WHERE user_id = ? AND card = ?",
                (user_id, card),
            ).fetchone()
        return Card(*row) if row else None

    def cards(self, user_id: int) -> list[Card]:
        """A person's practice cards, the soonest due first (learned ones, box 0, too)."""
        with self.lock:
            rows = self.db.execute(
                f"SELECT {CARD_COLUMNS} FROM cards WHERE user_id = ? ORDER BY due_at, card",
                (user_id,),
            ).fetchall()
        return [Card(*row) for row in rows]

    def save_card(self, card: Card) -> None:
        with self.transaction():
            self.db.execute(
                f"INSERT OR REPLACE INTO cards ({CARD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (card.user_id, card.card, card.question, card.box, card.due_at, card.updated_at),
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
        with self.lock:
            rows = self.db.execute(
                "SELECT user_id, chat_id, at FROM practice_reminders ORDER BY user_id"
            ).fetchall()
        return [(int(u), int(c), str(a)) for u, c, a in rows]
