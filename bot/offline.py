"""A Bot API request layer that never touches the network, for tests and benchmarks.

Swapped in for PTB's HTTP layer (``build_application(..., request=OfflineRequest())``), it
records every call with its parameters and answers it the way Telegram would, with
canned successful results: the real ``Application`` routes real ``Update`` objects through
real handlers, and the test or benchmark reads what the bot sent. Modelled on
``OfflineRequest`` in python-telegram-bot's own test suite (``tests/auxil/networking.py``).
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "SOP Bot",
    "username": "sop_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
TAG_RE = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call: the method and its parameters as PTB would send them (JSON values)."""

    method: str
    params: dict[str, Any]


class OfflineRequest(BaseRequest):
    """Records Bot API calls and answers them with Telegram-shaped successful results."""

    def __init__(
        self,
        bot_user: dict[str, Any] | None = None,
        on_call: Callable[[ApiCall, Any], None] | None = None,
    ) -> None:
        self.bot_user = bot_user or BOT_USER
        self.on_call = on_call
        self.calls: list[ApiCall] = []
        # Messages as Telegram stores them, so a test can press their buttons.
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.message_ids = itertools.count(1_000_001)
        self.poll_ids = itertools.count(5_000_000_001)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        call = ApiCall(url.rsplit("/", 1)[-1], request_data.parameters if request_data else {})
        self.calls.append(call)
        result = self.result_of(call)
        if self.on_call is not None:
            self.on_call(call, result)
        return HTTPStatus.OK, json.dumps({"ok": True, "result": result}).encode()

    def result_of(self, call: ApiCall) -> Any:
        """What Telegram answers to ``call``, as far as the bot reads it."""
        params = call.params
        if call.method == "getMe":
            return self.bot_user
        if call.method == "getUpdates":
            return []
        if call.method in ("sendMessage", "sendPhoto", "sendDocument"):
            return self.store(self.new_message(params))
        if call.method == "sendPoll":
            message = self.new_message(params)
            message.pop("text")
            return self.store({**message, "poll": self.poll(params)})
        if call.method == "editMessageText":
            if "inline_message_id" in params:
                return True
            key = (int(params["chat_id"]), int(params["message_id"]))
            message = self.messages.get(key) or self.new_message(params, key[1])
            message = {**message, **self.content(params), "edit_date": int(time.time())}
            if "reply_markup" not in params:
                message.pop("reply_markup", None)
            return self.store(message)
        return True

    def new_message(self, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private", "first_name": "Staff"}
        if chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup", "title": "Store"}
        return {
            "message_id": message_id or next(self.message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
            **self.content(params),
        }

    def poll(self, params: dict[str, Any]) -> dict[str, Any]:
        """A new poll as Telegram returns it; its id is what the poll's answers name."""
        options = [
            {
                "text": option["text"] if isinstance(option, dict) else option,
                "voter_count": 0,
                "persistent_id": str(number),
            }
            for number, option in enumerate(params.get("options", []))
        ]
        poll: dict[str, Any] = {
            "id": str(next(self.poll_ids)),
            "question": params.get("question", ""),
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": params.get("is_anonymous", True),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": bool(params.get("allows_multiple_answers")),
            "allows_revoting": bool(params.get("allows_revoting")),
            "members_only": bool(params.get("members_only")),
        }
        for key in ("correct_option_ids", "explanation", "open_period"):
            if key in params:
                poll[key] = params[key]
        return poll

    @staticmethod
    def content(params: dict[str, Any]) -> dict[str, Any]:
        # Telegram turns HTML into plain text plus entities; the entities don't matter here.
        content: dict[str, Any] = {"text": html.unescape(TAG_RE.sub("", params.get("text", "")))}
        if "reply_markup" in params:
            content["reply_markup"] = params["reply_markup"]
        return content

    def store(self, message: dict[str, Any]) -> dict[str, Any]:
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        return message
