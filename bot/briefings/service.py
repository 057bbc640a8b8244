"""Manager briefings: audiences, the durable delivery job, read receipts and schedules.

Nothing here imports Telegram: a :class:`Sender` (``bot.briefings.handlers.TelegramSender``
in the bot, a fake in tests and benchmarks) turns "send this note to this person" into an
:class:`Outcome`, and the rest is SQLite (``bot/storage/briefings.py``).

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

Who may brief, and who is briefed
---------------------------------
Only active managers and admins brief (:func:`may_brief`), checked when they press a
button, not only when they typed /brief: a manager demoted since cannot send an old draft,
and a schedule whose author may no longer brief is cancelled the next time it would fire.
A note goes only to people active when it is sent (:func:`recipients`), and a person
revoked since is never pushed it: not by the courier (a row still pending for them is
settled ``failed``), nor by 🔁 or the reminder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.briefings.model import *  # noqa: F403  (the values, for callers of the rules)
from bot.briefings.model import (
    ALL,
    BLOCKED,
    DAILY,
    DELIVERED,
    FAILED,
    LEVEL,
    LEVELS,
    ONCE,
    PENDING,
    STORE,
    UNCERTAIN,
    WEEKDAYS,
    Audience,
    Blocked,
    Briefing,
    Failed,
    Outcome,
    Retry,
    Sent,
    Uncertain,
    When,
)
from bot.storage import Person, Storage
from bot.storage.briefings import Briefings

log = logging.getLogger(__name__)

T = TypeVar("T")
# How long one of the courier's writes waits for a lock held elsewhere before it steps back
# (and tries again later): the event loop, and every answer with it, is never held longer.
STORAGE_WAIT_MS = 50
# The longest pause between tries while the database refuses: the broadcast goes on within
# this long of the fault clearing.
STORAGE_PAUSE = 5.0


class StorageStalled(Exception):
    """The courier stopped while the database still refused its bookkeeping."""


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


# -- is it a note? -------------------------------------------------------------------------------

# After /brief the author's next message is the note; but a manager who forgot that may be
# asking the bot something. A short text shaped like a question is asked about first.
QUESTION_CHARS = 80
QUESTION_END_RE = re.compile(r"[?？]\s*$")
QUESTION_WORD_RE = re.compile(
    r"怎麼|怎么|怎樣|怎样|如何|什麼|什么|甚麼|為何|为何|哪[裡里個个些位]|幾[點個天]|几[点个天]"
    r"|多少|多久|是否|可不可以|能不能|要不要|有沒有|有没有|[嗎吗呢]\s*$"
)
QUESTION_EN_RE = re.compile(
    r"^\s*(how|what|why|when|where|which|who|can|could|should|do|does|is|are)\b", re.IGNORECASE
)


def looks_like_question(text: str) -> bool:
    """Whether a short text reads as a question to the bot rather than a note to staff."""
    text = text.strip()
    if not text or len(text) > QUESTION_CHARS or "\n" in text:
        return False
    return bool(
        QUESTION_END_RE.search(text) or QUESTION_WORD_RE.search(text) or QUESTION_EN_RE.match(text)
    )


# -- who briefs, who gets a briefing ---------------------------------------------------------------


def may_brief(author: Person | None, configured_admin: bool) -> bool:
    """Active managers and admins brief; so does anyone in SOPBOT_ADMIN_IDS."""
    return configured_admin or (author is not None and author.at_least("manager"))


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
    SOPBOT_ADMIN_IDS, or access "admin") reaches everyone; someone who may no longer brief
    (revoked, demoted) reaches no one.
    """
    if author is not None and not may_brief(author, configured_admin=False):
        return []
    stores = None if author is None or author.access == "admin" else author.stores
    if audience.kind == STORE:
        if stores is not None and audience.value not in stores:
            return []
        found = storage.people.people(stores=[audience.value])
    else:
        found = storage.people.people(stores=stores)
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
    # 🔁 to the unread, alone: its report counts this run's sends, not the whole note's.
    resend: bool = False


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

    A database that refuses a write for a while (locked by another process, a full disk)
    pauses the broadcast, never ends it: each write of the courier's bookkeeping is tried
    again with backoff until it is taken, and the broadcast goes on from where it was. An
    outcome already known (the note reached Telegram) is kept in memory meanwhile and
    written once the database takes it, so nobody gets the note twice.
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

    def start(self, briefing_id: int, resend: bool = False) -> None:
        """Deliver what is pending for a briefing, in the background (``resend``: what 🔁
        queued again)."""
        run = self.runs.get(briefing_id)
        if run is not None:
            run.again = True
            return
        if self.stopping.is_set():
            return
        run = self.runs[briefing_id] = Run(briefing_id, resend=resend)
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
            try:
                waiting = await self._store(lambda: self.briefings.pending(run.briefing_id))
            except StorageStalled:
                return
            for _, user_id in waiting:
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
        try:
            briefing = await self._store(lambda: self.briefings.get(run.briefing_id))
        except StorageStalled:
            return
        if briefing is None:
            return
        while not queue.empty() and not self.stopping.is_set():
            user_id = queue.get_nowait()
            try:
                state = await self._deliver(briefing, user_id)
            except StorageStalled:
                return  # stopping: what was not recorded is settled at the next start
            run.counts[state] = run.counts.get(state, 0) + 1

    async def _store(self, write: Callable[[], T]) -> T:
        """One read or write of the courier's bookkeeping, tried until the database takes
        it; raises StorageStalled if the courier stops first."""
        attempt = 0
        while True:
            try:
                with self.briefings.connection.waiting_at_most(STORAGE_WAIT_MS):
                    return write()
            except sqlite3.OperationalError as error:  # locked, full disk, I/O error
                attempt += 1
                if attempt == 1:
                    log.warning("briefing delivery waits for the database: %s", error)
                if self.stopping.is_set():
                    raise StorageStalled from error
                await self._sleep(min(STORAGE_PAUSE, self.backoff.pause(attempt)))
                if attempt > 1 and attempt % 10 == 0:
                    log.warning("briefing delivery still waits for the database: %s", error)

    async def _deliver(self, briefing: Briefing, user_id: int) -> str:
        """Send one delivery until it settles (or the courier stops); its final state."""
        attempt = 0
        while True:
            await self._wait_out_pause()
            await self._wait_for_slot()
            if self.stopping.is_set():
                return PENDING
            if not await self._store(partial(self.briefings.receives, user_id)):
                # Revoked since the note was queued: it is not theirs to read any more.
                revoked = Failed("revoked")
                await self._store(
                    partial(self.briefings.record, briefing.id, user_id, revoked, False)
                )
                return FAILED
            begun = await self._store(lambda: self.briefings.begin_send(briefing.id, user_id))
            if not begun:
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
            await self._store(partial(self.briefings.record, briefing.id, user_id, outcome, retry))
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
