"""Briefings: managers push notes to their staff, see who read them; staff catch up with /missed.

The rules and the durable delivery job are in ``bot/briefings/service.py``; here are the Telegram
ends: the handlers, the jobs (schedules, reminders), and :class:`TelegramSender`, which turns
Bot API errors into delivery outcomes.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta
from typing import Any

import httpx
from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ExtBot, JobQueue, filters

from bot.answers import handlers as answers
from bot.briefings import keyboards, render
from bot.briefings import service as brief
from bot.context import BotData, Context, script_of
from bot.i18n import label, label_html
from bot.storage import Person, Storage
from bot.tg.jobs import remove_jobs
from bot.tg.messages import answer_expired, edit, refuse

log = logging.getLogger(__name__)

# /missed shows this many notes at a time (each is a message); the rest on the next /missed.
MISSED_AT_ONCE = 10
# A broadcast send waits this long for Telegram before the delivery counts as uncertain.
SEND_TIMEOUT = 20.0
SCHEDULE_JOB = "briefing-schedule-{}"
REMINDER_JOB = "briefing-reminder-{}"

App = Application[Any, Any, Any, Any, BotData, Any]


# -- who may brief -------------------------------------------------------------------------------


def briefer(context: Context) -> tuple[bool, Person | None]:
    """Whether the asker may send briefings (brief.may_brief), and their registration."""
    user = context.asker
    configured = user is not None and user.id in context.bot_data.settings.admin_ids
    return brief.may_brief(context.person, configured), context.person


def every_store(storage: Storage) -> list[str]:
    return sorted({store for person in storage.people.people() for store in person.stores})


def choices_for(context: Context) -> list[brief.Audience]:
    """The audiences the asker may send a briefing to."""
    _, person = briefer(context)
    return brief.audience_choices(person, every_store(context.bot_data.storage))


def audience_of(context: Context, briefing: brief.Briefing) -> list[int]:
    """Who a briefing goes to, as its author's reach is now (no one, if they may no longer
    brief)."""
    allowed, author = author_of(context, briefing.author)
    if not allowed:
        return []
    audience = briefing.audience or brief.Audience(brief.ALL)
    storage = context.bot_data.storage
    return [p.user_id for p in brief.recipients(storage, briefing.author, author, audience)]


def author_of(context: Context, author_id: int) -> tuple[bool, Person | None]:
    """Whether an author may still brief, and the author as brief.recipients takes them
    (None for someone in SOPBOT_ADMIN_IDS, who reaches everyone)."""
    if author_id in context.bot_data.settings.admin_ids:
        return True, None
    author = context.bot_data.storage.people.person(author_id)
    return brief.may_brief(author, configured_admin=False), author


def reminder_delay(context: Context) -> timedelta | None:
    hours = context.bot_data.settings.brief_reminder_hours
    return timedelta(hours=hours) if hours > 0 else None


def note_of(message: Message) -> brief.Note | None:
    """The note a message carries: its text, or its photo or document with the caption."""
    if message.photo:
        return brief.Note(brief.PHOTO, message.caption or "", message.photo[-1].file_id)
    if message.document:
        return brief.Note(brief.DOCUMENT, message.caption or "", message.document.file_id)
    if message.text:
        return brief.Note(brief.TEXT, message.text)
    return None


def too_long(note: brief.Note) -> int | None:
    limit = brief.TEXT_LIMIT if note.kind == brief.TEXT else brief.CAPTION_LIMIT
    return limit if len(note.text) > limit else None


# -- composing: /brief, the note, the audience, send or schedule --------------------------------


async def start_briefing(update: Update, context: Context) -> None:
    """Start a briefing: with the note after /brief, or ask for it (text, photo or document)."""
    user = update.effective_user
    ui = context.ui
    allowed, person = briefer(context)
    if not allowed:
        await refuse(update, context, "refused_brief")
        return
    name = person.name if person else user.full_name
    _, _, text = (update.effective_message.text or "").partition(" ")
    note = brief.Note(brief.TEXT, text.strip()) if text.strip() else None
    if note is not None and (limit := too_long(note)):
        await update.effective_message.reply_html(label(ui, "brief_too_long", limit=limit))
        return
    briefing = context.bot_data.briefings.create(user.id, name, note)
    if note is None:
        await update.effective_message.reply_html(label(ui, "brief_ask_note"))
        return
    await show_audiences(update, context, briefing)


async def show_audiences(update: Update, context: Context, briefing: brief.Briefing) -> None:
    ui = context.ui
    choices = choices_for(context)
    await update.effective_message.reply_html(
        render.briefing_preview(briefing, ui),
        reply_markup=keyboards.audience_keyboard(briefing.id, choices, ui),
    )


class AwaitingBriefing(filters.MessageFilter):
    """A private message from someone whose draft waits for their next message (and who
    may still brief: a manager demoted meanwhile is asking a question again)."""

    def __init__(self, storage: Storage, admin_ids: frozenset[int]) -> None:
        super().__init__(name="AwaitingBriefing")
        self.storage = storage
        self.admin_ids = admin_ids
        self.briefings = storage.briefings

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or message.chat.type != ChatType.PRIVATE:
            return False
        if self.briefings.awaiting(user.id) is None:
            return False
        return brief.may_brief(self.storage.people.person(user.id), user.id in self.admin_ids)


async def take_note(update: Update, context: Context) -> None:
    """Take the message a draft waited for: its note (after /brief) or its time (after 🕗)."""
    user = update.effective_user
    ui = context.ui
    briefings = context.bot_data.briefings
    draft = briefings.awaiting(user.id)
    if draft is None:
        return
    message = update.effective_message
    if draft.status == brief.TIMING:
        await schedule_draft(update, context, draft)
        return
    note = note_of(message)
    limit = too_long(note) if note else None
    if note is None or limit:
        key = "brief_too_long" if note else "brief_ask_note"
        await message.reply_html(label(ui, key, limit=limit or brief.TEXT_LIMIT))
        return
    briefings.fill(draft.id, note)
    if note.kind == brief.TEXT and brief.looks_like_question(note.text):
        # Perhaps a question typed while /brief waited: ask before it can reach the store.
        await message.reply_html(
            render.note_or_question(briefings.get(draft.id), ui),
            reply_markup=keyboards.note_or_question_keyboard(draft.id, ui),
        )
        return
    await show_audiences(update, context, briefings.get(draft.id))


async def take_as_note(update: Update, context: Context) -> None:
    """📋 a question-shaped draft is a note after all: on to its audience."""
    query = update.callback_query
    if (draft := await tapped_draft(update, context, needs_audience=False)) is None:
        return
    await query.answer()
    ui = context.ui
    choices = choices_for(context)
    await edit(
        query,
        render.briefing_preview(draft, ui),
        keyboards.audience_keyboard(draft.id, choices, ui),
    )


async def take_as_question(update: Update, context: Context) -> None:
    """💬 a question-shaped draft was a question: drop the draft and answer it."""
    query = update.callback_query
    if (draft := await tapped_draft(update, context, needs_audience=False)) is None:
        return
    context.bot_data.briefings.set_status(draft.id, brief.CANCELLED)
    await query.answer()
    await edit(query, label_html(context.ui, "brief_taken_as_question"), None)
    await answers.answer_text(update, context, draft.note.text)


async def choose_audience(update: Update, context: Context) -> None:
    """Set the audience the author tapped; offer ✅ 發送, 🕗 排程, ✖ 取消."""
    query = update.callback_query
    ui = context.ui
    briefing_id, choice = (int(group) for group in context.matches[0].groups())
    draft = own_draft(context, briefing_id, query.from_user.id)
    choices = choices_for(context)
    if draft is None or choice >= len(choices):
        await answer_expired(query, context)
        return
    briefings = context.bot_data.briefings
    briefings.set_audience(draft.id, choices[choice])
    draft = briefings.get(draft.id)
    count = len(audience_of(context, draft))
    await query.answer(label(ui, "brief_nobody") if not count else None)
    markup = (
        keyboards.briefing_send_keyboard(draft.id, ui)
        if count
        else keyboards.audience_keyboard(draft.id, choices, ui)
    )
    await edit(query, render.briefing_preview(draft, ui, count), markup)


def own_draft(context: Context, briefing_id: int, user_id: int) -> brief.Briefing | None:
    """The author's draft with this id, if it is still a draft (a button works once) and
    they may still brief (a manager demoted since may not send it)."""
    draft = context.bot_data.briefings.get(briefing_id)
    if draft is None or draft.author != user_id or draft.status not in (brief.DRAFT, brief.TIMING):
        return None
    return draft if briefer(context)[0] else None


async def tapped_draft(
    update: Update, context: Context, needs_audience: bool = True
) -> brief.Briefing | None:
    """The author's draft a button under its preview names; None (answered 已過期) if gone."""
    query = update.callback_query
    (briefing_id,) = (int(group) for group in context.matches[0].groups())
    draft = own_draft(context, briefing_id, query.from_user.id)
    if draft is None or (needs_audience and draft.audience is None):
        await answer_expired(query, context)
        return None
    return draft


