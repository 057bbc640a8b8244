"""`sopbot run` against a Telegram that fails: 5xx, 429, timeouts, an outage, a revoked token.

The bot runs as a process, as in production, and talks HTTP to the fake Bot API
(``tests/fakebotapi.py``), which is told to fail the way Telegram does. What each test
checks is what the person sees: their answer arrives (once), no apology where the answer
arrives anyway, no wait for someone else's rate limit.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from bot.i18n import label
from bot.tg.polling import DEAF_AFTER, health_path, read_health
from tests.bot.processes import BotProcess
from tests.fakebotapi import DEFAULT_USER_ID, FakeBotAPI

pytestmark = pytest.mark.process  # a process and a server: not in `make check`

QUESTION = "客人沒帶證件怎麼辦"
OTHER = 777000222  # a second admin, so a second registered person
APOLOGY = label("hant", "error")


@pytest.fixture
def bot(sopbot_run: BotProcess) -> BotProcess:
    """The bot, polling the fake Bot API, ready for updates; a second admin, so a second
    registered person."""
    sopbot_run.env["SOPBOT_ADMIN_IDS"] = f"{DEFAULT_USER_ID},{OTHER}"
    sopbot_run.start()
    return sopbot_run


def texts_to(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m["text"] for m in api.sent_messages(chat_id)]


def ask(
    api: FakeBotAPI, bot: BotProcess, user_id: int = DEFAULT_USER_ID, timeout: float = 10
) -> float:
    """Ask the question as ``user_id``; how long their answer took to reach Telegram."""
    since = len(api.calls)
    started = time.monotonic()
    api.push_update(api.text_message(QUESTION, user_id=user_id))
    try:
        api.wait_for_call(
            "sendMessage", lambda p: p["chat_id"] == user_id, since=since, timeout=timeout
        )
    except TimeoutError as error:
        pytest.fail(f"{error}\n--- bot output ---\n{bot.output()}")
    return time.monotonic() - started


def test_an_answer_meeting_5xx_and_429s_is_retried_until_it_arrives(
    fake_api: FakeBotAPI, bot: BotProcess
) -> None:
    # One 500, then two 502s: each used to lose the answer.
    fake_api.fail("sendMessage", 500)
    fake_api.fail("sendMessage", 502, times=2)
    ask(fake_api, bot)
    # Three 429s in a row used to end in an apology.
    fake_api.fail("sendMessage", 429, retry_after=1, times=3)
    ask(fake_api, bot)
    assert sorted(c.status for c in fake_api.failed_calls) == [429, 429, 429, 500, 502, 502]
    texts = texts_to(fake_api, DEFAULT_USER_ID)
    assert len(texts) == 2 and APOLOGY not in texts, bot.output()


def test_a_429_for_one_chat_does_not_hold_up_another(fake_api: FakeBotAPI, bot: BotProcess) -> None:
    fake_api.fail("sendMessage", 429, retry_after=20, chat_id=DEFAULT_USER_ID)
    fake_api.push_update(fake_api.text_message(QUESTION))
    deadline = time.monotonic() + 10
    while not fake_api.failed_calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_api.failed_calls, bot.output()
    # Someone else's answer does not wait the first chat's 20 s.
    assert ask(fake_api, bot, user_id=OTHER) < 3, bot.output()


def test_a_reply_that_times_out_gets_no_apology(fake_api: FakeBotAPI, bot: BotProcess) -> None:
    # Telegram takes longer than the bot waits (5 s), then delivers the answer all the same.
    fake_api.delay("sendMessage", 6.0)
    ask(fake_api, bot, timeout=15)
    time.sleep(1.5)  # what an apology would take to follow
    texts = texts_to(fake_api, DEFAULT_USER_ID)
    assert len(texts) == 1 and APOLOGY not in texts, bot.output()


def test_polling_recovers_as_soon_as_telegram_does(fake_api: FakeBotAPI, bot: BotProcess) -> None:
    # Telegram answers 500 to every poll for 14 s (after each failure PTB's own loop waited
    # half as long again as the last time: 7 s by then).
    fake_api.fail("getUpdates", 500, times=None)
    ask(fake_api, bot)  # ends the long poll under way: the polls from now on fail
    time.sleep(14)
    assert len([c for c in fake_api.failed_calls if c.method == "getUpdates"]) >= 5
    # The health file says so; a minute of this and `doctor --quick` turns red.
    health = read_health(health_path(bot.db), now=time.time() + DEAF_AFTER)
    assert health is not None and not health[0], health
    fake_api.clear_faults()
    assert ask(fake_api, bot) < 3.5, bot.output()
    assert read_health(health_path(bot.db)) == (True, "getUpdates answers")


def test_one_401_is_shrugged_off_and_a_lasting_one_stops_the_bot(
    fake_api: FakeBotAPI, bot: BotProcess
) -> None:
    fake_api.fail("getUpdates", 401, description="Unauthorized")
    time.sleep(1.5)
    ask(fake_api, bot)  # still hearing

    # The token is revoked: the bot says so and exits, so the supervisor shows it.
    fake_api.fail("getUpdates", 401, description="Unauthorized", times=None)
    try:
        code = bot.process.wait(20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the bot stayed up, deaf\n--- bot output ---\n{bot.output()}")
    output = bot.output()
    assert code == 2, output
    assert "revoked or replaced in @BotFather" in output, output
    assert "Traceback" not in output, output
    assert json.loads(health_path(bot.db).read_text())["state"] == "revoked"


def test_a_401_on_a_reply_stops_the_bot_only_if_getme_is_refused_too(
    fake_api: FakeBotAPI, bot: BotProcess
) -> None:
    fake_api.fail("sendMessage", 401, description="Unauthorized")
    fake_api.push_update(fake_api.text_message(QUESTION))
    fake_api.wait_for_call("getMe", since=len(fake_api.calls) - 1, timeout=10)
    ask(fake_api, bot)  # a passing 401: still answering
    fake_api.fail("sendMessage", 401, description="Unauthorized", times=None)
    fake_api.fail("getMe", 401, description="Unauthorized", times=None)
    fake_api.push_update(fake_api.text_message(QUESTION))
    try:
        code = bot.process.wait(20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the bot stayed up without a token\n--- bot output ---\n{bot.output()}")
    assert code == 2 and "revoked or replaced in @BotFather" in bot.output(), bot.output()


def test_half_an_emoji_gets_one_clear_reply_each(fake_api: FakeBotAPI, bot: BotProcess) -> None:
    """A lone surrogate (``\\ud83d``, half an emoji) in a question, an edited question, a
    sender's name: JSON carries it, UTF-8 (SQLite, an HTTP body) cannot."""
    edited = fake_api.text_message("客人沒帶證件\ud83d怎麼辦")
    edited["edited_message"] = {**edited.pop("message"), "edit_date": 1}
    updates = [
        fake_api.text_message("客人沒帶證件\ud83d怎麼辦"),
        edited,
        fake_api.text_message("\ud83d"),
        fake_api.text_message("/start", first_name="\ud83d小明", user_id=OTHER),
    ]
    for update in updates:
        since = len(fake_api.calls)
        fake_api.push_update(update)
        chat_id = (update.get("message") or update["edited_message"])["chat"]["id"]
        fake_api.wait_for_call("sendMessage", lambda p, c=chat_id: p["chat_id"] == c, since=since)
    fake_api.wait_until_delivered()
    time.sleep(1)
    texts = texts_to(fake_api, DEFAULT_USER_ID) + texts_to(fake_api, OTHER)
    assert len(texts) == 4 and APOLOGY not in texts, bot.output()
    assert "Traceback" not in bot.output(), bot.output()
