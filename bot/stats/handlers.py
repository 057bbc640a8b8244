"""/stats: usage for managers, as a chart with a summary."""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.constants import MessageLimit

from bot.context import Context
from bot.learning import render as render_learning
from bot.stats import service as stats
from bot.tg.messages import refuse

DEFAULT_DAYS = 14
MAX_DAYS = 90
DAYS_RE = re.compile(r"[0-9]{1,3}\Z")


async def show_stats(update: Update, context: Context) -> None:
    """Send questions per day as a chart, with stores, top steps and rates below it."""
    if not context.at_least("manager"):
        await refuse(update, context, "refused_stats")
        return
    args = context.args or []
    days = int(args[0]) if args and DAYS_RE.match(args[0]) else DEFAULT_DAYS
    days = min(max(days, 1), MAX_DAYS)
    data = context.bot_data
    stores = context.stores_seen  # their own stores' usage; an admin's: every store's
    usage = stats.usage(data.storage, data.kb, days, data.settings.timezone, stores)
    ui = context.ui
    summary = render_learning.stats(usage, ui)
    # Drawing takes a few hundred ms of CPU: off the event loop.
    png = await asyncio.to_thread(stats.chart, usage)
    message = update.effective_message
    if len(summary) <= MessageLimit.CAPTION_LENGTH:
        await message.reply_photo(png, caption=summary)
    else:
        await message.reply_photo(png)
        await message.reply_html(summary)
