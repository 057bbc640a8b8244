"""👍 / 👎 under an answer, stored for tuning the search later."""

from __future__ import annotations

from telegram import Message, Update
from telegram.error import BadRequest

from bot.answers.keyboards import with_ask_person
from bot.context import Context
from bot.i18n import label
from bot.learning.service import QUERY_KEPT
from bot.storage import DOWN, UP
from bot.tg.messages import answer_expired, answer_shown

# The question is kept with the vote; a forged update could carry a huge one.


def asked_before(update: Update, context: Context, step_id: str) -> str | None:
    """The question an answer no longer remembered (the bot restarted since) was given for:
    the message it replied to, else the asker's latest logged question that got this step."""
    query = update.callback_query
    message = query.message if isinstance(query.message, Message) else None
    replied = message.reply_to_message if message else None
    if replied is not None and replied.text and not replied.text.startswith("/"):
        return replied.text
    return context.bot_data.storage.questions.last_question(query.from_user.id, step_id)


async def record_vote(update: Update, context: Context) -> None:
    """Store the user's vote on the step an answer gave."""
    query = update.callback_query
    sign, step_id = context.matches[0].groups()
    if context.bot_data.kb.step(step_id) is None:
        await answer_expired(query, context)
        return
    shown = answer_shown(update, context)
    question = shown.query if shown else asked_before(update, context, step_id)
    if not question:
        # An answer from before a restart, its question neither quoted nor logged: a vote
        # without its question would teach nothing.
        await answer_expired(query, context)
        return
    question = question[:QUERY_KEPT]
    vote = UP if sign == "+" else DOWN
    context.bot_data.storage.users.vote(query.from_user.id, question, step_id, vote)
    await query.answer(label(context.ui, "thanks"))
    if vote == DOWN and shown is not None and isinstance(query.message, Message):
        # The answer did not help: offer to hand the question to a person (🙋).
        markup = with_ask_person(query.message.reply_markup, context.ui)
        if markup != query.message.reply_markup:
            try:
                await query.edit_message_reply_markup(markup)
            except BadRequest as error:  # a double tap: already there
                if "not modified" not in error.message.lower():
                    raise
