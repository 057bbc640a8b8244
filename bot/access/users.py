"""Who uses the bot: every update's sender is recorded before any handler runs."""

from __future__ import annotations

import time

from telegram import Update

from bot.context import Context

# How stale "last seen" may be: /users shows activity by the day, not the second.
SEEN_INTERVAL = 60.0


async def remember_user(update: Update, context: Context) -> None:
    """Record the sender's name, language and when they were last seen."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    details = (user.full_name, user.username, user.language_code)
    now = time.monotonic()
    recent = context.bot_data.recently_seen.get(user.id)
    if recent and recent[1] == details and now - recent[0] < SEEN_INTERVAL:
        return
    # After a locked or full database, not before the answer (``bot.storage.backlog``).
    storage = context.bot_data.storage
    context.bot_data.backlog.write("who wrote", lambda: storage.users.seen(user.id, *details))
    context.bot_data.recently_seen[user.id] = (now, details)
    person = context.person
    if person is not None and person.name in ("", str(user.id)):
        # Named by their id until now (``Users.seen`` names them): this update's handlers
        # already use the new name, e.g. in a note's header.
        context.forget_person()
