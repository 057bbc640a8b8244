"""How fast the bot answers many staff at once: the real Application, offline.

Updates go into the Application's update queue as if polled, through PTB's concurrent
dispatch and the real handlers (user bookkeeping in SQLite, search, rendering, keyboards)
to the fake Telegram's in-process transport (tests/fakebotapi.py), where the reply's
sendMessage marks the question answered. Latency is from queueing the update to that
sendMessage; Telegram's network and flood limits are not part of it. Questions are
searched in a search worker process, as ``sopbot run`` does on a machine with two CPUs or
more (``--no-worker``: on the event loop). Two runs:

- capacity: every user sends their next question as soon as the last is answered, so the
  bot is saturated; answered/s is what it can do at most. (Latency there is only queueing:
  with 50 questions always open it is 50 / capacity.)
- paced: the users together send ``--rate`` questions a second, each user one every
  users/rate seconds (never two open at once); this is the latency staff would see.

    python benchmarks/bench_bot.py                      # 50 users × 20 questions, 200/s
    python benchmarks/bench_bot.py --users 100 --rate 100 --no-worker
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.config import Settings
from bot.context import ANSWER_LIMIT
from bot.learning import service as learning
from bot.search_worker import SearchWorker
from bot.storage import Storage
from knowledge import KnowledgeBase

# The fake Telegram the bot's tests run on lives with them; its in-process transport answers
# here as Telegram would.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fakebotapi import Call as ApiCall  # noqa: E402
from tests.fakebotapi import FakeBotAPI, InProcessRequest  # noqa: E402

GOLDEN = Path(__file__).parents[1] / "tests" / "golden" / "questions.tsv"
FALLBACK_QUESTIONS = [
    "客人沒帶證件怎麼辦",
    "客人投訴怎麼處理",
    "遇到緊急情況怎麼辦",
    "晨會要做什麼",
    "营业款怎么上缴",
    "VIP客戶來了怎麼接待",
    "customer complaint, what should the duty manager do",
    "早會幾點開",
]


def questions() -> list[str]:
    """The golden questions (real staff wording in three scripts), else a built-in few."""
    if not GOLDEN.exists():
        return FALLBACK_QUESTIONS
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    found = [line.split("\t")[0] for line in lines if line and not line.startswith("#")]
    return found or FALLBACK_QUESTIONS


def message_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"Staff {user_id}"},
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": f"Staff {user_id}",
                "language_code": "zh-hant",
            },
            "text": text,
        },
    }


class Bench:
    """The Application with an offline request layer, and users to drive it."""

    def __init__(self, kb: KnowledgeBase, folder: Path, search_worker: bool) -> None:
        self.waiting: dict[int, asyncio.Future[None]] = {}
        self.update_ids = itertools.count(1)
        self.pool = questions()
        self.storage = Storage.open(folder / "bot.db")
        self.storage.people.add_person(1, "Warm-up", "staff", ["bench"])  # only staff get answers
        settings = Settings(
            token="123456:BENCH", db_path=folder / "bot.db", search_worker=search_worker
        )
        request = InProcessRequest(FakeBotAPI(token=settings.token), on_call=self.on_call)
        self.api = request.api
        self.app = build_application(settings, kb, self.storage, request=request)

    def on_call(self, call: ApiCall, result: Any) -> None:
        if call.method == "sendMessage":
            future = self.waiting.pop(int(call.params["chat_id"]), None)
            if future is not None and not future.done():
                future.set_result(None)

    async def ask(self, user_id: int, text: str) -> float:
        """Send one question; return the seconds until its reply was sent."""
        future = asyncio.get_running_loop().create_future()
        self.waiting[user_id] = future
        sent = message_update(next(self.update_ids), user_id, text)
        self.api.remember(sent)
        update = Update.de_json(sent, self.app.bot)
        started = time.perf_counter()
        await self.app.update_queue.put(update)
        await asyncio.wait_for(future, timeout=60)
        return time.perf_counter() - started

    async def run(self, users: int, per_user: int, rate: float) -> dict[str, float]:
        """``users`` each ask ``per_user`` questions; ``rate`` 0 means as fast as answered."""
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        interval = users / rate if rate else 0.0
        phases = random.Random(42)

        async def staff(number: int) -> None:
            user_id = 10_000 + number
            due = loop.time() + phases.uniform(0, interval)
            for turn in range(per_user):
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                text = self.pool[(number * per_user + turn) % len(self.pool)]
                latencies.append(await self.ask(user_id, text))
                due += interval

        for number in range(users):
            self.storage.people.add_person(10_000 + number, f"Staff {number}", "staff", ["bench"])
        started = time.perf_counter()
        await asyncio.gather(*(staff(n) for n in range(users)))
        elapsed = time.perf_counter() - started
        latencies.sort()
        return {
            "answered": len(latencies),
            "seconds": elapsed,
            "per_second": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
            "max_ms": latencies[-1] * 1000,
        }


async def bench(
    users: int, per_user: int, rate: float, search_worker: bool, index: Path | None = None
) -> tuple[dict[str, float], dict[str, float]]:
    """(capacity run, paced run)."""
    kb = KnowledgeBase.open(index_path=index)
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(kb, Path(folder), search_worker)
        async with bench.app:
            await bench.app.start()
            # post_init and post_stop, which start and stop it, belong to run_polling.
            learning.start_search_worker(bench.app.bot_data)
            await wait_for_worker(bench.app.bot_data.search_worker)
            for text in bench.pool[:30]:  # load the lazy dictionaries first
                await bench.ask(1, text)
            started = time.perf_counter()
            for text in bench.pool:
                kb.ask(text, ANSWER_LIMIT, None, "zh-hant")
            search_ms = (time.perf_counter() - started) * 1000 / len(bench.pool)
            capacity = await bench.run(users, per_user, rate=0)
            paced = await bench.run(users, per_user, rate=rate)
            worker = bench.app.bot_data.search_worker
            if worker is not None and worker.process is not None:
                paced["worker_mb"] = peak_memory_mb(worker.process.pid)
                await worker.stop()
            await bench.app.stop()
        bench.storage.close()
    capacity["search_ms"] = paced["search_ms"] = search_ms
    return capacity, paced


def peak_memory_mb(pid: int) -> float:
    """A process's peak resident memory (Linux; 0 elsewhere)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


