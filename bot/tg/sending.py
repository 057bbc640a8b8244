"""Every Bot API call through passing faults: paced, paused per chat, retried with backoff.

PTB's AIORateLimiter keeps the bot within Telegram's flood limits, but a 429 for one chat
pauses every chat (a 20 s retry_after for one person held up everyone's answers), and a 5xx
or a dropped connection is not retried at all (one Telegram 500 lost an answer). This
limiter keeps its pacing (about 30 messages a second in all, 20 a minute per group) and:

- a 429 pauses only the chat it names (or, for a call without a chat, every call), for
  Telegram's ``retry_after``;
- a 5xx, a refused connection or a connection that never opened is retried with growing
  pauses, since Telegram did not carry the call out;
- a call that timed out *waiting for Telegram's answer* is never sent again: Telegram may
  well have delivered it, and a person must not get an answer twice (the error handler
  does not apologise for it either, see ``bot.tg.errors``);
- every call gives up after ``RETRY_WITHIN`` seconds from its first try, so a person hears
  about a failure (the apology) in bounded time instead of never;
- a text parameter with a lone surrogate (a name or question echoed back, from a forged
  update) is sent with U+FFFD in its place rather than failing to encode.

getUpdates does not pass through a rate limiter (PTB leaves it out): polling has its own
recovery (``bot.tg.polling``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import BaseRateLimiter

from knowledge.normalize import encodable

log = logging.getLogger(__name__)

# How long one call may be retried for, from its first try: then the person is told.
RETRY_WITHIN = 20.0
# Pauses between tries after a 5xx or a connection error (seconds), the last one repeated.
BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
# Tries after the first, at most (a 429 counts as one).
MAX_RETRIES = 8
# A 429 arrives with retry_after; waiting a little past it avoids a second 429.
SLACK = 0.1
EVERY_CHAT = "*"  # the pause key of a 429 for a call that names no chat

Result = bool | dict[str, Any] | list[dict[str, Any]]


def retry_seconds(error: RetryAfter) -> float:
    """Telegram's retry_after in seconds (PTB 22 gives an int or a timedelta)."""
    value = error._retry_after  # noqa: SLF001 - the one form that does not warn
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def never_reached_telegram(error: TelegramError) -> bool:
    """Whether a failed call certainly was not carried out, so trying again cannot repeat it.

    A 429 or a 5xx is Telegram saying no; a connection that did not open in time never
    carried the call. A timeout waiting for the answer may have been delivered all the same.
    A 400 (BadRequest) would fail again in the same way.
    """
    if isinstance(error, RetryAfter):
        return True
    if isinstance(error, BadRequest):
        return False
    if isinstance(error, TimedOut):
        return isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
    return isinstance(error, NetworkError)


# Calls that put something in front of a person: one that timed out may have done so.
SENDS = frozenset(
    {"sendMessage", "editMessageText", "sendPhoto", "sendDocument", "sendPoll", "copyMessage"}
)


def may_have_arrived(error: BaseException) -> bool:
    """A message sent (or edited) that timed out waiting for Telegram's answer: it may have
    been delivered. (The limiter notes which call an error came from.)"""
    return (
        isinstance(error, TimedOut)
        and not never_reached_telegram(error)
        and getattr(error, "endpoint", "") in SENDS
    )


class Limiter(BaseRateLimiter[int]):
    """Telegram's flood limits, per-chat 429 pauses and bounded retries, for every call.

    ``max_retries`` (or a call's ``rate_limit_args``) caps the tries after the first; 0
    passes every failure on at once, as a caller with retries of its own wants.
    """

    def __init__(
        self,
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        *,
        max_retries: int = MAX_RETRIES,
        retry_within: float = RETRY_WITHIN,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self.overall = AsyncLimiter(overall_max_rate, 1) if overall_max_rate else None
        self.group_max_rate = group_max_rate
        self.groups: dict[int | str, AsyncLimiter] = {}
        self.max_retries = max_retries
        self.retry_within = retry_within
        self.backoff = backoff
        # Loop time until which calls for a chat (or EVERY_CHAT) wait, after a 429.
        self.paused: dict[int | str, float] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        chat = chat_key(data.get("chat_id"))
        for name, value in data.items():  # text echoing a name or a question may hold half
            if isinstance(value, str):  # an emoji, which no HTTP body can carry
                data[name] = encodable(value)
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempt = 0
        while True:
            await self.wait_out_pauses(chat)
            await self.pace(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_seconds(error) + SLACK
                if attempt >= retries or loop.time() + wait - started > self.retry_within:
                    raise
                key = EVERY_CHAT if chat is None else chat
                self.paused[key] = max(self.paused.get(key, 0.0), loop.time() + wait)
                log.info("rate limited: %s for chat %s waits %.1f s", endpoint, key, wait)
            except NetworkError as error:
                error.endpoint = endpoint  # type: ignore[attr-defined]  # for the error handler
                wait = self.backoff[min(attempt, len(self.backoff) - 1)]
                if (
                    not never_reached_telegram(error)
                    or attempt >= retries
                    or loop.time() + wait - started > self.retry_within
                ):
                    raise
                log.warning("%s failed (%s); trying again in %.2f s", endpoint, error, wait)
                await asyncio.sleep(wait)
            attempt += 1

    async def wait_out_pauses(self, chat: int | str | None) -> None:
        """Wait while a 429 pauses this chat, or every chat."""
        loop = asyncio.get_running_loop()
        while True:
            until = self.paused.get(EVERY_CHAT, 0.0)
            if chat is not None:
                until = max(until, self.paused.get(chat, 0.0))
            left = until - loop.time()
            if left <= 0:
                break
            await asyncio.sleep(left)
        if len(self.paused) > 1000:  # forget pauses long over
            now = loop.time()
            self.paused = {key: at for key, at in self.paused.items() if at > now}

    async def pace(self, chat: int | str | None) -> None:
        """Keep to Telegram's limits: about 30 messages a second in all, 20 a minute per
        group (as AIORateLimiter counts them: calls that name a chat)."""
        group = chat if isinstance(chat, str) or (isinstance(chat, int) and chat < 0) else None
        if group is not None and self.group_max_rate:
            await self.group_limiter(group).acquire()
        if chat is not None and self.overall is not None:
            await self.overall.acquire()

    def group_limiter(self, group: int | str) -> AsyncLimiter:
        if len(self.groups) > 512:
            for key, limiter in list(self.groups.items()):
                if key != group and limiter.has_capacity(limiter.max_rate):
                    del self.groups[key]
        if group not in self.groups:
            self.groups[group] = AsyncLimiter(self.group_max_rate, 60)
        return self.groups[group]


def chat_key(chat_id: object) -> int | str | None:
    """The chat a call is for, as one key (an int id, or a channel's @username)."""
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)  # type: ignore[call-overload]
    return str(chat_id)
