"""Who may use the bot: one gate in front of every handler, and who may change whom.

The SOPs are confidential and anyone can find a Telegram bot and message it. So every
update passes :func:`gate` first (group -2, before even the user tracker): people registered
and active in ``people`` go on to the handlers; anyone else gets a short refusal with their
Telegram user id (to give a manager) and nothing more, whatever they send: text, commands,
buttons (forged ones too), inline queries, edits. ``/start`` and ``/help`` tell a stranger
how to join, and ``/start <code>`` (an invite link) registers them.

The rules are plain functions of :class:`bot.storage.Person` so they can be read and tested
without Telegram; ``bot/handlers/admin.py`` applies them to /invite, /grant and /revoke.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import InlineQueryResultsButton, Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot import render, render_access
from bot.context import Context, interface_script
from bot.i18n import label
from bot.keyboards import examples_keyboard
from bot.storage import ACCESS_LEVELS, JOINED, UNKNOWN, Person, Storage

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


# -- the gate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    action: str  # ALLOW, JOIN, EXPLAIN, REFUSE or IGNORE
    code: str = ""  # the invite code, for JOIN


def start_command(message: Message, bot_username: str) -> tuple[str, str] | None:
    """("start" or "help", its parameter) if the message is one of those, for this bot."""
    found = START_RE.match(message.text or "")
    if not found or (found[2] and found[2].lower() != bot_username.lower()):
        return None
    return found[1], found[3] or ""


def addressed(message: Message, bot_username: str) -> bool:
    """Whether a group message is for this bot: a command, a mention or a reply to it."""
    text = (message.text or message.caption or "").lower()
    if text.startswith("/"):
        target = text.split()[0].partition("@")[2]
        return target in ("", bot_username.lower())
    replied = message.reply_to_message
    author = (replied.from_user.username or "") if replied and replied.from_user else ""
    return author.lower() == bot_username.lower() or f"@{bot_username.lower()}" in text


def verdict(update: Update, member: bool, bot_username: str) -> Verdict:
    """What the gate does with an update, given whether its sender is an active member."""
    if member:
        return Verdict(ALLOW)
    if update.effective_user is None:
        # A poll's new state (the bot's own quiz polls) comes from no one and reveals nothing;
        # anything else without a sender (channel posts) is not for us.
        return Verdict(ALLOW if update.poll is not None else IGNORE)
    if update.callback_query is not None or update.inline_query is not None:
        return Verdict(REFUSE)
    message = update.message or update.edited_message
    if message is None:
        return Verdict(IGNORE)  # poll answers, chat member changes, reactions …
    private = message.chat.type == ChatType.PRIVATE
    command = start_command(message, bot_username) if update.message and private else None
    if command is not None:
        name, parameter = command
        if name == "start" and parameter and parameter not in PUBLIC_START:
            return Verdict(JOIN, parameter)
        return Verdict(EXPLAIN)
    if private or addressed(message, bot_username):
        return Verdict(REFUSE)
    return Verdict(IGNORE)  # group chatter: a refusal to every stranger would be spam


async def gate(update: Update, context: Context) -> None:
    """Let active members through; tell anyone else how to join, and stop the update there."""
    data = context.bot_data
    user = update.effective_user
    member = False
    if user is not None:
        person = data.storage.person(user.id)
        member = person is not None and person.active
        if not member and user.id in data.settings.admin_ids:
            register_admins(data.storage, [user.id])
            member = True
    found = verdict(update, member, context.bot.username)
    if found.action == ALLOW:
        return
    if found.action == JOIN:
        await join(update, context, found.code)
    elif found.action == EXPLAIN:
        ui = interface_script(user)
        await update.effective_message.reply_html(render_access.join_help(ui, user.id))
    elif found.action == REFUSE:
        await refuse(update)
    raise ApplicationHandlerStop


async def refuse(update: Update) -> None:
    """Answer a stranger wherever they reached the bot: their id and whom to ask."""
    user = update.effective_user
    ui = interface_script(user)
    if update.callback_query is not None:
        # Callback queries need an answer, or the button spins; an alert shows the whole id.
        text = render_access.not_member_short(ui, user.id)
        await update.callback_query.answer(text, show_alert=True)
    elif update.inline_query is not None:
        button = InlineQueryResultsButton(label(ui, "inline_join"), start_parameter="join")
        await update.inline_query.answer([], cache_time=0, is_personal=True, button=button)
    else:
        await update.effective_message.reply_html(render_access.not_member(ui, user.id))


async def join(update: Update, context: Context, code: str) -> None:
    """Register the sender with an invite code, or say politely why the code does not work."""
    user = update.effective_user
    ui = interface_script(user)
    storage = context.bot_data.storage
    redemption = (
        storage.redeem_invite(code_hash(code), user.id, user.full_name)
        if CODE_RE.match(code)
        else None
    )
    outcome = redemption.outcome if redemption else UNKNOWN
    if redemption is None or redemption.invite is None or outcome != JOINED:
        log.info("user %d opened an invite that did not admit them: %s", user.id, outcome)
        await update.effective_message.reply_html(
            render_access.invite_refused(ui, outcome, user.id)
        )
        return
    invite = redemption.invite
    storage.seen(user.id, user.full_name, user.username, user.language_code)
    storage.log_action(user.id, "join", str(user.id), f"invite {invite.id}: {invite.access}")
    text = "\n\n".join(
        [
            render_access.joined(ui, invite.access, invite.store),
            render.welcome(ui, user.first_name),
        ]
    )
    await update.effective_message.reply_html(text, reply_markup=examples_keyboard(ui))


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
