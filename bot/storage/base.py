"""The one connection to the bot's SQLite file, and the base of the repositories sharing it.

Calls are short (one indexed row) and run on the event loop's thread; the connection is
opened with ``check_same_thread=False`` and guarded by a lock so a worker thread (a job, a
benchmark) may use it as well. Rows come back mapped by column name. A
:class:`Repository` (people, quizzes, …) holds no state of its own: its database, lock,
clock and transactions are the one :class:`Connection`'s.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.storage import schema
from knowledge.normalize import encodable

# A name, a question, a note may carry a lone surrogate (half an emoji, from a broken client
# or a forged update), which SQLite's UTF-8 cannot hold: every text is stored with U+FFFD in
# its place instead of the write failing. (An adapter for str makes sqlite3 pass every text
# parameter through it.)
sqlite3.register_adapter(str, encodable)

MEMORY = ":memory:"
Row = dict[str, Any]
# How long a write waits for another writer (a backup, a second process) to finish.
BUSY_TIMEOUT_MS = 5000


class StorageError(Exception):
    """The database cannot be used as it is: which file, why, and what to do (one sentence
    for the operator, printed by ``sopbot run`` without a traceback)."""


def check_openable(path: Path) -> None:
    """Refuse, with the reason, a database the bot must not or cannot start on.

    A zero-length file is not a fresh database but a lost one (truncated, or replaced by an
    empty file): starting on it would silently make every registered person a stranger.
    """
    if path.is_file() and path.stat().st_size == 0:
        raise StorageError(
            f"The database {path} is empty (0 bytes): it was truncated or replaced, and "
            "starting on it would forget everyone registered. Restore it from a backup "
            "(see `sopbot backup`), or delete it to start with a new, empty database."
        )


def why_not_writable(path: Path) -> str:
    """Why the bot cannot write its database at ``path``, as far as the system tells."""
    folder = next((p for p in [path.parent, *path.parents] if p.exists()), Path("."))
    with contextlib.suppress(OSError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"{folder} is on a read-only file system"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable by this user (uid {os.getuid()})"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is not writable by this user (uid {os.getuid()})"
    return "the file or its folder cannot be written"


def unopenable(path: Path, error: sqlite3.Error) -> StorageError:
    return StorageError(
        f"Could not open the database {path} ({error}): {why_not_writable(path)}. The bot "
        "writes there (who may use it, the question log, briefings): mount the volume "
        "read-write, or give the file and its folder to the bot's user (SOPBOT_DB)."
    )


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Connection:
    """The database, its lock and its clock (ISO 8601, UTC), migrated on creation."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], str] = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.lock = threading.Lock()
        with self.lock:
            try:
                schema.migrate(self.db)
            except sqlite3.OperationalError as error:
                if "readonly" not in str(error) and "read-only" not in str(error):
                    raise
                path = Path(self.db.conn.execute("PRAGMA database_list").fetchone()[2])
                raise unopenable(path, error) from None

    @classmethod
    def connect(cls, path: Path | str) -> sqlite_utils.Database:
        """Open (creating it and its folder if needed) the database at ``path``.

        Raises :class:`StorageError` for a database the bot must not or cannot start on.
        """
        if str(path) == MEMORY:
            return sqlite_utils.Database(sqlite3.connect(MEMORY, check_same_thread=False))
        path = Path(path)
        check_openable(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(
                f"Could not create the folder of the database {path} ({error}). "
                "Set SOPBOT_DB to a writable place."
            ) from None
        connection = sqlite3.connect(str(path), check_same_thread=False)
        db = sqlite_utils.Database(connection)
        try:
            db.enable_wal()
            # WAL with synchronous=NORMAL survives a crash of the bot; only a power cut can
            # lose the last moments, which for usage stats and votes is acceptable.
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as error:  # read-only file system, folder or file
            connection.close()
            raise unopenable(path, error) from None
        except sqlite3.DatabaseError as error:  # not a database at all
            connection.close()
            raise StorageError(
                f"{path} is not a usable SQLite database ({error}). Restore it from a "
                "backup (see `sopbot backup`), or move it away to start with a new one."
            ) from None
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


class Repository:
    """The queries of one concern, on the shared :class:`Connection`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @property
    def db(self) -> sqlite_utils.Database:
        return self.connection.db

    @property
    def lock(self) -> threading.Lock:
        return self.connection.lock

    def clock(self) -> str:
        """Now, as the connection's clock tells it (ISO 8601, UTC)."""
        return self.connection.clock()

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self.connection.transaction()

    def rows(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        return self.connection.rows(sql, params)

    def row(self, sql: str, params: Iterable[object] = ()) -> Row | None:
        return self.connection.row(sql, params)

    def rows_unlocked(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        return self.connection.rows_unlocked(sql, params)

    def cutoff(self, days: float) -> str:
        return self.connection.cutoff(days)