async def send_now(update: Update, context: Context) -> None:
    """✅ 發送: queue a delivery per person, then deliver them in the background."""
    query = update.callback_query
    ui = context.ui
    if (draft := await tapped_draft(update, context)) is None:
        return
    people = audience_of(context, draft)
    context.bot_data.briefings.queue(draft.id, people, reminder_delay(context))
    context.bot_data.courier.start(draft.id)
    schedule_reminder(context.application, draft.id, reminder_delay(context))
    await query.answer()
    sending = label_html(ui, "brief_sending", count=len(people))
    await edit(query, f"{render.briefing_preview(draft, ui, len(people))}\n\n{sending}", None)


async def ask_time(update: Update, context: Context) -> None:
    """🕗 排程: ask for the time; the author's next message is read as one."""
    query = update.callback_query
    ui = context.ui
    if (draft := await tapped_draft(update, context)) is None:
        return
    context.bot_data.briefings.set_status(draft.id, brief.TIMING)
    await query.answer()
    zone = context.bot_data.settings.timezone.key
    # The draft's message may be too old for Telegram to hand back: send, do not reply.
    await context.bot.send_message(query.message.chat.id, label(ui, "brief_ask_time", zone=zone))


async def schedule_draft(update: Update, context: Context, draft: brief.Briefing) -> None:
    """Read the time the author typed and schedule the draft."""
    ui = context.ui
    when = brief.parse_when(update.effective_message.text or "", context.now())
    if when is None:
        await update.effective_message.reply_html(label(ui, "brief_bad_time"))
        return
    schedule = context.bot_data.briefings.add_schedule(draft.id, draft.author, when)
    register_schedule(context.application, schedule)
    await update.effective_message.reply_html(render.briefing_scheduled(draft, when, ui))


