"""The benchmark script still runs (its figures are for people; nothing here times it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from knowledge import KnowledgeBase

pytestmark = pytest.mark.process  # a process, a server or a child process: not in `make check`

BENCH = Path(__file__).parents[2] / "benchmarks" / "bench_bot.py"


async def test_bench_bot_answers_every_question(index_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_bot", BENCH)
    bench_bot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_bot)
    capacity, paced = await bench_bot.bench(3, 2, rate=500, search_worker=True, index=index_path)
    assert capacity["answered"] == paced["answered"] == 6
    assert "messages/s" in bench_bot.report("capacity", capacity)


async def test_bench_overload_reports_what_the_issue_asks_for(index_path: Path) -> None:
    path = BENCH.with_name("bench_overload.py")
    spec = importlib.util.spec_from_file_location("bench_overload", path)
    bench_overload = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_overload)
    result = await bench_overload.bench(1.5, 0.5, index=index_path)
    assert result["offered"] > 0 and result["unanswered"] == 0
    assert result["answered"] + result["declined"] == result["offered"]
    text = bench_overload.report(result, 0.5)
    for figure in ("offered:", "answered:", "p50", "p99", "worker restarts:"):
        assert figure in text


async def test_bench_offers_delivers_each_offer_once(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = BENCH.with_name("bench_offers.py")
    spec = importlib.util.spec_from_file_location("bench_offers", path)
    bench_offers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_offers)
    for concurrency in (1, 8):
        elapsed, got = await bench_offers.deliver_offers(kb, tmp_path, 4, 0.01, concurrency)
        assert got == [1, 1, 1, 1] and elapsed > 0
