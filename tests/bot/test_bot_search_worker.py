"""The search worker (bot/search_worker.py): a child process that answers exactly as the bot
would, and a bot that answers just the same while the worker loads, dies, hangs or serves
another index."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import render, search_worker
from bot.config import Settings
from bot.context import ANSWER_LIMIT
from bot.learning import service as learning
from bot.search_worker import SearchWorker
from bot.storage import Storage
from knowledge import Answer, KnowledgeBase
from knowledge.updates import Recipe
from tests.bot.botcalls import only
from tests.bot.conftest import Chat, run_chat, until

pytestmark = pytest.mark.process  # a process, a server or a child process: not in `make check`

QUESTIONS = [
    "客人沒帶身分證怎麼辦",
    "客户没带证件怎么办",
    "customer forgot his ID",
    "滅火氣放哪裡",  # a typo the search corrects
    "今天天氣真好",  # off-topic: low confidence
    "",
    "😀😀😀",
    "<b>晨會</b> OR 1=1; --",
    "晨會" * 3000,
]


def without_timing(answer: Answer | None) -> Answer | None:
    return dataclasses.replace(answer, elapsed_ms=0.0) if answer else None


@pytest.fixture
async def worker(index_path: Path, kb: KnowledgeBase) -> AsyncIterator[SearchWorker]:
    """A worker on the session's index (the ``kb`` fixture has built it)."""
    worker = SearchWorker()
    worker.start(Recipe(index_path, None))
    await until(lambda: worker.ready)
    yield worker
    await worker.stop()


async def test_the_worker_answers_exactly_as_the_bot_would(
    worker: SearchWorker, kb: KnowledgeBase
) -> None:
    for question in QUESTIONS:
        for role, hint in ((None, "zh-hant"), ("值班經理", "zh-hans"), (None, "en")):
            got = await worker.ask(kb, question, ANSWER_LIMIT, role, hint)
            expected = kb.ask(question, ANSWER_LIMIT, role, hint)
            assert without_timing(got) == without_timing(expected), question
    # The steps are the bot's own objects, not copies: the buttons find them by identity.
    answer = await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None)
    assert answer is not None and answer.best is not None
    assert kb.step_number(answer.best.step) >= 0


async def test_the_worker_leaves_out_the_documents_not_served(
    worker: SearchWorker, kb: KnowledgeBase
) -> None:
    question = QUESTIONS[0]  # answered from 篇3, the store SOP
    store_sop = kb.ask(question).best
    assert store_sop is not None
    hidden = (store_sop.step.doc_no,)
    got = await worker.ask(kb, question, ANSWER_LIMIT, None, None, hidden)
    assert without_timing(got) == without_timing(kb.ask(question, ANSWER_LIMIT, hidden=hidden))
    assert got is not None and got.hits
    assert all(hit.step.doc_no not in hidden for hit in got.hits)


async def test_no_answer_until_loaded_nor_from_another_index(
    index_path: Path, kb: KnowledgeBase
) -> None:
    worker = SearchWorker()
    assert await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None) is None  # not started
    worker.start(Recipe(index_path, None))
    try:
        assert await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None) is None  # loading
        await until(lambda: worker.ready)
        worker.fingerprint = "an index built from another SOP"
        assert await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None) is None
    finally:
        await worker.stop()


async def test_a_worker_that_dies_is_replaced(
    worker: SearchWorker, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_worker, "RESTART_DELAYS", (0.1,))
    dead = worker.process
    assert dead is not None
    os.kill(dead.pid, signal.SIGKILL)
    await until(lambda: worker.process is not dead and worker.ready)
    got = await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None)
    assert without_timing(got) == without_timing(kb.ask(QUESTIONS[0], ANSWER_LIMIT))


