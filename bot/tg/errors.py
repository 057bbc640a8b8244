"""What happens when something goes wrong: stale buttons, and errors in handlers."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.context import Context
from bot.i18n import label
from bot.tg.messages import answer_expired

log = logging.getLogger(__name__)


async def expired_button(update: Update, context: Context) -> None:
    """Answer a button whose data no handler knows (an old version's, or forged)."""
    await answer_expired(update.callback_query)


async def report_error(update: object, context: Context) -> None:
    """Log an error with its traceback, then tell the user something went wrong."""
    where = f"update {update.update_id}" if isinstance(update, Update) else "the bot"
    log.error("error while handling %s", where, exc_info=context.error)
    if not isinstance(update, Update):
        return
    text = label(context.ui, "error")
    try:
        if update.callback_query:
            await update.callback_query.answer(text)
        elif update.effective_message and update.effective_chat.type == ChatType.PRIVATE:
            await update.effective_message.reply_html(html.escape(text))
    except TelegramError:
        # The error may be Telegram itself being unreachable; the log above has the cause.
        log.warning("could not tell the user about the error in %s", where, exc_info=True)