async def wait_for_worker(worker: SearchWorker | None) -> None:
    """The worker loads in the background; measure once it answers."""
    for _ in range(600):
        if worker is None or worker.ready:
            return
        await asyncio.sleep(0.1)
    raise SystemExit("the search worker did not start within a minute")


def report(name: str, result: dict[str, float]) -> str:
    return (
        f"{name}: answered {result['answered']:.0f} in {result['seconds']:.2f}s = "
        f"{result['per_second']:.0f} messages/s; reply latency p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="per user")
    parser.add_argument("--rate", type=float, default=200, help="questions/s, paced run")
    parser.add_argument(
        "--no-worker",
        dest="worker",
        action="store_false",
        help="search on the event loop instead of in a search worker process",
    )
    args = parser.parse_args()
    capacity, paced = asyncio.run(
        bench(args.users, args.questions, args.rate, search_worker=args.worker)
    )
    where = "in a worker process" if args.worker else "on the event loop"
    print(
        f"{args.users} users × {args.questions} questions, search {where}, "
        f"{os.cpu_count()} CPU(s), Python {sys.version.split()[0]}"
    )
    print(
        f"search alone: {capacity['search_ms']:.1f} ms a question on average "
        f"({1000 / capacity['search_ms']:.0f} questions/s on one core)"
    )
    print(report("capacity", capacity))
    print(report(f"paced at {args.rate:g}/s", paced))
    if "worker_mb" in paced:
        print(f"search worker: peak memory {paced['worker_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
