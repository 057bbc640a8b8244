"""Briefings, deliveries and schedules: the queries of ``bot/briefings/``.

The rules they serve, and the delivery guarantees, are described in
``bot/briefings/service.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from bot.briefings.model import (
    AWAIT_MINUTES,
    BLOCKED,
    CANCELLED,
    COMPOSING,
    DELIVERED,
    DRAFT,
    FAILED,
    ONCE,
    PENDING,
    SCHEDULED,
    SENDING,
    SENT,
    SETTLED,
    TEXT,
    TIMING,
    UNCERTAIN,
    Audience,
    Blocked,
    Briefing,
    Delivery,
    Note,
    Outcome,
    Receipt,
    Retry,
    Schedule,
    Sent,
    Uncertain,
    When,
    iso,
)
from bot.storage.base import Connection, Row

log = logging.getLogger(__name__)


BRIEFING_COLUMNS = (
    "id, author, author_name, kind, text, file_id, audience, status, created_at, sent_at, "
    "schedule_id"
)


DELIVERY_COLUMNS = "briefing_id, user_id, state, attempts, message_id, read_at"
# Notes are pushed to active people only (bot/briefings/service.py): resends and reminders
# leave out anyone revoked since.
ACTIVE = "user_id IN (SELECT user_id FROM people WHERE active = 1)"


def briefing_from(row: Row) -> Briefing:
    return Briefing(
        id=row["id"],
        author=row["author"],
        author_name=row["author_name"] or "",
        note=Note(row["kind"], row["text"] or "", row["file_id"]),
        audience=Audience.parse(row["audience"]),
        status=row["status"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        schedule_id=row["schedule_id"],
    )


class Briefings:
    """Briefings, deliveries and schedules in the bot's SQLite file.

    The tables are migration 4 (``schema.create_briefings``); the repository works on the
    storage's one connection, lock, transactions and clock; ``now`` reads that clock as a
    datetime (a test may give the briefings a clock of their own).
    """

    def __init__(self, connection: Connection, now: Callable[[], datetime] | None = None) -> None:
        self.connection = connection
        self.db = connection.db
        self.now = now or (lambda: datetime.fromisoformat(connection.clock()))

    def _rows(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        return self.connection.rows(sql, params)

    def _write(self, sql: str, params: Iterable[object] = ()) -> int:
        with self.connection.transaction():
            return self.db.execute(sql, tuple(params)).rowcount

    # -- composing --------------------------------------------------------------------------

    def create(self, author: int, author_name: str, note: Note | None) -> Briefing:
        """A new draft (``note`` None: waiting for the author's next message).

        Any earlier draft of the author's that is still waiting is dropped: one at a time.
        """
        status = DRAFT if note else COMPOSING
        note = note or Note(TEXT, "")
        with self.connection.transaction():
            self.db.execute(
                "UPDATE briefings SET status = ? WHERE author = ? AND status IN (?, ?)",
                (CANCELLED, author, COMPOSING, TIMING),
            )
            cursor = self.db.execute(
                "INSERT INTO briefings (author, author_name, kind, text, file_id, status, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (author, author_name, note.kind, note.text, note.file_id, status, iso(self.now())),
            )
            briefing_id = int(cursor.lastrowid or 0)
        found = self.get(briefing_id)
        assert found is not None
        return found

    def get(self, briefing_id: int) -> Briefing | None:
        rows = self._rows(f"SELECT {BRIEFING_COLUMNS} FROM briefings WHERE id = ?", [briefing_id])
        return briefing_from(rows[0]) if rows else None

    def awaiting(self, author: int) -> Briefing | None:
        """The author's draft waiting for their next message (the note, or the time)."""
        since = iso(self.now() - timedelta(minutes=AWAIT_MINUTES))
        rows = self._rows(
            f"SELECT {BRIEFING_COLUMNS} FROM briefings WHERE author = ? AND status IN (?, ?) "
            "AND created_at >= ? ORDER BY id DESC LIMIT 1",
            (author, COMPOSING, TIMING, since),
        )
        return briefing_from(rows[0]) if rows else None

    def fill(self, briefing_id: int, note: Note) -> None:
        """The note a waiting draft was waiting for."""
        self._write(
            "UPDATE briefings SET kind = ?, text = ?, file_id = ?, status = ? WHERE id = ?",
            (note.kind, note.text, note.file_id, DRAFT, briefing_id),
        )

    def set_audience(self, briefing_id: int, audience: Audience) -> None:
        self._write("UPDATE briefings SET audience = ? WHERE id = ?", (audience.key, briefing_id))

    def set_status(self, briefing_id: int, status: str) -> None:
        # Restart the waiting time when the draft starts waiting for the time.
        extra = ", created_at = ?" if status == TIMING else ""
        params: list[object] = [status]
        if status == TIMING:
            params.append(iso(self.now()))
        self._write(f"UPDATE briefings SET status = ?{extra} WHERE id = ?", [*params, briefing_id])

    # -- sending ----------------------------------------------------------------------------

    def queue(self, briefing_id: int, people: Iterable[int], remind_after: timedelta | None) -> int:
        """Mark a draft sent and write one pending delivery per person; how many were written.

        People who blocked the bot get their row ``blocked`` at once (the note waits in
        /missed). A second call adds only people who have no row yet.
        """
        now = self.now()
        remind_at = iso(now + remind_after) if remind_after else None
        with self.connection.transaction():
            self.db.execute(
                "UPDATE briefings SET status = ?, sent_at = COALESCE(sent_at, ?), "
                "remind_at = COALESCE(remind_at, ?) WHERE id = ?",
                (SENT, iso(now), remind_at, briefing_id),
            )
            return self._insert_deliveries(briefing_id, people, iso(now))

    def _insert_deliveries(self, briefing_id: int, people: Iterable[int], now: str) -> int:
        blocked = self.connection.rows_unlocked("SELECT user_id FROM briefing_unreachable")
        unreachable = {row["user_id"] for row in blocked}
        written = 0
        for user_id in people:
            state = BLOCKED if user_id in unreachable else PENDING
            written += self.db.execute(
                "INSERT OR IGNORE INTO deliveries (briefing_id, user_id, state, attempts, "
                "queued_at, error) VALUES (?, ?, ?, 0, ?, ?)",
                (briefing_id, user_id, state, now, "unreachable" if state == BLOCKED else None),
            ).rowcount
        return written

    def pending(self, briefing_id: int | None = None) -> list[tuple[int, int]]:
        """(briefing, person) of the deliveries waiting to be sent, oldest briefing first."""
        where = "state = ?" + (" AND briefing_id = ?" if briefing_id is not None else "")
        params: list[object] = [PENDING] + ([briefing_id] if briefing_id is not None else [])
        rows = self._rows(
            f"SELECT briefing_id, user_id FROM deliveries WHERE {where} "
            "ORDER BY briefing_id, rowid",
            params,
        )
        return [(row["briefing_id"], row["user_id"]) for row in rows]

    def begin_send(self, briefing_id: int, user_id: int) -> bool:
        """pending → sending, committed before the Bot API call; False if not pending."""
        return bool(
            self._write(
                "UPDATE deliveries SET state = ?, attempts = attempts + 1 "
                "WHERE briefing_id = ? AND user_id = ? AND state = ?",
                (SENDING, briefing_id, user_id, PENDING),
            )
        )

    def record(self, briefing_id: int, user_id: int, outcome: Outcome, retry: bool) -> None:
        """The outcome of one send: sent, blocked, failed, uncertain, or pending again."""
        key = (briefing_id, user_id)
        if isinstance(outcome, Sent):
            self._write(
                "UPDATE deliveries SET state = ?, message_id = ?, sent_at = ?, error = NULL "
                "WHERE briefing_id = ? AND user_id = ?",
                (DELIVERED, outcome.message_id, iso(self.now()), *key),
            )
        elif isinstance(outcome, Blocked):
            self.mark_unreachable(user_id, outcome.reason)
        else:
            state = (
                PENDING
                if isinstance(outcome, Retry) and retry
                else UNCERTAIN
                if isinstance(outcome, Uncertain)
                else FAILED
            )
            self._write(
                "UPDATE deliveries SET state = ?, error = ? WHERE briefing_id = ? AND user_id = ?",
                (state, outcome.reason[:200], *key),
            )

    def recover(self) -> int:
        """At start: deliveries cut off mid-send become uncertain (never pushed twice)."""
        count = self._write(
            "UPDATE deliveries SET state = ?, error = 'interrupted while sending' WHERE state = ?",
            (UNCERTAIN, SENDING),
        )
        if count:
            log.warning("%d deliveries were interrupted mid-send; marked uncertain", count)
        return count

    def requeue_unread(self, briefing_id: int) -> int:
        """🔁: send the note again to everyone who has not acknowledged it (and can get it)."""
        return self._write(
            "UPDATE deliveries SET state = ?, error = NULL WHERE briefing_id = ? "
            "AND read_at IS NULL AND state IN (?, ?, ?, ?) "
            f"AND user_id NOT IN (SELECT user_id FROM briefing_unreachable) AND {ACTIVE}",
            (PENDING, briefing_id, DELIVERED, FAILED, UNCERTAIN, BLOCKED),
        )

    def mark_unreachable(self, user_id: int, reason: str) -> None:
        """The person blocked the bot: block their deliveries in flight, push them nothing."""
        with self.connection.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO briefing_unreachable (user_id, since, reason) "
                "VALUES (?, ?, ?)",
                (user_id, iso(self.now()), reason[:200]),
            )
            self.db.execute(
                "UPDATE deliveries SET state = ?, error = ? WHERE user_id = ? AND state IN (?, ?)",
                (BLOCKED, reason[:200], user_id, PENDING, SENDING),
            )

    def mark_reachable(self, user_id: int) -> None:
        """The person wrote to the bot again: push them briefings from now on."""
        self._write("DELETE FROM briefing_unreachable WHERE user_id = ?", [user_id])

    def receives(self, user_id: int) -> bool:
        """Whether notes may still be pushed to this person: registered and active."""
        return bool(self._rows(f"SELECT 1 FROM people WHERE {ACTIVE} AND user_id = ?", [user_id]))

    def unreachable(self, user_id: int) -> bool:
        return bool(self._rows("SELECT 1 FROM briefing_unreachable WHERE user_id = ?", [user_id]))

    def delivery(self, briefing_id: int, user_id: int) -> Delivery | None:
        rows = self._rows(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE briefing_id = ? AND user_id = ?",
            (briefing_id, user_id),
        )
        return Delivery(**rows[0]) if rows else None

    def deliveries(self, briefing_id: int) -> list[Delivery]:
        rows = self._rows(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE briefing_id = ? ORDER BY rowid",
            [briefing_id],
        )
        return [Delivery(**row) for row in rows]

    # -- reading ----------------------------------------------------------------------------

    def acknowledge(self, briefing_id: int, user_id: int) -> bool:
        """✅ 已讀: False if this person was never sent this briefing."""
        if self.delivery(briefing_id, user_id) is None:
            return False
        self._write(
            "UPDATE deliveries SET read_at = COALESCE(read_at, ?) "
            "WHERE briefing_id = ? AND user_id = ?",
            (iso(self.now()), briefing_id, user_id),
        )
        return True

    def missed(self, user_id: int) -> list[Briefing]:
        """Every briefing sent to this person and not acknowledged, oldest first."""
        marks = ", ".join("?" * len(SETTLED))
        columns = ", ".join(f"b.{c.strip()}" for c in BRIEFING_COLUMNS.split(","))
        rows = self._rows(
            f"SELECT {columns} FROM deliveries d JOIN briefings b ON b.id = d.briefing_id "
            f"WHERE d.user_id = ? AND d.read_at IS NULL AND d.state IN ({marks}) "
            "ORDER BY b.sent_at, b.id",
            (user_id, *SETTLED),
        )
        return [briefing_from(row) for row in rows]

    def receipt(self, briefing_id: int) -> Receipt | None:
        briefing = self.get(briefing_id)
        if briefing is None:
            return None
        states: dict[str, int] = {}
        read = 0
        unread: list[str] = []
        rows = self._rows(
            "SELECT d.state, d.read_at, COALESCE(p.name, u.name, CAST(d.user_id AS TEXT)) AS name "
            "FROM deliveries d LEFT JOIN people p ON p.user_id = d.user_id "
            "LEFT JOIN users u ON u.id = d.user_id WHERE d.briefing_id = ? ORDER BY name",
            [briefing_id],
        )
        for row in rows:
            states[row["state"]] = states.get(row["state"], 0) + 1
            if row["read_at"]:
                read += 1
            else:
                unread.append(row["name"] or "?")
        return Receipt(briefing, len(rows), read, states, tuple(unread))

    def recent(self, author: int | None, limit: int = 5) -> list[Receipt]:
        """The latest sent briefings (of one author, or everyone's), newest first."""
        where = "status = ?" + (" AND author = ?" if author is not None else "")
        params: list[object] = [SENT] + ([author] if author is not None else [])
        rows = self._rows(
            f"SELECT id FROM briefings WHERE {where} ORDER BY sent_at DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        return [r for row in rows if (r := self.receipt(row["id"])) is not None]

    # -- reminders --------------------------------------------------------------------------

    def reminders(self) -> list[tuple[int, datetime]]:
        """(briefing, when) of every reminder still to send: for re-registering at start."""
        rows = self._rows(
            "SELECT id, remind_at FROM briefings WHERE status = ? AND remind_at IS NOT NULL",
            [SENT],
        )
        return [(row["id"], datetime.fromisoformat(row["remind_at"])) for row in rows]

    def take_reminders(self, briefing_id: int) -> list[int]:
        """The people to remind of a briefing, marked reminded first (at most one reminder)."""
        with self.connection.transaction():
            rows = self.connection.rows_unlocked(
                "SELECT user_id FROM deliveries WHERE briefing_id = ? AND read_at IS NULL "
                f"AND reminded_at IS NULL AND state IN (?, ?) AND {ACTIVE} ORDER BY rowid",
                (briefing_id, DELIVERED, UNCERTAIN),
            )
            now = iso(self.now())
            self.db.execute(
                "UPDATE deliveries SET reminded_at = ? WHERE briefing_id = ? AND read_at IS NULL "
                f"AND reminded_at IS NULL AND state IN (?, ?) AND {ACTIVE}",
                (now, briefing_id, DELIVERED, UNCERTAIN),
            )
            self.db.execute("UPDATE briefings SET remind_at = NULL WHERE id = ?", (briefing_id,))
        return [row["user_id"] for row in rows]

    # -- schedules --------------------------------------------------------------------------

    def add_schedule(self, briefing_id: int, author: int, when: When) -> Schedule:
        """Keep a draft as the template of a schedule."""
        with self.connection.transaction():
            self.db.execute(
                "UPDATE briefings SET status = ? WHERE id = ?", (SCHEDULED, briefing_id)
            )
            cursor = self.db.execute(
                "INSERT INTO briefing_schedules (briefing_id, author, repeat, at, run_on, "
                "active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                (
                    briefing_id,
                    author,
                    when.repeat,
                    when.at.strftime("%H:%M"),
                    when.on.isoformat() if when.on else None,
                    iso(self.now()),
                ),
            )
            schedule_id = int(cursor.lastrowid or 0)
        found = self.schedule(schedule_id)
        assert found is not None
        return found

    def schedule(self, schedule_id: int) -> Schedule | None:
        found = self.schedules(active=None, schedule_id=schedule_id)
        return found[0] if found else None

    def schedules(
        self, active: bool | None = True, author: int | None = None, schedule_id: int | None = None
    ) -> list[Schedule]:
        clauses, params = ["1"], []
        if active is not None:
            clauses.append("active = ?")
            params.append(int(active))
        if author is not None:
            clauses.append("author = ?")
            params.append(author)
        if schedule_id is not None:
            clauses.append("id = ?")
            params.append(schedule_id)
        rows = self._rows(
            "SELECT id, briefing_id, author, repeat, at, run_on, active, last_fired "
            f"FROM briefing_schedules WHERE {' AND '.join(clauses)} ORDER BY id",
            params,
        )
        return [
            Schedule(
                id=row["id"],
                briefing_id=row["briefing_id"],
                author=row["author"],
                when=When(
                    row["repeat"],
                    time.fromisoformat(row["at"]),
                    date.fromisoformat(row["run_on"]) if row["run_on"] else None,
                ),
                active=bool(row["active"]),
                last_fired=row["last_fired"],
            )
            for row in rows
        ]

    def cancel_schedule(self, schedule_id: int) -> None:
        self._write("UPDATE briefing_schedules SET active = 0 WHERE id = ?", [schedule_id])

    def fire(
        self,
        schedule_id: int,
        local_day: date,
        people: Iterable[int],
        remind_after: timedelta | None,
    ) -> Briefing | None:
        """A schedule's turn: a new briefing copied from its template, queued for ``people``.

        None if the schedule is gone or already fired on ``local_day``: a restart at the
        scheduled minute never sends it twice.
        """
        now = self.now()
        with self.connection.transaction():
            found = self.connection.rows_unlocked(
                "SELECT briefing_id, repeat, active, last_fired FROM briefing_schedules "
                "WHERE id = ?",
                (schedule_id,),
            )
            if not found or not found[0]["active"]:
                return None
            schedule = found[0]
            if schedule["last_fired"] == local_day.isoformat():
                return None
            self.db.execute(
                "UPDATE briefing_schedules SET last_fired = ?, active = ? WHERE id = ?",
                (local_day.isoformat(), int(schedule["repeat"] != ONCE), schedule_id),
            )
            cursor = self.db.execute(
                "INSERT INTO briefings (author, author_name, kind, text, file_id, audience, "
                "status, schedule_id, created_at, sent_at, remind_at) "
                "SELECT author, author_name, kind, text, file_id, audience, ?, ?, ?, ?, ? "
                "FROM briefings WHERE id = ?",
                (
                    SENT,
                    schedule_id,
                    iso(now),
                    iso(now),
                    iso(now + remind_after) if remind_after else None,
                    schedule["briefing_id"],
                ),
            )
            briefing_id = int(cursor.lastrowid or 0)
            self._insert_deliveries(briefing_id, people, iso(now))
        return self.get(briefing_id)
