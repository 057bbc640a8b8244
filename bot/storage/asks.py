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
    EDITED,
    FAILED,
    OPEN,
    PENDING,
    REMOVED,
    RESTORED,
    SAVED,
    SENDING,
    SENT,
    SHARED,
    TAKEN,
    TO_RESPONDERS,
    UNCERTAIN,
    UNSHARED,
    WITHDRAWN,
    Ask,
    NoteVersion,
    Outgoing,
    StoreNote,
)
from bot.storage.base import Repository, Row

ASK_COLUMNS = (
    "id, asker_id, asker_name, chat_id, message_id, thread_id, store, question, script, "
    "steps, status, created_at, taken_by, taker_name, taken_at, answer, answered_at, vote, "
    "note_id, taught"
)
NOTE_COLUMNS = (
    "id, store, question, answer, author_id, author_name, created_at, ask_id, shared, version, "
    "edited_at, editor_name, removed_at"
)
VERSION_COLUMNS = "note_id, version, action, question, answer, shared, removed, by_id, by_name, at"
MESSAGE_COLUMNS = "id, ask_id, kind, chat_id, state, message_id, attempts, queued_at, reason"


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
        shared=bool(row["shared"]),
        version=row["version"],
        edited_at=moment(row["edited_at"]),
        editor_name=row["editor_name"] or "",
        removed=row["removed_at"] is not None,
    )


