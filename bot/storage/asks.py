"""Questions asked of people, their outbox, who answers per store, and store notes.

The rules these serve (who may see and take a question, reminders, delivery at most once)
are in ``bot/asks/service.py``. Every change of state is one conditional UPDATE, so two
people pressing ✋ at once, or a double tap, settle on one winner.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.asks.model import (
    ANSWERED,
    BLOCKED,
    DEFAULT_LEVELS,
    FAILED,
    OPEN,
    PENDING,
    SENDING,
    SENT,
    TAKEN,
    UNCERTAIN,
    WITHDRAWN,
    Ask,
    Outgoing,
    StoreNote,
)
from bot.storage.base import Repository, Row

ASK_COLUMNS = (
    "id, asker_id, asker_name, chat_id, message_id, thread_id, store, question, script, "
    "steps, status, created_at, taken_by, taker_name, taken_at, answer, answered_at, vote, "
    "note_id, taught"
)
NOTE_COLUMNS = "id, store, question, answer, author_id, author_name, created_at, ask_id"


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def ask_from(row: Row) -> Ask:
    created = moment(row["created_at"])
    assert created is not None
    return Ask(
        id=row["id"],
        asker_id=row["asker_id"],
        asker_name=row["asker_name"] or "",
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        store=row["store"],
        question=row["question"],
        script=row["script"] or "hant",
        steps=tuple(json.loads(row["steps"] or "[]")),
        status=row["status"],
        created_at=created,
        taken_by=row["taken_by"],
        taker_name=row["taker_name"] or "",
        taken_at=moment(row["taken_at"]),
        answer=row["answer"] or "",
        answered_at=moment(row["answered_at"]),
        vote=row["vote"],
        note_id=row["note_id"],
        taught=bool(row["taught"]),
    )


def note_from(row: Row) -> StoreNote:
    created = moment(row["created_at"])
    assert created is not None
    return StoreNote(
        id=row["id"],
        store=row["store"],
        question=row["question"],
        answer=row["answer"],
        author_id=row["author_id"],
        author_name=row["author_name"] or "",
        created_at=created,
        ask_id=row["ask_id"],
    )


class Asks(Repository):
    # -- questions ------------------------------------------------------------------------

    def open_ask(
        self,
        *,
        asker_id: int,
        asker_name: str,
        chat_id: int,
        message_id: int,
        thread_id: int | None,
        source_key: str,
        store: str | None,
        question: str,
        script: str,
        steps: Sequence[str],
        recipients: Iterable[int],
    ) -> Ask | None:
        """A new question for people, with an offer queued for each recipient, in one
        transaction; None when this answer was already handed over (a double tap)."""
        now = self.clock()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO asks (asker_id, asker_name, chat_id, message_id, "
                "thread_id, source_key, store, question, script, steps, status, created_at, "
                "taught) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    asker_id,
                    asker_name,
                    chat_id,
                    message_id,
                    thread_id,
                    source_key,
                    store,
                    question,
                    script,
                    json.dumps(list(steps)),
                    OPEN,
                    now,
                ),
            )
            if not cursor.rowcount:
                return None
            ask_id = int(cursor.lastrowid or 0)
            self._queue(ask_id, "offer", recipients, now)
        found = self.ask(ask_id)
        assert found is not None
        return found

    def ask(self, ask_id: int) -> Ask | None:
        found = self.rows(f"SELECT {ASK_COLUMNS} FROM asks WHERE id = ?", (ask_id,))
        return ask_from(found[0]) if found else None

    def asks(
        self, since: str, stores: Iterable[str] | None = None, asker_id: int | None = None
    ) -> list[Ask]:
        """Questions asked since ``since`` (ISO), newest first: of some stores, or one asker's."""
        sql = f"SELECT {ASK_COLUMNS} FROM asks WHERE created_at >= ?"
        params: list[object] = [since]
        if stores is not None:
            wanted = sorted(set(stores))
            sql += f" AND store IN ({', '.join('?' * len(wanted))})"
            params += wanted
        if asker_id is not None:
            sql += " AND asker_id = ?"
            params.append(asker_id)
        return [ask_from(row) for row in self.rows(sql + " ORDER BY id DESC", params)]

    def take(self, ask_id: int, taker: int, taker_name: str, take_over: bool = False) -> bool:
        """✋: the first taker wins; ``take_over`` (an admin after escalation) also takes
        one already taken."""
        states = (OPEN, TAKEN) if take_over else (OPEN,)
        with self.transaction():
            return bool(
                self.db.execute(
                    "UPDATE asks SET status = ?, taken_by = ?, taker_name = ?, taken_at = ? "
                    f"WHERE id = ? AND status IN ({', '.join('?' * len(states))})",
                    (TAKEN, taker, taker_name, self.clock(), ask_id, *states),
                ).rowcount
            )

    def release(self, ask_id: int, taker: int) -> bool:
        """↩️: the taker gives the question back; it is open to everyone again."""
        with self.transaction():
            return bool(
                self.db.execute(
                    "UPDATE asks SET status = ?, taken_by = NULL, taker_name = NULL, "
                    "taken_at = NULL WHERE id = ? AND status = ? AND taken_by = ?",
                    (OPEN, ask_id, TAKEN, taker),
                ).rowcount
            )

    def taken_by(self, user_id: int) -> list[Ask]:
        """The questions someone has taken and not answered yet, latest taken first."""
        rows = self.rows(
            f"SELECT {ASK_COLUMNS} FROM asks WHERE status = ? AND taken_by = ? "
            "ORDER BY taken_at DESC, id DESC",
            (TAKEN, user_id),
        )
        return [ask_from(row) for row in rows]

    def answer_ask(self, ask_id: int, taker: int, answer: str) -> bool:
        """The taker's answer; the reply to the asker is queued in the same transaction."""
        now = self.clock()
        with self.transaction():
            done = self.db.execute(
                "UPDATE asks SET status = ?, answer = ?, answered_at = ? "
                "WHERE id = ? AND status = ? AND taken_by = ?",
                (ANSWERED, answer, now, ask_id, TAKEN, taker),
            ).rowcount
            if done:
                chat = self.db.execute("SELECT chat_id FROM asks WHERE id = ?", (ask_id,))
                self._queue(ask_id, "reply", [int(chat.fetchone()[0])], now)
        return bool(done)

    def withdraw(self, ask_id: int, asker_id: int) -> bool:
        with self.transaction():
            return bool(
                self.db.execute(
                    "UPDATE asks SET status = ? WHERE id = ? AND asker_id = ? AND status IN (?, ?)",
                    (WITHDRAWN, ask_id, asker_id, OPEN, TAKEN),
                ).rowcount
            )

    def vote_on_answer(self, ask_id: int, asker_id: int, vote: int) -> bool:
        with self.transaction():
            return bool(
                self.db.execute(
                    "UPDATE asks SET vote = ? WHERE id = ? AND asker_id = ? AND status = ?",
                    (vote, ask_id, asker_id, ANSWERED),
                ).rowcount
            )

    def mark_taught(self, ask_id: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE asks SET taught = 1 WHERE id = ?", (ask_id,))

    def due_for(self, column: str, before: str) -> list[Ask]:
        """Unanswered questions asked before ``before`` whose ``column`` (reminded_at,
        escalated_at) is not set yet."""
        assert column in ("reminded_at", "escalated_at")
        rows = self.rows(
            f"SELECT {ASK_COLUMNS} FROM asks WHERE status IN (?, ?) AND {column} IS NULL "
            "AND created_at <= ? ORDER BY id",
            (OPEN, TAKEN, before),
        )
        return [ask_from(row) for row in rows]

    def follow_up(
        self,
        ask_id: int,
        column: str,
        kind: str,
        recipients: Iterable[int],
        asker: str | None = None,
    ) -> bool:
        """Mark a question reminded (or escalated) and queue those messages, once; and a
        message of kind ``asker`` to the asker's chat, if given."""
        assert column in ("reminded_at", "escalated_at")
        now = self.clock()
        with self.transaction():
            done = self.db.execute(
                f"UPDATE asks SET {column} = ? WHERE id = ? AND {column} IS NULL "
                "AND status IN (?, ?)",
                (now, ask_id, OPEN, TAKEN),
            ).rowcount
            if done:
                self._queue(ask_id, kind, recipients, now)
                if asker is not None:
                    chat = self.db.execute("SELECT chat_id FROM asks WHERE id = ?", (ask_id,))
                    self._queue(ask_id, asker, [int(chat.fetchone()[0])], now)
        return bool(done)

    def answer_times(
        self, since: str, stores: Sequence[str] | None = None
    ) -> tuple[int, list[float]]:
        """(questions asked of people since ``since``, minutes to each answer); of the
        questions asked in ``stores`` only, when given."""
        sql = "SELECT created_at, answered_at FROM asks WHERE created_at >= ?"
        params: list[object] = [since]
        if stores is not None:
            sql += f" AND store IN ({', '.join('?' * len(stores))})"
            params += stores
        rows = self.rows(sql, tuple(params))
        minutes = [
            (
                datetime.fromisoformat(r["answered_at"]) - datetime.fromisoformat(r["created_at"])
            ).total_seconds()
            / 60
            for r in rows
            if r["answered_at"]
        ]
        return len(rows), minutes

    # -- the outbox -----------------------------------------------------------------------

    def _queue(self, ask_id: int, kind: str, chats: Iterable[int], now: str) -> None:
        for chat_id in chats:
            self.db.execute(
                "INSERT OR IGNORE INTO ask_messages (ask_id, kind, chat_id, state, queued_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (ask_id, kind, chat_id, PENDING, now),
            )

    def pending_messages(self) -> list[Outgoing]:
        rows = self.rows(
            "SELECT id, ask_id, kind, chat_id, state, message_id FROM ask_messages "
            "WHERE state = ? ORDER BY id",
            (PENDING,),
        )
        return [Outgoing(**row) for row in rows]

    def begin_sending(self, message_row: int) -> bool:
        """pending → sending, committed before the Bot API call; False if already taken up."""
        with self.transaction():
            return bool(
                self.db.execute(
                    "UPDATE ask_messages SET state = ? WHERE id = ? AND state = ?",
                    (SENDING, message_row, PENDING),
                ).rowcount
            )

    def sent(self, message_row: int, state: str, message_id: int | None, error: str = "") -> None:
        assert state in (SENT, FAILED, BLOCKED, UNCERTAIN, PENDING)
        with self.transaction():
            self.db.execute(
                "UPDATE ask_messages SET state = ?, message_id = ?, error = ?, sent_at = ? "
                "WHERE id = ?",
                (state, message_id, error or None, self.clock(), message_row),
            )

    def recover_messages(self) -> int:
        """At start: a message still "sending" was cut off mid-call; never pushed again."""
        with self.transaction():
            return self.db.execute(
                "UPDATE ask_messages SET state = ? WHERE state = ?", (UNCERTAIN, SENDING)
            ).rowcount

    def messages_of(self, ask_id: int) -> list[Outgoing]:
        rows = self.rows(
            "SELECT id, ask_id, kind, chat_id, state, message_id FROM ask_messages "
            "WHERE ask_id = ? ORDER BY id",
            (ask_id,),
        )
        return [Outgoing(**row) for row in rows]

    # -- who answers ----------------------------------------------------------------------

    def responder_levels(self, store: str) -> tuple[str, ...]:
        row = self.row("SELECT levels FROM ask_responders WHERE store = ?", (store,))
        if row is None:
            return DEFAULT_LEVELS
        return tuple(level for level in row["levels"].split(",") if level)

    def set_responder_levels(self, store: str, levels: Sequence[str], set_by: int) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO ask_responders (store, levels, set_by, at) "
                "VALUES (?, ?, ?, ?)",
                (store, ",".join(levels), set_by, self.clock()),
            )

    # -- store notes ----------------------------------------------------------------------

    def add_note(
        self,
        store: str,
        question: str,
        answer: str,
        author_id: int,
        author_name: str,
        ask_id: int | None = None,
    ) -> StoreNote:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO store_notes (store, question, answer, author_id, author_name, "
                "ask_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (store, question, answer, author_id, author_name, ask_id, self.clock()),
            )
            note_id = int(cursor.lastrowid or 0)
            if ask_id is not None:
                self.db.execute("UPDATE asks SET note_id = ? WHERE id = ?", (note_id, ask_id))
        found = self.note(note_id)
        assert found is not None
        return found

    def note(self, note_id: int) -> StoreNote | None:
        rows = self.rows(
            f"SELECT {NOTE_COLUMNS} FROM store_notes WHERE id = ? AND removed_at IS NULL",
            (note_id,),
        )
        return note_from(rows[0]) if rows else None

    def notes(self, stores: Iterable[str] | None = None) -> list[StoreNote]:
        """The notes served (of some stores, or all), oldest first."""
        sql = f"SELECT {NOTE_COLUMNS} FROM store_notes WHERE removed_at IS NULL"
        params: list[object] = []
        if stores is not None:
            wanted = sorted(set(stores))
            sql += f" AND store IN ({', '.join('?' * len(wanted))})"
            params += wanted
        return [note_from(row) for row in self.rows(sql + " ORDER BY id", params)]

    def remove_note(self, note_id: int, removed_by: int) -> bool:
        with self.transaction():
            return bool(
                self.db.execute(
                    "UPDATE store_notes SET removed_at = ?, removed_by = ? "
                    "WHERE id = ? AND removed_at IS NULL",
                    (self.clock(), removed_by, note_id),
                ).rowcount
            )
