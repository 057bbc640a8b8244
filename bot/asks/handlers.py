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
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import filters

from bot.access.levels import level_named
from bot.answers.handlers import question_in, search
from bot.asks import delivery, keyboards, notes, render
from bot.asks import service as asks
from bot.asks.model import (
    ANSWER_LIMIT,
    ANSWERED,
    CLOSEST,
    EDITED,
    NOTE_ANSWER_LIMIT,
    NOTE_QUESTION_LIMIT,
    QUESTION_LIMIT,
    REMOVED,
    REPLY,
    RESTORED,
    SENT,
    SHARED,
    TAKEN,
    UNSHARED,
    Ask,
    StoreNote,
)
from bot.context import BotData, Context
from bot.i18n import label, label_html
from bot.learning import handlers as teaching
from bot.storage import Storage
from bot.tg.messages import InPrivateStep, answer_expired, answer_shown, edit, refuse
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
    # The asker first: the confirmation says whether it went.
    await delivery.deliver_now(context.application)
    done = storage.asks.ask(ask.id) or ask
    reply = [m.state for m in storage.asks.messages_of(ask.id) if m.kind == REPLY]
    await message.reply_html(
        render.answered(done, ui, reply[0] if reply else SENT),
        reply_markup=keyboards.knowledge_keyboard(done, ui),
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
    note = asks.save_note(storage, ask, query.from_user.id)
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


def reader_stores(context: Context) -> tuple[str, ...]:
    """Whose notes this chat may show: the reader's stores in private, the linked store's
    in a group (everyone there reads the reply)."""
    chat = context.chat
    private = chat is None or chat.type == ChatType.PRIVATE
    return notes.served_stores(private, context.stores, None if private else context.linked_store)


def shown_note(context: Context, note_id: int) -> StoreNote | None:
    """The note, if the reader may see it: their stores' or a shared one (a removed one
    only by those who may bring it back); None alike for one that does not exist."""
    note = asks.note_of(context.bot_data.storage, note_id)
    user = context.asker
    if note is None or user is None:
        return None
    admin = is_admin(context)
    if note.removed:
        return note if notes.manageable(context.person, admin, user.id, note) else None
    return note if notes.visible(reader_stores(context), admin, note) else None


def note_view(context: Context, note: StoreNote) -> tuple[str, InlineKeyboardMarkup | None]:
    """One note as the reader may see it: with its versions and buttons for those who may
    change it."""
    data, ui, user = context.bot_data, context.ui, context.asker
    admin = is_admin(context)
    manage = user is not None and notes.manageable(context.person, admin, user.id, note)
    share = notes.shareable(context.person, admin, note)
    versions = asks.note_history(data.storage, note.id) if manage else None
    text = render.note_detail(note, versions, ui, data.settings.timezone)
    restorable = notes.restorable(note, versions) if versions else []
    keyboard = keyboards.note_keyboard(note, ui, manage=manage, share=share, restorable=restorable)
    return text, keyboard


def notes_listing(context: Context) -> tuple[str, InlineKeyboardMarkup | None]:
    """/notes as the reader may see it: their stores' notes and the shared ones (an
    admin's: every store's)."""
    data, ui = context.bot_data, context.ui
    found = asks.notes_served(data.storage, None if is_admin(context) else reader_stores(context))
    text = render.notes_list(found, ui, data.settings.timezone)
    return text, keyboards.notes_keyboard(found, ui)


async def list_notes(update: Update, context: Context) -> None:
    """/notes [n]: the store notes you can see; /notes n, one of them with its versions."""
    message, ui = update.effective_message, context.ui
    args = context.args or []
    wanted = args[0].lstrip("#") if args else ""
    if wanted.isdigit() and len(wanted) <= 9:
        note = shown_note(context, int(wanted))
        if note is None:
            await message.reply_html(label_html(ui, "note_not_found", id=int(wanted)))
            return
        text, keyboard = note_view(context, note)
        await message.reply_html(text, reply_markup=keyboard)
        return
    if not reader_stores(context) and not is_admin(context):
        await message.reply_html(label_html(ui, "notes_no_store"))
        return
    text, keyboard = notes_listing(context)
    await message.reply_html(text, reply_markup=keyboard)


async def open_note(update: Update, context: Context) -> None:
    """📌 #n under /notes: the note, with its versions for those who may change it."""
    query = update.callback_query
    note_id = int(context.matches[0].group(1))
    note = shown_note(context, note_id)
    if note is None:
        await query.answer(label(context.ui, "note_not_found", id=note_id))
        return
    await query.answer()
    text, keyboard = note_view(context, note)
    await context.bot.send_message(
        update.effective_chat.id,
        text,
        reply_markup=keyboard,
        message_thread_id=query.message.message_thread_id
        if isinstance(query.message, Message) and query.message.is_topic_message
        else None,
    )


def author_name(context: Context) -> str:
    user = context.asker
    person = context.person
    return person.name if person else (user.full_name if user else "")


async def may_change(
    update: Update, context: Context, note_id: int, share: bool = False
) -> StoreNote | None:
    """The note a button changes, if the presser may (checked again at every press); else
    they are told why, or, for a note they may not see, that there is none."""
    query = update.callback_query
    ui, user = context.ui, query.from_user
    note = asks.note_of(context.bot_data.storage, note_id)
    admin = is_admin(context)
    allowed = note is not None and (
        notes.shareable(context.person, admin, note)
        if share
        else notes.manageable(context.person, admin, user.id, note)
    )
    if note is not None and allowed:
        return note
    if note is None or shown_note(context, note_id) is None:
        await query.answer(label(ui, "note_not_found", id=note_id))
    else:
        await query.answer(label(ui, "note_managers_only" if share else "note_not_yours"))
    return None


async def changed(
    update: Update, context: Context, note: StoreNote, done: StoreNote | None, toast: str
) -> None:
    """After a button changed a note (``done``) or found it changed meanwhile (None): say
    so, show the note as it is now, and have questions read the notes again."""
    query = update.callback_query
    storage, ui = context.bot_data.storage, context.ui
    if done is None:
        await query.answer(label(ui, "note_changed", id=note.id))
        now = asks.note_of(storage, note.id)
    else:
        await query.answer(toast)
        now = done
    if now is not None:
        text, keyboard = note_view(context, now)
        await edit(query, text, keyboard)


async def remove_note(update: Update, context: Context) -> None:
    """🗑: the note no longer answers questions; kept as its latest version, to restore."""
    note_id, seen = map(int, context.matches[0].groups())
    note = await may_change(update, context, note_id)
    if note is None:
        return
    user = update.callback_query.from_user
    storage = context.bot_data.storage
    done = asks.change_note(storage, note_id, seen, REMOVED, user.id, author_name(context))
    await changed(update, context, note, done, label(context.ui, "note_removed", id=note_id))


async def restore_note(update: Update, context: Context) -> None:
    """↩️ vk: the note says again what version k said (and is served again, if removed)."""
    note_id, seen, version = map(int, context.matches[0].groups())
    note = await may_change(update, context, note_id)
    if note is None:
        return
    user = update.callback_query.from_user
    storage = context.bot_data.storage
    name = author_name(context)
    done = asks.change_note(storage, note_id, seen, RESTORED, user.id, name, version=version)
    toast = label(context.ui, "note_restored", id=note_id, version=version)
    await changed(update, context, note, done, toast)


async def share_note(update: Update, context: Context) -> None:
    """🌐 / 🏪: serve the note to every store's staff, or to its own store's only again."""
    action, note_id_text, seen_text = context.matches[0].groups()
    note_id, seen, shared = int(note_id_text), int(seen_text), action == "s"
    note = await may_change(update, context, note_id, share=True)
    if note is None:
        return
    user = update.callback_query.from_user
    storage = context.bot_data.storage
    action = SHARED if shared else UNSHARED
    done = asks.change_note(storage, note_id, seen, action, user.id, author_name(context))
    key = "note_shared_done" if shared else "note_unshared_done"
    await changed(update, context, note, done, label(context.ui, key, id=note_id, store=note.store))


async def edit_note(update: Update, context: Context) -> None:
    """✏️: the presser's next private message is the note's new text."""
    query = update.callback_query
    note_id, seen = map(int, context.matches[0].groups())
    note = await may_change(update, context, note_id)
    if note is None:
        return
    if note.version != seen or note.removed:
        await changed(update, context, note, None, "")
        return
    ui = context.ui
    # Waiting for the text before the prompt goes out: a reply can come in as soon as the
    # prompt has arrived, and updates are handled side by side.
    notes.start_editing(context.user_data, note)
    try:
        await context.bot.send_message(
            query.from_user.id,
            render.edit_prompt(note, ui),
            reply_markup=keyboards.edit_keyboard(ui),
        )
    except Forbidden:  # never opened a private chat with the bot
        notes.stop_editing(context.user_data)
        await query.answer(label(ui, "note_edit_private"))
        return
    await query.answer()


async def cancel_edit(update: Update, context: Context) -> None:
    """✖ under the edit prompt: the note stays as it is."""
    query = update.callback_query
    notes.stop_editing(context.user_data)
    await query.answer()
    await edit(query, label_html(context.ui, "note_edit_cancelled"), None)


def editing_note(user_data: Any) -> InPrivateStep:
    """A private message from someone writing a note's new text (after ✏️)."""
    return InPrivateStep("EditingNote", user_data, lambda data: notes.editing_of(data) is not None)


async def take_edit(update: Update, context: Context) -> None:
    """The note's new text: a new version of it, if nobody changed it meanwhile."""
    message, ui, user = update.effective_message, context.ui, update.effective_user
    storage = context.bot_data.storage
    editing = notes.editing_of(context.user_data)
    if editing is None:
        return
    if not message.text:
        await message.reply_html(label_html(ui, "note_edit_text_only"))
        return
    note = asks.note_of(storage, editing.note_id)
    if note is None or note.removed or note.version != editing.version:
        notes.stop_editing(context.user_data)
        await message.reply_html(label_html(ui, "note_changed", id=editing.note_id))
        return
    admin = is_admin(context)
    if not notes.manageable(context.person, admin, user.id, note):
        notes.stop_editing(context.user_data)
        await message.reply_html(label_html(ui, "note_not_yours"))
        return
    written = notes.new_text(note, message.text)
    if written is None:
        await message.reply_html(
            label_html(
                ui,
                "note_edit_too_long",
                question_limit=NOTE_QUESTION_LIMIT,
                answer_limit=NOTE_ANSWER_LIMIT,
            )
        )
        return
    notes.stop_editing(context.user_data)
    if written == (note.question, note.answer):
        await message.reply_html(label_html(ui, "note_edit_cancelled"))
        return
    name = author_name(context)
    done = asks.change_note(storage, note.id, editing.version, EDITED, user.id, name, text=written)
    if done is None:
        await message.reply_html(label_html(ui, "note_changed", id=note.id))
        return
    await message.reply_html(label_html(ui, "note_edited", id=note.id, version=done.version))
    text, keyboard = note_view(context, done)
    await message.reply_html(text, reply_markup=keyboard)
