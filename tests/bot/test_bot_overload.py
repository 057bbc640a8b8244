"""Overload: more questions than the bot can answer in time (bot/tg/load.py).

The real Application takes updates from its update queue, as polling feeds it, through
its update processor; the search is made slow on purpose, so a burst of questions is
more than it can answer within the budget. Every question must hear back, and no answer
may come later than the budget allows: the late ones are declined at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from bot.config import Settings
from bot.context import BotData
from bot.i18n import label
from bot.storage import Storage
from bot.tg.load import Admission
from knowledge import KnowledgeBase
from tests.bot.conftest import TOKEN
from tests.fakebotapi import Call as ApiCall
from tests.fakebotapi import FakeBotAPI, InProcessRequest

SEARCH_SECONDS = 0.1  # each question's search, made slow
FIRST_USER = 50_000


def question(update_id: int, user_id: int, text: str = "客人沒帶證件怎麼辦") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "店員"},
            "from": {"id": user_id, "is_bot": False, "first_name": "店員", "language_code": "zh"},
            "text": text,
        },
    }


async def test_a_burst_past_capacity_is_answered_promptly_or_declined_at_once(
    settings: Settings, kb: KnowledgeBase, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    replied: dict[int, tuple[float, str]] = {}

    def on_call(call: ApiCall, result: Any) -> None:
        if call.method == "sendMessage":
            replied[int(call.params["chat_id"])] = (time.monotonic(), call.params["text"])

    ask = BotData.ask

    async def slow_ask(self: BotData, *args: Any) -> Any:
        await asyncio.sleep(SEARCH_SECONDS)
        return await ask(self, *args)

    monkeypatch.setattr(BotData, "ask", slow_ask)
    people = range(FIRST_USER, FIRST_USER + 60)
    for user_id in people:
        storage.people.add_person(user_id, f"店員{user_id}", "staff", ["台北站前店"])
    request = InProcessRequest(FakeBotAPI(token=TOKEN), on_call=on_call)
    app = build_application(settings, kb, storage, request=request)
    processor = app.update_processor
    assert isinstance(processor, Admission)
    async with app:
        # Two at a time, 0.1 s each: 20 a second. 60 at once is 3 s of work.
        processor.concurrency, processor.slots = 2, asyncio.Semaphore(2)
        await app.start()
        sent = time.monotonic()
        for number, user_id in enumerate(people):
            update = question(number + 1, user_id)
            request.api.remember(update)
            await app.update_queue.put(Update.de_json(update, app.bot))
        for _ in range(200):
            if len(replied) == len(people):
                break
            await asyncio.sleep(0.05)
        await app.stop()
    assert set(replied) == set(people)  # everyone heard back
    busy = label("hant", "busy")
    answered = [at - sent for at, text in replied.values() if text != busy]
    declined = [at - sent for at, text in replied.values() if text == busy]
    assert answered and declined
    assert max(answered) < processor.budget + 3 * SEARCH_SECONDS + 0.5
    assert max(declined) < processor.budget + 1.0
    assert processor.declined == len(declined)
