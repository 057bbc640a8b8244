"""The bot database's schema: an ordered list of migrations, applied with sqlite-utils.

Each migration is a function of the database, registered in a ``sqlite_utils.Migrations``
set named ``sopbot`` (recorded in its ``_sqlite_migrations`` table) and run in one
transaction with that record. Later features append migrations; they never edit one that
has shipped.

``PRAGMA user_version`` still counts the migrations applied, as every release so far
wrote it: backups and ``sopbot doctor`` read it, and a database from before the
migrations table (version n) is adopted by recording its first n migrations as applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlite_utils
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

log = logging.getLogger(__name__)

MIGRATION_SET = "sopbot"


def table(db: sqlite_utils.Database, name: str) -> Table:
    return db.table(name)


def create_users_and_feedback(db: sqlite_utils.Database) -> None:
    table(db, "users").create(
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
    table(db, "feedback").create(
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
    table(db, "feedback").create_index(["user_id", "query", "step_id"], unique=True)


def create_people(db: sqlite_utils.Database) -> None:
    """Who may use the bot: access level, stores, and an audit trail."""
    table(db, "people").create(
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
    table(db, "memberships").create({"user_id": int, "store": str}, pk=("user_id", "store"))
    table(db, "audit").create(
        {"id": int, "at": str, "actor": int, "action": str, "target": str, "detail": str},
        pk="id",
    )


def create_quizzes(db: sqlite_utils.Database) -> None:
    """Trainer quizzes, the polls sent for them and for practice, answers, Leitner cards."""
    table(db, "quizzes").create(
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
    table(db, "quizzes").create_index(["chat_id", "ended_at"])
    # Every quiz poll the bot sent: a trainer quiz's (quiz_id, position) or a practice
    # question's (owner_id, card, position in the round of round_size, round id).
    table(db, "polls").create(
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
    table(db, "polls").create_index(["quiz_id", "position"])
    table(db, "answers").create(
        {"id": int, "poll_id": str, "user_id": int, "option": int, "correct": int, "at": str},
        pk="id",
        not_null={"poll_id", "user_id", "option", "correct", "at"},
    )
    # Only a person's first answer to a poll counts (Telegram allows one for quizzes).
    table(db, "answers").create_index(["poll_id", "user_id"], unique=True)
    table(db, "answers").create_index(["user_id", "at"])
    # /practice: a person's missed questions in Leitner boxes (box 0: learned).
    table(db, "cards").create(
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
    table(db, "practice_reminders").create(
        {"user_id": int, "chat_id": int, "at": str}, pk="user_id", not_null={"chat_id", "at"}
    )


def create_invites_and_confirmations(db: sqlite_utils.Database) -> None:
    """Invite links (stored as hashes of their codes) and admin actions awaiting ✅/✖."""
    table(db, "invites").create(
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
    table(db, "invites").create_index(["code_hash"], unique=True)
    table(db, "confirmations").create(
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
    table(db, "briefings").create(
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
    table(db, "briefings").create_index(["author", "status"])
    # The durable job: pending -> sending (written before the Bot API call) -> sent, failed,
    # blocked, or uncertain (a "sending" row found after a crash; see bot/briefings/).
    table(db, "deliveries").create(
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
    table(db, "deliveries").create_index(["user_id", "read_at"])
    table(db, "deliveries").create_index(["state"])
    table(db, "briefing_schedules").create(
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
    table(db, "briefing_unreachable").create(
        {"user_id": int, "since": str, "reason": str}, pk="user_id", not_null={"since"}
    )


def create_question_log_and_taught(db: sqlite_utils.Database) -> None:
    """Every question asked (kept SOPBOT_LOG_DAYS), and staff wordings taught to steps."""
    table(db, "questions").create(
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
    table(db, "questions").create_index(["at"])
    table(db, "questions").create_index(["user_id", "query"])
    table(db, "taught").create(
        {"id": int, "step_id": str, "question": str, "taught_by": int, "at": str},
        pk="id",
        not_null={"step_id", "question", "at"},
    )
    table(db, "taught").create_index(["step_id", "question"], unique=True)


def create_group_links(db: sqlite_utils.Database) -> None:
    """Groups an admin linked to a store: the only groups SOP text is shown in."""
    table(db, "group_links").create(
        {"chat_id": int, "store": str, "linked_by": int, "linked_at": str},
        pk="chat_id",
        not_null={"store", "linked_by", "linked_at"},
    )


def create_documents(db: sqlite_utils.Database) -> None:
    """The document library: each document's rule (in service, stores, level), version."""
    table(db, "documents").create(
        {
            "doc_no": int,  # Step.doc_no: 篇1–14 of the packaged SOP, a stable hash otherwise
            "name": str,
            "in_service": int,  # 0: served to no one
            "stores": str,  # JSON list; empty: every store
            "level": str,  # the least access level served it
            "fingerprint": str,  # what the document said when last seen
            "version": int,  # 1, then one more each time its fingerprint changed
            "updated_at": str,
        },
        pk="doc_no",
        not_null={"in_service", "level"},
        defaults={"in_service": 1, "level": "staff", "stores": "[]"},
    )


