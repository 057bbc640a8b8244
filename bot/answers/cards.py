"""The buttons under an answer: 📄 the full step, ➡️ other answers, ❓ suggestions."""

from __future__ import annotations

from telegram import Message, Update

from bot import render
from bot.answers.keyboards import answer_keyboard, card_keyboard, without_button
from bot.context import Context
from bot.documents import pictures, scope
from bot.tg.messages import answer_expired, answer_shown, edit
from knowledge.normalize import HANT


async def show_full_step(update: Update, context: Context) -> None:
    """Show the whole step with every tip in place of its card."""
    query = update.callback_query
    step = context.bot_data.kb.step(context.matches[0].group(1))
    if step is None or not scope.serves(context, step):
        await answer_expired(query, context)
        return
    shown = answer_shown(update, context)
    script = shown.script if shown else context.ui
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    await query.answer()
    await edit(query, render.step_full(step, script), without_button(markup, query.data))
    if isinstance(query.message, Message):  # not on a card shared inline: no chat to send to
        await pictures.send_pictures(context, query.message.chat_id, step, context.ui)


async def show_other_answer(update: Update, context: Context) -> None:
    """Page through the answer's hits: hit n's card, or with n = 0 the reply as first sent."""
    query = update.callback_query
    shown = answer_shown(update, context)
    index = int(context.matches[0].group(1))
    if shown is None or index >= len(shown.hits):
        await answer_expired(query, context)
        return
    text = render.answer(shown) if index == 0 else render.hit_card(shown.hits[index], shown.script)
    ui = context.ui_or(shown.script)
    await query.answer()
    await edit(query, text, answer_keyboard(shown, index, ui))


async def show_suggestion(update: Update, context: Context) -> None:
    """Show the card of a "did you mean…" step, with a way back to the suggestions."""
    query = update.callback_query
    step_id = context.matches[0].group(1)
    step = context.bot_data.kb.step(step_id)
    if step is None or not scope.serves(context, step):
        await answer_expired(query, context)
        return
    shown = answer_shown(update, context)
    ui = context.ui_or(shown.script if shown else HANT)
    hit = next((h for h in shown.hits if h.step.id == step_id), None) if shown else None
    await query.answer()
    if hit and shown:
        back = card_keyboard(step_id, ui, previous=0, previous_caption="back")
        await edit(query, render.hit_card(hit, shown.script), back)
    else:  # the chat forgot the answer (a restart): the step alone still helps
        await edit(query, render.step_card(step, ui), card_keyboard(step_id, ui))
