"""Inline mode: ``@bot 沒帶證件`` in any chat offers step cards to share."""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot import render
from bot.access.rules import INLINE_CACHE_SECONDS
from bot.answers.keyboards import shared_card_keyboard
from bot.context import Context
from bot.documents import scope
from bot.i18n import label
from knowledge import Hit


def article(hit: Hit, script: str, ui: str) -> InlineQueryResultArticle:
    """One step as a shareable result: the card is what gets posted."""
    return InlineQueryResultArticle(
        id=hit.step.id,
        title=render.inline_title(hit.step, script),
        description=render.inline_description(hit, script),
        input_message_content=InputTextMessageContent(
            render.hit_card(hit, script), parse_mode=ParseMode.HTML
        ),
        reply_markup=shared_card_keyboard(hit.step.id, ui),
    )


async def share_steps(update: Update, context: Context) -> None:
    """Answer an inline query with the steps that match its words."""
    inline_query = update.inline_query
    user = inline_query.from_user
    ui = context.ui
    words = inline_query.query.strip()
    role = context.bot_data.storage.users.role_of(user.id)
    results = []
    if words:
        result = await context.bot_data.ask(words, role, user.language_code, scope.hidden(context))
        results = [article(hit, result.script, ui) for hit in result.hits]
    # With nothing to offer, a button above the results opens a private chat with the bot.
    button = (
        None
        if results
        else InlineQueryResultsButton(label(ui, "inline_open"), start_parameter="inline")
    )
    # Personal, always: Telegram would otherwise hand these cards to anyone typing the same
    # words, strangers included (bot/access/rules.py).
    await inline_query.answer(
        results, cache_time=INLINE_CACHE_SECONDS, is_personal=True, button=button
    )
