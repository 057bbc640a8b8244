"""Who may use the bot and who may change whom: the rules, without Telegram.

The rules are plain functions of :class:`bot.storage.Person` so they can be read and tested
without Telegram; ``gate`` applies them to every update, ``handlers`` to /invite, /grant
and /revoke.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable

from bot.storage import ACCESS_LEVELS, Person, Storage

log = logging.getLogger(__name__)

# An invite code: secrets.token_urlsafe(24), 32 characters of [A-Za-z0-9_-] carrying 192 random
# bits; Telegram allows 64 such characters in a /start parameter.
CODE_BYTES = 24
CODE_RE = re.compile(r"[A-Za-z0-9_-]{32}\Z")
# /start parameters the bot's own buttons use for strangers and members alike: not invites.
PUBLIC_START = frozenset({"inline", "join"})
# What the gate does with an update.
ALLOW, JOIN, EXPLAIN, REFUSE, IGNORE = "allow", "join", "explain", "refuse", "ignore"
START_RE = re.compile(r"/(start|help)(?:@(\w+))?(?:\s+(\S*))?\s*\Z", re.ASCII)


def rank(access: str) -> int:
    return ACCESS_LEVELS.index(access)


# -- invite codes ------------------------------------------------------------------------------


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    """What the database keeps of a code: a leaked database opens no door."""
    return hashlib.sha256(code.encode()).hexdigest()


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def register_admins(storage: Storage, admin_ids: Iterable[int]) -> None:
    """Make everyone in SOPBOT_ADMIN_IDS an active admin (at start, and on a first message)."""
    for user_id in admin_ids:
        person = storage.person(user_id)
        if person is not None and person.active and person.access == "admin":
            continue
        user = storage.user(user_id)
        name = person.name if person else (user.name if user else str(user_id))
        storage.add_person(user_id, name, "admin")
        storage.log_action(user_id, "admin", str(user_id), "from SOPBOT_ADMIN_IDS")
        log.info("registered %d as admin (SOPBOT_ADMIN_IDS)", user_id)


# -- who may change whom -----------------------------------------------------------------------
# Each rule returns None when allowed, else the i18n key of the reason.


def may_invite(actor: Person, access: str, store: str) -> str | None:
    """Managers invite into their own stores, at most at their own level; admins anywhere."""
    if not actor.at_least("manager"):
        return "managers_only"
    if actor.access == "admin":
        return None
    if store not in actor.stores:
        return "not_your_store"
    if rank(access) > rank(actor.access):
        return "above_level"
    return None


def may_change(
    actor: Person, target_id: int, target: Person | None, admin_ids: frozenset[int]
) -> str | None:
    """Whether ``actor`` may grant to or revoke ``target`` at all (before the level asked)."""
    if not actor.at_least("manager"):
        return "managers_only"
    if target_id in admin_ids:
        return "configured_admin"
    if actor.access == "admin" or target is None:
        return None
    if rank(target.access) >= rank(actor.access):
        return "not_below"
    if target.stores and not set(target.stores) & set(actor.stores):
        return "not_your_store"
    return None


def may_grant(
    actor: Person,
    target_id: int,
    target: Person | None,
    access: str,
    store: str,
    admin_ids: frozenset[int],
) -> str | None:
    """Managers grant levels below their own, in their own stores, to people below them."""
    reason = may_change(actor, target_id, target, admin_ids)
    if reason or actor.access == "admin":
        return reason
    if rank(access) >= rank(actor.access):
        return "above_level"
    if store not in actor.stores:
        return "not_your_store"
    return None


def may_revoke(
    actor: Person, target_id: int, target: Person | None, admin_ids: frozenset[int]
) -> str | None:
    if target_id == actor.user_id:
        return "not_yourself"
    return may_change(actor, target_id, target, admin_ids)
