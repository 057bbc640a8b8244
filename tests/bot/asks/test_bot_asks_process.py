"""A real `sopbot run` against the fake Bot API: the whole "ask a person" path, and a kill
(SIGKILL) while the question is being delivered to the store's responders.

The fake holds every sendMessage a while, so the offers are half way out when the process
dies. The next start sends the rest: no responder gets the question twice, whoever may have
missed it has it recorded as uncertain (and sees it in /asks), and the question is still
there to be taken, survives another restart taken, and is answered, the answer reaching
the asker once. Saved as a store note, it answers the next colleague; edited and shared, it
answers another store's staff member with the new text.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from bot.asks.model import OPEN, PENDING, SENDING, SENT, UNCERTAIN
from bot.storage import Storage
from tests.bot.briefings.test_bot_briefings_kill import button
from tests.bot.processes import BotProcess, wait_until
from tests.fakebotapi import FakeBotAPI, Params

pytestmark = pytest.mark.process  # a process and a server: not in `make check`

TIMEOUT = 20
STORE = "信義店"
OTHER_STORE = "松山店"
ASKER, COLLEAGUE, OUTSIDER, ADMIN = 2001, 2002, 2003, 9000
RESPONDERS = range(3001, 3021)  # the store's managers and trainers
MANAGERS = RESPONDERS[1::2]
OTHER_MANAGER = 3100  # a manager of another store
QUESTION = "加班費怎麼算"  # the SOP has no clear answer
REWORDED = "加班費點計"
ANSWER = "加班費按時薪 1.34 倍計，第三小時起 1.67 倍；以打卡記錄為準。"
EDITED = "加班費按時薪 1.34 倍計，第三小時起 1.67 倍；國定假日加倍。"
SLOW_SEND = 0.4
KILL_AFTER = 3


@pytest.fixture
def bot(sopbot_run: BotProcess) -> BotProcess:
    """The bot, whose configured admin is the store's admin."""
    sopbot_run.env["SOPBOT_ADMIN_IDS"] = str(ADMIN)
    return sopbot_run


def register(db: Path) -> None:
    storage = Storage.open(db)
    storage.people.add_person(ASKER, "小明", "staff", [STORE])
    storage.people.add_person(COLLEAGUE, "小華", "staff", [STORE])
    storage.people.add_person(OUTSIDER, "阿強", "staff", [OTHER_STORE])
    for n, user_id in enumerate(RESPONDERS):
        access = "manager" if user_id in MANAGERS else "trainer"
        storage.people.add_person(user_id, f"主管{n}", access, [STORE])
    storage.people.add_person(OTHER_MANAGER, "林店長", "manager", [OTHER_STORE])
    storage.close()


def outbox(db: Path) -> list[tuple[str, int, str]]:
    """(kind, chat, state) of every message questions caused, read without the bot."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(connection.execute("SELECT kind, chat_id, state FROM ask_messages ORDER BY id"))
    finally:
        connection.close()


def status(db: Path) -> str:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return str(connection.execute("SELECT status FROM asks").fetchone()[0])
    finally:
        connection.close()


def versions(db: Path) -> list[str]:
    """What each version of the store note did, in order."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT action FROM store_note_versions ORDER BY version")
        return [str(row[0]) for row in rows]
    finally:
        connection.close()


def is_offer(params: Params) -> bool:
    return params.get("chat_id") in RESPONDERS and QUESTION in str(params.get("text", ""))


def offers_at_server(api: FakeBotAPI) -> dict[int, int]:
    counts = dict.fromkeys(RESPONDERS, 0)
    for params in api.calls_to("sendMessage"):
        if is_offer(params):
            counts[params["chat_id"]] += 1
    return counts


