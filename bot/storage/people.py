"""Who may use the bot (access level, stores, active or revoked) and the audit trail.

What each level may do is decided in ``bot/access/rules.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.base import Repository

# Access levels, least to most.
ACCESS_LEVELS = ("staff", "trainer", "manager", "admin")


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


def check_access(access: str) -> None:
    if access not in ACCESS_LEVELS:
        raise ValueError(f"access is one of {ACCESS_LEVELS}, not {access!r}")


class People(Repository):
    def add_person(
        self, user_id: int, name: str, access: str, stores: Iterable[str] = ()
    ) -> Person:
        """Register (or re-activate) a person with one access level and their stores."""
        check_access(access)
        with self.transaction():
            self.register(user_id, name, access, stores)
        person = self.person(user_id)
        assert person is not None
        return person

    def register(self, user_id: int, name: str, access: str, stores: Iterable[str]) -> None:
        """add_person's writes, for use inside a transaction.

        An active person keeps their stores and gains these. A revoked person comes back
        with these stores alone: nothing of what they had before returns with them.
        """
        revoked = self.db.execute(
            "SELECT 1 FROM people WHERE user_id = ? AND active = 0", (user_id,)
        ).fetchone()
        if revoked:
            self.db.execute("DELETE FROM memberships WHERE user_id = ?", (user_id,))
        self.db.execute(
            """
            INSERT INTO people (user_id, name, access, active, joined_at)
            VALUES (?, ?, ?, 1, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                name = excluded.name, access = excluded.access, active = 1,
                revoked_at = NULL
            """,
            (user_id, name, access, self.clock()),
        )
        for store in stores:
            self.db.execute(
                "INSERT OR IGNORE INTO memberships (user_id, store) VALUES (?, ?)",
                (user_id, store),
            )

    def person(self, user_id: int) -> Person | None:
        """The registered person with this Telegram id (active or not), or None."""
        with self.lock:
            return self.person_unlocked(user_id)

    def person_unlocked(self, user_id: int) -> Person | None:
        """:meth:`person` for use inside a transaction."""
        found = self.rows_unlocked(
            "SELECT user_id, name, access, active FROM people WHERE user_id = ?", (user_id,)
        )
        if not found:
            return None
        stores = self.rows_unlocked(
            "SELECT store FROM memberships WHERE user_id = ? ORDER BY store", (user_id,)
        )
        row = found[0]
        return Person(
            user_id=row["user_id"],
            name=row["name"],
            access=row["access"],
            stores=tuple(membership["store"] for membership in stores),
            active=bool(row["active"]),
        )

    def people(
        self, stores: Iterable[str] | None = None, active: bool | None = True
    ) -> list[Person]:
        """People, optionally only those in some stores, by name."""
        ids = [
            row["user_id"] for row in self.rows("SELECT user_id FROM people ORDER BY name, user_id")
        ]
        found = [person for person in map(self.person, ids) if person is not None]
        if stores is not None:
            wanted = set(stores)
            found = [p for p in found if wanted.intersection(p.stores)]
        if active is not None:
            found = [p for p in found if p.active == active]
        return found

    def set_stores(self, user_id: int, stores: Iterable[str]) -> bool:
        """Make an active person's stores exactly these (a move, or taking them off one);
        False, changing nothing, if they are not active."""
        with self.transaction():
            if not self.db.execute(
                "SELECT 1 FROM people WHERE user_id = ? AND active = 1", (user_id,)
            ).fetchone():
                return False
            self.db.execute("DELETE FROM memberships WHERE user_id = ?", (user_id,))
            for store in stores:
                self.db.execute(
                    "INSERT OR IGNORE INTO memberships (user_id, store) VALUES (?, ?)",
                    (user_id, store),
                )
        return True

    def set_access(self, user_id: int, access: str) -> None:
        check_access(access)
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
            self.db.table("audit").insert(
                {
                    "at": self.clock(),
                    "actor": actor,
                    "action": action,
                    "target": target,
                    "detail": detail,
                }
            )
