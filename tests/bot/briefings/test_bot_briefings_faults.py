"""Briefing broadcasts against the fake Bot API: 429, 5xx, 403, timeouts, a crash, a stop.

The application talks HTTP to ``tests/fakebotapi.py`` through the bot's rate limiter
(``bot/tg/sending.py``), as ``sopbot run`` does. Every test ends by counting the notes each
person has at the fake server: exactly one each (none for someone who blocked the bot),
whatever went wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import BotApplication, build_application
from bot.briefings import handlers
from bot.briefings import service as brief
from bot.config import Settings
from bot.storage import Storage
from bot.tg.sending import Limiter
from knowledge import KnowledgeBase
from tests.fakebotapi import FakeBotAPI

pytestmark = pytest.mark.process  # a process, a server or a child process: not in `make check`

MANAGER = 9000
STORE = "信義店"
FAST = brief.Backoff(first=0.01, attempts=4)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotAPI]:
    # PTB 22 warns (an error here) that RetryAfter.retry_after becomes a timedelta; opt in.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with FakeBotAPI() as api:
        yield api


def make_app(
    api: FakeBotAPI, db: Path, kb: KnowledgeBase, index_path: Path, retries: int = 2
) -> BotApplication:
    settings = Settings(
        token=api.token,
        api_url=api.base_url,
        db_path=db,
        index_path=index_path,
        brief_reminder_hours=0,
    )
    limiter = Limiter(max_retries=retries)
    app = build_application(settings, kb, Storage.open(db), rate_limiter=limiter)
    app.bot_data.courier.backoff = FAST
    return app


def register(db: Path, staff: range) -> None:
    storage = Storage.open(db)
    storage.people.add_person(MANAGER, "王經理", "manager", [STORE])
    for user_id in staff:
        storage.people.add_person(user_id, f"店員{user_id}", "staff", [STORE])
    storage.close()


def queue(app: BotApplication, text: str = "今天早會重點") -> int:
    """A briefing to all the manager's staff, queued as ✅ 發送 does; its id."""
    briefings = app.bot_data.briefings
    draft = briefings.create(MANAGER, "王經理", brief.Note(brief.TEXT, text))
    briefings.set_audience(draft.id, brief.Audience(brief.ALL))
    people = [p.user_id for p in app.bot_data.storage.people.people() if p.user_id != MANAGER]
    briefings.queue(draft.id, people, None)
    return draft.id


def notes_at_server(api: FakeBotAPI, staff: range) -> dict[int, int]:
    return {user_id: len(api.sent_messages(user_id)) for user_id in staff}


async def test_broadcast_retries_429_and_5xx_and_stops_at_a_block(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, index_path: Path
) -> None:
    staff = range(1001, 1021)
    register(tmp_path / "bot.db", staff)
    # The limiter passes 429 on at once (max_retries=0), so the courier's own waiting is used.
    app = make_app(api, tmp_path / "bot.db", kb, index_path, retries=0)
    blocked = 1005
    api.fail("sendMessage", 403, times=None, chat_id=blocked)
    api.fail("sendMessage", 429, retry_after=1)
    api.fail("sendMessage", 500, times=2)
    api.fail("sendMessage", 502)
    async with app:
        briefing_id = queue(app)
        app.bot_data.courier.start(briefing_id)
        await app.bot_data.courier.drain()

        assert notes_at_server(api, staff) == {u: 0 if u == blocked else 1 for u in staff}
        statuses = sorted({call.status for call in api.failed_calls})
        assert statuses == [403, 429, 500, 502]
        briefings = app.bot_data.briefings
        states = {d.user_id: d.state for d in briefings.deliveries(briefing_id)}
        assert states == {u: brief.BLOCKED if u == blocked else brief.DELIVERED for u in staff}
        assert briefings.unreachable(blocked)

        # The next briefing is not pushed to them at all, but waits in their /missed.
        api.clear_calls()
        second = queue(app, "明天盤點")
        app.bot_data.courier.start(second)
        await app.bot_data.courier.drain()
        assert not [c for c in api.failed_calls if c.params.get("chat_id") == blocked]
        assert [b.id for b in briefings.missed(blocked)] == [briefing_id, second]
        # The author heard about both, blocked person included.
        reports = [m["text"] for m in api.sent_messages(MANAGER)]
        assert len(reports) == 2 and all("1 人封鎖了機器人" in text for text in reports)


async def test_the_rate_limiter_absorbs_a_429(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, index_path: Path
) -> None:
    staff = range(1001, 1006)
    register(tmp_path / "bot.db", staff)
    app = make_app(api, tmp_path / "bot.db", kb, index_path)  # as `sopbot run` builds it
    api.fail("sendMessage", 429, retry_after=1)
    async with app:
        briefing_id = queue(app)
        app.bot_data.courier.start(briefing_id)
        await app.bot_data.courier.drain()
    assert notes_at_server(api, staff) == dict.fromkeys(staff, 1)
    assert [call.status for call in api.failed_calls] == [429]


