"""Manager briefings: audiences, the durable delivery job, read receipts and schedules.

Nothing here imports Telegram: a :class:`Sender` (``bot.handlers.briefings.TelegramSender``
in the bot, a fake in tests and benchmarks) turns "send this note to this person" into an
:class:`Outcome`, and the rest is SQLite (the tables of migration 4 in ``bot/storage.py``).

Delivery guarantees
-------------------
Every (briefing, person) is one row of ``deliveries``::

    pending ──▶ sending ──▶ sent (with its message id) │ blocked │ failed
       ▲           │
       └───────────┘  429 (after retry_after), network errors and 5xx (with backoff)

``sending`` is committed *before* the Bot API call and the outcome right *after* it. A row
still ``sending`` when the bot starts was cut off between the two (a crash, a kill, a power
cut): the note may or may not have reached the person. We choose **at-most-once** for the
push: such a row becomes ``uncertain`` and is not pushed again, and so does a send that
timed out (Telegram may well have delivered it). A duplicate cannot be taken back; a
missing push is caught up, because an uncertain delivery is still unread: the person gets
the reminder, finds the note in ``/missed``, and the manager sees it in ``/briefs`` and can
resend it on purpose. Rows still ``pending`` are simply sent after a restart, so nobody is
skipped and, the window between "sending" and "sent" aside, nobody gets a note twice.

A person who blocked the bot (403) is marked unreachable: their deliveries become
``blocked`` and later briefings are not pushed to them (their rows are written ``blocked``,
so the notes still wait in ``/missed``) until they write to the bot again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # only types: render.py imports this module, and `sopbot ask` stays light
    from bot.storage import Person, Storage

log = logging.getLogger(__name__)

# Kinds of note: a text, or a photo or document with a caption.
TEXT, PHOTO, DOCUMENT = "text", "photo", "document"
KINDS = (TEXT, PHOTO, DOCUMENT)
# Telegram's limits less room for the header ("📋 簡報 · 王經理") the note is sent with.
TEXT_LIMIT = 3800
CAPTION_LIMIT = 900

# Briefing statuses.
COMPOSING = "composing"  # /brief alone: the author's next message is the note
TIMING = "timing"  # 🕗 pressed: the author's next message is the time
DRAFT = "draft"
SENT = "sent"
SCHEDULED = "scheduled"  # the template a schedule copies each time it fires
CANCELLED = "cancelled"
# How long /brief (or 🕗) waits for the author's next message before it is a question again.
AWAIT_MINUTES = 30

# Delivery states.
PENDING, SENDING, DELIVERED, FAILED, BLOCKED, UNCERTAIN = (
    "pending",
    "sending",
    "sent",
    "failed",
    "blocked",
    "uncertain",
)
# Deliveries that are not in flight: what /missed shows if unread.
SETTLED = (DELIVERED, FAILED, BLOCKED, UNCERTAIN)

# Audiences: everyone the author manages, one store, or one access level.
ALL, STORE, LEVEL = "all", "store", "level"
LEVELS = ("staff", "trainer", "manager")

# Repeats of a schedule.
ONCE, DAILY, WEEKDAYS = "once", "daily", "weekdays"


# -- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """What a briefing says: a text, or a photo or document (Telegram file id) with a caption."""

    kind: str
    text: str
    file_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a note is one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class Audience:
    kind: str  # all, store or level
    value: str = ""

    @property
    def key(self) -> str:
        return self.kind if self.kind == ALL else f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, key: str | None) -> Audience | None:
        if key == ALL:
            return cls(ALL)
        kind, _, value = (key or "").partition(":")
        if kind in (STORE, LEVEL) and value:
            return cls(kind, value)
        return None


@dataclass(frozen=True)
class Briefing:
    id: int
    author: int
    author_name: str
    note: Note
    audience: Audience | None
    status: str
    created_at: str
    sent_at: str | None = None
    schedule_id: int | None = None


@dataclass(frozen=True)
class Delivery:
    briefing_id: int
    user_id: int
    state: str
    attempts: int
    message_id: int | None
    read_at: str | None


@dataclass(frozen=True)
class Receipt:
    """How a sent briefing is doing: for /briefs."""

    briefing: Briefing
    total: int
    read: int
    states: dict[str, int]
    unread: tuple[str, ...]  # names of those who have not acknowledged it


@dataclass(frozen=True)
class When:
    """When a scheduled briefing goes out: once on a day, every day, or Monday to Friday."""

    repeat: str
    at: time
    on: date | None = None  # the day, for once


@dataclass(frozen=True)
class Schedule:
    id: int
    briefing_id: int
    author: int
    when: When
    active: bool
    last_fired: str | None


# -- what a sender reports -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    message_id: int


@dataclass(frozen=True)
class Blocked:
    """The person blocked the bot, or never started it (403)."""

    reason: str


@dataclass(frozen=True)
class Retry:
    """Not delivered, try again: after ``after`` seconds (429), else with backoff."""

    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Failed:
    """Telegram refused the message for good (400); sending it again would not help."""

    reason: str


@dataclass(frozen=True)
class Uncertain:
    """The send timed out: Telegram may have delivered it (see at-most-once above)."""

    reason: str


Outcome = Sent | Blocked | Retry | Failed | Uncertain


class Sender(Protocol):
    async def send(self, briefing: Briefing, user_id: int) -> Outcome: ...


@dataclass(frozen=True)
class Backoff:
    """Pauses between tries of one delivery after a network error or a 5xx."""

    first: float = 1.0
    factor: float = 2.0
    longest: float = 60.0
    attempts: int = 6  # then the delivery is failed

    def pause(self, attempt: int) -> float:
        return min(self.longest, self.first * self.factor ** max(0, attempt - 1))


# -- who gets a briefing --------------------------------------------------------------------------


def audience_choices(author: Person | None, stores: Iterable[str]) -> list[Audience]:
    """What an author may send to: all their staff, each of their stores, each level.

    ``author`` None or an admin may pick any of ``stores`` (every store there is).
    """
    mine = stores if author is None or author.access == "admin" else author.stores
    return [
        Audience(ALL),
        *(Audience(STORE, store) for store in sorted(set(mine))),
        *(Audience(LEVEL, level) for level in LEVELS),
    ]


def recipients(
    storage: Storage, author_id: int, author: Person | None, audience: Audience
) -> list[Person]:
    """The active people an audience names, within the author's reach, the author left out.

    A manager reaches the people of their stores; an admin (``author`` None, from
    SOPBOT_ADMIN_IDS, or access "admin") reaches everyone.
    """
    stores = None if author is None or author.access == "admin" else author.stores
    if audience.kind == STORE:
        if stores is not None and audience.value not in stores:
            return []
        found = storage.people(stores=[audience.value])
    else:
        found = storage.people(stores=stores)
        if audience.kind == LEVEL:
            found = [person for person in found if person.access == audience.value]
    return [person for person in found if person.user_id != author_id]


# -- when: the schedule a manager types -----------------------------------------------------------

TIME_RE = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:：.]([0-5]\d)(?!\d)")
DATE_RE = re.compile(r"(?<!\d)(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})(?!\d)")
DAILY_WORDS = ("每天", "每日", "daily", "every day", "everyday")
WEEKDAY_WORDS = ("平日", "工作日", "週一至週五", "周一至周五", "weekdays", "weekday", "mon-fri")
TOMORROW_WORDS = ("明天", "明日", "tomorrow")


def parse_when(text: str, now: datetime) -> When | None:
    """Read "08:30", "明天 8:30", "每天 08:30", "平日 08:30", "2026-05-02 09:00" (local time).

    A bare time is once: today if it is still ahead, else tomorrow. None if no time is given
    or a date is not a real day or already past.
    """
    folded = text.strip().lower()[:100]
    found = TIME_RE.search(folded)
    if not found:
        return None
    at = time(int(found.group(1)), int(found.group(2)))
    rest = folded[: found.start()] + " " + folded[found.end() :]
    if any(word in rest for word in WEEKDAY_WORDS):
        return When(WEEKDAYS, at)
    if any(word in rest for word in DAILY_WORDS):
        return When(DAILY, at)
    today = now.date()
    if day := DATE_RE.search(rest):
        year = int(day.group(1) or today.year)
        try:
            on = date(year, int(day.group(2)), int(day.group(3)))
        except ValueError:
            return None
        if not day.group(1) and datetime.combine(on, at, now.tzinfo) <= now:
            on = on.replace(year=year + 1)  # "1/5" in December is next January
    elif any(word in rest for word in TOMORROW_WORDS):
        on = today + timedelta(days=1)
    else:
        on = today if datetime.combine(today, at, now.tzinfo) > now else today + timedelta(1)
    if datetime.combine(on, at, now.tzinfo) <= now:
        return None
    return When(ONCE, at, on)


# -- the store ------------------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


BRIEFING_COLUMNS = (
    "id, author, author_name, kind, text, file_id, audience, status, created_at, sent_at, "
    "schedule_id"
)


def briefing_from(row: tuple) -> Briefing:
    (id_, author, name, kind, text, file_id, audience, status, created, sent, schedule) = row
    return Briefing(
        id=id_,
        author=author,
        author_name=name or "",
        note=Note(kind, text or "", file_id),
        audience=Audience.parse(audience),
        status=status,
        created_at=created,
        sent_at=sent,
        schedule_id=schedule,
    )


class Briefings:
    """Briefings, deliveries and schedules in the bot's SQLite file.

    The schema belongs to ``bot/storage.py`` (migration 4); the queries live here with the
    rules they serve, on the same connection, lock and transactions as the rest of storage.
    """

    def __init__(self, storage: Storage, now: Callable[[], datetime] = utc_now) -> None:
        self.storage = storage
        self.db = storage.db
        self.now = now

    def _rows(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self.storage.lock:
            return self.db.execute(sql, tuple(params)).fetchall()

    def _write(self, sql: str, params: Iterable[object] = ()) -> int:
        with self.storage.transaction():
            return self.db.execute(sql, tuple(params)).rowcount

    # -- composing --------------------------------------------------------------------------

    def create(self, author: int, author_name: str, note: Note | None) -> Briefing:
        """A new draft (``note`` None: waiting for the author's next message).

        Any earlier draft of the author's that is still waiting is dropped: one at a time.
        """
        status = DRAFT if note else COMPOSING
        note = note or Note(TEXT, "")
        with self.storage.transaction():
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
        with self.storage.transaction():
            self.db.execute(
                "UPDATE briefings SET status = ?, sent_at = COALESCE(sent_at, ?), "
                "remind_at = COALESCE(remind_at, ?) WHERE id = ?",
                (SENT, iso(now), remind_at, briefing_id),
            )
            return self._insert_deliveries(briefing_id, people, iso(now))

    def _insert_deliveries(self, briefing_id: int, people: Iterable[int], now: str) -> int:
        blocked = self.db.execute("SELECT user_id FROM briefing_unreachable")
        unreachable = {uid for (uid,) in blocked}
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
        return [
            (bid, uid)
            for bid, uid in self._rows(
                f"SELECT briefing_id, user_id FROM deliveries WHERE {where} "
                "ORDER BY briefing_id, rowid",
                params,
            )
        ]

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
            "AND user_id NOT IN (SELECT user_id FROM briefing_unreachable)",
            (PENDING, briefing_id, DELIVERED, FAILED, UNCERTAIN, BLOCKED),
        )

    def mark_unreachable(self, user_id: int, reason: str) -> None:
        """The person blocked the bot: block their deliveries in flight, push them nothing."""
        with self.storage.transaction():
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

    def unreachable(self, user_id: int) -> bool:
        return bool(self._rows("SELECT 1 FROM briefing_unreachable WHERE user_id = ?", [user_id]))

    def delivery(self, briefing_id: int, user_id: int) -> Delivery | None:
        rows = self._rows(
            "SELECT briefing_id, user_id, state, attempts, message_id, read_at FROM deliveries "
            "WHERE briefing_id = ? AND user_id = ?",
            (briefing_id, user_id),
        )
        return Delivery(*rows[0]) if rows else None

    def deliveries(self, briefing_id: int) -> list[Delivery]:
        rows = self._rows(
            "SELECT briefing_id, user_id, state, attempts, message_id, read_at FROM deliveries "
            "WHERE briefing_id = ? ORDER BY rowid",
            [briefing_id],
        )
        return [Delivery(*row) for row in rows]

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
            "SELECT d.state, d.read_at, COALESCE(p.name, u.name, CAST(d.user_id AS TEXT)) "
            "FROM deliveries d LEFT JOIN people p ON p.user_id = d.user_id "
            "LEFT JOIN users u ON u.id = d.user_id WHERE d.briefing_id = ? ORDER BY 3",
            [briefing_id],
        )
        for state, read_at, name in rows:
            states[state] = states.get(state, 0) + 1
            if read_at:
                read += 1
            else:
                unread.append(name or "?")
        return Receipt(briefing, len(rows), read, states, tuple(unread))

    def recent(self, author: int | None, limit: int = 5) -> list[Receipt]:
        """The latest sent briefings (of one author, or everyone's), newest first."""
        where = "status = ?" + (" AND author = ?" if author is not None else "")
        params: list[object] = [SENT] + ([author] if author is not None else [])
        rows = self._rows(
            f"SELECT id FROM briefings WHERE {where} ORDER BY sent_at DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        return [r for (briefing_id,) in rows if (r := self.receipt(briefing_id)) is not None]

    # -- reminders --------------------------------------------------------------------------

    def reminders(self) -> list[tuple[int, datetime]]:
        """(briefing, when) of every reminder still to send: for re-registering at start."""
        rows = self._rows(
            "SELECT id, remind_at FROM briefings WHERE status = ? AND remind_at IS NOT NULL",
            [SENT],
        )
        return [(bid, datetime.fromisoformat(at)) for bid, at in rows]

    def take_reminders(self, briefing_id: int) -> list[int]:
        """The people to remind of a briefing, marked reminded first (at most one reminder)."""
        with self.storage.transaction():
            rows = self.db.execute(
                "SELECT user_id FROM deliveries WHERE briefing_id = ? AND read_at IS NULL "
                "AND reminded_at IS NULL AND state IN (?, ?) ORDER BY rowid",
                (briefing_id, DELIVERED, UNCERTAIN),
            ).fetchall()
            now = iso(self.now())
            self.db.execute(
                "UPDATE deliveries SET reminded_at = ? WHERE briefing_id = ? AND read_at IS NULL "
                "AND reminded_at IS NULL AND state IN (?, ?)",
                (now, briefing_id, DELIVERED, UNCERTAIN),
            )
            self.db.execute("UPDATE briefings SET remind_at = NULL WHERE id = ?", (briefing_id,))
        return [uid for (uid,) in rows]

    # -- schedules --------------------------------------------------------------------------

    def add_schedule(self, briefing_id: int, author: int, when: When) -> Schedule:
        """Keep a draft as the template of a schedule."""
        with self.storage.transaction():
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
                id=id_,
                briefing_id=bid,
                author=author_id,
                when=When(
                    repeat,
                    time.fromisoformat(at),
                    date.fromisoformat(run_on) if run_on else None,
                ),
                active=bool(is_active),
                last_fired=last,
            )
            for id_, bid, author_id, repeat, at, run_on, is_active, last in rows
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
        with self.storage.transaction():
            row = self.db.execute(
                "SELECT briefing_id, repeat, active, last_fired FROM briefing_schedules "
                "WHERE id = ?",
                (schedule_id,),
            ).fetchone()
            if row is None or not row[2] or row[3] == local_day.isoformat():
                return None
            template_id, repeat, _, _ = row
            self.db.execute(
                "UPDATE briefing_schedules SET last_fired = ?, active = ? WHERE id = ?",
                (local_day.isoformat(), int(repeat != ONCE), schedule_id),
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
                    template_id,
                ),
            )
            briefing_id = int(cursor.lastrowid or 0)
            self._insert_deliveries(briefing_id, people, iso(now))
        return self.get(briefing_id)


def next_once(when: When, zone: ZoneInfo) -> datetime | None:
    """The moment a once-schedule fires, or None for repeating ones."""
    if when.repeat != ONCE or when.on is None:
        return None
    return datetime.combine(when.on, when.at, zone)


# -- the courier: the delivery job ------------------------------------------------------------


# Messages a second a broadcast is paced at: under Telegram's ~30/s for bulk messages (and
# AIORateLimiter's default), leaving room for answers to staff questions meanwhile.
BROADCAST_RATE = 25.0


@dataclass
class Run:
    """One briefing being delivered."""

    briefing_id: int
    task: asyncio.Task[None] | None = None
    again: bool = False  # more deliveries were queued meanwhile: look once more at the end
    counts: dict[str, int] = field(default_factory=dict)


Finished = Callable[[int, dict[str, int]], Awaitable[None]]


class Courier:
    """Sends queued deliveries, a few at a time, and records each before and after.

    The courier paces itself at ``rate`` messages a second, *before* marking a delivery
    "sending": so a row is "sending" only for its HTTP round trip, never while it queues for
    a slot, and a crash leaves at most the few sends really in flight uncertain. PTB's
    AIORateLimiter (Telegram's ~30 messages/s) still stands in front of every call; the
    default rate stays under it so answers to staff questions still get through during a
    broadcast. Up to ``concurrency`` sends are in flight at once, so the round trip does not
    slow the pace. A 429 pauses every send for its retry_after; a network error or 5xx
    retries that one delivery with backoff. ``close`` lets sends in flight finish and leaves
    the rest pending for the next start.
    """

    def __init__(
        self,
        briefings: Briefings,
        sender: Sender,
        *,
        rate: float = BROADCAST_RATE,
        concurrency: int = 20,
        backoff: Backoff = Backoff(),
        on_finished: Finished | None = None,
    ) -> None:
        self.briefings = briefings
        self.sender = sender
        self.rate = rate
        self.concurrency = concurrency
        self.backoff = backoff
        self.on_finished = on_finished
        self.runs: dict[int, Run] = {}
        self._stopping: asyncio.Event | None = None
        self._resume_at = 0.0  # loop time before which nothing is sent (after a 429)
        self._next_slot = 0.0  # loop time of the next free sending slot

    @property
    def stopping(self) -> asyncio.Event:
        if self._stopping is None:
            self._stopping = asyncio.Event()
        return self._stopping

    def start(self, briefing_id: int) -> None:
        """Deliver what is pending for a briefing, in the background."""
        run = self.runs.get(briefing_id)
        if run is not None:
            run.again = True
            return
        if self.stopping.is_set():
            return
        run = self.runs[briefing_id] = Run(briefing_id)
        run.task = asyncio.create_task(self._run(run), name=f"briefing-delivery-{briefing_id}")
        run.task.add_done_callback(lambda task: self._done(run, task))

    def resume(self) -> list[int]:
        """At start: settle interrupted sends, then deliver everything still pending."""
        self.briefings.recover()
        ids = sorted({briefing_id for briefing_id, _ in self.briefings.pending()})
        for briefing_id in ids:
            self.start(briefing_id)
        if ids:
            log.info("resuming delivery of briefings %s", ids)
        return ids

    async def drain(self) -> None:
        """Wait until every delivery started so far is settled."""
        while self.runs:
            tasks = [run.task for run in self.runs.values() if run.task is not None]
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        """Stop: sends in flight finish and are recorded; the rest stay pending."""
        self.stopping.set()
        await self.drain()

    def _done(self, run: Run, task: asyncio.Task[None]) -> None:
        self.runs.pop(run.briefing_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery of briefing %d stopped", run.briefing_id, exc_info=task.exception())

    async def _run(self, run: Run) -> None:
        while True:
            run.again = False
            queue: asyncio.Queue[int] = asyncio.Queue()
            for _, user_id in self.briefings.pending(run.briefing_id):
                queue.put_nowait(user_id)
            if queue.empty():
                break
            workers = min(self.concurrency, queue.qsize())
            # A task group: if one worker fails unexpectedly the others stop too, as in a crash,
            # and whatever they had in flight is settled as uncertain at the next start.
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(self._work(run, queue))
            if self.stopping.is_set() or not run.again:
                break
        if self.on_finished is not None and not self.stopping.is_set():
            await self.on_finished(run.briefing_id, run.counts)

    async def _work(self, run: Run, queue: asyncio.Queue[int]) -> None:
        briefing = self.briefings.get(run.briefing_id)
        if briefing is None:
            return
        while not queue.empty() and not self.stopping.is_set():
            user_id = queue.get_nowait()
            state = await self._deliver(briefing, user_id)
            run.counts[state] = run.counts.get(state, 0) + 1

    async def _deliver(self, briefing: Briefing, user_id: int) -> str:
        """Send one delivery until it settles (or the courier stops); its final state."""
        attempt = 0
        while True:
            await self._wait_out_pause()
            await self._wait_for_slot()
            if self.stopping.is_set():
                return PENDING
            if not self.briefings.begin_send(briefing.id, user_id):
                return "skipped"  # settled elsewhere (a resend raced this one)
            attempt += 1
            try:
                outcome = await self.sender.send(briefing, user_id)
            except Exception as error:  # noqa: BLE001 - one bad delivery must not stop the rest
                log.exception("sending briefing %d to %d failed", briefing.id, user_id)
                outcome = Failed(f"{type(error).__name__}: {error}")
            retry = isinstance(outcome, Retry) and (
                outcome.after is not None or attempt < self.backoff.attempts
            )
            self.briefings.record(briefing.id, user_id, outcome, retry)
            if not retry:
                return state_of(outcome)
            assert isinstance(outcome, Retry)
            if outcome.after is not None:
                # Telegram's flood limit is for the whole bot: every sender waits.
                loop = asyncio.get_running_loop()
                self._resume_at = max(self._resume_at, loop.time() + outcome.after)
                log.info("rate limited: pausing briefings for %.1f s", outcome.after)
            else:
                log.info("briefing %d to %d: %s; retrying", briefing.id, user_id, outcome.reason)
                await self._sleep(self.backoff.pause(attempt))

    async def _wait_for_slot(self) -> None:
        """Keep to ``rate``: each send takes the next slot, 1/rate seconds after the last."""
        if self.rate <= 0:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1 / self.rate
        if slot > now:
            await self._sleep(slot - now)

    async def _wait_out_pause(self) -> None:
        loop = asyncio.get_running_loop()
        while (left := self._resume_at - loop.time()) > 0 and not self.stopping.is_set():
            await self._sleep(left)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the courier stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)


def state_of(outcome: Outcome) -> str:
    if isinstance(outcome, Sent):
        return DELIVERED
    if isinstance(outcome, Blocked):
        return BLOCKED
    if isinstance(outcome, Uncertain):
        return UNCERTAIN
    return FAILED