def create_asks(db: sqlite_utils.Database) -> None:
    """Questions handed to people (bot/asks/), the messages they cause, store notes."""
    table(db, "asks").create(
        {
            "id": int,
            "asker_id": int,
            "asker_name": str,
            "chat_id": int,  # where it was asked; the answer is sent there
            "message_id": int,  # the message the answer replies to
            "thread_id": int,  # the group topic, NULL for none
            "source_key": str,  # chat:message of the answer 🙋 was under: one ask per answer
            "store": str,  # the asker's store, NULL for none
            "question": str,
            "script": str,
            "steps": str,  # JSON list of the bot's closest step ids
            "status": str,  # open, taken, answered or withdrawn
            "created_at": str,
            "taken_by": int,
            "taker_name": str,
            "taken_at": str,
            "answer": str,
            "answered_at": str,
            "vote": int,  # the asker's +1 / -1 on the answer
            "reminded_at": str,
            "escalated_at": str,
            "note_id": int,  # the store note made of it
            "taught": int,  # 1 once attached to a step as an alternate
        },
        pk="id",
        not_null={"asker_id", "chat_id", "message_id", "question", "status", "created_at"},
    )
    table(db, "asks").create_index(["source_key"], unique=True)
    table(db, "asks").create_index(["status", "created_at"])
    table(db, "asks").create_index(["store", "created_at"])
    # The outbox: one row per message an ask causes; pending -> sending (committed before
    # the Bot API call) -> sent with its message id, failed, blocked, or uncertain.
    table(db, "ask_messages").create(
        {
            "id": int,
            "ask_id": int,
            "kind": str,  # offer, reminder, escalation or reply
            "chat_id": int,
            "state": str,
            "message_id": int,
            "error": str,
            "queued_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null={"ask_id", "kind", "chat_id", "state", "queued_at"},
    )
    table(db, "ask_messages").create_index(["ask_id", "kind", "chat_id"], unique=True)
    table(db, "ask_messages").create_index(["state"])
    # Who answers a store's questions, by level (default trainers and managers).
    table(db, "ask_responders").create(
        {"store": str, "levels": str, "set_by": int, "at": str},
        pk="store",
        not_null={"levels", "at"},
    )
    table(db, "store_notes").create(
        {
            "id": int,
            "store": str,
            "question": str,
            "answer": str,
            "author_id": int,
            "author_name": str,
            "ask_id": int,
            "created_at": str,
            "removed_at": str,  # NULL while it is served
            "removed_by": int,
        },
        pk="id",
        not_null={"store", "question", "answer", "author_id", "created_at"},
    )
    table(db, "store_notes").create_index(["store", "removed_at"])


def create_strangers(db: sqlite_utils.Database) -> None:
    """Who wrote to the bot without being let in, so /grant @username can find them.

    Apart from ``users`` on purpose: a row here lets no one in and shows up nowhere staff
    look; it only names someone a manager is about to grant to."""
    table(db, "strangers").create(
        {
            "id": int,  # Telegram user id
            "name": str,
            "username": str,
            "language": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
    )
    table(db, "strangers").create_index(["username"])
    table(db, "strangers").create_index(["last_seen"])


def version_store_notes_and_cap_retries(db: sqlite_utils.Database) -> None:
    """Store notes kept in versions and shared across stores; the outbox's tries counted.

    Every change of a note (saved, edited, removed, restored, shared, unshared) appends a
    row to ``store_note_versions`` with what the note then said, who and when; the note's
    own row is its current version. The notes already saved become their version 1 (and a
    removed one its version 2, the removal).
    """
    notes = table(db, "store_notes")
    notes.add_column("shared", int, not_null_default=0)  # 1: every store's staff are served it
    notes.add_column("version", int, not_null_default=1)  # its latest version's number
    notes.add_column("edited_at", str)  # when its text last changed (NULL: as saved)
    notes.add_column("editor_name", str)
    table(db, "store_note_versions").create(
        {
            "note_id": int,
            "version": int,
            "action": str,  # saved, edited, removed, restored, shared, unshared
            "question": str,
            "answer": str,
            "shared": int,
            "removed": int,  # 1 when this version took the note out of service
            "by_id": int,
            "by_name": str,
            "at": str,
        },
        pk=("note_id", "version"),
        not_null={"action", "question", "answer", "shared", "removed", "at"},
    )
    db.execute(
        "INSERT INTO store_note_versions (note_id, version, action, question, answer, shared, "
        "removed, by_id, by_name, at) SELECT id, 1, 'saved', question, answer, 0, 0, author_id, "
        "author_name, created_at FROM store_notes"
    )
    db.execute(
        "INSERT INTO store_note_versions (note_id, version, action, question, answer, shared, "
        "removed, by_id, by_name, at) SELECT id, 2, 'removed', question, answer, 0, 1, "
        "removed_by, NULL, removed_at FROM store_notes WHERE removed_at IS NOT NULL"
    )
    db.execute("UPDATE store_notes SET version = 2 WHERE removed_at IS NOT NULL")
    table(db, "store_notes").create_index(["shared", "removed_at"])
    # The outbox: how many times a message was tried, when it may be tried next, why it
    # failed for good (blocked, gone, rejected, retries, expired; NULL for a message left
    # unsent because its question was settled), and whether someone was told.
    messages = table(db, "ask_messages")
    messages.add_column("attempts", int, not_null_default=0)
    messages.add_column("next_at", str)
    messages.add_column("reason", str)


Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = [
    create_users_and_feedback,  # 1
    create_people,  # 2
    create_invites_and_confirmations,  # 3
    create_briefings,  # 4
    create_quizzes,  # 5
    create_question_log_and_taught,  # 6
    create_group_links,  # 7
    create_documents,  # 8
    create_asks,  # 9
    create_strangers,  # 10
    version_store_notes_and_cap_retries,  # 11
]


def version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migration_set(steps: Sequence[Migration]) -> Migrations:
    """The migrations as a sqlite-utils set; each also sets ``user_version`` to its number,
    in the same transaction."""
    found = Migrations(MIGRATION_SET)
    for number, step in enumerate(steps, start=1):

        def apply(db: sqlite_utils.Database, step: Migration = step, number: int = number) -> None:
            step(db)
            # user_version is part of the database header, so it commits with the rest.
            db.execute(f"PRAGMA user_version = {number}")
            log.info("migrated the bot database to version %d (%s)", number, step.__name__)

        found(name=step.__name__)(apply)
    return found


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the schema up to the newest version (reading ``MIGRATIONS`` when called)."""
    steps = MIGRATIONS
    current = version(db)
    if current > len(steps):
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this sopbot "
            f"({len(steps)}); upgrade sopbot"
        )
    migrations = migration_set(steps)
    applied = {found.name for found in migrations.applied(db)}
    unknown = applied - {step.__name__ for step in steps}
    if unknown:
        raise RuntimeError(
            f"the database has migrations this sopbot does not know ({', '.join(sorted(unknown))}),"
            " so it is newer; upgrade sopbot"
        )
    if current and not applied:
        adopt(db, migrations, steps[:current])
    migrations.apply(db)


def adopt(db: sqlite_utils.Database, migrations: Migrations, done: Sequence[Migration]) -> None:
    """A database from before the migrations table: record what its user_version says ran."""
    with db.atomic():
        migrations.ensure_migrations_table(db)
        for step in done:
            table(db, Migrations.migrations_table).insert(
                {
                    "migration_set": MIGRATION_SET,
                    "name": step.__name__,
                    "applied_at": str(datetime.now(UTC)),
                }
            )
    log.info("adopted a bot database at schema version %d", len(done))
