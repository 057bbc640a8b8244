"""`sopbot` as a child process, as the process-level tests start, watch and kill it.

Every such test runs the bot the way production does (``python -m bot run``) on the fake
Telegram over HTTP (tests/fakebotapi.py), in the test's temporary folder (so no stray .env
is read) and with an environment holding no setting of the machine's own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakebotapi import FakeBotAPI

STARTUP_TIMEOUT = 60  # the first start may have to build the index
STOP_TIMEOUT = 10


def environment(api: FakeBotAPI | None, db: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any TELEGRAM_ or SOPBOT_ setting, then the fake
    Telegram's token and address (``api``), the database and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SOPBOT_"))}
    if api is not None:
        env |= {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url}
    return env | {"SOPBOT_DB": str(db), **settings}


class BotProcess:
    """`sopbot run` on one database, its output in a log file; started (again) and killed
    (SIGKILL) as the test says, and killed at the end of the test if still running."""

    def __init__(self, api: FakeBotAPI, folder: Path, env: dict[str, str]) -> None:
        self.api = api
        self.cwd = folder
        self.log = folder / "bot.log"
        self.db = Path(env["SOPBOT_DB"])
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def webhook_url(self) -> str:
        """Where Telegram POSTs updates, when the bot runs with a webhook instead of polling."""
        return self.env.get("SOPBOT_WEBHOOK_URL", "")

    def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Start the bot and wait until post_init has run (setMyCommands) and it polls or
        has set its webhook; a bot that never gets there fails the test with its output."""
        since = len(self.api.calls)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, as in a terminal
            )
        try:
            self.api.wait_for_call("setMyCommands", since=since, timeout=timeout)
            if self.webhook_url:
                self.api.wait_for_call("setWebhook", since=since, timeout=STOP_TIMEOUT)
            else:
                self.api.wait_until_polling(timeout=STOP_TIMEOUT)
        except TimeoutError as error:
            pytest.fail(f"{error}\n--- bot output ---\n{self.output()}")

    def search_worker_pid(self, timeout: float) -> int:
        """The search worker's process id, once it has loaded the index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := re.search(r"search worker ready \(pid (\d+)\)", self.output()):
                return int(found.group(1))
            time.sleep(0.05)
        raise TimeoutError("the search worker did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def output(self) -> str:
        if not self.log.exists():
            return ""
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until(condition: Callable[[], bool], timeout: float = 15) -> None:
    """Wait for something another process does (there is nothing to await there)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{condition} still false after {timeout}s")
        time.sleep(0.05)
