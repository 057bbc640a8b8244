"""Ask a person: 🙋 hands a question the SOP did not answer to the people of the asker's
store who answer questions; ✋ takes it, the taker's next message is the answer, and the
answer reaches the asker under their question. Then 📌 keeps it as a store note, or 🎓
attaches the question to a step.

The rules (who answers, reminders, the outbox) are in ``bot/asks/service.py``; sending and
the follow-up job in ``bot/asks/delivery.py``.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.ext import filters

from bot.access.levels import level_named
from bot.answers.handlers import question_in, search
from bot.asks import delivery, keyboards, notes, render
from bot.asks import service as asks
from bot.asks.model import (
    ANSWER_LIMIT,
    ANSWERED,
    CLOSEST,
    QUESTION_LIMIT,
    TAKEN,
    Ask,
)
from bot.context import BotData, Context
from bot.i18n import label, label_html
from bot.learning import handlers as teaching
from bot.storage import Storage
from bot.tg.messages import answer_expired, answer_shown, edit, refuse
from knowledge import Answer
from knowledge.base import EMPTY, NO_WORDS

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7
MAX_DAYS = 90
DAYS_RE = re.compile(r"[0-9]{1,2}\Z")
TRAINER, MANAGER = "trainer", "manager"


# -- the asker: 🙋, /ask, ✖, 👍/👎 ------------------------------------------------------------


async def ask_person(update: Update, context: Context) -> None:
    """🙋 under an answer: hand the question it answered to the store's responders."""
    query = update.callback_query
    if not isinstance(query.message, Message):
        await answer_expired(query, context)
        return
    asked = query.message.reply_to_message  # the question, when Telegram says which
    if asked is not None and asked.from_user and asked.from_user.id != query.from_user.id:
        await refuse(update, context, "ask_not_yours")
        return
    shown = answer_shown(update, context)
    if shown is None and asked is not None and asked.text:
        # An answer from before a restart: the question it answered is searched again.
        shown = await search(update, context, question_in(asked, context.bot.username))
    if shown is None:
        await answer_expired(query, context)
        return
    reply_to = asked.message_id if asked is not None else query.message.message_id
    source = f"{query.message.chat.id}:{query.message.message_id}"
    await hand_over(update, context, shown, reply_to, source)


async def ask_command(update: Update, context: Context) -> None:
    """/ask QUESTION: hand a question to the store's responders at once."""
    message = update.effective_message
    question = re.sub(r"\A/\S+", "", message.text or "").strip()
    if not question:
        await message.reply_html(label_html(context.ui, "ask_usage"))
        return
    result = await search(update, context, question[:QUESTION_LIMIT])
    if result.problem in (EMPTY, NO_WORDS):  # an emoji, a sticker's worth of nothing
        await message.reply_html(label_html(context.ui, "ask_usage"))
        return
    await hand_over(
        update, context, result, message.message_id, f"{message.chat.id}:{message.message_id}"
    )


async def hand_over(
    update: Update, context: Context, result: Answer, reply_to: int, source: str
) -> None:
    """Open the question, queue an offer for each responder, tell the asker, deliver."""
    data, ui, user = context.bot_data, context.ui, update.effective_user
    chat = update.effective_chat
    person = context.person
    store = person.stores[0] if person and person.stores else None
    admins = asks.admin_ids(data.storage, data.settings.admin_ids)
    recipients = asks.first_recipients(data.storage, store, user.id, admins)
    if not recipients:
        await refuse(update, context, "ask_nobody")
        return
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    ask = data.storage.asks.open_ask(
        asker_id=user.id,
        asker_name=person.name if person else user.full_name,
        chat_id=chat.id,
        message_id=reply_to,
        thread_id=thread,
        source_key=source,
        store=store,
        question=result.query[:QUESTION_LIMIT],
        script=result.script,
        steps=[hit.step.id for hit in result.hits[:CLOSEST]],
        recipients=recipients,
    )
    if ask is None:
        await refuse(update, context, "ask_already")
        return
    if update.callback_query:
        await update.callback_query.answer()
    to_admins = not asks.responders(data.storage, store, leave_out=user.id)
    await context.bot.send_message(
        chat.id,
        render.sent(ask, len(recipients), to_admins, ui),
        reply_markup=keyboards.waiting_keyboard(ask, ui),
        reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True),
        message_thread_id=thread,
    )
    await delivery.deliver_now(context.application)