def test_killed_mid_delivery_the_question_reaches_everyone_once_and_is_answered_once(
    bot: BotProcess, tmp_path: Path
) -> None:
    api, db = bot.api, tmp_path / "sopbot.db"
    register(db)
    try:
        bot.start()
        api.push_update(api.text_message(QUESTION, user_id=ASKER))
        answer = api.wait_for_call("sendMessage", lambda p: p["chat_id"] == ASKER, TIMEOUT)
        assert "hp:q" in str(answer["reply_markup"])
        # The bot remembers the answer once Telegram has said its message id; a person's
        # tap comes long after, a test's push within the same millisecond.
        time.sleep(0.5)

        # 🙋, with Telegram slow to answer: the offers are half way out for a while.
        api.delay("sendMessage", SLOW_SEND, times=None)
        api.push_update(api.callback_query("hp:q", user_id=ASKER))
        offered: set[int] = set()

        def some_offered(params: Params) -> bool:
            if is_offer(params):
                offered.add(params["chat_id"])
            return len(offered) >= KILL_AFTER

        api.wait_for_call("sendMessage", some_offered, timeout=TIMEOUT)
        bot.kill()
        held_until = time.monotonic() + SLOW_SEND  # the fake still carries out held sends
        cut_off = {state for _, _, state in outbox(db)}
        assert {SENDING, PENDING} <= cut_off, cut_off

        # The next start sends the rest, once.
        api.clear_faults()
        bot.start()
        wait_until(lambda: all(s not in (PENDING, SENDING) for _, _, s in outbox(db)), TIMEOUT)
        wait_until(lambda: time.monotonic() >= held_until)
        at_server = offers_at_server(api)
        assert max(at_server.values()) == 1, at_server  # nobody twice
        states = {chat: state for kind, chat, state in outbox(db) if kind == "offer"}
        assert set(states) == set(RESPONDERS)  # only the store's responders, every one
        assert set(states.values()) <= {SENT, UNCERTAIN}, states
        missing = {chat for chat, count in at_server.items() if count == 0}
        assert missing <= {chat for chat, state in states.items() if state == UNCERTAIN}
        assert status(db) == OPEN
        others = {p["chat_id"] for p in api.calls_to("sendMessage")} - {ASKER, *RESPONDERS}
        assert others == set(), others  # no other store's staff, no stranger

        # A manager of the store who got it takes it and answers; the asker gets it once.
        taker = next(chat for chat, count in at_server.items() if count and chat in MANAGERS)
        since = len(api.calls)
        api.push_update(api.callback_query("hp:t:1", user_id=taker))
        api.wait_for_call("editMessageText", lambda p: p["chat_id"] == taker, TIMEOUT, since=since)
        # Taken survives a restart too: the taker's next message is still the answer.
        wait_until(lambda: status(db) == "taken")
        bot.kill()
        bot.start()
        since = len(api.calls)
        api.push_update(api.text_message(ANSWER, user_id=taker))
        confirmation = api.wait_for_call(
            "sendMessage", lambda p: p["chat_id"] == taker, TIMEOUT, since=since
        )
        api.wait_for_call("sendMessage", lambda p: p["chat_id"] == ASKER, TIMEOUT, since=since)
        replies = [
            p for p in api.calls_to("sendMessage") if p["chat_id"] == ASKER and ANSWER in p["text"]
        ]
        assert len(replies) == 1 and replies[0]["reply_parameters"]["message_id"] > 0

        # 📌: the next colleague of the store asking in other words gets the note.
        since = len(api.calls)
        api.push_update(api.callback_query(button(confirmation, "hp:n:"), user_id=taker))
        api.wait_for_call("editMessageText", lambda p: p["chat_id"] == taker, TIMEOUT, since=since)
        api.push_update(api.text_message(REWORDED, user_id=COLLEAGUE))
        note = api.wait_for_call("sendMessage", lambda p: p["chat_id"] == COLLEAGUE, TIMEOUT)
        assert ANSWER in note["text"]
        api.push_update(api.text_message(REWORDED, user_id=OUTSIDER))
        other = api.wait_for_call("sendMessage", lambda p: p["chat_id"] == OUTSIDER, TIMEOUT)
        assert ANSWER not in other["text"]

        # The manager edits it (the old text kept as a version) and shares it with every
        # store: the other store's staff member now gets the new text, marked as this store's.
        since = len(api.calls)
        api.push_update(api.command("/notes 1", user_id=taker))
        shown = api.wait_for_call(
            "sendMessage", lambda p: p["chat_id"] == taker, TIMEOUT, since=since
        )
        since = len(api.calls)
        api.push_update(api.callback_query(button(shown, "nt:e:"), user_id=taker))
        api.wait_for_call("sendMessage", lambda p: p["chat_id"] == taker, TIMEOUT, since=since)
        since = len(api.calls)
        api.push_update(api.text_message(EDITED, user_id=taker))
        edited = api.wait_for_call(
            "sendMessage", lambda p: "nt:s:" in str(p.get("reply_markup")), TIMEOUT, since=since
        )
        since = len(api.calls)
        api.push_update(api.callback_query(button(edited, "nt:s:"), user_id=taker))
        api.wait_for_call("editMessageText", lambda p: p["chat_id"] == taker, TIMEOUT, since=since)
        since = len(api.calls)
        api.push_update(api.text_message(REWORDED, user_id=OUTSIDER))
        shared = api.wait_for_call(
            "sendMessage", lambda p: p["chat_id"] == OUTSIDER, TIMEOUT, since=since
        )
        assert EDITED in shared["text"] and STORE in shared["text"]
        assert versions(db) == ["saved", "edited", "shared"]
    except (TimeoutError, AssertionError) as error:
        pytest.fail(f"{error}\n--- bot output ---\n{bot.output()}")
    finally:
        bot.kill()
