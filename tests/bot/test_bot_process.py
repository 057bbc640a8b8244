"""`sopbot run` as a real process against the fake Bot API, by long polling and by webhook."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot import render
from bot.access import render as render_access
from bot.context import ANSWER_LIMIT
from bot.i18n import label
from bot.storage import UP, Storage
from knowledge import KnowledgeBase
from tests.bot.processes import BotProcess, environment
from tests.fakebotapi import DEFAULT_USER_ID, FakeBotAPI

pytestmark = pytest.mark.process  # a process, a server or a child process: not in `make check`

STARTUP_TIMEOUT = 60  # the first start may have to build the index
TIMEOUT = 10
SECRET = "test-secret_1"
QUESTION = "客人沒帶證件怎麼辦"
STRANGER = 424242


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gone(pid: int, timeout: float) -> bool:
    """Whether a process has exited (a zombie awaiting its parent counts as exited)."""
    deadline = time.monotonic() + timeout
    stat = Path(f"/proc/{pid}/stat")
    while time.monotonic() < deadline:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(params=["polling", "webhook"])
def running_bot(
    request: pytest.FixtureRequest, sopbot_run: BotProcess
) -> tuple[FakeBotAPI, BotProcess]:
    """The bot running in a subprocess, talking to a fake Bot API, ready for updates:
    post_init has run; updates pushed from now on are polled or POSTed as they come."""
    sopbot_run.env["SOPBOT_SEARCH_WORKER"] = "on"
    if request.param == "webhook":
        port = free_port()
        sopbot_run.env |= {
            "SOPBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
            "SOPBOT_WEBHOOK_LISTEN": "127.0.0.1",
            "SOPBOT_WEBHOOK_PORT": str(port),
            "SOPBOT_WEBHOOK_SECRET": SECRET,
        }
    sopbot_run.start()
    return sopbot_run.api, sopbot_run


def test_the_bot_answers_shows_shares_and_stops_cleanly(
    running_bot: tuple[FakeBotAPI, BotProcess], kb: KnowledgeBase, tmp_path: Path
) -> None:
    api, bot = running_bot
    expected = kb.ask(QUESTION, ANSWER_LIMIT, None, "zh-hant")
    step = expected.hits[0].step
    try:
        # Questions go to the search worker once it has loaded (until then, the bot
        # searches itself; either way the answer is the same).
        worker = bot.search_worker_pid(timeout=STARTUP_TIMEOUT)
        # A question in, the answer out.
        api.push_update(api.text_message(QUESTION))
        reply = api.wait_for_call("sendMessage", timeout=TIMEOUT)
        assert reply["text"] == render.answer(expected)
        assert reply["parse_mode"] == "HTML"

        # 📄 on the answer: the callback is answered and the whole step shown.
        since = len(api.calls)
        api.push_update(api.callback_query(f"full:{step.id}"))
        api.wait_for_call("answerCallbackQuery", since=since, timeout=TIMEOUT)
        full = api.wait_for_call("editMessageText", since=since, timeout=TIMEOUT)
        assert full["text"] == render.step_full(step, "hant")

        # A forged button: a polite "expired", nothing else.
        since = len(api.calls)
        api.push_update(api.callback_query("full:<script>"))
        expired = api.wait_for_call("answerCallbackQuery", since=since, timeout=TIMEOUT)
        assert expired["text"] == label("hant", "expired")

        # 👍 on the answer: stored.
        since = len(api.calls)
        api.push_update(api.callback_query(f"fb:+:{step.id}"))
        thanks = api.wait_for_call("answerCallbackQuery", since=since, timeout=TIMEOUT)
        assert thanks["text"] == label("hant", "thanks")

        # Inline mode: step cards to share.
        api.push_update(api.inline_query("沒帶證件"))
        shared = api.wait_for_call("answerInlineQuery", timeout=TIMEOUT)
        best = kb.ask("沒帶證件", ANSWER_LIMIT, None, "zh-hant").hits[0]
        assert shared["results"][0]["id"] == best.step.id

        # A stranger: the refusal with their id, and no SOP text.
        since = len(api.calls)
        api.push_update(api.text_message(QUESTION, user_id=STRANGER))
        refusal = api.wait_for_call("sendMessage", since=since, timeout=TIMEOUT)
        assert refusal["chat_id"] == STRANGER
        assert refusal["text"] == render_access.not_member("hant", STRANGER)

        api.wait_until_delivered(timeout=TIMEOUT)
        assert api.failed_calls == []
        assert api.my_commands(language_code="zh")[0]["command"] == "start"
        if bot.webhook_url:
            # PTB registers the webhook just before its server listens, so a first POST may
            # be refused and retried; every POST the bot did receive must have been accepted.
            answered = [a.status for a in api.webhook_attempts if a.status is not None]
            assert answered and set(answered) == {200}, api.webhook_attempts
            assert forged_webhook_post(bot.webhook_url) == 403
    except (TimeoutError, AssertionError) as error:
        pytest.fail(f"{error}\n--- bot output ---\n{bot.output()}")

    # SIGTERM to the whole group, as Ctrl-C in a terminal or a service manager does: the
    # bot stops its search worker itself, and nothing is restarted on the way out.
    os.killpg(bot.process.pid, signal.SIGTERM)
    assert bot.process.wait(TIMEOUT) == 0, bot.output()
    assert "Traceback" not in bot.output(), bot.output()
    assert gone(worker, TIMEOUT), "the search worker outlived the bot"
    assert "search worker stopped" not in bot.output(), bot.output()

    # What the bot stored outlives it.
    storage = Storage.open(tmp_path / "sopbot.db")
    assert storage.users.user(DEFAULT_USER_ID).language == "zh-hant"
    assert storage.people.person(DEFAULT_USER_ID).access == "admin"
    assert storage.people.person(STRANGER) is None
    assert [(v.query, v.step_id, v.vote) for v in storage.users.votes()] == [
        (QUESTION, step.id, UP)
    ]


def forged_webhook_post(url: str) -> int:
    """POST an update to the bot's webhook without Telegram's secret; return the status."""
    body = json.dumps(
        {
            "update_id": 1,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
        }
    ).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(
    ("problem", "exit_code", "advice"),
    [("wrong token", 2, "@BotFather"), ("no Bot API", 1, "Could not reach")],
)
def test_start_up_failures_are_explained_without_a_traceback(
    problem: str, exit_code: int, advice: str, tmp_path: Path, index_path: Path, kb: KnowledgeBase
) -> None:
    with FakeBotAPI() as api:
        env = environment(None, tmp_path / "sopbot.db", SOPBOT_INDEX=str(index_path))
        if problem == "wrong token":
            env |= {"TELEGRAM_BOT_TOKEN": "999:WRONG", "TELEGRAM_API_URL": api.base_url}
        else:
            nobody = f"http://127.0.0.1:{free_port()}/bot"
            env |= {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": nobody}
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT,
        )
    assert done.returncode == exit_code, done.stderr
    assert advice in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "999:WRONG" not in done.stderr  # a token is a secret, even a wrong one
