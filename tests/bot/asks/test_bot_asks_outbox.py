"""Issue 16: the outbox of "ask a person" when Telegram refuses. A blocked bot (403) or a
chat that is gone (400 chat not found) fails at once; a passing fault (429) is tried again
later, a capped number of times; whom a failure concerns is told in plain words, once.

Real PTB routing over the fake Telegram, which refuses chosen chats.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import pytest

from bot import callbacks
from bot.asks import delivery
from bot.asks.model import (
    BLOCKED,
    BLOCKED_BOT,
    FAILED,
    GONE,
    OFFER,
    PENDING,
    REPLY,
    RETRIES,
    SENT,
    UNDELIVERED,
    UNREACHED,
)
from bot.config import Settings
from bot.i18n import label
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.asks.conftest import ANSWER, MANAGER, QUESTION, TRAINER
from tests.bot.asks.test_bot_asks import asked_person, data_of, to
from tests.bot.botcalls import only, sent
from tests.bot.conftest import USER_ID, Chat, run_chat

BLOCKED_BY_USER = (HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = (HTTPStatus.BAD_REQUEST, "Bad Request: chat not found")
TOO_MANY = (HTTPStatus.TOO_MANY_REQUESTS, "Too Many Requests: retry after 300")


@pytest.fixture
async def chat(
    settings: Settings, kb: KnowledgeBase, people: Storage, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Chat]:
    # PTB 22 warns (an error here) that RetryAfter.retry_after becomes a timedelta; opt in.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async for harness in run_chat(settings, kb, people):
        yield harness


def refuse(chat: Chat, chat_id: int, refusal: tuple[HTTPStatus, str] | None) -> None:
    """The fake Telegram refuses every message to ``chat_id`` as Telegram does (None: no
    longer)."""
    api = chat.request.api
    if refusal is None:
        api.clear_faults()
        return
    status, description = refusal
    retry_after = 300 if status == HTTPStatus.TOO_MANY_REQUESTS else None
    api.fail(
        "sendMessage",
        status,
        retry_after=retry_after,
        times=None,
        description=description,
        chat_id=chat_id,
    )


def set_clock(storage: Storage, monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    """The bot's one clock (the storage's) reads ``at`` from now on."""
    monkeypatch.setattr(storage.connection, "clock", lambda: at.isoformat(timespec="seconds"))


async def answered_by_manager(chat: Chat) -> int:
    _, ask_id = await asked_person(chat)
    await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    return ask_id


async def run_job(chat: Chat) -> list[Any]:
    (job,) = chat.app.job_queue.get_jobs_by_name(delivery.FOLLOW_UP_JOB)
    before = len(chat.request.calls)
    await job.run(chat.app)
    return chat.request.calls[before:]


@pytest.mark.parametrize(
    ("refusal", "state", "reason"),
    [(BLOCKED_BY_USER, BLOCKED, BLOCKED_BOT), (CHAT_NOT_FOUND, FAILED, GONE)],
)
async def test_an_answer_the_asker_cannot_get_fails_at_once_and_the_taker_is_told_why_once(
    chat: Chat,
    people: Storage,
    monkeypatch: pytest.MonkeyPatch,
    refusal: tuple[HTTPStatus, str],
    state: str,
    reason: str,
) -> None:
    ask_id = await answered_by_manager(chat)
    refuse(chat, USER_ID, refusal)
    calls = await chat.say(ANSWER, user_id=MANAGER)
    (reply,) = [m for m in people.asks.messages_of(ask_id) if m.kind == REPLY]
    assert (reply.state, reply.reason, reply.attempts) == (state, reason, 1)
    # The taker hears, in plain words, why, and the confirmation does not say it went.
    notice, confirmation = to(calls, MANAGER)
    why = label("hant", f"ask_why_{reason}")
    assert why in html.unescape(notice["text"]) and QUESTION in html.unescape(notice["text"])
    assert confirmation["text"].startswith("📝")
    assert callbacks.ask("n", ask_id) in str(confirmation["reply_markup"])  # still knowledge
    # Never again, however often (and late) the outbox runs; the answer itself is kept.
    for hours in (0, 2, 30):
        later = datetime.now(UTC) + timedelta(hours=hours)
        set_clock(people, monkeypatch, later)
        assert not sent(await run_job(chat), "sendMessage")
    kinds = [m.kind for m in people.asks.messages_of(ask_id)]
    assert kinds.count(UNDELIVERED) == 1 and kinds.count(REPLY) == 1
    assert people.asks.ask(ask_id).answer == ANSWER


async def test_a_passing_fault_is_tried_again_later_and_the_answer_arrives_once(
    chat: Chat, people: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask_id = await answered_by_manager(chat)
    refuse(chat, USER_ID, TOO_MANY)
    calls = await chat.say(ANSWER, user_id=MANAGER)
    (reply,) = [m for m in people.asks.messages_of(ask_id) if m.kind == REPLY]
    assert (reply.state, reply.attempts, reply.reason) == (PENDING, 1, None)
    (confirmation,) = to(calls, MANAGER)  # no failure notice: it is tried again
    assert confirmation["text"].startswith("📝")
    # Not before its pause is over, nor before Telegram's retry_after (300 s), then once.
    refuse(chat, USER_ID, None)
    assert not to(await run_job(chat), USER_ID)
    settings = chat.app.bot_data.settings
    start = datetime.now(UTC)
    soon = start + timedelta(seconds=settings.ask_send_backoff_seconds + 1)
    set_clock(people, monkeypatch, soon)
    assert not to(await run_job(chat), USER_ID)
    later = start + timedelta(seconds=301)
    set_clock(people, monkeypatch, later)
    (answer,) = to(await run_job(chat), USER_ID)
    assert ANSWER in html.unescape(answer["text"])
    assert not to(await run_job(chat), USER_ID)
    (reply,) = [m for m in people.asks.messages_of(ask_id) if m.kind == REPLY]
    assert (reply.state, reply.attempts) == (SENT, 2)
    assert UNDELIVERED not in [m.kind for m in people.asks.messages_of(ask_id)]


async def test_a_fault_that_does_not_pass_is_given_up_after_the_tries_and_told_once(
    chat: Chat, people: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask_id = await answered_by_manager(chat)
    refuse(chat, USER_ID, TOO_MANY)
    await chat.say(ANSWER, user_id=MANAGER)
    settings = chat.app.bot_data.settings
    later = datetime.now(UTC)
    notices = []
    for _ in range(settings.ask_send_attempts + 2):
        later += timedelta(hours=1)  # past every pause (an hour at most)
        set_clock(people, monkeypatch, later)
        notices += to(await run_job(chat), MANAGER)
    (reply,) = [m for m in people.asks.messages_of(ask_id) if m.kind == REPLY]
    assert (reply.state, reply.reason) == (FAILED, RETRIES)
    assert reply.attempts == settings.ask_send_attempts
    (notice,) = notices
    assert label("hant", "ask_why_retries") in html.unescape(notice["text"])


async def test_a_question_that_reaches_nobody_tells_the_asker_once(
    chat: Chat, people: Storage
) -> None:
    refuse(chat, TRAINER, BLOCKED_BY_USER)
    refuse(chat, MANAGER, CHAT_NOT_FOUND)
    reply = only(await chat.say(QUESTION), "sendMessage")
    assert callbacks.ask_person() in str(reply["reply_markup"])
    calls = await chat.press(callbacks.ask_person())
    waiting, unreached = to(calls, USER_ID)
    assert unreached["text"] == label("hant", "ask_unreached", question=QUESTION)
    assert "reply_parameters" in unreached  # under the question
    ask_id = int(data_of(unreached, "hp:x:").rsplit(":", 1)[1])
    offers = {m.chat_id: m for m in people.asks.messages_of(ask_id) if m.kind == OFFER}
    assert (offers[TRAINER].state, offers[MANAGER].state) == (BLOCKED, FAILED)
    assert not to(await run_job(chat), USER_ID)
    assert [m.kind for m in people.asks.messages_of(ask_id)].count(UNREACHED) == 1
