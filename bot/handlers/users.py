"""Who uses the bot: every update's sender is recorded before any handler runs."""

from __future__ import annotations

from telegram import Update

from bot.context import Context


async def remember_user(update: Update, context: Context) -> None:
    """Record the sender's name, language and when they were last seen."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    context.bot_data.storage.seen(user.id, user.full_name, user.username, user.language_code)
