"""The gate in front of every handler: members pass, strangers learn how to join.

The SOPs are confidential and anyone can find a Telegram bot and message it. So every
update passes :func:`gate` first (group -2, before even the user tracker): people registered
and active in ``people`` go on to the handlers; anyone else gets a short refusal with their
Telegram user id (to give a manager) and nothing more, whatever they send: text, commands,
buttons (forged ones too), inline queries, edits, and only a few times a minute
(``rules.StrangerReplies``). ``/start`` and ``/help`` tell a stranger how to join, and
``/start <code>`` (an invite link) registers them, if ``rules.invite_refusal`` agrees.
A stranger who gets a reply is remembered apart from the users (``strangers``: name and
@username, for /grant to find them), which lets them in nowhere.

In a group, members pass as far as ``rules.in_group`` lets them: a group an admin did not
link to a store gets pointers to a private chat (a question there is answered in private,
by ``bot.answers.handlers``), and private commands are pointed there from any group.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from telegram import InlineQueryResultsButton, Message, Update, User
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot import render
from bot.access import render as render_access
from bot.access.rules import (
    ALLOW,
    CODE_RE,
    EXPLAIN,
    IGNORE,
    JOIN,
    POINT,
    PUBLIC_START,
    REFUSE,
    START_RE,
    code_hash,
    in_group,
    invite_refusal,
    register_admins,
)
from bot.answers.keyboards import examples_keyboard
from bot.context import Context
from bot.i18n import label, label_html
from bot.storage import JOINED, UNKNOWN
from bot.tg.messages import private_chat_keyboard

log = logging.getLogger(__name__)


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


def command_name(message: Message) -> str | None:
    """The command a message gives ("roles" for /roles or /roles@bot), None for none."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    return text.split()[0][1:].partition("@")[0].lower()


def verdict(update: Update, member: bool, bot_username: str, linked: bool = False) -> Verdict:
    """What the gate does with an update, given whether its sender is an active member and
    (in a group) whether an admin linked the group to a store."""
    if member:
        return member_verdict(update, bot_username, linked)
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


def in_a_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


def member_verdict(update: Update, bot_username: str, linked: bool) -> Verdict:
    """A member's update: all of it in a private chat; in a group, what rules.in_group says."""
    if not in_a_group(update):
        return Verdict(ALLOW)  # a private chat, an inline query, a button on a shared card
    if update.callback_query is not None:
        return Verdict(ALLOW if linked else POINT)
    message = update.message or update.edited_message
    if message is None or not addressed(message, bot_username):
        return Verdict(ALLOW)  # chatter and service messages: no handler answers them here
    return Verdict(in_group(command_name(message), linked))


async def gate(update: Update, context: Context) -> None:
    """Let active members through; tell anyone else how to join, and stop the update there."""
    data = context.bot_data
    user = update.effective_user
    member = False
    if user is not None:
        person = context.person
        member = person is not None and person.active
        if not member and user.id in data.settings.admin_ids:
            register_admins(data.storage, [user.id])
            context.forget_person()
            member = True
    linked = member and in_a_group(update) and context.linked_store is not None
    found = verdict(update, member, context.bot.username, linked)
    if found.action == ALLOW:
        return
    if found.action == POINT:
        await point_to_private_chat(update, context, linked)
        raise ApplicationHandlerStop
    # Replies to messages of strangers are rationed; buttons and inline queries cost nothing.
    rationed = update.callback_query is None and update.inline_query is None
    if found.action != IGNORE and rationed and not data.stranger_replies.allow(user.id):
        log.debug("no reply to stranger %d: over their share of replies", user.id)
        raise ApplicationHandlerStop
    if found.action != IGNORE and rationed and context.person is None:
        remember_stranger(context, user)
    if found.action == JOIN:
        await join(update, context, found.code)
    elif found.action == EXPLAIN:
        ui = context.ui
        await update.effective_message.reply_html(render_access.join_help(ui, user.id))
    elif found.action == REFUSE:
        await refuse_stranger(update, context)
    raise ApplicationHandlerStop


def remember_stranger(context: Context, user: User) -> None:
    """Keep who a stranger is, so a manager can /grant them by @username. Only strangers
    who get a reply get here, so a flood writes no more than the replies it is rationed."""
    storage = context.bot_data.storage
    details = (user.full_name, user.username, user.language_code)
    context.bot_data.backlog.write(
        "a stranger", lambda: storage.users.saw_stranger(user.id, *details)
    )


async def point_to_private_chat(update: Update, context: Context, linked: bool) -> None:
    """Tell a member in a group that this is for a private chat, with a button to open it."""
    ui = context.ui
    if update.callback_query is not None:
        text = label(ui, "group_not_linked_short")
        await update.callback_query.answer(text, show_alert=True)
        return
    key = "group_private_only" if linked else "group_not_linked"
    await update.effective_message.reply_html(
        label_html(ui, key), reply_markup=private_chat_keyboard(context.bot.username, ui)
    )


async def refuse_stranger(update: Update, context: Context) -> None:
    """Answer a stranger wherever they reached the bot: their id and whom to ask."""
    user = update.effective_user
    ui = context.ui
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
    ui = context.ui
    data = context.bot_data
    storage = data.storage
    refusal = partial(
        invite_refusal,
        now=context.now(),
        admin_ids=data.settings.admin_ids,
    )
    redemption = (
        storage.invites.redeem_invite(code_hash(code), user.id, user.full_name, refusal)
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
    storage.users.seen(user.id, user.full_name, user.username, user.language_code)
    storage.people.log_action(user.id, "join", str(user.id), f"invite {invite.id}: {invite.access}")
    text = "\n\n".join(
        [
            render_access.joined(ui, invite.access, invite.store),
            render.welcome(ui, user.first_name),
        ]
    )
    await update.effective_message.reply_html(text, reply_markup=examples_keyboard(ui))
