"""Staff questions: any text is a question, answered with the best-matching SOP step.

Where the answer goes follows ``bot/access/rules.py``: in the chat asked in, unless that is
a group no admin linked to a store; then in the asker's private chat.
"""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import filters

from bot import render
from bot.answers.keyboards import answer_keyboard
from bot.context import Context, interface_script
from bot.i18n import label, label_html
from bot.learning import service as learning
from bot.tg.messages import answer_expired, private_chat_keyboard
from knowledge import Answer

EXAMPLES = (1, 2, 3)


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


async def search(update: Update, context: Context, question: str) -> Answer:
    """Ask the SOP, ranking the user's own role first."""
    user = update.effective_user
    role = context.bot_data.storage.role_of(user.id) if user else None
    return await context.bot_data.ask(question, role, user.language_code if user else None)


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
    """Reply to a staff question with the best-matching SOP step, then record it."""
    message = update.effective_message
    question = question_in(message, context.bot.username)
    result = await search(update, context, question)
    ui = interface_script(update.effective_user, result.script)
    if not context.shows_sop:
        await answer_in_private(update, context, question, result)
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
    ui = interface_script(user, result.script)
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
    context.application.chat_data[user.id].remember(reply.message_id, result)
    text = label_html(ui, "group_answered_privately")
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def answer_example(update: Update, context: Context) -> None:
    """Ask one of the example questions of /start for the user who tapped it."""
    query = update.callback_query
    number = int(context.matches[0].group(1))
    if number not in EXAMPLES or update.effective_chat is None:
        await answer_expired(query)
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
    """Ask for a typed question when a sticker, photo or voice message arrives."""
    ui = context.ui
    await update.effective_message.reply_html(label_html(ui, "no_words"))