async def test_a_stuck_worker_is_given_up_on_and_replaced(
    worker: SearchWorker, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_worker, "RESTART_DELAYS", (0.1,))
    monkeypatch.setattr(search_worker, "REPLY_TIMEOUT", 0.5)
    stuck = worker.process
    assert stuck is not None
    os.kill(stuck.pid, signal.SIGSTOP)
    assert await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None) is None
    await until(lambda: worker.process is not stuck and worker.ready)
    assert stuck.returncode is not None  # killed, not left stopped
    assert await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None) is not None


async def test_a_busy_worker_is_waited_for_not_replaced(
    worker: SearchWorker, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of questions: the last ones wait longer than REPLY_TIMEOUT for their turn,
    while the worker answers the ones before them. It is busy, not stuck."""
    monkeypatch.setattr(search_worker, "REPLY_TIMEOUT", 0.25)
    monkeypatch.setattr(search_worker, "MAX_PENDING", 1000)
    busy = worker.process
    questions = [QUESTIONS[n % 4] + " " + QUESTIONS[-1][: 40 * n] for n in range(300)]
    started = asyncio.get_running_loop().time()
    answers = await asyncio.gather(
        *(worker.ask(kb, question, ANSWER_LIMIT, None, None) for question in questions)
    )
    assert asyncio.get_running_loop().time() - started > 0.25  # some did wait that long
    assert None not in answers  # every one answered by the worker
    assert worker.process is busy and worker.restarts == 0


async def test_a_worker_never_serves_an_index_other_than_the_recipe_names(
    index_path: Path, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    """Taught questions the index was not built with: the worker must not rebuild it (the
    bot owns the file); it says so and the bot keeps searching itself."""
    worker = SearchWorker()
    worker.start(Recipe(index_path, None, {"no-such-step": ["a question never taught"]}))
    try:
        await until(lambda: "could not load the index" in caplog.text)
        assert not worker.ready
        assert await worker.ask(kb, QUESTIONS[0], ANSWER_LIMIT, None, None) is None
    finally:
        await worker.stop()
    assert KnowledgeBase.open(index_path=index_path).fingerprint == kb.fingerprint  # untouched


async def test_stop_ends_the_child(worker: SearchWorker) -> None:
    child = worker.process
    assert child is not None
    await worker.stop()
    assert child.returncode == 0
    assert worker.process is None and not worker.ready


@pytest.fixture
async def chat_with_worker(
    settings: Settings, kb: KnowledgeBase, storage: Storage
) -> AsyncIterator[Chat]:
    """The bot with a search worker, loaded (``sopbot run`` starts it in post_init)."""
    settings = dataclasses.replace(settings, search_worker=True)
    async for chat in run_chat(settings, kb, storage):
        worker = chat.app.bot_data.search_worker
        assert worker is not None
        learning.start_search_worker(chat.app.bot_data)
        await until(lambda: worker.ready)  # noqa: B023 (the loop runs once)
        yield chat
        await worker.stop()


async def test_the_bot_answers_through_the_worker_and_on_its_own_without_it(
    chat_with_worker: Chat, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_worker, "RESTART_DELAYS", (3600.0,))
    worker = chat_with_worker.app.bot_data.search_worker
    assert worker is not None
    question = QUESTIONS[1]
    expected = render.answer(kb.ask(question, ANSWER_LIMIT, None, "zh-hant"))
    asked: list[str] = []
    ask = worker.ask

    async def counting_ask(*args: object) -> Answer | None:
        answer = await ask(*args)  # type: ignore[arg-type]
        asked.append("worker" if answer else "bot")
        return answer

    monkeypatch.setattr(worker, "ask", counting_ask)
    assert only(await chat_with_worker.say(question), "sendMessage")["text"] == expected
    assert asked == ["worker"]

    assert worker.process is not None
    os.kill(worker.process.pid, signal.SIGKILL)
    await until(lambda: not worker.ready)
    assert only(await chat_with_worker.say(question), "sendMessage")["text"] == expected
    assert asked == ["worker", "bot"]
