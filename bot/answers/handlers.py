"""Staff questions: any text is a question, answered with the best-matching SOP step.

Where the answer goes follows ``bot/access/rules.py``: in the chat asked in, unless that is
a group no admin linked to a store; then in the asker's private chat.
"""

from __future__ import annotations

import re
import time
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import filters

from bot import render
from bot.answers.keyboards import answer_keyboard
from bot.asks import notes as store_notes
from bot.asks import render as render_asks
from bot.context import ANSWER_LIMIT, Context
from bot.documents import scope
from bot.i18n import label, label_html
from bot.learning import service as learning
from bot.tg.messages import answer_expired, private_chat_keyboard
from knowledge import Answer, followup
from knowledge.followup import Turn

EXAMPLES = (1, 2, 3)
# user_data key: the asker's last answered question in each chat (and group topic), so a
# follow-up ("那VIP呢", "what if they refuse") is answered in its context.
LAST_TURNS = "last_turns"
TURN_CONTEXT = 300  # characters of accumulated context a turn keeps


class AddressedToBot(filters.MessageFilter):
    """Private chats always; in groups only messages that mention the bot or reply to it.

    With group privacy off the bot sees every message, and must not answer chatter.
    """

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        return f"@{bot.username}".lower() in (message.text or "").lower()


def question_in(message: Message, bot_username: str) -> str:
    """The question a message asks: its text without the bot's @mention."""
    text = message.text or ""
    return re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE).strip()


async def search(
    update: Update, context: Context, question: str, previous: Turn | None = None
) -> Answer:
    """Ask the SOP, ranking the user's own role first."""
    result, _ = await search_in_context(update, context, question, previous)
    return result


async def search_in_context(
    update: Update, context: Context, question: str, previous: Turn | None
) -> tuple[Answer, bool]:
    """Ask the SOP, leaving out the documents the asker is not served; a follow-up of
    ``previous`` (the last answer in this conversation, if fresh) is answered in its
    context. Also says whether the context was used."""
    user = update.effective_user
    role = context.bot_data.storage.users.role_of(user.id) if user else None
    hint = user.language_code if user else None
    hidden = scope.hidden(context)
    result = alone = await context.bot_data.ask(question, role, hint, hidden)
    if previous is not None and followup.refers_back(question):
        kb = context.bot_data.kb
        result = followup.in_context(
            kb, question, previous, ANSWER_LIMIT, role, hint, alone, tuple(hidden)
        )
    return result, result is not alone


def record(update: Update, context: Context, result: Answer) -> None:
    """Keep the question for /gaps and /stats (bot/learning/, pruned after SOPBOT_LOG_DAYS),
    once it is answered: a locked or full database delays or drops the log line, never the
    answer (``bot.storage.backlog``)."""
    user = update.effective_user
    if user is None:
        return
    data, stores = context.bot_data, context.stores
    data.backlog.write(
        "a question", lambda: learning.log_question(data.storage, user.id, stores, result)
    )


async def answer(update: Update, context: Context) -> None:
    """Reply to a staff question with the best-matching SOP step (or the store's note),
    then record it."""
    await answer_text(update, context, question_in(update.effective_message, context.bot.username))


async def answer_text(update: Update, context: Context, question: str) -> None:
    """Reply to the message with the SOP step that best answers ``question`` (its text, or
    the caption of a file or photo), or with the store's note on it; then record it."""
    message = update.effective_message
    # An edit asks its message again, on its own: its turn is the one being replaced.
    previous = None if update.edited_message else last_turn(context, message)
    result, followed = await search_in_context(update, context, question, previous)
    remember_turn(context, message, question, result, previous if followed else None)
    ui = context.ui_or(result.script)
    if not context.shows_sop:
        await answer_in_private(update, context, question, result)
        record(update, context, result)
        return
    # A question a colleague answered before, kept as a note of the asker's store (of the
    # group's, in a linked group) or shared with every store.
    storage, searcher = context.bot_data.storage, context.bot_data.kb.searcher
    private = message.chat.type == ChatType.PRIVATE
    stores = store_notes.served_stores(private, context.stores, context.linked_store)
    note = store_notes.find(storage, searcher, stores, question) if result.terms else None
    if note is not None:
        zone = context.bot_data.settings.timezone
        await message.reply_html(render_asks.note_card(note, ui, zone))
        record(update, context, result)
        return
    reply = await message.reply_html(
        render.answer(result), reply_markup=answer_keyboard(result, 0, ui)
    )
    context.remember(reply.message_id, result)
    record(update, context, result)


async def answer_in_private(
    update: Update, context: Context, question: str, result: Answer
) -> None:
    """Answer a question asked in an unlinked group in the asker's private chat; the group
    hears only that, or that they must open a private chat with the bot first."""
    user = update.effective_user
    ui = context.ui_or(result.script)
    keyboard = private_chat_keyboard(context.bot.username, ui)
    try:
        reply = await context.bot.send_message(
            user.id, render.asked(question, result), reply_markup=answer_keyboard(result, 0, ui)
        )
    except Forbidden:
        # Telegram lets a bot write only to people who have opened a chat with it.
        text = label_html(ui, "group_open_private")
        await update.effective_message.reply_html(text, reply_markup=keyboard)
        return
    private = context.application.chat_data[user.id]
    context.bot_data.recent_answers.remember(private, reply.message_id, result)
    text = label_html(ui, "group_answered_privately")
    await update.effective_message.reply_html(text, reply_markup=keyboard)


def turns(context: Context) -> dict[Any, Turn]:
    found = context.user_data.setdefault(LAST_TURNS, {}) if context.user_data is not None else {}
    return found


def turn_key(message: Message) -> tuple[int, int | None]:
    """A conversation: the chat, and the topic within a group."""
    return message.chat.id, message.message_thread_id if message.is_topic_message else None


def last_turn(context: Context, message: Message) -> Turn | None:
    """The asker's last answered question in this conversation, if within a few minutes."""
    return followup.fresh(turns(context).get(turn_key(message)), time.monotonic())


def remember_turn(
    context: Context, message: Message, question: str, result: Answer, previous: Turn | None
) -> None:
    """Keep what this answer was about, for a follow-up; one answered in the context of
    ``previous`` carries that context on ("那VIP呢", then "要幾耐")."""
    if not result.hits or result.problem:
        return
    step_id = result.hits[0].step.id
    if previous is not None:
        question = f"{previous.question} {question}"[-TURN_CONTEXT:]
    turns(context)[turn_key(message)] = Turn(question, step_id, time.monotonic())


async def answer_example(update: Update, context: Context) -> None:
    """Ask one of the example questions of /start for the user who tapped it."""
    query = update.callback_query
    number = int(context.matches[0].group(1))
    if number not in EXAMPLES or update.effective_chat is None:
        await answer_expired(query, context)
        return
    await query.answer()
    question = label(context.ui, f"example_{number}")
    result = await search(update, context, question)
    reply = await context.bot.send_message(
        update.effective_chat.id,
        render.asked(question, result),
        reply_markup=answer_keyboard(result, 0, context.ui),
    )
    context.remember(reply.message_id, result)
    record(update, context, result)


async def ask_for_text(update: Update, context: Context) -> None:
    """Ask for a typed question when a sticker, photo or voice message arrives (a photo's
    caption is a question, though)."""
    message = update.effective_message
    if (message.caption or "").strip():
        await answer_text(update, context, message.caption or "")
        return
    await message.reply_html(label_html(context.ui, "no_words"))