def version_from(row: Row) -> NoteVersion:
    at = moment(row["at"])
    assert at is not None
    return NoteVersion(
        note_id=row["note_id"],
        version=row["version"],
        action=row["action"],
        question=row["question"],
        answer=row["answer"],
        shared=bool(row["shared"]),
        removed=bool(row["removed"]),
        by_id=row["by_id"],
        by_name=row["by_name"] or "",
        at=at,
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

    def pending_messages(self, now: str) -> list[Outgoing]:
        """The messages to send now: pending, and not waiting out a pause before a retry."""
        rows = self.rows(
            f"SELECT {MESSAGE_COLUMNS} FROM ask_messages "
            "WHERE state = ? AND (next_at IS NULL OR next_at <= ?) ORDER BY id",
            (PENDING, now),
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

    def sent(
        self,
        message_row: int,
        state: str,
        message_id: int | None,
        error: str = "",
        *,
        reason: str | None = None,
        retry_at: str | None = None,
        tried: bool = True,
    ) -> None:
        """How a try went: sent, failed for good (with its ``reason``), or pending again
        until ``retry_at``. ``tried``: a Bot API call was made (it counts as an attempt)."""
        assert state in (SENT, FAILED, BLOCKED, UNCERTAIN, PENDING)
        with self.transaction():
            self.db.execute(
                "UPDATE ask_messages SET state = ?, message_id = ?, error = ?, sent_at = ?, "
                "reason = ?, next_at = ?, attempts = attempts + ? WHERE id = ?",
                (
                    state,
                    message_id,
                    error or None,
                    self.clock(),
                    reason,
                    retry_at,
                    int(tried),
                    message_row,
                ),
            )

    def queue_notice(self, ask_id: int, kind: str, chat_id: int) -> bool:
        """Queue a message about a question's delivery to one chat; False if it was queued
        before (the outbox holds one message of a kind per question and chat: never twice)."""
        with self.transaction():
            return bool(
                self.db.execute(
                    "INSERT OR IGNORE INTO ask_messages (ask_id, kind, chat_id, state, queued_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (ask_id, kind, chat_id, PENDING, self.clock()),
                ).rowcount
            )

    def reaches_responders(self, ask_id: int) -> bool:
        """Whether a message of the question to its responders (or the admins) was sent, is
        on its way, or may have arrived."""
        kinds = ", ".join("?" * len(TO_RESPONDERS))
        row = self.row(
            f"SELECT COUNT(*) AS n FROM ask_messages WHERE ask_id = ? AND kind IN ({kinds}) "
            "AND state IN (?, ?, ?, ?)",
            (ask_id, *TO_RESPONDERS, SENT, PENDING, SENDING, UNCERTAIN),
        )
        return bool(row and row["n"])

    def recover_messages(self) -> int:
        """At start: a message still "sending" was cut off mid-call; never pushed again."""
        with self.transaction():
            return self.db.execute(
                "UPDATE ask_messages SET state = ? WHERE state = ?", (UNCERTAIN, SENDING)
            ).rowcount

    def messages_of(self, ask_id: int) -> list[Outgoing]:
        rows = self.rows(
            f"SELECT {MESSAGE_COLUMNS} FROM ask_messages WHERE ask_id = ? ORDER BY id",
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
    # A note's row is its current version; every change also appends a row to
    # store_note_versions with what the note then said, who and when, so nothing is lost.

    def add_note(
        self,
        store: str,
        question: str,
        answer: str,
        author_id: int,
        author_name: str,
        ask_id: int | None = None,
    ) -> StoreNote:
        now = self.clock()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO store_notes (store, question, answer, author_id, author_name, "
                "ask_id, created_at, shared, version) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 1)",
                (store, question, answer, author_id, author_name, ask_id, now),
            )
            note_id = int(cursor.lastrowid or 0)
            self._add_version(
                note_id, 1, SAVED, question, answer, False, False, author_id, author_name, now
            )
            if ask_id is not None:
                self.db.execute("UPDATE asks SET note_id = ? WHERE id = ?", (note_id, ask_id))
        found = self.note(note_id)
        assert found is not None
        return found

    def note(self, note_id: int, removed: bool = False) -> StoreNote | None:
        """A note served now; with ``removed``, one taken out of service too."""
        sql = f"SELECT {NOTE_COLUMNS} FROM store_notes WHERE id = ?"
        if not removed:
            sql += " AND removed_at IS NULL"
        rows = self.rows(sql, (note_id,))
        return note_from(rows[0]) if rows else None

    def notes(self, stores: Iterable[str] | None = None, shared: bool = False) -> list[StoreNote]:
        """The notes served (of some stores, and with ``shared`` every store's shared
        ones; or all), oldest first."""
        sql = f"SELECT {NOTE_COLUMNS} FROM store_notes WHERE removed_at IS NULL"
        params: list[object] = []
        if stores is not None:
            wanted = sorted(set(stores))
            sql += f" AND (store IN ({', '.join('?' * len(wanted))})"
            sql += " OR shared = 1)" if shared else ")"
            params += wanted
        return [note_from(row) for row in self.rows(sql + " ORDER BY id", params)]

    def note_versions(self, note_id: int) -> list[NoteVersion]:
        """Every version of a note, the first first."""
        rows = self.rows(
            f"SELECT {VERSION_COLUMNS} FROM store_note_versions WHERE note_id = ? ORDER BY version",
            (note_id,),
        )
        return [version_from(row) for row in rows]

    def edit_note(
        self, note_id: int, seen: int, question: str, answer: str, by_id: int, by_name: str
    ) -> StoreNote | None:
        """New text for a served note, if it is still at version ``seen`` (nobody changed
        it meanwhile); the text it had stays in its versions."""
        return self._change_note(
            note_id, seen, EDITED, by_id, by_name, question=question, answer=answer
        )

    def remove_note(self, note_id: int, seen: int, by_id: int, by_name: str) -> StoreNote | None:
        """Take a served note out of service; kept, as its latest version, to restore."""
        return self._change_note(note_id, seen, REMOVED, by_id, by_name, removed=True)

    def restore_note(
        self, note_id: int, seen: int, version: int, by_id: int, by_name: str
    ) -> StoreNote | None:
        """Serve a note again with the text of one of its versions (a removed note too)."""
        found = [v for v in self.note_versions(note_id) if v.version == version]
        if not found:
            return None
        old = found[0]
        return self._change_note(
            note_id,
            seen,
            RESTORED,
            by_id,
            by_name,
            question=old.question,
            answer=old.answer,
            removed=False,
        )

    def share_note(
        self, note_id: int, seen: int, shared: bool, by_id: int, by_name: str
    ) -> StoreNote | None:
        """Serve a note to every store's staff, or again to its own store's only."""
        action = SHARED if shared else UNSHARED
        return self._change_note(note_id, seen, action, by_id, by_name, shared=shared)

    def _change_note(
        self,
        note_id: int,
        seen: int,
        action: str,
        by_id: int,
        by_name: str,
        *,
        question: str | None = None,
        answer: str | None = None,
        shared: bool | None = None,
        removed: bool | None = None,
    ) -> StoreNote | None:
        """One change of a note as one new version, in one transaction; None when the note
        is not at version ``seen`` any more (or not there), so two changes never cross."""
        current = self.note(note_id, removed=True)
        if current is None or current.version != seen:
            return None
        if current.removed and removed is not False:
            return None  # a removed note is only restored
        now = self.clock()
        new = (
            current.question if question is None else question,
            current.answer if answer is None else answer,
            current.shared if shared is None else shared,
            current.removed if removed is None else removed,
        )
        if new == (current.question, current.answer, current.shared, current.removed):
            return current  # nothing to change (a double tap, a forged button): no version
        texts_change = (new[0], new[1]) != (current.question, current.answer)
        with self.transaction():
            done = self.db.execute(
                "UPDATE store_notes SET question = ?, answer = ?, shared = ?, version = ?, "
                "removed_at = ?, removed_by = ?, edited_at = COALESCE(?, edited_at), "
                "editor_name = COALESCE(?, editor_name) WHERE id = ? AND version = ?",
                (
                    new[0],
                    new[1],
                    int(new[2]),
                    seen + 1,
                    now if new[3] else None,
                    by_id if new[3] else None,
                    now if texts_change else None,
                    by_name if texts_change else None,
                    note_id,
                    seen,
                ),
            ).rowcount
            if not done:
                return None
            self._add_version(note_id, seen + 1, action, *new, by_id, by_name, now)
        return self.note(note_id, removed=True)

    def _add_version(
        self,
        note_id: int,
        version: int,
        action: str,
        question: str,
        answer: str,
        shared: bool,
        removed: bool,
        by_id: int | None,
        by_name: str,
        at: str,
    ) -> None:
        self.db.execute(
            f"INSERT INTO store_note_versions ({VERSION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                note_id,
                version,
                action,
                question,
                answer,
                int(shared),
                int(removed),
                by_id,
                by_name,
                at,
            ),
        )
