"""The bot offered more questions than it can answer: do the answers it gives stay prompt?

The real Application, offline, as ``benchmarks/bench_bot.py`` drives it (updates into the
update queue as if polled, the real handlers, a search worker process, an offline request
layer where the reply's sendMessage ends the clock). First its capacity is measured: 50
users who each ask again as soon as they are answered, so the bot is saturated. Then
questions are offered at ``--factor`` times that capacity, open loop (they keep coming
whatever the bot does, as they do from a few hundred staff), for ``--seconds``. Reported:
the offered rate, how many got an answer and how many were asked to try again in a minute
(``bot/tg/load.py`` declines a question that waited more than a second for its turn), the
answers' latency p50 and p99, and how often the search worker was restarted. With
``--check`` the exit code is 1 unless p99 ≤ 2 s and the worker was never restarted.

    python benchmarks/bench_overload.py                   # 1.5 × capacity for 13 s
    python benchmarks/bench_overload.py --factor 2 --seconds 20 --check
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from telegram import Update

from bot.i18n import label
from bot.learning import service as learning
from knowledge import KnowledgeBase

# bench_bot's Bench drives the Application; this script sits beside it.
_spec = importlib.util.spec_from_file_location("bench_bot", Path(__file__).parent / "bench_bot.py")
bench_bot = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(bench_bot)  # type: ignore[union-attr]

BUSY = label("hant", "busy")
P99_LIMIT_S = 2.0
FIRST_USER = 100_000


class Overload(bench_bot.Bench):
    """Bench with any number of questions open per chat, told apart by the reply."""

    def __init__(self, kb: KnowledgeBase, folder: Path, search_worker: bool) -> None:
        super().__init__(kb, folder, search_worker)
        self.open: dict[int, deque[float]] = {}
        self.answers: list[float] = []
        self.declines: list[float] = []

    def on_call(self, call: bench_bot.ApiCall, result: Any) -> None:
        if call.method != "sendMessage":
            return
        chat_id = int(call.params["chat_id"])
        if chat_id in self.open:
            started = self.open[chat_id].popleft() if self.open[chat_id] else None
            if started is not None:
                took = time.perf_counter() - started
                declined = call.params.get("text", "").startswith(BUSY[:8])
                (self.declines if declined else self.answers).append(took)
            return
        super().on_call(call, result)

    async def offer(self, rate: float, seconds: float, users: int) -> int:
        """Questions at ``rate`` a second for ``seconds``, round the ``users``; how many."""
        for number in range(users):
            self.storage.people.add_person(
                FIRST_USER + number, f"Staff {number}", "staff", ["bench"]
            )
            self.open[FIRST_USER + number] = deque()
        loop = asyncio.get_running_loop()
        ids = itertools.count()
        texts = itertools.cycle(self.pool)
        started = loop.time()
        sent = 0
        tick = 0.01  # as polling hands them over: a few at a time
        while (now := loop.time()) - started < seconds:
            due = int((now - started) * rate) - sent
            for _ in range(max(0, due)):
                user_id = FIRST_USER + next(ids) % users
                sent_update = bench_bot.message_update(next(self.update_ids), user_id, next(texts))
                self.api.remember(sent_update)
                update = Update.de_json(sent_update, self.app.bot)
                self.open[user_id].append(time.perf_counter())
                await self.app.update_queue.put(update)
                sent += 1
            await asyncio.sleep(tick)
        return sent

    async def settle(self, sent: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.answers) + len(self.declines) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


async def bench(
    factor: float, seconds: float, search_worker: bool = True, index: Path | None = None
) -> dict[str, float]:
    kb = KnowledgeBase.open(index_path=index)
    with tempfile.TemporaryDirectory() as folder:
        bench = Overload(kb, Path(folder), search_worker)
        async with bench.app:
            await bench.app.start()
            learning.start_search_worker(bench.app.bot_data)
            await bench_bot.wait_for_worker(bench.app.bot_data.search_worker)
            for text in bench.pool[:30]:  # load the lazy dictionaries first
                await bench.ask(1, text)
            capacity = await bench.run(50, 20, rate=0)
            rate = capacity["per_second"] * factor
            sent = await bench.offer(rate, seconds, users=max(200, int(rate * 5)))
            await bench.settle(sent)
            worker = bench.app.bot_data.search_worker
            restarts = worker.restarts if worker is not None else 0
            if worker is not None:
                await worker.stop()
            await bench.app.stop()
        bench.storage.close()
    replies = bench.answers + bench.declines
    return {
        "capacity": capacity["per_second"],
        "offered_rate": rate,
        "offered": sent,
        "answered": len(bench.answers),
        "declined": len(bench.declines),
        "unanswered": sent - len(replies),
        "p50_s": statistics.median(bench.answers) if bench.answers else 0.0,
        "p99_s": percentile(bench.answers, 0.99),
        "max_s": max(bench.answers, default=0.0),
        "decline_p99_s": percentile(bench.declines, 0.99),
        "worker_restarts": restarts,
    }


def report(result: dict[str, float], seconds: float) -> str:
    return "\n".join(
        [
            f"capacity:         {result['capacity']:.0f} questions/s (saturated, 50 users)",
            f"offered:          {result['offered_rate']:.0f} questions/s for {seconds:g} s "
            f"= {result['offered']:.0f} questions",
            f"answered:         {result['answered']:.0f}",
            f"asked to wait:    {result['declined']:.0f} (reply p99 "
            f"{result['decline_p99_s'] * 1000:.0f} ms)",
            f"no reply:         {result['unanswered']:.0f}",
            f"answer latency:   p50 {result['p50_s'] * 1000:.0f} ms, p99 "
            f"{result['p99_s'] * 1000:.0f} ms, max {result['max_s'] * 1000:.0f} ms",
            f"worker restarts:  {result['worker_restarts']:.0f}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factor", type=float, default=1.5, help="offered rate / capacity")
    parser.add_argument("--seconds", type=float, default=13.0, help="how long it is offered")
    parser.add_argument("--check", action="store_true", help="exit 1 past p99 2 s or a restart")
    args = parser.parse_args()
    result = asyncio.run(bench(args.factor, args.seconds))
    print(f"{os.cpu_count()} CPU(s), Python {sys.version.split()[0]}, search in a worker process")
    print(report(result, args.seconds))
    if args.check and (
        result["p99_s"] > P99_LIMIT_S or result["worker_restarts"] or result["unanswered"]
    ):
        print(f"FAILED: p99 above {P99_LIMIT_S:g} s, a worker restart or a question unanswered")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
