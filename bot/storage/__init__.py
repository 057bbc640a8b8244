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

:class:`Storage` is all of them on one connection: ``Storage.open(path)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.storage.asks import Asks
from bot.storage.base import MEMORY, Connection, StorageError, utc_now
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
from bot.storage.users import DOWN, UP, User, Users, Vote


class Storage(Users, Invites, People, Quizzes, Questions, Groups, Documents, Asks, Connection):
    """Every repository on one connection, migrated when opened."""

    @classmethod
    def open(cls, path: Path | str, clock: Callable[[], str] = utc_now) -> Storage:
        """Open (creating it and its folder if needed) and migrate the database at ``path``."""
        return cls(Connection.connect(path), clock)


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
    "Card",
    "Confirmation",
    "Invite",
    "Person",
    "QuizRun",
    "Redemption",
    "ScoredAnswer",
    "SentPoll",
    "Storage",
    "StorageError",
    "User",
    "Version",
    "Vote",
]
