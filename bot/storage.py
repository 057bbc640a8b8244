"""The bot's own data in SQLite: who uses it, their role, and what they thought of answers.

The schema is versioned with ``PRAGMA user_version``: ``MIGRATIONS`` is an ordered list and
a database at version n gets migrations n+1… applied, each in its own transaction. Later
features append migrations; they never edit one that has shipped.

Calls are short (one indexed row) and run on the event loop's thread; the connection is
opened with ``check_same_thread=False`` and guarded by a lock so a worker thread (a job, a
benchmark) may use it as well.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

log = logging.getLogger(__name__)

MEMORY = ":memory:"
UP, DOWN = 1, -1


def create_users_and_feedback(db: sqlite_utils.Database) -> None:
    db.table("users").create(
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
    db.table("feedback").create(
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
    db.table("feedback").create_index(["user_id", "query", "step_id"], unique=True)


def create_people(db: sqlite_utils.Database) -> None:
    """Who may use the bot: access level, stores, and an audit trail."""
    db["people"].create(
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
    db["memberships"].create({"user_id": int, "store": str}, pk=("user_id", "store"))
    db["audit"].create(
        {"id": int, "at": str, "actor": int, "action": str, "target": str, "detail": str},
        pk="id",
    )


Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = [
    create_users_and_feedback,  # 1
    create_people,  # 2
]

# Access levels, least to most: what each may do is decided in bot/access.py.
ACCESS_LEVELS = ("staff", "trainer", "manager", "admin")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    username: str | None
    language: str | None
    role: str | None
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class Person:
    """Someone registered to use the bot."""

    user_id: int
    name: str
    access: str  # one of ACCESS_LEVELS
    stores: tuple[str, ...]
    active: bool

    def at_least(self, access: str) -> bool:
        return self.active and ACCESS_LEVELS.index(self.access) >= ACCESS_LEVELS.index(access)


@dataclass(frozen=True)
class Vote:
    user_id: int
    query: str
    step_id: str
    vote: int
    at: str


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Storage:
    """Users and feedback, in one SQLite file."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], str] = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.lock = threading.Lock()
        self.migrate()

    @classmethod
    def open(cls, path: Path | str, clock: Callable[[], str] = utc_now) -> Storage:
        """Open (creating it and its folder if needed) and migrate the database at ``path``."""
        if str(path) != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), check_same_thread=False)
        db = sqlite_utils.Database(connection)
        if str(path) != MEMORY:
            db.enable_wal()
            # WAL with synchronous=NORMAL survives a crash of the bot; only a power cut can
            # lose the last moments, which for usage stats and votes is acceptable.
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA busy_timeout = 5000")
        return cls(db, clock)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        """Bring the schema up to the newest version."""
        current = self.version
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"the database is at schema version {current}, newer than this sopbot "
                f"({len(MIGRATIONS)}); upgrade sopbot"
            )
        for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction():
                migration(self.db)
                # user_version is part of the database header, so it commits with the rest.
                self.db.execute(f"PRAGMA user_version = {number}")
            log.info("migrated the bot database to version %d (%s)", number, migration.__name__)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            conn = self.db.conn
            conn.execute("BEGIN")
            try:
                yield
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    # -- users -----------------------------------------------------------------------------

    def seen(self, user_id: int, name: str, username: str | None, language: str | None) -> None:
        """Record that a user used the bot, keeping when they first did."""
        now = self.clock()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO users (id, name, username, language, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    name = excluded.name,
                    username = excluded.username,
                    language = excluded.language,
                    last_seen = excluded.last_seen
                """,
                (user_id, name, username, language, now, now),
            )

    def user(self, user_id: int) -> User | None:
        with self.lock:
            row = self.db.execute(
                "SELECT id, name, username, language, role, first_seen, last_seen "
                "FROM users WHERE id = ?",
                (user_id,),
            ).fetchone()
        return User(*row) if row else None

    def role_of(self, user_id: int) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT role FROM users WHERE id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    def set_role(self, user_id: int, role: str | None) -> None:
        """Set (or with None, clear) the role whose steps rank first for this user."""
        now = self.clock()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO users (id, name, role, first_seen, last_seen) VALUES (?, '', ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET role = excluded.role
                """,
                (user_id, role, now, now),
            )

    # -- feedback --------------------------------------------------------------------------

    def vote(self, user_id: int, query: str, step_id: str, vote: int) -> None:
        """Store a 👍 (+1) or 👎 (-1) on an answer; a second vote replaces the first."""
        if vote not in (UP, DOWN):
            raise ValueError(f"a vote is +1 or -1, not {vote!r}")
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO feedback (user_id, query, step_id, vote, at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (user_id, query, step_id) DO UPDATE SET
                    vote = excluded.vote, at = excluded.at
                """,
                (user_id, query, step_id, vote, self.clock()),
            )

    def votes(self) -> list[Vote]:
        """Every stored vote, oldest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT user_id, query, step_id, vote, at FROM feedback ORDER BY id"
            ).fetchall()
        return [Vote(*row) for row in rows]

    # -- people: who may use the bot, with which access, in which stores ----------------------

    def add_person(
        self, user_id: int, name: str, access: str, stores: Iterable[str] = ()
    ) -> Person:
        """Register (or re-activate) a person with one access level and their stores."""
        if access not in ACCESS_LEVELS:
            raise ValueError(f"access is one of {ACCESS_LEVELS}, not {access!r}")
        now = self.clock()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO people (user_id, name, access, active, joined_at)
                VALUES (?, ?, ?, 1, ?)
                ON CONFLICT (user_id) DO UPDATE SET
                    name = excluded.name, access = excluded.access, active = 1,
                    revoked_at = NULL
                """,
                (user_id, name, access, now),
            )
            for store in stores:
                self.db.execute(
                    "INSERT OR IGNORE INTO memberships (user_id, store) VALUES (?, ?)",
                    (user_id, store),
                )
        person = self.person(user_id)
        assert person is not None
        return person

    def person(self, user_id: int) -> Person | None:
        """The registered person with this Telegram id (active or not), or None."""
        with self.lock:
            row = self.db.execute(
                "SELECT user_id, name, access, active FROM people WHERE user_id = ?", (user_id,)
            ).fetchone()
            if row is None:
                return None
            stores = tuple(
                store
                for (store,) in self.db.execute(
                    "SELECT store FROM memberships WHERE user_id = ? ORDER BY store", (user_id,)
                )
            )
        return Person(row[0], row[1], row[2], stores, bool(row[3]))

    def people(
        self, stores: Iterable[str] | None = None, active: bool | None = True
    ) -> list[Person]:
        """People, optionally only those in some stores, by name."""
        with self.lock:
            ids = [
                user_id
                for (user_id,) in self.db.execute(
                    "SELECT user_id FROM people ORDER BY name, user_id"
                )
            ]
        found = [person for person in map(self.person, ids) if person is not None]
        if stores is not None:
            wanted = set(stores)
            found = [p for p in found if wanted.intersection(p.stores)]
        if active is not None:
            found = [p for p in found if p.active == active]
        return found

    def set_access(self, user_id: int, access: str) -> None:
        if access not in ACCESS_LEVELS:
            raise ValueError(f"access is one of {ACCESS_LEVELS}, not {access!r}")
        with self.transaction():
            self.db.execute("UPDATE people SET access = ? WHERE user_id = ?", (access, user_id))

    def deactivate(self, user_id: int) -> None:
        """Revoke a person: they lose access at once; their history stays."""
        with self.transaction():
            self.db.execute(
                "UPDATE people SET active = 0, revoked_at = ? WHERE user_id = ?",
                (self.clock(), user_id),
            )

    def log_action(self, actor: int, action: str, target: str, detail: str = "") -> None:
        """Keep an audit trail of who changed what (grants, revocations, invites)."""
        with self.transaction():
            self.db["audit"].insert(
                {
                    "at": self.clock(),
                    "actor": actor,
                    "action": action,
                    "target": target,
                    "detail": detail,
                }
            )
