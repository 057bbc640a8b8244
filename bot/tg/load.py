"""Under overload, every question hears back in bounded time: answered, or asked to wait.

Handling an update costs the event loop a few milliseconds (PTB's dispatch, the gate,
rendering, the reply), so past a few hundred questions a second the bot cannot keep up,
and a queue without bounds made everyone wait: offered 1.5 times what it could answer for
13 s, the last answers came 12 s late. :class:`Admission` is the application's update
processor (PTB's ``concurrent_updates``): at most ``CONCURRENCY`` updates are handled at
once, the rest wait their turn in arrival order, and a question that has waited more than
``BUDGET`` seconds for its turn, with a crowd still waiting behind it, is not searched at
all: the person gets a short "many questions right now, ask again in a minute" at once
instead of an answer far too late.
Buttons, commands and everything else are always handled, however long they waited.

So the answers that are given stay prompt (p99 within about twice ``BUDGET``), and the
cheap declines keep the bot's backlog from growing. ``benchmarks/bench_overload.py``
measures it.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot.context import interface_script
from bot.i18n import label

log = logging.getLogger(__name__)

CONCURRENCY = 32  # updates handled at once (a reply's round trip to Telegram included)
BUDGET = 0.5  # seconds a question may wait for its turn before it is declined
HELD = 100_000  # updates held at all (PTB's own bound): far above any real burst


class ArrivalQueue(asyncio.Queue[object]):
    """The application's update queue, noting when each update came in (polled, posted to
    the webhook): how long it has waited counts from there, the event loop's own backlog
    included."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[int, float] = {}
        self.unfinished = 0  # updates in and not yet handled (``Admission`` counts them out)

    def put_nowait(self, item: object) -> None:
        if len(self.arrived) > HELD:  # updates never handled (dropped at a stop)
            self.arrived.clear()
        self.arrived[id(item)] = time.monotonic()
        super().put_nowait(item)
        self.unfinished += 1

    def arrival(self, item: object) -> float:
        return self.arrived.pop(id(item), time.monotonic())


class Admission(BaseUpdateProcessor):
    """At most ``concurrency`` updates at once, in arrival order; late questions declined."""

    def __init__(
        self, queue: ArrivalQueue, concurrency: int = CONCURRENCY, budget: float = BUDGET
    ) -> None:
        super().__init__(max_concurrent_updates=HELD)
        self.queue = queue
        self.concurrency = concurrency
        self.budget = budget
        self.slots: asyncio.Semaphore | None = None
        self.declined = 0

    async def initialize(self) -> None:
        self.slots = asyncio.Semaphore(self.concurrency)

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self.slots is None:
            self.slots = asyncio.Semaphore(self.concurrency)
        arrived = self.queue.arrival(update)
        try:
            async with self.slots:
                # Late, with a crowd still behind it: overloaded. (Late with hardly anyone
                # behind is a passing stall of the event loop, over once this is answered.)
                late = time.monotonic() - arrived > self.budget
                crowded = self.queue.unfinished > self.concurrency
                if not (late and crowded and isinstance(update, Update) and is_question(update)):
                    await coroutine
                    return
        finally:
            self.queue.unfinished -= 1
        # Outside the slots: a decline is one short message, and must not hold up answers.
        close = getattr(coroutine, "close", None)
        if close is not None:
            close()  # never started: nothing was searched or written for it
        self.declined += 1
        if self.declined == 1 or self.declined % 100 == 0:
            log.warning("overloaded: %d questions declined so far", self.declined)
        await decline(update)


def is_question(update: Update) -> bool:
    """A text in a private chat that is not a command: what the bot would search for."""
    message = update.message or update.edited_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return False
    return bool(message.text) and not message.text.startswith("/")


async def decline(update: Update) -> None:
    """Ask the sender to ask again later. This runs before routing, so before any handler's
    context (which works out the script once per update) exists: it works it out itself."""
    message = update.effective_message
    ui = interface_script(update.effective_user)
    try:
        await message.reply_html(html.escape(label(ui, "busy")))
    except TelegramError:
        log.warning("could not tell %s to ask again", update.effective_chat.id, exc_info=True)
