"""Ask a person, the Telegram end of delivery: the sender of the outbox, offers kept up to
date as a question is taken, answered or withdrawn, and the follow-up job.

The outbox itself and its guarantees are in ``bot/asks/service.py``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram import Message, ReplyParameters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ExtBot

from bot.asks import keyboards, render
from bot.asks import service as asks
from bot.asks.model import (
    BLOCKED,
    BLOCKED_BOT,
    FAILED,
    GONE,
    KICKED,
    OPEN,
    PENDING,
    REJECTED,
    REPLY,
    SENT,
    STILL_WAITING,
    TAKEN,
    TO_ASKER,
    TO_RESPONDERS,
    UNCERTAIN,
    UNDELIVERED,
    UNREACHED,
    Ask,
    Outgoing,
)
from bot.config import Settings
from bot.context import BotData, Context, script_of
from bot.tg.sending import retry_seconds

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, BotData, Any]

SEND_TIMEOUT = 20.0
FOLLOW_UP_JOB = "ask-follow-ups"
FOLLOW_UP_SECONDS = 60


class TelegramSender:
    """Sends one message of the outbox and says how it went."""

    def __init__(self, bot: ExtBot[None], data: BotData, timeout: float = SEND_TIMEOUT) -> None:
        self.bot = bot
        self.data = data
        self.timeout = timeout

    async def send(self, ask: Ask, message: Outgoing) -> asks.Outcome:
        try:
            sent = await self._send(ask, message)
        except RetryAfter as error:  # a later job tries again, once Telegram's wait is over
            return asks.Outcome(PENDING, error=error.message, wait=retry_seconds(error))
        except Forbidden as error:  # for good: blocked, a deleted account, out of the group
            return asks.Outcome(BLOCKED, error=error.message, reason=forbidden_reason(error))
        except BadRequest as error:  # for good: the same request fails the same way
            gone = "chat not found" in error.message.lower()
            return asks.Outcome(FAILED, error=error.message, reason=GONE if gone else REJECTED)
        except TimedOut as error:
            # Timed out before the request left: safe to try again; waiting for the answer:
            # Telegram may have delivered it, so it is never sent again.
            if isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
                return asks.Outcome(PENDING, error=error.message)
            return asks.Outcome(UNCERTAIN, error=error.message)
        except NetworkError as error:
            return asks.Outcome(PENDING, error=error.message)
        return asks.Outcome(SENT, sent.message_id)

    async def _send(self, ask: Ask, message: Outgoing) -> Message:
        storage = self.data.storage
        # What the asker gets is in their language, even in a group chat.
        reader = ask.asker_id if message.kind in TO_ASKER else message.chat_id
        ui = script_of(storage, reader)
        if message.kind == UNREACHED:
            return await self.bot.send_message(
                ask.chat_id,
                render.unreached(ask, ui),
                reply_markup=keyboards.waiting_keyboard(ask, ui),
                reply_parameters=ReplyParameters(ask.message_id, allow_sending_without_reply=True),
                message_thread_id=ask.thread_id,
                read_timeout=self.timeout,
                write_timeout=self.timeout,
            )
        if message.kind == UNDELIVERED:
            failed = asks.failure_of(storage, ask, (REPLY,))
            why = failed.reason if failed and failed.reason else REJECTED
            return await self.bot.send_message(
                message.chat_id,
                render.undelivered(ask, why, ui),
                read_timeout=self.timeout,
                write_timeout=self.timeout,
            )
        if message.kind == STILL_WAITING:
            return await self.bot.send_message(
                ask.chat_id,
                render.still_waiting(ask, ui, self.data.now()),
                reply_markup=keyboards.waiting_keyboard(ask, ui),
                reply_parameters=ReplyParameters(ask.message_id, allow_sending_without_reply=True),
                message_thread_id=ask.thread_id,
                read_timeout=self.timeout,
                write_timeout=self.timeout,
            )
        if message.kind == REPLY:
            return await self.bot.send_message(
                ask.chat_id,
                render.reply(ask, ui),
                reply_markup=keyboards.reply_keyboard(ask),
                reply_parameters=ReplyParameters(ask.message_id, allow_sending_without_reply=True),
                message_thread_id=ask.thread_id,
                read_timeout=self.timeout,
                write_timeout=self.timeout,
            )
        steps = [step for step in map(self.data.kb.step, ask.steps) if step is not None]
        taker = ask.status == TAKEN and ask.taken_by == message.chat_id
        text = render.offer(ask, message.kind, steps, ui, self.data.now(), taker)
        markup = keyboards.taken_keyboard(ask, ui) if taker else keyboards.offer_keyboard(ask, ui)
        return await self.bot.send_message(
            message.chat_id,
            text,
            reply_markup=markup,
            read_timeout=self.timeout,
            write_timeout=self.timeout,
        )


def forbidden_reason(error: Forbidden) -> str:
    """Why Telegram forbids sending to a chat, as one of the reasons people are told."""
    text = error.message.lower()
    if "deactivated" in text:
        return GONE
    if "kicked" in text or "not a member" in text:
        return KICKED
    return BLOCKED_BOT


def retries_of(settings: Settings) -> asks.Retries:
    return asks.Retries(
        attempts=settings.ask_send_attempts,
        backoff=settings.ask_send_backoff_seconds,
        max_age=settings.ask_send_max_hours,
    )


async def deliver_now(app: App) -> None:
    """Send what the outbox holds that is due (each message once, several chats at once)."""
    data = app.bot_data
    await asks.deliver(
        data.storage, TelegramSender(app.bot, data), retries_of(data.settings), clock=data.now
    )


async def settle_offers(app: App, ask: Ask, leave_out: int | None = None) -> None:
    """Bring the offers already delivered up to date: ✋ while open, who took or answered it,
    or that it was withdrawn (best effort: an old message may be gone). Several chats at
    once, as the outbox sends them."""
    storage = app.bot_data.storage
    offers = [
        sent
        for sent in storage.asks.messages_of(ask.id)
        if sent.kind in TO_RESPONDERS
        and sent.state == SENT
        and sent.message_id is not None
        and sent.chat_id != leave_out
    ]
    gate = asyncio.Semaphore(asks.CONCURRENT_SENDS)

    async def settle(sent: Outgoing) -> None:
        async with gate:
            await settle_offer(app, ask, sent)

    await asyncio.gather(*(settle(sent) for sent in offers))


async def settle_offer(app: App, ask: Ask, sent: Outgoing) -> None:
    """One responder's offer, as the question now stands."""
    ui = script_of(app.bot_data.storage, sent.chat_id)
    if ask.status == OPEN:
        steps = [step for step in map(app.bot_data.kb.step, ask.steps) if step is not None]
        text, markup = (
            render.offer(ask, sent.kind, steps, ui, app.bot_data.now(), False),
            keyboards.offer_keyboard(ask, ui),
        )
    elif ask.status == TAKEN and ask.taken_by == sent.chat_id:
        text, markup = render.taken_by_you(ask, ui), keyboards.taken_keyboard(ask, ui)
    else:
        text, markup = render.settled(ask, ui), None
    try:
        await app.bot.edit_message_text(
            text, chat_id=sent.chat_id, message_id=sent.message_id, reply_markup=markup
        )
    except TelegramError as error:
        log.info("could not update the offer of question %d in %d: %s", ask.id, sent.chat_id, error)


async def send_follow_ups(context: Context) -> None:
    """Remind the responders of questions left unanswered, send them up to the admins, and
    retry what the outbox could not send (a job, every minute)."""
    data = context.bot_data
    settings = data.settings
    asks.queue_follow_ups(
        data.storage,
        data.now(),
        settings.ask_remind_minutes,
        settings.ask_escalate_minutes,
        settings.admin_ids,
    )
    await deliver_now(context.application)


async def resume(app: App) -> None:
    """At start-up (post_init): settle sends cut off by a stop, send what is still pending."""
    asks.recover(app.bot_data.storage)
    await deliver_now(app)


def schedule_jobs(app: App) -> None:
    """Every minute: remind, escalate, and retry what the outbox could not send."""
    jobs = app.job_queue
    assert jobs is not None  # the application is built with a job queue
    jobs.run_repeating(send_follow_ups, interval=FOLLOW_UP_SECONDS, name=FOLLOW_UP_JOB)