async def withdraw(update: Update, context: Context) -> None:
    """✖ under "sent to …": the asker takes the question back while nobody has answered."""
    query = update.callback_query
    storage = context.bot_data.storage
    ask = storage.asks.ask(int(context.matches[0].group(1)))
    if ask is None:
        await answer_expired(query, context)
        return
    if ask.asker_id != query.from_user.id:
        await refuse(update, context, "ask_not_yours")
        return
    if not storage.asks.withdraw(ask.id, query.from_user.id):
        await query.answer(label(context.ui, "ask_closed"))
        return
    await query.answer()
    ui = context.ui
    await edit(
        query, label_html(ui, "ask_withdrawn", question=render.short(ask.question, 200)), None
    )
    await delivery.settle_offers(context.application, storage.asks.ask(ask.id) or ask)


async def vote_on_answer(update: Update, context: Context) -> None:
    """👍 / 👎 under a person's answer, from the asker only."""
    query = update.callback_query
    sign, ask_id = context.matches[0].groups()
    storage = context.bot_data.storage
    if storage.asks.ask(int(ask_id)) is None:
        await answer_expired(query, context)
        return
    if not storage.asks.vote_on_answer(int(ask_id), query.from_user.id, 1 if sign == "+" else -1):
        await refuse(update, context, "ask_not_yours")
        return
    await query.answer(label(context.ui, "thanks"))


# -- the responders: ✋, ↩️, the answer, 📌, 🎓 ---------------------------------------------------


def may_answer(context: Context, ask: Ask) -> bool:
    """A responder of the question's store (read now), or an admin (questions go up to them)."""
    user = context.asker
    if user is None:
        return False
    person = context.person
    storage, configured = context.bot_data.storage, context.bot_data.settings.admin_ids
    return asks.may_respond(storage, ask, person) or asks.is_admin(person, user.id, configured)


async def take(update: Update, context: Context) -> None:
    """✋: the first responder to press it answers the question; the others are told."""
    query = update.callback_query
    storage, ui = context.bot_data.storage, context.ui
    ask = storage.asks.ask(int(context.matches[0].group(1)))
    if ask is None:
        await answer_expired(query, context)
        return
    if not may_answer(context, ask):
        await refuse(update, context, "ask_not_responder")
        return
    user = query.from_user
    person = context.person
    admin = asks.is_admin(person, user.id, context.bot_data.settings.admin_ids)
    if ask.status == TAKEN and ask.taken_by == user.id:
        await query.answer()
        await edit(query, render.taken_by_you(ask, ui), keyboards.taken_keyboard(ask, ui))
        return
    name = person.name if person else user.full_name
    if not storage.asks.take(ask.id, user.id, name, take_over=admin):
        now = storage.asks.ask(ask.id) or ask
        key = "ask_taken_already" if now.status == TAKEN else "ask_closed"
        await query.answer(label(ui, key, name=now.taker_name))
        return
    taken = storage.asks.ask(ask.id) or ask
    await query.answer()
    await edit(query, render.taken_by_you(taken, ui), keyboards.taken_keyboard(taken, ui))
    await delivery.settle_offers(context.application, taken, leave_out=user.id)


async def release(update: Update, context: Context) -> None:
    """↩️: the taker gives the question back to the others."""
    query = update.callback_query
    storage, ui = context.bot_data.storage, context.ui
    ask = storage.asks.ask(int(context.matches[0].group(1)))
    if ask is None or not storage.asks.release(ask.id, query.from_user.id):
        await answer_expired(query, context)
        return
    await query.answer()
    await edit(query, label_html(ui, "ask_released"), None)
    await delivery.settle_offers(
        context.application, storage.asks.ask(ask.id) or ask, leave_out=query.from_user.id
    )


