"""Fixtures for the bot tests: the real Application on the fake Telegram, in process.

Updates are built as Telegram sends them (JSON dicts), made known to the fake Telegram
(tests/fakebotapi.py) as if it had delivered them, turned into real ``Update`` objects and
routed by PTB itself; the bot's calls reach the same fake through its in-process transport,
which answers and refuses them as Telegram does, and the test reads them. After every test
the calls are checked against Telegram's rules (HTML that parses, text within 4096
characters, callback data of a known form within 64 bytes) and no handler may have raised.
The search index and knowledge base (``index_path``, ``kb``) are the suite's one shared
pair, from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import BotApplication, build_application
from bot.config import Settings
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.botcalls import check_call
from tests.bot.processes import BotProcess, environment
from tests.fakebotapi import DEFAULT_USER_ID, FakeBotAPI, InProcessRequest
from tests.fakebotapi import Call as ApiCall

USER_ID = 777000111
GROUP_ID = -100123456789
TOKEN = "123456:TEST-TOKEN"
STORE = "台北站前店"


@pytest.fixture
def settings(tmp_path: Path, index_path: Path) -> Settings:
    return Settings(
        token=TOKEN,
        api_url="http://offline.invalid/bot",
        db_path=tmp_path / "sopbot.db",
        index_path=index_path,
    )


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new database at the newest schema, made once: a test's own starts as a copy of
    it (migrating a new file takes some 20 ms, copying one 2)."""
    path = tmp_path_factory.mktemp("empty-database") / "sopbot.db"
    Storage.open(path).close()
    return path


def new_database(empty_database: Path, path: Path) -> Path:
    """``path``, a new database at the newest schema (the copy of ``empty_database``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_database, path)
    return path


@pytest.fixture
def storage(settings: Settings, empty_database: Path) -> Storage:
    storage = Storage.open(new_database(empty_database, settings.db_path))
    # Only registered people get past the gate (bot/access/gate.py): the test user is staff.
    storage.people.add_person(USER_ID, "小明", "staff", [STORE])
    yield storage
    storage.close()


class Clock:
    """The storage's clock (ISO 8601, UTC), which moves only when the test moves it."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> str:
        return self.now.isoformat(timespec="seconds")

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Chat:
    """A user talking to the bot: builds their updates and runs them through the app."""

    def __init__(self, app: BotApplication, request: InProcessRequest) -> None:
        self.app = app
        self.request = request
        self.api = request.api
        self.errors: list[object] = []
        self.ids = itertools.count(1)

    async def send(self, update: dict[str, Any]) -> list[ApiCall]:
        """Process one update; return the Bot API calls it caused."""
        before = len(self.request.calls)
        update = {"update_id": next(self.ids), **update}
        self.api.remember(update)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.request.calls[before:]

    async def say(self, text: str, **kwargs: Any) -> list[ApiCall]:
        return await self.send(self.message(text, **kwargs))

    async def press(self, data: str, **kwargs: Any) -> list[ApiCall]:
        return await self.send(self.callback(data, **kwargs))

    def user(self, user_id: int = USER_ID, language_code: str | None = "zh-hant") -> dict:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "小明"}
        if language_code:
            user["language_code"] = language_code
        return user

    def message(
        self,
        text: str | None = None,
        *,
        user_id: int = USER_ID,
        language_code: str | None = "zh-hant",
        chat_id: int | None = None,
        kind: str = "message",
        **fields: Any,
    ) -> dict[str, Any]:
        """An update carrying a user's message (``kind="edited_message"`` for an edit)."""
        chat_id = user_id if chat_id is None else chat_id
        chat = {"id": chat_id, "type": "private", "first_name": "小明"}
        if chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup", "title": "Store"}
        message: dict[str, Any] = {
            "message_id": self.api.new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, language_code),
            **fields,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if kind == "edited_message":
            message["edit_date"] = message["date"]
        return {kind: message}

    def callback(
        self,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int = USER_ID,
        language_code: str | None = "zh-hant",
        chat_id: int | None = None,
        inline_message_id: str | None = None,
    ) -> dict[str, Any]:
        """An update for a button pressed on the bot's message (by default its latest)."""
        query: dict[str, Any] = {
            "id": str(next(self.ids)),
            "from": self.user(user_id, language_code),
            "chat_instance": "-42",
            "data": data,
        }
        if inline_message_id:
            query["inline_message_id"] = inline_message_id
            return {"callback_query": query}
        chat_id = user_id if chat_id is None else chat_id
        pressed = self.api.callback_query(
            data, message_id=message_id, user_id=user_id, chat_id=chat_id
        )
        query["message"] = pressed["callback_query"]["message"]
        return {"callback_query": query}

    def inline(self, text: str, *, user_id: int = USER_ID, language_code: str = "zh-hant") -> dict:
        return {
            "inline_query": {
                "id": str(next(self.ids)),
                "from": self.user(user_id, language_code),
                "query": text,
                "offset": "",
                "chat_type": "private",
            }
        }


async def run_chat(
    settings: Settings,
    kb: KnowledgeBase,
    storage: Storage,
    api: FakeBotAPI | None = None,
) -> AsyncIterator[Chat]:
    """A running application on the fake Telegram (a new one unless ``api`` is given, with
    faults scripted beforehand); afterwards, no handler may have raised and every outgoing
    call must be one Telegram would accept."""
    request = InProcessRequest(api or FakeBotAPI(token=TOKEN))
    app = build_application(settings, kb, storage, request=request)
    harness = Chat(app, request)

    async def record_error(update: object, context: Any) -> None:
        harness.errors.append(context.error)

    app.add_error_handler(record_error)
    async with app:
        yield harness
    assert harness.errors == [], f"a handler raised: {harness.errors!r}"
    for call in request.calls:
        check_call(call)


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Wait for something a background task or a child process does (a search worker
    loading); polling, because there is nothing to await."""
    for _ in range(int(timeout * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("condition not met")


@pytest.fixture
async def chat(settings: Settings, kb: KnowledgeBase, storage: Storage) -> AsyncIterator[Chat]:
    async for harness in run_chat(settings, kb, storage):
        yield harness


# -- the bot as a process, on the fake Telegram over HTTP ----------------------------------------


@pytest.fixture
def fake_api() -> Iterator[FakeBotAPI]:
    """The fake Telegram, served over HTTP on a free port of 127.0.0.1."""
    with FakeBotAPI() as api:
        yield api


@pytest.fixture
def sopbot_run(
    fake_api: FakeBotAPI, tmp_path: Path, index_path: Path, kb: KnowledgeBase
) -> Iterator[BotProcess]:
    """`sopbot run` on the fake Telegram and the suite's index, not started yet (a test
    may add settings to its ``env`` first); killed at the end. ``kb`` builds the index in
    this process first, so no start has to. The fake's default user is an admin: only
    registered people get answers. The search worker is off (a second process loading the
    index, which the bot answers without as well); the tests about it turn it on."""
    env = environment(
        fake_api,
        tmp_path / "sopbot.db",
        SOPBOT_INDEX=str(index_path),
        SOPBOT_ADMIN_IDS=str(DEFAULT_USER_ID),
        SOPBOT_SEARCH_WORKER="off",
    )
    bot = BotProcess(fake_api, tmp_path, env)
    yield bot
    bot.kill()
