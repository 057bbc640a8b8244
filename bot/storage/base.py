"""The one connection to the bot's SQLite file, shared by every repository.

Calls are short (one indexed row) and run on the event loop's thread; the connection is
opened with ``check_same_thread=False`` and guarded by a lock so a worker thread (a job, a
benchmark) may use it as well. Rows come back mapped by column name.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.storage import schema

MEMORY = ":memory:"
Row = dict[str, Any]
# How long a write waits for another writer (a backup, a second process) to finish.
BUSY_TIMEOUT_MS = 5000


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Connection:
    """The database, its lock and its clock (ISO 8601, UTC), migrated on creation."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], str] = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.lock = threading.Lock()
        with self.lock:
            schema.migrate(self.db)

    @classmethod
    def connect(cls, path: Path | str) -> sqlite_utils.Database:
        """Open (creating it and its folder if needed) the database at ``path``."""
        if str(path) != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), check_same_thread=False)
        db = sqlite_utils.Database(connection)
        if str(path) != MEMORY:
            db.enable_wal()
            # WAL with synchronous=NORMAL survives a crash of the bot; only a power cut can
            # lose the last moments, which for usage stats and votes is acceptable.
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return db

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextmanager
    def waiting_at_most(self, milliseconds: int) -> Iterator[None]:
        """Writes in this block wait at most ``milliseconds`` for a lock held elsewhere,
        instead of ``BUSY_TIMEOUT_MS``: for writes that must not hold up the event loop
        (``bot.storage.backlog``), which try again later themselves."""
        with self.lock:
            self.db.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
        try:
            yield
        finally:
            with self.lock:
                self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @property
    def version(self) -> int:
        return schema.version(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes that commit together or not at all (sqlite-utils' ``atomic``), under the lock."""
        with self.lock, self.db.atomic():
            yield

    def rows(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        """The rows a query returns, each a dict by column name."""
        with self.lock:
            return self.rows_unlocked(sql, params)

    def row(self, sql: str, params: Iterable[object] = ()) -> Row | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def rows_unlocked(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        """:meth:`rows` for use inside :meth:`transaction`."""
        cursor = self.db.execute(sql, tuple(params))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def cutoff(self, days: float) -> str:
        """The moment ``days`` before now, in the stored form (ISO 8601, UTC)."""
        now = datetime.fromisoformat(self.clock())
        return (now - timedelta(days=days)).isoformat(timespec="seconds")