class Answering(filters.MessageFilter):
    """A private message from someone who has taken a question: it is their answer."""

    def __init__(self, data: BotData) -> None:
        super().__init__(name="Answering")
        self.data = data

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or message.chat.type != ChatType.PRIVATE:
            return False
        return bool(self.data.storage.asks.taken_by(user.id))


async def take_answer(update: Update, context: Context) -> None:
    """The taker's message answers the question they took (the one they reply to, if any)."""
    message = update.effective_message
    storage, ui, user = context.bot_data.storage, context.ui, update.effective_user
    taken = storage.asks.taken_by(user.id)
    if not taken:
        return
    ask = answered_one(storage, taken, message, user.id)
    if not message.text:
        await message.reply_html(label_html(ui, "ask_text_only"))
        return
    answer = message.text.strip()
    if len(answer) > ANSWER_LIMIT:
        await message.reply_html(label_html(ui, "ask_too_long", n=len(answer), limit=ANSWER_LIMIT))
        return
    if not may_answer(context, ask) or not storage.asks.answer_ask(ask.id, user.id, answer):
        await message.reply_html(label_html(ui, "ask_closed"))
        return
    await delivery.deliver_now(
        context.application
    )  # the asker first: the confirmation says it went
    done = storage.asks.ask(ask.id) or ask
    await message.reply_html(
        render.answered(done, ui), reply_markup=keyboards.knowledge_keyboard(done, ui)
    )
    await delivery.settle_offers(context.application, done)


def answered_one(storage: Storage, taken: list[Ask], message: Message, user_id: int) -> Ask:
    """Of the questions someone took, the one their message answers: the one whose offer
    they reply to, else the one they took last."""
    replied = message.reply_to_message
    if replied is not None:
        for ask in taken:
            for sent in storage.asks.messages_of(ask.id):
                if sent.chat_id == user_id and sent.message_id == replied.message_id:
                    return ask
    return taken[0]


def answerer(context: Context, ask: Ask) -> bool:
    """Whether the presser answered this question (and still may)."""
    user = context.asker
    return (
        user is not None
        and ask.status == ANSWERED
        and ask.taken_by == user.id
        and may_answer(context, ask)
    )


async def save_note(update: Update, context: Context) -> None:
    """📌: keep the question and its answer as a note of the asker's store."""
    query = update.callback_query
    storage, ui = context.bot_data.storage, context.ui
    ask = storage.asks.ask(int(context.matches[0].group(1)))
    if ask is None or ask.store is None:
        await answer_expired(query, context)
        return
    if not answerer(context, ask):
        await refuse(update, context, "ask_not_responder")
        return
    if ask.note_id is not None:
        await query.answer(label(ui, "ask_note_exists"))
        return
    note = storage.asks.add_note(
        ask.store, ask.question, ask.answer, query.from_user.id, ask.taker_name, ask.id
    )
    notes.forget(storage, note.store)
    await query.answer()
    done = storage.asks.ask(ask.id) or ask
    text = label_html(ui, "ask_note_saved", store=note.store, id=note.id)
    await edit(query, text, keyboards.knowledge_keyboard(done, ui))


async def attach_to_step(update: Update, context: Context) -> None:
    """🎓: teach the question as an alternate wording of the right step (as /teach does)."""
    query = update.callback_query
    storage = context.bot_data.storage
    ask = storage.asks.ask(int(context.matches[0].group(1)))
    if ask is None:
        await answer_expired(query, context)
        return
    if not answerer(context, ask) or not context.at_least(TRAINER):
        await refuse(update, context, "ask_not_responder")
        return
    storage.asks.mark_taught(ask.id)
    await query.answer()
    await teaching.prompt(update, context, (ask.question,))


# -- /asks and /responders ---------------------------------------------------------------------


