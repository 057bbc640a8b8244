"""Long polling that recovers as soon as Telegram does, and stops on a revoked token.

PTB's polling loop waits longer after each failed getUpdates (1.5 times longer, up to 30
s), so after a long outage the bot stayed silent for a while after Telegram was back; and
one 401 ended the loop for good while the process stayed up, deaf. ``PollingRequest`` is
the HTTP layer of getUpdates alone: it tries a failed poll again itself, never waiting more
than ``LONGEST_PAUSE`` between tries, so the bot hears again within seconds of Telegram
answering again. A 401 that persists (the token was revoked or replaced) calls
``on_revoked``, which stops the bot with a clear message and exit code 2
(``bot.app.run``).

It is the bot's one request layer of its own, and it wraps PTB's HTTP layer rather than
replacing it: every other call goes through PTB's ``HTTPXRequest`` as it is. (The in-process
transport the tests run the bot on is also a PTB request layer, but it replaces HTTP with the
fake Telegram; it lives with that fake, in the tests, and shares nothing with this one but
``do_request``'s signature.)

What polling is doing is written to a small health file beside the database
(:class:`Health`), so ``sopbot doctor --quick``, the container's health check, shows a bot
that runs but cannot reach Telegram as unhealthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)

# Pauses between failed polls: short at first, never longer than the last.
PAUSES = (0.25, 0.5, 1.0, 2.0)
LONGEST_PAUSE = PAUSES[-1]
# A 401 is tried this many times (a second apart) before the token counts as revoked.
UNAUTHORIZED_TRIES = 3
# While polling fails, a warning this often (the first failure is logged at once).
WARN_EVERY = 60.0
# The health file is rewritten at most this often while nothing changes.
HEALTH_EVERY = 15.0
# doctor --quick fails when polling has failed for this long, or not answered at all.
DEAF_AFTER = 60.0
STALE_AFTER = 180.0
EMPTY = b'{"ok": true, "result": []}'


def health_path(db_path: Path) -> Path:
    """Where the running bot says how polling goes: beside its database."""
    return db_path.with_name(db_path.name + ".health")


@dataclass
class Health:
    """The bot's last contact with Telegram, as a small JSON file for health checks."""

    path: Path
    last_ok: float = 0.0
    failing_since: float | None = None
    error: str = ""
    written: float = 0.0
    state: str = "starting"

    def ok(self) -> None:
        now = time.time()
        changed = self.failing_since is not None or self.state != "polling"
        self.last_ok, self.failing_since, self.error, self.state = now, None, "", "polling"
        if changed or now - self.written > HEALTH_EVERY:
            self.write()

    def failed(self, error: str) -> None:
        now = time.time()
        changed = self.failing_since is None
        if self.failing_since is None:
            self.failing_since = now
        self.error, self.state = error, "failing"
        if changed or now - self.written > HEALTH_EVERY:
            self.write()

    def stopped(self, state: str = "stopped", error: str = "") -> None:
        self.state, self.error = state, error or self.error
        self.write()

    def write(self) -> None:
        self.written = time.time()
        record = {
            "pid": os.getpid(),
            "state": self.state,
            "last_ok": self.last_ok,
            "failing_since": self.failing_since,
            "error": self.error,
            "written": self.written,
        }
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            partial.write_text(json.dumps(record), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as error:  # a full or read-only disk must not stop polling
            log.debug("could not write %s: %s", self.path, error)


def read_health(path: Path, now: float | None = None) -> tuple[bool, str] | None:
    """What the health file says, for doctor: (healthy, why); None when no bot is polling."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not process_alive(int(record.get("pid") or 0)):
        return None
    now = time.time() if now is None else now
    state, error = record.get("state"), record.get("error") or "no answer"
    if state == "revoked":
        return False, f"Telegram refused the token while polling ({error})"
    if state == "failing" and record.get("failing_since"):
        failing = now - float(record["failing_since"])
        if failing >= DEAF_AFTER:
            return False, f"getUpdates has failed for {failing:.0f} s ({error})"
        return True, f"getUpdates failing for {failing:.0f} s, retrying ({error})"
    if state == "polling":
        quiet = now - float(record.get("written") or 0)
        if quiet >= STALE_AFTER:
            return False, f"no getUpdates answered for {quiet:.0f} s"
        return True, "getUpdates answers"
    return None  # starting, or stopped


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PollingRequest(HTTPXRequest):
    """The HTTP layer of getUpdates: a failed poll is tried again here, never paused long."""

    def __init__(
        self,
        health: Health | None = None,
        on_revoked: Callable[[str], None] | None = None,
        pauses: tuple[float, ...] = PAUSES,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("connection_pool_size", 1)
        super().__init__(**kwargs)
        self.health = health
        self.on_revoked = on_revoked
        self.pauses = pauses
        self.revoked = False

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        write_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        connect_timeout: Any = HTTPXRequest.DEFAULT_NONE,
        pool_timeout: Any = HTTPXRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        # PTB's last poll at shutdown (timeout 0) is tried once: the bot is stopping.
        once = not (request_data and request_data.parameters.get("timeout"))
        if self.revoked:
            # The bot is stopping (``on_revoked``): nothing more to fetch with a refused
            # token. An empty answer lets PTB's polling stop as usual, where a 401 would end
            # its loop with an exception that breaks the shutdown.
            if not once:
                await asyncio.sleep(1)
            return HTTPStatus.OK, EMPTY
        failures = 0
        unauthorized = 0
        warned = 0.0
        while True:
            try:
                status, payload = await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout,
                    write_timeout,
                    connect_timeout,
                    pool_timeout,
                )
            except TimedOut:
                raise  # PTB polls again at once; a long poll that timed out is no outage
            except NetworkError as error:  # connection refused, reset, DNS
                if once:
                    raise
                status, payload, problem = 0, b"", str(error)
            else:
                problem = f"{status} {describe(payload)}"
            if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
                unauthorized += 1
                if unauthorized >= UNAUTHORIZED_TRIES:
                    self.revoked = True
                    if self.health is not None:
                        self.health.stopped("revoked", problem)
                    if self.on_revoked is not None:
                        self.on_revoked(problem)
                    return HTTPStatus.OK, EMPTY
            elif status == 0 or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
                unauthorized = 0
            else:
                # Answered (a 409 or a 429 too: PTB's loop handles those as it should).
                if self.health is not None:
                    self.health.ok()
                if failures:
                    log.info("Telegram answers getUpdates again, after %d failed tries", failures)
                return status, payload
            if once:
                return status, payload
            failures += 1
            if self.health is not None:
                self.health.failed(problem)
            now = time.monotonic()
            if failures == 1 or now - warned >= WARN_EVERY:
                warned = now
                log.warning("getUpdates failed (%s); trying again (%d so far)", problem, failures)
            pause = 1.0 if unauthorized else self.pauses[min(failures - 1, len(self.pauses) - 1)]
            await asyncio.sleep(pause)


def describe(payload: bytes) -> str:
    """Telegram's description of an error answer, short."""
    with contextlib.suppress(ValueError, AttributeError):
        return str(json.loads(payload).get("description", ""))[:200]
    return payload[:80].decode("utf-8", "replace")
