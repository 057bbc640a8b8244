"""Small steps several handlers share: editing a message, answering stale buttons, refusing,
a button to the private chat, a filter for someone midway through a step of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import filters

from bot.context import Context
from bot.i18n import label, label_html
from knowledge import Answer


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Show ``text`` in place of the message the button is on."""
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as error:
        # A double tap asks for the same text twice; Telegram refuses the second edit.
        if "not modified" not in error.message.lower():
            raise


async def answer_expired(query: CallbackQuery, context: Context) -> None:
    """Tell the user, politely, that a button no longer works."""
    await query.answer(label(context.ui, "expired"))


def answer_shown(update: Update, context: Context) -> Answer | None:
    """The answer the pressed button's message shows, if this chat still remembers it."""
    query = update.callback_query
    if query is None or context.chat_data is None or not isinstance(query.message, Message):
        return None
    return context.chat_data.answer_on(query.message.message_id)


async def refuse(update: Update, context: Context, key: str = "refused_trainers") -> None:
    """The one refusal: say why someone may not do what they asked (``key``, a text of the
    catalogs), as the pressed button's answer or as a reply."""
    ui = context.ui
    if update.callback_query:
        await update.callback_query.answer(label(ui, key))
    else:
        await update.effective_message.reply_html(label_html(ui, key))


def private_chat_keyboard(bot_username: str, ui: str) -> InlineKeyboardMarkup:
    """One button that opens the user's private chat with the bot (from a group)."""
    url = f"https://t.me/{bot_username}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(label(ui, "open_private"), url=url)]])


class InPrivateStep(filters.MessageFilter):
    """A private message from someone whose ``user_data`` says they are midway through a
    step (writing a note's new text, teaching a wording): ``midway`` reads their data.

    Reads the application's ``user_data`` (a live view), since filters get no context.
    """

    def __init__(self, name: str, user_data: Any, midway: Callable[[Any], bool]) -> None:
        super().__init__(name=name)
        self.user_data = user_data
        self.midway = midway

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or message.chat.type != ChatType.PRIVATE:
            return False
        return self.midway(self.user_data.get(user.id))
