"""Writes that must never cost an answer: the question log, "last seen", kept until they fit.

Answering reads the database (who is asking, their role) but needs to write nothing. The
question log and the sender's "last seen" are written *after* the reply, through a
:class:`Backlog`: each write is tried at once, waiting at most ``WAIT_MS`` for a lock
another process holds (a backup, an 8 s write), so the event loop, and every other chat
with it, is never held up for the 5 s a write may otherwise wait. A write that fails for a
passing reason (the database locked, the disk full, an I/O error) is kept and tried again
in the background, with growing pauses, in the order it came; past ``LIMIT`` kept writes
the oldest are dropped, with a warning. A log line may be lost to a long outage, an answer
never.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Callable

from bot.storage.base import Connection

log = logging.getLogger(__name__)

WAIT_MS = 50  # how long one try waits for another writer's lock
LIMIT = 10_000  # writes kept while the database refuses them (each a few hundred bytes)
PAUSES = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # between background tries, the last repeated

Write = Callable[[], object]


class Backlog:
    """Writes tried now, else kept and tried again until the database takes them."""

    def __init__(self, connection: Connection, limit: int = LIMIT) -> None:
        self.connection = connection
        self.waiting: deque[tuple[str, Write]] = deque()
        self.limit = limit
        self.dropped = 0
        self.task: asyncio.Task[None] | None = None
        self.pauses = PAUSES

    def write(self, what: str, write: Write) -> bool:
        """Write now if the database lets us at once; else keep it for later. Whether it
        was written now."""
        if not self.waiting and self.try_write(what, write, quietly=False):
            return True
        self.keep(what, write)
        return False

    def try_write(self, what: str, write: Write, quietly: bool = True) -> bool:
        try:
            with self.connection.waiting_at_most(WAIT_MS):
                write()
        except sqlite3.OperationalError as error:  # locked, busy, full, I/O, read-only
            if not quietly:
                log.warning("could not write %s now (%s); trying again later", what, error)
            return False
        return True

    def keep(self, what: str, write: Write) -> None:
        self.waiting.append((what, write))
        while len(self.waiting) > self.limit:
            self.waiting.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("dropped %d writes the database would not take", self.dropped)
        if self.task is None or self.task.done():
            try:
                self.task = asyncio.get_running_loop().create_task(
                    self.drain(), name="storage backlog"
                )
            except RuntimeError:  # no event loop (a script): the next write tries again
                self.task = None

    async def drain(self) -> None:
        """Try the kept writes, oldest first, pausing longer while the database refuses."""
        failures = 0
        while self.waiting:
            what, write = self.waiting[0]
            if self.try_write(what, write):
                self.waiting.popleft()
                if not self.waiting:
                    log.info("the database takes writes again; nothing is waiting")
                failures = 0
                await asyncio.sleep(0)  # let answers go first
                continue
            await asyncio.sleep(self.pauses[min(failures, len(self.pauses) - 1)])
            failures += 1

    async def flush(self) -> None:
        """Wait until every kept write is written (tests; shutdown)."""
        while self.waiting:
            if self.task is None or self.task.done():
                await self.drain()
            else:
                await asyncio.wait({self.task})

    def close(self) -> None:
        """At shutdown: one last try of what waits; what still fails is reported."""
        if self.task is not None:
            self.task.cancel()
        while self.waiting and self.try_write(*self.waiting[0]):
            self.waiting.popleft()
        if self.waiting:
            log.warning("%d writes were not saved: the database refused them", len(self.waiting))
