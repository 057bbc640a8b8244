"""Small steps several handlers share: editing a message, answering stale buttons, refusing,
a button to the private chat."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

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
