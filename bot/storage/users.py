"""Who has written to the bot (their name, language, chosen role) and their votes on answers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.base import Repository

UP, DOWN = 1, -1
# Strangers are remembered this long after they last wrote, and this many at most, so a
# flood of accounts cannot grow the database.
STRANGER_DAYS = 30
STRANGERS_KEPT = 5000
NAME_LIMIT = 128
# Whom a lookup is among: those let in, or strangers (refused, remembered for a while).
USERS, STRANGERS = "users", "strangers"
TABLES = {USERS: "users", STRANGERS: "strangers"}


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
class Vote:
    user_id: int
    query: str
    step_id: str
    vote: int
    at: str


class Users(Repository):
    """Who wrote to the bot: users, let in, and strangers, refused but remembered a while."""

    def seen(self, user_id: int, name: str, username: str | None, language: str | None) -> None:
        """Record that a user used the bot, keeping when they first did."""
        with self.transaction():
            self._upsert(USERS, user_id, name, username, language)
            # Someone registered before they ever wrote (a configured admin, a /grant by
            # id) is named by their id until then: from now on, by their Telegram name.
            self.db.execute(
                "UPDATE people SET name = ? WHERE user_id = ? AND name IN ('', ?) AND ? != ''",
                (name, user_id, str(user_id), name),
            )

    def saw_stranger(
        self, user_id: int, name: str, username: str | None, language: str | None
    ) -> None:
        """Remember who a stranger is (for /grant @username); it lets them in nowhere."""
        with self.transaction():
            self._upsert(STRANGERS, user_id, name[:NAME_LIMIT], username, language)
            self.db.execute(
                "DELETE FROM strangers WHERE last_seen < ? OR id NOT IN "
                "(SELECT id FROM strangers ORDER BY last_seen DESC LIMIT ?)",
                (self.cutoff(STRANGER_DAYS), STRANGERS_KEPT),
            )

    def user(self, user_id: int, among: str = USERS) -> User | None:
        """The user with this Telegram id, or None; ``among=STRANGERS``: a stranger who
        wrote lately, as a user who has no role."""
        return self._lookup(among, "id = ?", user_id)

    def user_by_username(self, username: str, among: str = USERS) -> User | None:
        """The user (or, ``among=STRANGERS``, stranger) who last wrote with this
        @username (without the @), if any."""
        return self._lookup(among, "username = ? COLLATE NOCASE", username)

    def _lookup(self, among: str, where: str, value: object) -> User | None:
        role = "role" if among == USERS else "NULL AS role"
        row = self.row(
            f"SELECT id, name, username, language, {role}, first_seen, last_seen "
            f"FROM {TABLES[among]} WHERE {where} ORDER BY last_seen DESC LIMIT 1",
            (value,),
        )
        return User(**row) if row else None

    def _upsert(
        self, among: str, user_id: int, name: str, username: str | None, language: str | None
    ) -> None:
        now = self.clock()
        self.db.execute(
            f"""
            INSERT INTO {TABLES[among]} (id, name, username, language, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                name = excluded.name,
                username = excluded.username,
                language = excluded.language,
                last_seen = excluded.last_seen
            """,
            (user_id, name, username, language, now, now),
        )

    def role_of(self, user_id: int) -> str | None:
        row = self.row("SELECT role FROM users WHERE id = ?", (user_id,))
        return row["role"] if row else None

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
        rows = self.rows("SELECT user_id, query, step_id, vote, at FROM feedback ORDER BY id")
        return [Vote(**row) for row in rows]
