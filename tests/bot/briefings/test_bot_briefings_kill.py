"""A real `sopbot run` killed (SIGKILL) mid-broadcast, then started again on the same database.

The manager sends a note with /brief through the fake Bot API; the fake holds every
sendMessage a while, so the broadcast is half way when the process dies. The next start
resumes it: nobody gets the note twice, and whoever may have missed it has their delivery
recorded as uncertain, so the note waits in their /missed and they are reminded.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.briefings import service as brief
from bot.storage import Storage
from tests.bot.processes import BotProcess, wait_until
from tests.fakebotapi import FakeBotAPI, Params

pytestmark = pytest.mark.process  # a process, a server or a child process: not in `make check`

TIMEOUT = 15
MANAGER = 9000
STORE = "信義店"
STAFF = range(1001, 1041)
NOTE = "今天早會重點：冷藏櫃溫度每兩小時記錄一次"
SLOW_SEND = 0.5  # seconds the fake holds each sendMessage: the broadcast is mid-way for a while
KILL_AFTER = 3  # notes delivered when the process is killed


@pytest.fixture
def bot(sopbot_run: BotProcess) -> BotProcess:
    """The bot, whose configured admin is the manager."""
    sopbot_run.env["SOPBOT_ADMIN_IDS"] = str(MANAGER)
    return sopbot_run


def register(db: Path) -> None:
    storage = Storage.open(db)
    storage.people.add_person(MANAGER, "王經理", "manager", [STORE])
    for user_id in STAFF:
        storage.people.add_person(user_id, f"店員{user_id}", "staff", [STORE])
    storage.close()


def is_note(params: Params) -> bool:
    return params.get("chat_id") in STAFF and NOTE in str(params.get("text", ""))


def notes_at_server(api: FakeBotAPI) -> dict[int, int]:
    """How many sendMessage calls carrying the note each staff chat received."""
    counts = dict.fromkeys(STAFF, 0)
    for params in api.calls_to("sendMessage"):
        if is_note(params):
            counts[params["chat_id"]] += 1
    return counts


def reported(params: Params) -> bool:
    """The author's "went out" message: the courier calls it once the broadcast settled."""
    return params.get("chat_id") == MANAGER and "/briefs" in str(params.get("text", ""))


def button(params: Params, prefix: str) -> str:
    """The callback data of the first button on a message whose data starts with ``prefix``."""
    rows = params["reply_markup"]["inline_keyboard"]
    found = (b["callback_data"] for row in rows for b in row)
    return next(data for data in found if data.startswith(prefix))


def deliveries(db: Path) -> list[brief.Delivery]:
    storage = Storage.open(db)
    try:
        briefings = storage.briefings
        (receipt,) = briefings.recent(None)
        return briefings.deliveries(receipt.briefing.id)
    finally:
        storage.close()


def test_a_killed_broadcast_resumes_with_nobody_twice_and_nobody_lost(
    bot: BotProcess, tmp_path: Path
) -> None:
    api, db = bot.api, tmp_path / "sopbot.db"
    register(db)
    try:
        bot.start()
        # /brief with the note: the preview, with the audiences to choose from.
        api.push_update(api.command(f"/brief {NOTE}", user_id=MANAGER))
        preview = api.wait_for_call("sendMessage", lambda p: p["chat_id"] == MANAGER)
        since = len(api.calls)
        everyone = button(preview, "brf:to:")  # the first choice is all the manager's staff
        api.push_update(api.callback_query(everyone, user_id=MANAGER))
        chosen = api.wait_for_call("editMessageText", since=since, timeout=TIMEOUT)

        # ✅ 發送, with Telegram slow to answer: the broadcast is mid-way for a while.
        api.delay("sendMessage", SLOW_SEND, times=None)
        api.push_update(api.callback_query(button(chosen, "brf:go:"), user_id=MANAGER))
        delivered: set[int] = set()

        def some_delivered(params: Params) -> bool:
            if is_note(params):
                delivered.add(params["chat_id"])
            return len(delivered) >= KILL_AFTER

        api.wait_for_call("sendMessage", some_delivered, timeout=TIMEOUT)
        bot.kill()
        # The fake still carries out the sends it was holding, as Telegram may.
        held_until = time.monotonic() + SLOW_SEND
        cut_off = {d.state for d in deliveries(db)}
        assert {brief.SENDING, brief.PENDING} <= cut_off, cut_off

        # The next start resumes the broadcast; it has settled when the author hears of it.
        since = len(api.calls)
        bot.start()
        api.wait_for_call("sendMessage", reported, since=since, timeout=TIMEOUT)
        wait_until(lambda: time.monotonic() >= held_until)
    except (TimeoutError, AssertionError) as error:
        pytest.fail(f"{error}\n--- bot output ---\n{bot.output()}")
    finally:
        bot.kill()

    at_server = notes_at_server(api)
    assert max(at_server.values()) == 1, at_server  # nobody twice
    states = {d.user_id: d.state for d in deliveries(db)}
    assert set(states) == set(STAFF)
    assert set(states.values()) <= {brief.DELIVERED, brief.UNCERTAIN}, states
    # Cut off mid-send: maybe delivered, maybe not; never pushed again (at-most-once).
    uncertain = {user_id for user_id, state in states.items() if state == brief.UNCERTAIN}
    assert uncertain
    missing = {user_id for user_id, count in at_server.items() if count == 0}
    assert missing <= uncertain
    # Those are not lost: the note is unread in their /missed and they get the reminder.
    storage = Storage.open(db)
    try:
        briefings = storage.briefings
        for user_id in uncertain:
            assert [b.text for b in (n.note for n in briefings.missed(user_id))] == [NOTE]
        (receipt,) = briefings.recent(None)
        assert uncertain <= set(briefings.take_reminders(receipt.briefing.id))
    finally:
        storage.close()