async def list_asks(update: Update, context: Context) -> None:
    """/asks [days]: responders see their stores' questions; everyone else their own."""
    data, ui, user = context.bot_data, context.ui, update.effective_user
    args = context.args or []
    days = int(args[0]) if args and DAYS_RE.match(args[0]) else DEFAULT_DAYS
    days = min(max(days, 1), MAX_DAYS)
    person = context.person
    since = data.storage.connection.cutoff(days)
    if asks.is_admin(person, user.id, data.settings.admin_ids):
        found, mine = data.storage.asks.asks(since), False
    else:
        stores = [
            store
            for store in (person.stores if person else ())
            if person and person.access in data.storage.asks.responder_levels(store)
        ]
        mine = not stores
        found = (
            data.storage.asks.asks(since, asker_id=user.id)
            if mine
            else data.storage.asks.asks(since, stores)
        )
    text = render.asks_list(found, ui, context.now(), days, mine)
    keyboard = None if mine else keyboards.asks_keyboard(found, ui)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def set_responders(update: Update, context: Context) -> None:
    """/responders [store] [level…]: who answers a store's questions (managers and admins)."""
    if not context.at_least(MANAGER):
        await refuse(update, context, "refused_stats")
        return
    data, ui, user = context.bot_data, context.ui, update.effective_user
    args = context.args or []
    person = context.person
    admin = asks.is_admin(person, user.id, data.settings.admin_ids)
    mine = list(person.stores) if person else []
    stores = sorted({s for p in data.storage.people.people() for s in p.stores}) if admin else mine
    named = [arg for arg in args if level_named(arg) is None]
    levels = asks.parse_levels(arg for arg in args if level_named(arg) is not None)
    message = update.effective_message
    if len(named) > 1:
        await message.reply_html(label_html(ui, "responders_usage"))
        return
    if named:
        if named[0] not in stores:
            await message.reply_html(label_html(ui, "responders_not_yours", store=named[0]))
            return
        stores = named
    if not stores:
        await message.reply_html(label_html(ui, "notes_no_store"))
        return
    if not levels:
        lines = [render.responders(s, data.storage.asks.responder_levels(s), ui) for s in stores]
        lines.append("\n" + label_html(ui, "responders_usage"))
        await message.reply_html("\n".join(lines))
        return
    store = stores[0]
    data.storage.asks.set_responder_levels(store, levels, user.id)
    data.storage.people.log_action(user.id, "responders", store, ",".join(levels))
    names = render.responders(store, levels, ui)
    await message.reply_html(label_html(ui, "responders_set", store=store, levels=names))


# -- /notes ------------------------------------------------------------------------------------


def is_admin(context: Context) -> bool:
    user = context.asker
    configured = context.bot_data.settings.admin_ids
    return user is not None and asks.is_admin(context.person, user.id, configured)


def notes_listing(context: Context) -> tuple[str, InlineKeyboardMarkup | None]:
    """/notes as the asker may see it: their stores' notes (an admin's: every store's)."""
    data, ui, user = context.bot_data, context.ui, context.asker
    admin = is_admin(context)
    found = data.storage.asks.notes(None if admin else context.stores)
    mine = {n.id for n in found if notes.removable(context.person, admin, user.id, n)}
    text = render.notes_list(found, ui, data.settings.timezone)
    return text, keyboards.notes_keyboard(found, ui, mine)


async def list_notes(update: Update, context: Context) -> None:
    """/notes: the store notes of your stores, each removable by those who may."""
    admin = is_admin(context)
    if not context.stores and not admin:
        await update.effective_message.reply_html(label_html(context.ui, "notes_no_store"))
        return
    text, keyboard = notes_listing(context)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def remove_note(update: Update, context: Context) -> None:
    """🗑 under /notes: the note no longer answers questions."""
    query = update.callback_query
    storage, ui = context.bot_data.storage, context.ui
    note_id = int(context.matches[0].group(1))
    note = storage.asks.note(note_id)
    if note is None:
        await answer_expired(query, context)
        return
    if not notes.removable(context.person, is_admin(context), query.from_user.id, note):
        await refuse(update, context, "refused_trainers")
        return
    storage.asks.remove_note(note_id, query.from_user.id)
    notes.forget(storage, note.store)
    await query.answer(label(ui, "note_removed", id=note_id))
    text, keyboard = notes_listing(context)
    await edit(query, text, keyboard)