async def cancel_draft(update: Update, context: Context) -> None:
    """✖ 取消: drop the draft."""
    query = update.callback_query
    ui = context.ui
    if (draft := await tapped_draft(update, context, needs_audience=False)) is None:
        return
    context.bot_data.briefings.set_status(draft.id, brief.CANCELLED)
    await query.answer()
    await edit(query, label(ui, "brief_cancelled"), None)


# -- reading: ✅ 已讀, /missed ------------------------------------------------------------


async def mark_read(update: Update, context: Context) -> None:
    """✅ 已讀: acknowledge the note and take the button away."""
    query = update.callback_query
    ui = context.ui
    (briefing_id,) = (int(group) for group in context.matches[0].groups())
    briefings = context.bot_data.briefings
    if not briefings.acknowledge(briefing_id, query.from_user.id):
        await answer_expired(query, context)
        return
    briefings.mark_reachable(query.from_user.id)
    await query.answer(label(ui, "brief_read"))
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as error:
        # A double tap: the button is already gone.
        if "not modified" not in error.message.lower():
            raise


async def show_missed(update: Update, context: Context) -> None:
    """/missed: every note not yet acknowledged, oldest first, each with ✅ 已讀."""
    user = update.effective_user
    ui = context.ui
    briefings = context.bot_data.briefings
    briefings.mark_reachable(user.id)
    missed = briefings.missed(user.id)
    message = update.effective_message
    await message.reply_html(render.missed_intro(len(missed), ui))
    for briefing in missed[:MISSED_AT_ONCE]:
        await send_note(context.bot, message.chat_id, briefing, ui)
    if len(missed) > MISSED_AT_ONCE:
        await message.reply_html(render.missed_more(len(missed) - MISSED_AT_ONCE, ui))


async def send_note(
    bot: ExtBot[None],
    chat_id: int,
    briefing: brief.Briefing,
    ui: str,
    timeout: float = SEND_TIMEOUT,
) -> Message:
    """A note as staff get it, with its ✅ 已讀 button."""
    text = render.briefing_note(briefing, ui)
    markup = keyboards.briefing_read_keyboard(briefing.id, ui)
    if briefing.note.kind == brief.PHOTO:
        return await bot.send_photo(
            chat_id,
            briefing.note.file_id,
            caption=text,
            reply_markup=markup,
            read_timeout=timeout,
            write_timeout=timeout,
        )
    if briefing.note.kind == brief.DOCUMENT:
        return await bot.send_document(
            chat_id,
            briefing.note.file_id,
            caption=text,
            reply_markup=markup,
            read_timeout=timeout,
            write_timeout=timeout,
        )
    return await bot.send_message(
        chat_id, text, reply_markup=markup, read_timeout=timeout, write_timeout=timeout
    )


# -- managing: /briefs, 🔁, ✖ schedule --------------------------------------------------


