"""How fast a briefing reaches 1,000 staff: the real courier and rate limiter, a fake Telegram.

The bot's application is built as ``sopbot run`` builds it (the bot's rate limiter,
``bot/tg/sending.py``, in front of every Bot API call) and talks HTTP to
``tests/fakebotapi.py`` on localhost. A briefing is queued for every staff member, as ✅ 發送
does, and delivered by the courier; every delivery is written to SQLite before and after
its send. Reported: messages/s achieved vs the configured broadcast rate (it should reach
at least 90% of it), that each person got exactly one note, and peak memory: the process's
VmHWM before and after the broadcast (it includes the knowledge base and the fake server,
which run in the same process). With ``--tracemalloc`` the peak of Python allocations
during the broadcast is measured instead; tracing slows the run (the fake server's threads
are traced too), so the rate is not judged then.

    python benchmarks/bench_broadcast.py                  # 1,000 staff at the default rate
    python benchmarks/bench_broadcast.py --staff 200 --rate 50
    python benchmarks/bench_broadcast.py --tracemalloc
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot.app import build_application  # noqa: E402
from bot.briefings import service as brief  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.tg.sending import Limiter  # noqa: E402
from knowledge import KnowledgeBase  # noqa: E402
from tests.fakebotapi import FakeBotAPI  # noqa: E402

MANAGER = 9_000_000
FIRST_STAFF = 10_000_000
TARGET = 0.9  # of the configured rate


def vm_hwm_mb() -> float | None:
    """The process's peak resident memory (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


async def broadcast(staff: int, rate: float, limiter_rate: float, folder: Path, trace: bool) -> int:
    index = os.environ.get("SOPBOT_INDEX")
    kb = KnowledgeBase.open(index_path=Path(index) if index else None)
    db = folder / "bot.db"
    storage = Storage.open(db)
    storage.people.add_person(MANAGER, "王經理", "manager", ["信義店"])
    people = range(FIRST_STAFF, FIRST_STAFF + staff)
    for user_id in people:
        storage.people.add_person(user_id, f"店員{user_id}", "staff", ["信義店"])

    with FakeBotAPI() as api:
        settings = Settings(
            token=api.token, api_url=api.base_url, db_path=db, brief_reminder_hours=0
        )
        limiter = Limiter(overall_max_rate=limiter_rate)
        app = build_application(settings, kb, storage, rate_limiter=limiter)
        courier = app.bot_data.courier
        courier.rate = rate
        briefings = app.bot_data.briefings
        async with app:
            draft = briefings.create(MANAGER, "王經理", brief.Note(brief.TEXT, "今天早會重點"))
            briefings.set_audience(draft.id, brief.Audience(brief.ALL))
            briefings.queue(draft.id, people, None)
            hwm_before = vm_hwm_mb()
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            courier.start(draft.id)
            await courier.drain()
            elapsed = time.perf_counter() - started
            peak = 0
            if trace:
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            states = [d.state for d in briefings.deliveries(draft.id)]
        counts = {user_id: len(api.sent_messages(user_id)) for user_id in people}
    storage.close()

    achieved = staff / elapsed
    print(f"staff:               {staff}")
    print(f"broadcast rate:      {rate:.1f} messages/s configured (rate limiter {limiter_rate}/s)")
    print(
        f"achieved:            {achieved:.1f} messages/s ({achieved / rate:.0%}) in {elapsed:.1f} s"
    )
    print(f"delivered:           {states.count(brief.DELIVERED)}/{staff}")
    print(f"notes per person:    min {min(counts.values())}, max {max(counts.values())}")
    if trace:
        print(
            f"peak memory:         {peak / 2**20:.1f} MB allocated by Python during the broadcast"
        )
    hwm = vm_hwm_mb()
    if hwm is not None and hwm_before is not None:
        print(f"peak memory (VmHWM): {hwm_before:.0f} MB before the broadcast, {hwm:.0f} MB after")
    ok = set(counts.values()) == {1} and (trace or achieved >= TARGET * rate)
    print("OK" if ok else f"BELOW TARGET ({TARGET:.0%} of the configured rate, one note each)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=brief.BROADCAST_RATE)
    parser.add_argument("--limiter-rate", type=float, default=30.0)
    parser.add_argument("--tracemalloc", action="store_true", help="measure Python allocations")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(
            broadcast(args.staff, args.rate, args.limiter_rate, Path(folder), args.tracemalloc)
        )


if __name__ == "__main__":
    sys.exit(main())