async def test_a_timed_out_send_is_uncertain_and_never_sent_twice(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, index_path: Path
) -> None:
    staff = range(1001, 1006)
    register(tmp_path / "bot.db", staff)
    app = make_app(api, tmp_path / "bot.db", kb, index_path)
    app.bot_data.courier.sender.timeout = 0.3
    app.bot_data.courier.concurrency = 1
    api.delay("sendMessage", 1.0)  # the first send outlives the client's patience
    async with app:
        briefing_id = queue(app)
        app.bot_data.courier.start(briefing_id)
        await app.bot_data.courier.drain()
        # Telegram carried the slow send out after all, as it may.
        await api.wait_for_call_async("sendMessage", lambda p: p["chat_id"] == staff[0])
        briefings = app.bot_data.briefings
        assert briefings.delivery(briefing_id, staff[0]).state == brief.UNCERTAIN
        assert briefings.pending() == []
        handlers_resumed = app.bot_data.courier.resume()  # a restart would not resend it
        assert handlers_resumed == []
        # It still counts as unread: the person will be reminded and sees it in /missed.
        assert [b.id for b in briefings.missed(staff[0])] == [briefing_id]
        assert staff[0] in briefings.take_reminders(briefing_id)
    assert notes_at_server(api, staff) == dict.fromkeys(staff, 1)


class Crash(BaseException):
    """The process dies (SIGKILL, power cut): nothing after it runs."""


class CrashAfter:
    """A sender that dies right after the n-th send reached Telegram, before it is recorded.

    Its storage is closed at that moment, so the other sends in flight cannot record their
    outcome either: exactly what a killed process leaves behind.
    """

    def __init__(self, inner: brief.Sender, storage: Storage, sends: int) -> None:
        self.inner, self.storage, self.left = inner, storage, sends

    async def send(self, briefing: brief.Briefing, user_id: int) -> brief.Outcome:
        outcome = await self.inner.send(briefing, user_id)
        self.left -= 1
        if self.left == 0:
            self.storage.close()
            raise Crash
        return outcome


async def crash_and_restart(
    api: FakeBotAPI, db: Path, kb: KnowledgeBase, index_path: Path, concurrency: int
) -> tuple[int, list[brief.Delivery]]:
    """A broadcast killed after 25 sends, then the next start; its id and deliveries."""
    first = make_app(api, db, kb, index_path)
    courier = first.bot_data.courier
    courier.concurrency = concurrency
    courier.sender = CrashAfter(courier.sender, first.bot_data.storage, sends=25)
    async with first:
        briefing_id = queue(first)
        courier.start(briefing_id)
        await courier.drain()
    # The next start: post_init resumes the broadcast.
    second = make_app(api, db, kb, index_path)
    async with second:
        await handlers.resume(second)
        await second.bot_data.courier.drain()
        return briefing_id, second.bot_data.briefings.deliveries(briefing_id)


async def test_a_crash_right_after_a_send_resumes_with_no_one_lost_and_no_one_twice(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, index_path: Path
) -> None:
    staff = range(1001, 1061)
    register(tmp_path / "bot.db", staff)
    _, deliveries = await crash_and_restart(api, tmp_path / "bot.db", kb, index_path, 1)
    assert notes_at_server(api, staff) == dict.fromkeys(staff, 1)
    # The one send cut off between reaching Telegram and being recorded is not sent again.
    states = [d.state for d in deliveries]
    assert states.count(brief.UNCERTAIN) == 1
    assert states.count(brief.DELIVERED) == len(staff) - 1


async def test_a_crash_with_sends_in_flight_never_sends_twice_and_loses_no_one(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, index_path: Path
) -> None:
    staff = range(1001, 1061)
    db = tmp_path / "bot.db"
    register(db, staff)
    briefing_id, deliveries = await crash_and_restart(api, db, kb, index_path, 20)
    at_server = notes_at_server(api, staff)
    assert max(at_server.values()) == 1  # nobody twice
    uncertain = {d.user_id for d in deliveries if d.state == brief.UNCERTAIN}
    assert {d.state for d in deliveries} <= {brief.DELIVERED, brief.UNCERTAIN}
    # Sends cut off in flight may not have reached Telegram (at-most-once): those people are
    # not lost, their note waits unread in /missed and they get the reminder.
    storage = Storage.open(db)
    briefings = storage.briefings
    for user_id in staff:
        if at_server[user_id] == 0:
            assert user_id in uncertain
            assert [b.id for b in briefings.missed(user_id)] == [briefing_id]
    assert uncertain <= set(briefings.take_reminders(briefing_id))
    storage.close()


async def test_stopping_mid_broadcast_settles_sends_in_flight_and_resumes_the_rest(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, index_path: Path
) -> None:
    staff = range(1001, 1041)
    db = tmp_path / "bot.db"
    register(db, staff)
    api.delay("sendMessage", 0.05, times=None)  # slow enough to stop halfway
    first = make_app(api, db, kb, index_path)
    async with first:
        briefing_id = queue(first)
        first.bot_data.courier.start(briefing_id)
        while len(api.calls_to("sendMessage")) < 10:
            await asyncio.sleep(0.01)
        await handlers.stop(first)  # post_stop, on SIGTERM
        deliveries = first.bot_data.briefings.deliveries(briefing_id)
    assert not [d for d in deliveries if d.state == brief.SENDING]
    assert [d for d in deliveries if d.state == brief.PENDING]
    api.clear_faults()

    second = make_app(api, db, kb, index_path)
    async with second:
        await handlers.resume(second)
        await second.bot_data.courier.drain()
        deliveries = second.bot_data.briefings.deliveries(briefing_id)
    assert notes_at_server(api, staff) == dict.fromkeys(staff, 1)
    assert {d.state for d in deliveries} == {brief.DELIVERED}
