"""The bot on a database that refuses writes for a while: write-locked, or on a full disk.

A second connection holding a write transaction is what another process (a long backup, a
script, a second bot) does to the bot; the full disk is a real one, a small tmpfs mounted
for the test and filled up. What a person sees must not change: the answer comes at once,
no apology; the question log and the courier's bookkeeping wait until the database takes
them again, and a broadcast goes on by itself with nobody getting a note twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.briefings import service as brief
from bot.config import Settings
from bot.i18n import label
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.conftest import STORE, TOKEN, USER_ID, Chat, run_chat
from tests.bot.processes import BotProcess, environment
from tests.fakebotapi import DEFAULT_USER_ID, FakeBotAPI

QUESTION = "客人沒帶證件怎麼辦"
MANAGER = 9000
APOLOGY = label("hant", "error")


class SmallDisk:
    """A 16 MB file system of its own, which a test fills up and frees again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / "filler"

    def fill(self) -> None:
        """Leave no free byte (the database's WAL is emptied first, so its next write must
        grow it)."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for size in (65536, 4096, 1):
                with contextlib.suppress(OSError):
                    while os.write(fd, b"\0" * size):
                        pass
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    root = tmp_path / "disk"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(root)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def checkpoint(storage: Storage) -> None:
    """Empty the WAL into the database file, so the next write must grow the WAL."""
    with storage.connection.lock:
        storage.connection.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextlib.contextmanager
def write_locked(db: Path) -> Iterator[None]:
    """Another process's write transaction on the database, held for the block."""
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
async def disk_chat(
    small_disk: SmallDisk, tmp_path: Path, index_path: Path, kb: KnowledgeBase
) -> AsyncIterator[tuple[Chat, SmallDisk]]:
    settings = Settings(
        token=TOKEN,
        api_url="http://offline.invalid/bot",
        db_path=small_disk.root / "sopbot.db",
        index_path=index_path,
        brief_reminder_hours=0,
    )
    storage = Storage.open(settings.db_path)
    storage.people.add_person(USER_ID, "小明", "staff", [STORE])
    try:
        async for chat in run_chat(settings, kb, storage):
            yield chat, small_disk
    finally:
        small_disk.free()
        storage.close()


def replies(calls: list) -> list[str]:
    return [call.params["text"] for call in calls if call.method == "sendMessage"]


def logged(storage: Storage) -> list[str]:
    return [
        row["query"] for row in storage.connection.rows("SELECT query FROM questions ORDER BY id")
    ]


async def test_a_question_on_a_write_locked_database_is_answered_at_once(
    chat: Chat, settings: Settings
) -> None:
    storage = chat.app.bot_data.storage
    with write_locked(settings.db_path):
        started = time.monotonic()
        sent = await chat.say(QUESTION)
        took = time.monotonic() - started
        assert logged(storage) == []  # not yet: the log waits for the lock
    assert took < 1.0
    assert len(replies(sent)) == 1 and APOLOGY not in replies(sent)[0]
    # Once the lock is gone the question is in the log, as /gaps and /stats need it.
    await asyncio.wait_for(chat.app.bot_data.backlog.flush(), 10)
    assert logged(storage) == [QUESTION]


async def test_a_question_on_a_full_disk_is_answered_and_logged_once_there_is_room(
    disk_chat: tuple[Chat, SmallDisk],
) -> None:
    chat, disk = disk_chat
    storage = chat.app.bot_data.storage
    checkpoint(storage)
    disk.fill()
    with pytest.raises(sqlite3.OperationalError, match="full"):
        storage.questions.log_question(
            USER_ID, STORE, "probe", None, "none", "", 1.0
        )  # the disk is full
    sent = await chat.say(QUESTION)
    assert len(replies(sent)) == 1 and APOLOGY not in replies(sent)[0]
    disk.free()
    await asyncio.wait_for(chat.app.bot_data.backlog.flush(), 10)
    assert logged(storage) == [QUESTION]


def queue_briefing(chat: Chat, staff: range) -> int:
    storage, briefings = chat.app.bot_data.storage, chat.app.bot_data.briefings
    storage.people.add_person(MANAGER, "王經理", "manager", [STORE])
    for user_id in staff:
        storage.people.add_person(user_id, f"店員{user_id}", "staff", [STORE])
    draft = briefings.create(MANAGER, "王經理", brief.Note(brief.TEXT, "今天早會重點"))
    briefings.set_audience(draft.id, brief.Audience(brief.ALL))
    briefings.queue(draft.id, list(staff), None)
    return draft.id


class Fault:
    """A sender that brings on a database fault after the n-th note reached Telegram."""

    def __init__(self, inner: brief.Sender, after: int, start: object) -> None:
        self.inner, self.left, self.start = inner, after, start

    async def send(self, briefing: brief.Briefing, user_id: int) -> brief.Outcome:
        outcome = await self.inner.send(briefing, user_id)
        self.left -= 1
        if self.left == 0:
            self.start()  # type: ignore[operator]
        return outcome


