"""The bot's own data in one SQLite file: one connection, a repository per concern.

=================  ==========================================================
``base``           the connection, its lock and clock, rows mapped by name
``schema``         the tables, as sqlite-utils migrations (adopting user_version)
``users``          who wrote to the bot, their chosen role, votes on answers
``people``         who may use the bot: access level, stores, audit trail
``invites``        invite links and grants or revocations awaiting ✅/✖
``quizzes``        trainer quizzes, polls, answers, Leitner cards, reminders
``questions``      the question log, knowledge gaps, taught wordings, usage
``briefings``      briefings, deliveries and schedules
``groups``         groups an admin linked to a store
``documents``      the document library: who is served each document, its versions
``asks``           questions asked of people, their outbox, responders, store notes
=================  ==========================================================

:class:`Storage` is one connection and each repository on it, reached by name:
``Storage.open(path).people.person(user_id)``. The backlog of writes that must never cost an
answer (``backlog``) is made on ``storage.connection`` by the application.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from bot.storage.asks import Asks
from bot.storage.base import MEMORY, Connection, Repository, StorageError, utc_now
from bot.storage.briefings import Briefings
from bot.storage.documents import Documents, Version
from bot.storage.groups import Groups
from bot.storage.invites import (
    EXPIRED,
    JOINED,
    MEMBER,
    REVOKED,
    UNKNOWN,
    USED,
    WITHDRAWN,
    Confirmation,
    Invite,
    Invites,
    Redemption,
)
from bot.storage.people import ACCESS_LEVELS, People, Person
from bot.storage.questions import Questions
from bot.storage.quizzes import Card, QuizRun, Quizzes, ScoredAnswer, SentPoll
from bot.storage.schema import MIGRATIONS
from bot.storage.users import DOWN, STRANGERS, UP, User, Users, Vote


class Storage:
    """The bot's database: one connection, migrated when opened, and a repository per
    concern on it."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], str] = utc_now) -> None:
        self.connection = Connection(db, clock)
        self.users = Users(self.connection)
        self.people = People(self.connection)
        self.invites = Invites(self.connection, self.people)
        self.quizzes = Quizzes(self.connection)
        self.questions = Questions(self.connection)
        self.groups = Groups(self.connection)
        self.documents = Documents(self.connection)
        self.asks = Asks(self.connection)
        self.briefings = Briefings(self.connection)

    @classmethod
    def open(cls, path: Path | str, clock: Callable[[], str] = utc_now) -> Storage:
        """Open (creating it and its folder if needed) and migrate the database at ``path``."""
        return cls(Connection.connect(path), clock)

    @property
    def version(self) -> int:
        """The schema version: how many migrations the database has had."""
        return self.connection.version

    def close(self) -> None:
        self.connection.close()


__all__ = [
    "ACCESS_LEVELS",
    "DOWN",
    "EXPIRED",
    "JOINED",
    "MEMBER",
    "MEMORY",
    "MIGRATIONS",
    "REVOKED",
    "UNKNOWN",
    "UP",
    "USED",
    "WITHDRAWN",
    "STRANGERS",
    "Asks",
    "Briefings",
    "Card",
    "Confirmation",
    "Connection",
    "Documents",
    "Groups",
    "Invite",
    "Invites",
    "People",
    "Person",
    "Questions",
    "QuizRun",
    "Quizzes",
    "Redemption",
    "Repository",
    "ScoredAnswer",
    "SentPoll",
    "Storage",
    "StorageError",
    "User",
    "Users",
    "Version",
    "Vote",
]