async def list_briefs(update: Update, context: Context) -> None:
    """/briefs: recent notes, read 12/15 and who has not read, and the schedules."""
    user = update.effective_user
    ui = context.ui
    allowed, person = briefer(context)
    if not allowed:
        await refuse(update, context, "refused_brief")
        return
    briefings = context.bot_data.briefings
    everyone = person is None or person.access == "admin"
    author = None if everyone else user.id
    receipts = briefings.recent(author)
    schedules = briefings.schedules(author=author)
    templates = [(s, t) for s in schedules if (t := briefings.get(s.briefing_id)) is not None]
    zone = context.bot_data.settings.timezone
    await update.effective_message.reply_html(
        render.briefs_overview(receipts, templates, ui, zone),
        reply_markup=keyboards.briefs_keyboard(receipts, [s for s, _ in templates], ui),
    )


def may_manage(context: Context, user_id: int, author: int) -> bool:
    allowed, person = briefer(context)
    return allowed and (author == user_id or person is None or person.access == "admin")


async def resend_unread(update: Update, context: Context) -> None:
    """🔁: send a note again to everyone who has not acknowledged it."""
    query = update.callback_query
    ui = context.ui
    (briefing_id,) = (int(group) for group in context.matches[0].groups())
    briefing = context.bot_data.briefings.get(briefing_id)
    if (
        briefing is None
        or briefing.status != brief.SENT
        or not may_manage(context, query.from_user.id, briefing.author)
    ):
        await answer_expired(query, context)
        return
    count = context.bot_data.briefings.requeue_unread(briefing_id)
    if count:
        context.bot_data.courier.start(briefing_id, resend=True)
    key = "brief_resent" if count else "brief_nothing_to_resend"
    await query.answer(label(ui, key, count=count), show_alert=True)


async def cancel_schedule(update: Update, context: Context) -> None:
    """✖ a schedule: no more notes from it."""
    query = update.callback_query
    ui = context.ui
    (schedule_id,) = (int(group) for group in context.matches[0].groups())
    briefings = context.bot_data.briefings
    schedule = briefings.schedule(schedule_id)
    if (
        schedule is None
        or not schedule.active
        or not may_manage(context, query.from_user.id, schedule.author)
    ):
        await answer_expired(query, context)
        return
    briefings.cancel_schedule(schedule_id)
    remove_jobs(context.job_queue, SCHEDULE_JOB.format(schedule_id))
    await query.answer(label(ui, "brief_unscheduled", id=schedule_id), show_alert=True)


# -- jobs: schedules and reminders ----------------------------------------------------------------


def register_schedule(app: App, schedule: brief.Schedule) -> None:
    """Put a schedule in the JobQueue, replacing any job of the same name (timerbot's way)."""
    job_queue: JobQueue[Any] = app.job_queue
    name = SCHEDULE_JOB.format(schedule.id)
    remove_jobs(job_queue, name)
    if not schedule.active:
        return
    zone = app.bot_data.settings.timezone
    at = schedule.when.at.replace(tzinfo=zone)
    if schedule.when.repeat == brief.ONCE:
        moment = brief.next_once(schedule.when, zone)
        assert moment is not None
        # A once-schedule missed while the bot was down goes out as soon as it is back.
        delay = max(0.0, (moment - app.bot_data.now()).total_seconds())
        job_queue.run_once(send_scheduled_briefing, delay, data=schedule.id, name=name)
    else:
        # PTB counts days from Sunday = 0: Monday to Friday are 1–5.
        days = (1, 2, 3, 4, 5) if schedule.when.repeat == brief.WEEKDAYS else tuple(range(7))
        job_queue.run_daily(send_scheduled_briefing, at, days=days, data=schedule.id, name=name)


async def send_scheduled_briefing(context: Context) -> None:
    """Job: a schedule's turn: copy its template to a new briefing and deliver it."""
    schedule_id: int = context.job.data  # type: ignore[assignment]
    briefings = context.bot_data.briefings
    schedule = briefings.schedule(schedule_id)
    template = briefings.get(schedule.briefing_id) if schedule else None
    if schedule is None or template is None:
        return
    if not author_of(context, schedule.author)[0]:
        # Revoked or demoted since: their schedules stop with their right to brief.
        log.info("schedule %d cancelled: its author may no longer brief", schedule_id)
        briefings.cancel_schedule(schedule_id)
        remove_jobs(context.job_queue, SCHEDULE_JOB.format(schedule_id))
        return
    today = context.now().date()
    people = audience_of(context, template)
    sent = briefings.fire(schedule_id, today, people, reminder_delay(context))
    if sent is None:
        log.info("schedule %d already fired on %s", schedule_id, today)
        return
    context.bot_data.courier.start(sent.id)
    schedule_reminder(context.application, sent.id, reminder_delay(context))


