"""Invite links (kept as hashes of their codes) and grants or revocations awaiting ✅/✖."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.base import Connection, Repository
from bot.storage.people import People, Person, check_access

# What opening an invite link came to.
JOINED, UNKNOWN, USED, EXPIRED, WITHDRAWN = "joined", "unknown", "used", "expired", "withdrawn"
REVOKED = "revoked"  # the person opening it was registered once and revoked
MEMBER = "member"  # the person opening it is registered and active already

INVITE_SELECT = (
    "SELECT id, access, store, created_by, created_at, expires_at, max_uses, uses, revoked_at "
    "FROM invites"
)
CONFIRMATION_SELECT = (
    "SELECT id, actor, action, target, access, store, created_at, settled_at FROM confirmations"
)


@dataclass(frozen=True)
class Invite:
    """An invite link: who may join with it, at which level, into which store, until when."""

    id: int
    access: str
    store: str
    created_by: int
    created_at: str
    expires_at: str
    max_uses: int
    uses: int
    revoked_at: str | None


# Why an invite does not admit someone (None: it does), given the invite, the person who
# made it and the person opening it (None for a newcomer).
InviteRule = Callable[[Invite, Person | None, Person | None], str | None]


@dataclass(frozen=True)
class Redemption:
    outcome: str  # JOINED, or why not: UNKNOWN, USED, EXPIRED, WITHDRAWN
    invite: Invite | None


@dataclass(frozen=True)
class Confirmation:
    """A grant or revocation an admin or manager asked for, awaiting their ✅ or ✖."""

    id: int
    actor: int
    action: str
    target: int
    access: str | None
    store: str | None
    created_at: str
    settled_at: str | None


class Invites(Repository):
    """Invite links and awaited confirmations; redeeming one registers a person."""

    def __init__(self, connection: Connection, people: People) -> None:
        super().__init__(connection)
        self.people = people

    def create_invite(
        self, code_hash: str, access: str, store: str, created_by: int, hours: int, max_uses: int
    ) -> Invite:
        """Store an invite link (by the hash of its code), valid for ``hours`` from now."""
        check_access(access)
        now = self.clock()
        expires = datetime.fromisoformat(now) + timedelta(hours=hours)
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO invites (code_hash, access, store, created_by, created_at, "
                "expires_at, max_uses, uses) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (code_hash, access, store, created_by, now, expires.isoformat(), max_uses),
            )
        invite = self.invite(int(cursor.lastrowid or 0))
        assert invite is not None
        return invite

    def invite(self, invite_id: int) -> Invite | None:
        row = self.row(f"{INVITE_SELECT} WHERE id = ?", (invite_id,))
        return Invite(**row) if row else None

    def withdraw_invite(self, invite_id: int) -> None:
        """Make an invite link refuse everyone from now on."""
        with self.transaction():
            self.db.execute(
                "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self.clock(), invite_id),
            )

    def redeem_invite(
        self, code_hash: str, user_id: int, name: str, refusal: InviteRule
    ) -> Redemption:
        """Register ``user_id`` with the invite's level and store, if the invite admits them.

        ``refusal`` (``bot.access.rules.invite_refusal``) decides, from the invite, the
        person who made it and the one opening it, as they are now; its reason (USED,
        EXPIRED, …) is the outcome, and nothing is used up. Deciding and counting the use
        happen in one transaction, so a one-time link admits one person even when two
        open it at once.
        """
        with self.transaction():
            rows = self.rows_unlocked(f"{INVITE_SELECT} WHERE code_hash = ?", (code_hash,))
            if not rows:
                return Redemption(UNKNOWN, None)
            invite = Invite(**rows[0])
            creator = self.people.person_unlocked(invite.created_by)
            reason = refusal(invite, creator, self.people.person_unlocked(user_id))
            if reason is not None:
                return Redemption(reason, invite)
            self.db.execute("UPDATE invites SET uses = uses + 1 WHERE id = ?", (invite.id,))
            self.people.register(user_id, name, invite.access, [invite.store])
        return Redemption(JOINED, invite)

    def propose(
        self, actor: int, action: str, target: int, access: str | None, store: str | None
    ) -> Confirmation:
        """Keep an action until its ✅ or ✖ is pressed (it survives a restart)."""
        now = self.clock()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO confirmations (actor, action, target, access, store, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (actor, action, target, access, store, now),
            )
        return Confirmation(
            int(cursor.lastrowid or 0), actor, action, target, access, store, now, None
        )

    def settle(self, confirmation_id: int, actor: int) -> Confirmation | None:
        """Mark ``actor``'s awaited action as answered; None if unknown, theirs or not, or
        answered already.

        Only the first press of ✅ or ✖ gets the action back, so a double tap acts once, and
        a forged press by someone else settles nothing.
        """
        with self.transaction():
            rows = self.rows_unlocked(
                f"{CONFIRMATION_SELECT} WHERE id = ? AND actor = ? AND settled_at IS NULL",
                (confirmation_id, actor),
            )
            if not rows:
                return None
            self.db.execute(
                "UPDATE confirmations SET settled_at = ? WHERE id = ?",
                (self.clock(), confirmation_id),
            )
        return Confirmation(**rows[0])
