"""What happens when something goes wrong: stale buttons, and errors in handlers."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.context import Context
from bot.i18n import label
from bot.tg.messages import answer_expired
from bot.tg.sending import may_have_arrived

log = logging.getLogger(__name__)


async def expired_button(update: Update, context: Context) -> None:
    """Answer a button whose data no handler knows (an old version's, or forged)."""
    await answer_expired(update.callback_query, context)


async def report_error(update: object, context: Context) -> None:
    """Log an error with its traceback, then tell the user something went wrong.

    Not when a reply timed out waiting for Telegram's answer: it may well have arrived, and
    an apology followed by the answer tells the person two contradicting things.
    """
    where = f"update {update.update_id}" if isinstance(update, Update) else "the bot"
    if isinstance(context.error, InvalidToken) and await token_refused(context):
        stop_on_revoked_token(context.application, str(context.error))
        return
    if may_have_arrived(context.error):
        log.warning("a reply in %s timed out; it may have arrived, so no apology", where)
        return
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


async def token_refused(context: Context) -> bool:
    """Whether Telegram refuses the token now (getMe), not only for the one call that
    failed: a passing 401 must not stop the bot."""
    try:
        await context.bot.get_me()
    except InvalidToken:
        return True
    except TelegramError:
        return False
    return False


def stop_on_revoked_token(
    application: Application[Any, Any, Any, Any, Any, Any], problem: str
) -> None:
    """Stop the bot for good: Telegram refused its token (revoked, or replaced in
    @BotFather), so it can neither hear nor answer anyone. ``sopbot run`` then exits with
    a sentence saying so and exit code 2, which the service manager shows."""
    if application.bot_data.revoked:
        return
    application.bot_data.revoked = problem or "401 Unauthorized"
    log.critical("Telegram refused the bot's token (%s); stopping", problem)
    application.stop_running()