def schedule_reminder(app: App, briefing_id: int, delay: timedelta | None) -> None:
    if delay is None:
        return
    name = REMINDER_JOB.format(briefing_id)
    remove_jobs(app.job_queue, name)
    app.job_queue.run_once(send_briefing_reminders, delay, data=briefing_id, name=name)


async def send_briefing_reminders(context: Context) -> None:
    """Job: remind everyone who has not acknowledged a note (once; at most once each)."""
    briefing_id: int = context.job.data  # type: ignore[assignment]
    briefings = context.bot_data.briefings
    briefing = briefings.get(briefing_id)
    if briefing is None:
        return
    for user_id in briefings.take_reminders(briefing_id):
        ui = script_of(context.bot_data.storage, user_id)
        try:
            await context.bot.send_message(
                user_id,
                render.briefing_reminder(briefing, ui),
                reply_markup=keyboards.briefing_read_keyboard(briefing_id, ui),
            )
        except Forbidden as error:
            briefings.mark_unreachable(user_id, error.message)
        except TelegramError:
            # A reminder is a courtesy: the note itself waits in /missed.
            log.warning("no reminder of briefing %d for %d", briefing_id, user_id, exc_info=True)


# -- delivery: the Telegram side of the courier ------------------------------------------------


class TelegramSender:
    """Sends one note to one person and says how it went (see ``bot.briefings.model.Outcome``)."""

    def __init__(self, bot: ExtBot[None], storage: Storage, timeout: float = SEND_TIMEOUT) -> None:
        self.bot = bot
        self.storage = storage
        self.timeout = timeout

    async def send(self, briefing: brief.Briefing, user_id: int) -> brief.Outcome:
        ui = script_of(self.storage, user_id)
        try:
            message = await send_note(self.bot, user_id, briefing, ui, self.timeout)
        except RetryAfter as error:
            return brief.Retry(str(error), after=retry_seconds(error))
        except Forbidden as error:
            return brief.Blocked(error.message)
        except BadRequest as error:
            return brief.Failed(error.message)
        except TimedOut as error:
            # Timed out before the request left (no connection in time): safe to retry.
            # Timed out waiting for the answer: Telegram may have delivered it.
            if isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
                return brief.Retry(error.message)
            return brief.Uncertain(error.message)
        except NetworkError as error:
            # Connection refused or reset, 5xx, 502: not delivered; try again later.
            return brief.Retry(error.message)
        return brief.Sent(message.message_id)


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; either form is read here.
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def report_delivery(app: App, briefing_id: int, counts: dict[str, int]) -> None:
    """Tell the author how their briefing went, once its delivery has settled."""
    briefings = app.bot_data.briefings
    briefing = briefings.get(briefing_id)
    receipt = briefings.receipt(briefing_id)
    if briefing is None or receipt is None:
        return
    ui = script_of(app.bot_data.storage, briefing.author)
    run = app.bot_data.courier.runs.get(briefing_id)
    if run is not None and run.resend:
        # 🔁: how the resend went, not every delivery the note ever had.
        text = render.briefing_resend_done(briefing_id, counts, ui)
    else:
        text = render.briefing_done(briefing_id, receipt.states, ui)
    try:
        await app.bot.send_message(briefing.author, text)
    except TelegramError:
        log.warning("could not report briefing %d to its author", briefing_id, exc_info=True)


# -- start and stop ----------------------------------------------------------------------------


def install(app: App) -> None:
    """Put the briefing services on ``bot_data`` (called by ``build_application``)."""
    data = app.bot_data
    data.briefings = data.storage.briefings

    async def finished(briefing_id: int, counts: dict[str, int]) -> None:
        await report_delivery(app, briefing_id, counts)

    data.courier = brief.Courier(
        data.briefings, TelegramSender(app.bot, data.storage), on_finished=finished
    )


async def resume(app: App) -> None:
    """At start-up (post_init): finish interrupted broadcasts, re-register schedules, reminders."""
    data = app.bot_data
    data.courier.resume()
    for schedule in data.briefings.schedules():
        register_schedule(app, schedule)
    now = data.now()
    for briefing_id, at in data.briefings.reminders():
        schedule_reminder(app, briefing_id, max(timedelta(0), at - now))


async def stop(app: App) -> None:
    """At shutdown (post_stop): let sends in flight finish; the rest wait for the next start."""
    await app.bot_data.courier.close()
