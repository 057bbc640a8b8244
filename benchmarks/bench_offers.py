"""How fast a question asked of people reaches a store's responders: the real outbox and rate
limiter, a fake Telegram that takes a while to answer each message.

The bot's application is built as ``sopbot run`` builds it (the bot's rate limiter,
``bot/tg/sending.py``, in front of every Bot API call) and talks HTTP to
``tests/fakebotapi.py`` on localhost, which holds each sendMessage ``--latency`` seconds,
as a distant Telegram does. A question is opened for a store of ``--responders`` people
and its offers delivered by the outbox (``bot/asks/service.py``), every row written to
SQLite before and after its send: once one at a time (as before), once as the bot sends
them (several chats at once). Reported: the time until the last responder has the
question, each way, and that each got it exactly once. The target: every responder has it
within twice one round trip per ``CONCURRENT_SENDS`` of them, and at least 3× sooner than
one at a time.

    python benchmarks/bench_offers.py                  # 20 responders, 150 ms per message
    python benchmarks/bench_offers.py --responders 40 --latency 0.3
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot.app import build_application  # noqa: E402
from bot.asks import delivery  # noqa: E402
from bot.asks import service as asks  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.tg.sending import Limiter  # noqa: E402
from knowledge import KnowledgeBase  # noqa: E402
from tests.fakebotapi import FakeBotAPI  # noqa: E402

ASKER = 9_000_000
FIRST_RESPONDER = 10_000_000
STORE = "信義店"
SPEED_UP = 3.0  # at least, over one at a time


async def deliver_offers(
    kb: KnowledgeBase, folder: Path, responders: int, latency: float, concurrency: int
) -> tuple[float, list[int]]:
    """(seconds until every offer is out, how many offers each responder got)."""
    db = folder / f"bot-{concurrency}.db"
    storage = Storage.open(db)
    storage.people.add_person(ASKER, "小明", "staff", [STORE])
    people = range(FIRST_RESPONDER, FIRST_RESPONDER + responders)
    for user_id in people:
        storage.people.add_person(user_id, f"店長{user_id}", "manager", [STORE])
    with FakeBotAPI() as api:
        settings = Settings(token=api.token, api_url=api.base_url, db_path=db)
        app = build_application(settings, kb, storage, rate_limiter=Limiter())
        async with app:
            storage.asks.open_ask(
                asker_id=ASKER,
                asker_name="小明",
                chat_id=ASKER,
                message_id=1,
                thread_id=None,
                source_key="bench",
                store=STORE,
                question="加班費怎麼算",
                script="hant",
                steps=[],
                recipients=people,
            )
            api.delay("sendMessage", latency, times=None)
            sender = delivery.TelegramSender(app.bot, app.bot_data)
            started = time.perf_counter()
            counts = await asks.deliver(storage, sender, concurrency=concurrency)
            elapsed = time.perf_counter() - started
            assert counts == {asks.SENT: responders}, counts
        got = [len(api.sent_messages(user_id)) for user_id in people]
    storage.close()
    return elapsed, got


async def run(responders: int, latency: float, folder: Path) -> int:
    index = os.environ.get("SOPBOT_INDEX")
    kb = KnowledgeBase.open(index_path=Path(index) if index else None)
    one_by_one, got_one = await deliver_offers(kb, folder, responders, latency, 1)
    bound = asks.CONCURRENT_SENDS
    at_once, got_at_once = await deliver_offers(kb, folder, responders, latency, bound)
    rounds = math.ceil(responders / bound)
    target = 2 * latency * rounds
    print(f"responders:          {responders}, Telegram answering in {latency * 1000:.0f} ms")
    print(f"one at a time:       {one_by_one:.2f} s until the last has the question")
    print(f"{bound} chats at once:     {at_once:.2f} s ({one_by_one / at_once:.1f}× sooner)")
    print(
        f"offers per person:   min {min(got_at_once)}, max {max(got_at_once)} (and one at a time: "
        f"min {min(got_one)}, max {max(got_one)})"
    )
    ok = (
        set(got_at_once) == {1}
        and set(got_one) == {1}
        and at_once <= target
        and one_by_one / at_once >= SPEED_UP
    )
    print("OK" if ok else f"BELOW TARGET (≤ {target:.2f} s, ≥ {SPEED_UP:g}× sooner, one each)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responders", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(run(args.responders, args.latency, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