def notes_sent(chat: Chat, staff: range) -> dict[int, int]:
    counts = dict.fromkeys(staff, 0)
    for call in chat.request.calls:
        if call.method == "sendMessage" and int(call.params["chat_id"]) in counts:
            counts[int(call.params["chat_id"])] += 1
    return counts


async def broadcast_through(chat: Chat, staff: range, start_fault, end_fault) -> int:
    """A broadcast that meets a database fault after 30 notes, cleared 1.5 s later."""
    courier = chat.app.bot_data.courier
    courier.rate, courier.backoff = 0, brief.Backoff(first=0.05, attempts=4)
    briefing_id = queue_briefing(chat, staff)
    courier.sender = Fault(courier.sender, 30, start_fault)
    courier.start(briefing_id)
    await asyncio.sleep(1.5)
    assert chat.app.bot_data.briefings.pending(briefing_id), "the fault did not hold it up"
    end_fault()
    await asyncio.wait_for(courier.drain(), 20)  # by itself: no restart
    return briefing_id


async def test_a_broadcast_held_up_by_a_write_lock_goes_on_by_itself(chat: Chat) -> None:
    staff = range(1001, 1201)
    lock = contextlib.ExitStack()
    db = chat.app.bot_data.settings.db_path
    briefing_id = await broadcast_through(
        chat, staff, lambda: lock.enter_context(write_locked(db)), lock.close
    )
    assert notes_sent(chat, staff) == dict.fromkeys(staff, 1)
    states = {d.state for d in chat.app.bot_data.briefings.deliveries(briefing_id)}
    assert states == {brief.DELIVERED}


async def test_a_broadcast_held_up_by_a_full_disk_goes_on_by_itself(
    disk_chat: tuple[Chat, SmallDisk],
) -> None:
    chat, disk = disk_chat
    staff = range(1001, 1201)

    def fill() -> None:
        checkpoint(chat.app.bot_data.storage)
        disk.fill()

    briefing_id = await broadcast_through(chat, staff, fill, disk.free)
    assert notes_sent(chat, staff) == dict.fromkeys(staff, 1)
    states = {d.state for d in chat.app.bot_data.briefings.deliveries(briefing_id)}
    assert states == {brief.DELIVERED}


# -- the same, with `sopbot run` as a process against the fake Bot API -------------------------


@pytest.fixture
def bot_on_small_disk(
    small_disk: SmallDisk, fake_api: FakeBotAPI, tmp_path: Path, index_path: Path, kb: KnowledgeBase
) -> Iterator[tuple[FakeBotAPI, Path]]:
    db = small_disk.root / "sopbot.db"
    env = environment(
        fake_api,
        db,
        SOPBOT_INDEX=str(index_path),
        SOPBOT_ADMIN_IDS=str(DEFAULT_USER_ID),
        SOPBOT_SEARCH_WORKER="off",
    )
    bot = BotProcess(fake_api, tmp_path, env)
    try:
        bot.start()
        yield fake_api, db
    finally:
        bot.kill()
        small_disk.free()


def ask_the_bot(api: FakeBotAPI) -> tuple[float, list[str]]:
    since = len(api.calls)
    started = time.monotonic()
    api.push_update(api.text_message(QUESTION))
    api.wait_for_call("sendMessage", since=since, timeout=15)
    took = time.monotonic() - started
    time.sleep(0.5)  # an apology would follow at once
    return took, [m["text"] for m in api.sent_messages(DEFAULT_USER_ID)]


def questions_in(db: Path) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return [row[0] for row in connection.execute("SELECT query FROM questions")]
    finally:
        connection.close()


def wait_for_log(db: Path, expected: list[str], timeout: float = 15) -> list[str]:
    deadline = time.monotonic() + timeout
    while (found := questions_in(db)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


@pytest.mark.process
def test_sopbot_run_answers_at_once_while_another_process_write_locks_the_database(
    bot_on_small_disk: tuple[FakeBotAPI, Path],
) -> None:
    api, db = bot_on_small_disk
    with write_locked(db):
        took, texts = ask_the_bot(api)
        assert questions_in(db) == []  # the log waits for the lock
    assert took < 2 and texts and APOLOGY not in texts
    assert wait_for_log(db, [QUESTION]) == [QUESTION]


@pytest.mark.process
def test_sopbot_run_answers_on_a_full_disk_and_logs_once_there_is_room(
    bot_on_small_disk: tuple[FakeBotAPI, Path], small_disk: SmallDisk
) -> None:
    api, db = bot_on_small_disk
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    small_disk.fill()
    took, texts = ask_the_bot(api)
    assert took < 2 and texts and APOLOGY not in texts
    assert questions_in(db) == []  # the log waits for room
    small_disk.free()
    assert wait_for_log(db, [QUESTION]) == [QUESTION]
