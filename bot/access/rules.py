"""Who may use the bot, who may change whom, and what each chat may show: the rules,
without Telegram.

The rules are plain functions of :class:`bot.storage.Person` so they can be read and tested
without Telegram; ``gate`` applies them to every update, ``handlers`` to /invite, /grant,
/revoke and /link, and the features to what they show (/gaps, /stats, inline answers).

In short:

- Only registered, active people get anything; strangers and revoked people get their id
  and whom to ask, at most a few times a minute (:class:`StrangerReplies`).
- An invite link admits newcomers only, while its maker could still make it
  (:func:`invite_refusal`); a revoked person comes back only through /grant, and then with
  nothing but what that grant gives.
- Managers act in their own stores, on people below them, granting levels below their own.
  A level is one for a person, in all of their stores; /stores moves them between stores
  (:func:`may_set_stores`) and never changes their level or brings a revoked person back.
- Everyone sees the questions, usage and people of their own stores; admins of every
  store (:func:`stores_seen_by`).
- SOP text is shown in private chats and in groups an admin linked to a store; anywhere
  else a question is answered in private (:func:`in_group`, :func:`shows_sop`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.storage import (
    ACCESS_LEVELS,
    EXPIRED,
    MEMBER,
    REVOKED,
    USED,
    WITHDRAWN,
    Invite,
    Person,
    Storage,
)

log = logging.getLogger(__name__)

# An invite code: secrets.token_urlsafe(24), 32 characters of [A-Za-z0-9_-] carrying 192 random
# bits; Telegram allows 64 such characters in a /start parameter.
CODE_BYTES = 24
CODE_RE = re.compile(r"[A-Za-z0-9_-]{32}\Z")
# /start parameters the bot's own buttons use for strangers and members alike: not invites.
PUBLIC_START = frozenset({"inline", "join"})
# What the gate does with an update: let it through, register with an invite, tell a
# stranger how to join, refuse, say nothing, or point a group member to a private chat.
ALLOW, JOIN, EXPLAIN, REFUSE, IGNORE, POINT = (
    "allow",
    "join",
    "explain",
    "refuse",
    "ignore",
    "point",
)
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
        person = storage.people.person(user_id)
        if person is not None and person.active and person.access == "admin":
            continue
        user = storage.users.user(user_id)
        name = person.name if person else (user.name if user else str(user_id))
        storage.people.add_person(user_id, name, "admin")
        storage.people.log_action(user_id, "admin", str(user_id), "from SOPBOT_ADMIN_IDS")
        log.info("registered %d as admin (SOPBOT_ADMIN_IDS)", user_id)


# -- who an invite admits ----------------------------------------------------------------------


def invite_refusal(
    invite: Invite,
    creator: Person | None,
    opener: Person | None,
    now: datetime,
    admin_ids: frozenset[int],
) -> str | None:
    """Why an invite link does not admit the person opening it; None if it does.

    A link admits no one once withdrawn (🚫), expired or used up, nor once its maker could
    no longer make it: revoked, demoted, or no longer in its store (a configured admin
    always could). And it admits newcomers only: someone registered before and revoked
    does not come back through a link, a new one included, but only through a /grant by
    someone who may change them (:func:`may_grant`). So revoking staff and sending them a
    manager invite makes no manager, and a revoked link-joiner cannot simply open the link
    again.
    """
    if invite.revoked_at is not None:
        return WITHDRAWN
    if now >= datetime.fromisoformat(invite.expires_at):
        return EXPIRED
    if invite.uses >= invite.max_uses:
        return USED
    if invite.created_by not in admin_ids and (
        creator is None or may_invite(creator, invite.access, invite.store) is not None
    ):
        return WITHDRAWN
    if opener is not None:
        return MEMBER if opener.active else REVOKED
    return None


# -- who may change whom -----------------------------------------------------------------------
# Each rule returns None when allowed, else the i18n key of the reason.


def may_invite(actor: Person, access: str, store: str) -> str | None:
    """Managers invite into their own stores, at most at their own level; admins anywhere."""
    if not actor.at_least("manager"):
        return "refused_managers"
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
        return "refused_managers"
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


def may_set_stores(
    actor: Person,
    target_id: int,
    target: Person,
    stores: Iterable[str],
    admin_ids: frozenset[int],
) -> str | None:
    """Whether ``actor`` may make ``target``'s stores exactly ``stores`` (a move).

    Who may be moved is who may be granted to (:func:`may_change`); a manager adds and
    removes only their own stores (the others a person belongs to stay), and everyone keeps
    at least one store: access is taken away with /revoke, not by emptying a person's stores.
    """
    reason = may_change(actor, target_id, target, admin_ids)
    if reason:
        return reason
    wanted = set(stores)
    if actor.access != "admin" and (wanted ^ set(target.stores)) - set(actor.stores):
        return "not_your_store"
    if not wanted:
        return "stores_none_left"
    return None


def may_revoke(
    actor: Person, target_id: int, target: Person | None, admin_ids: frozenset[int]
) -> str | None:
    if target_id == actor.user_id:
        return "not_yourself"
    return may_change(actor, target_id, target, admin_ids)


def may_link_group(actor: Person | None, configured_admin: bool) -> str | None:
    """Admins link a group to a store (and unlink it): they vouch for who is in it."""
    if configured_admin or (actor is not None and actor.at_least("admin")):
        return None
    return "refused_admins"


# -- what each person sees of other stores -----------------------------------------------------


def stores_seen_by(person: Person | None, configured_admin: bool) -> tuple[str, ...] | None:
    """The stores whose staff's questions (/gaps), usage (/stats) and people someone sees:
    their own; every store (None) for an admin. A manager of store A sees nothing of B."""
    if configured_admin or (person is not None and person.at_least("admin")):
        return None
    return person.stores if person is not None and person.active else ()


# -- what each chat may show -------------------------------------------------------------------
# Everyone in a group reads what the bot posts there, registered or not. So SOP text, and
# anything about a store, is shown in private chats, and in a group only once an admin has
# linked it to a store (/link): the admin vouches that its members are that store's staff.
# In any other group a member's question is answered in a private chat, and every command
# and button points there. Commands that show one person's or one store's own data are
# private everywhere. Every command is in exactly one of these lists.

# In a linked group (pointed to a private chat in any other group).
GROUP_COMMANDS = frozenset({"start", "help", "roles", "role", "quiz", "leaderboard", "ask"})
# In a private chat only: the staff's questions, usage, people, invites, notes, scores.
PRIVATE_COMMANDS = frozenset(
    {"practice", "myscore", "missed", "gaps", "teach", "stats", "rollback", "docs"}
    | {"invite", "users", "grant", "stores", "revoke", "brief", "briefs"}
    | {"asks", "notes", "responders"}
)
# In any group, for admins: link it to a store, or unlink it.
LINK_COMMANDS = frozenset({"link", "unlink"})


def shows_sop(private: bool, linked_store: str | None) -> bool:
    """Whether the bot may post SOP text in a chat: a private one, or a linked group."""
    return private or linked_store is not None


def in_group(command: str | None, linked: bool) -> str:
    """What a member's message to the bot in a group gets: ALLOW, POINT or IGNORE.

    ``command`` is the command's name, None for a question (answered in the group if it is
    linked, else in a private chat). A command that is not this bot's is left alone.
    """
    if command is None or command in LINK_COMMANDS:
        return ALLOW
    if command in GROUP_COMMANDS:
        return ALLOW if linked else POINT
    if command in PRIVATE_COMMANDS:
        return POINT
    return IGNORE


# Inline answers: Telegram keeps results ``INLINE_CACHE_SECONDS`` and, unless they are
# personal, hands them to *anyone* who types the same words, strangers included, without
# asking the bot. So every inline answer is sent with is_personal=True: its cache serves its
# asker alone.
INLINE_CACHE_SECONDS = 60


# -- how often strangers get an answer ---------------------------------------------------------


@dataclass
class Bucket:
    """A token bucket: ``capacity`` at most, refilled at ``rate`` a second."""

    capacity: float
    rate: float
    tokens: float
    at: float

    def level(self, now: float) -> float:
        return min(self.capacity, self.tokens + (now - self.at) * self.rate)

    def take(self, now: float) -> None:
        self.tokens, self.at = self.level(now) - 1, now


class StrangerReplies:
    """How often the bot replies to people who may not use it (strangers, revoked people).

    Every reply is a Telegram message, and a bot may send about 30 a second in all: PTB's
    rate limiter queues the rest, staff's answers among them. So each stranger gets at most
    ``per_sender`` replies in ``window`` seconds (the first already says who they are and
    whom to ask; enough for /start, then an invite link), and all strangers together at
    most ``per_second`` (bursts of ``burst``), so that a flood from many accounts still
    leaves staff nearly all the budget. A message past either limit gets no reply. Buttons
    and inline queries are answered regardless: those answers are not messages.
    """

    def __init__(
        self,
        per_sender: int = 3,
        window: float = 60.0,
        per_second: float = 5.0,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
        tracked: int = 10_000,
    ) -> None:
        self.per_sender = per_sender
        self.window = window
        self.clock = clock
        self.tracked = tracked
        self.overall = Bucket(burst, per_second, burst, clock())
        self.senders: OrderedDict[int, Bucket] = OrderedDict()

    def allow(self, user_id: int) -> bool:
        """Whether this stranger's message gets a reply now (and count it if so)."""
        now = self.clock()
        sender = self.senders.get(user_id) or Bucket(
            self.per_sender, self.per_sender / self.window, self.per_sender, now
        )
        if sender.level(now) < 1 or self.overall.level(now) < 1:
            return False
        sender.take(now)
        self.overall.take(now)
        self.senders[user_id] = sender
        self.senders.move_to_end(user_id)
        while len(self.senders) > self.tracked:  # the longest quiet are forgotten first
            self.senders.popitem(last=False)
        return True
