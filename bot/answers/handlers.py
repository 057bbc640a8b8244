"""Staff questions: any text is a question, answered with the best-matching SOP step."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import filters

from bot import render
from bot.answers.keyboards import answer_keyboard
from bot.asks import notes as store_notes
from bot.asks import render as render_asks
from bot.context import Context, interface_script
from bot.i18n import label, label_html
from bot.learning import service as learning
from bot.tg.messages import answer_expired
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
    result = await context.bot_data.ask(question, role, user.language_code if user else None)
    if user:
        # Kept for /gaps and /stats (bot/learning/), pruned after SOPBOT_LOG_DAYS.
        learning.log_question(context.bot_data.storage, user.id, context.stores, result)
    return result


async def answer(update: Update, context: Context) -> None:
    """Reply to a staff question with the best-matching SOP step (or the store's note)."""
    message = update.effective_message
    question = question_in(message, context.bot.username)
    result = await search(update, context, question)
    ui = interface_script(update.effective_user, result.script)
    # A question a colleague answered before, kept as a note of the asker's store.
    storage, searcher = context.bot_data.storage, context.bot_data.kb.searcher
    note = store_notes.find(storage, searcher, context.stores, question) if result.terms else None
    if note is not None:
        zone = context.bot_data.settings.timezone
        await message.reply_html(render_asks.note_card(note, ui, zone))
        return
    reply = await message.reply_html(
        render.answer(result), reply_markup=answer_keyboard(result, 0, ui)
    )
    context.chat_data.remember(reply.message_id, result)


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
    context.chat_data.remember(reply.message_id, result)


async def ask_for_text(update: Update, context: Context) -> None:
    """Ask for a typed question when a sticker, photo or voice message arrives."""
    ui = context.ui
    await update.effective_message.reply_html(label_html(ui, "no_words"))
