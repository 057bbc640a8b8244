"""A Bot API request layer that never touches the network, for tests and benchmarks.

Swapped in for PTB's HTTP layer (``build_application(..., request=OfflineRequest())``), it
records every call with its parameters and answers it the way Telegram would: canned
successful results, and Telegram's 400s where Telegram refuses (HTML it cannot parse, a
text over 4096 characters, an edit that changes nothing, a button answered twice). The
real ``Application`` routes real ``Update`` objects through real handlers, and the test or
benchmark reads what the bot sent. Modelled on
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

from telegram.constants import MessageLimit
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
# The tags Telegram's HTML parse mode knows (https://core.telegram.org/bots/api#html-style).
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"code", "pre", "blockquote", "tg-emoji"}
)
TAG_TOKEN_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)?[^<>]*>|<")
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class Refused(Exception):
    """What Telegram answers with a 400: its description."""


def check_html(text: str) -> None:
    """Raise :class:`Refused` as Telegram does for HTML it cannot parse: an unknown tag (a
    bare '<' included), an end tag that does not match, a tag left open."""
    stack: list[str] = []
    for token in TAG_TOKEN_RE.finditer(text):
        closing, name = token.group(1), (token.group(2) or "").lower()
        if not name or name not in HTML_TAGS:
            raise Refused(f"Bad Request: can't parse entities: unsupported tag at {token.start()}")
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise Refused(f"Bad Request: can't parse entities: unmatched end tag </{name}>")
    if stack:
        raise Refused(f"Bad Request: can't parse entities: unclosed start tag <{stack[-1]}>")


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
        self.answered_queries: set[str] = set()
        self.refused: list[tuple[ApiCall, str]] = []  # calls answered with a 400, and why

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
        try:
            self.check(call)
        except Refused as refused:
            self.refused.append((call, str(refused)))
            body = {"ok": False, "error_code": 400, "description": str(refused)}
            return HTTPStatus.BAD_REQUEST, json.dumps(body).encode()
        result = self.result_of(call)
        if self.on_call is not None:
            self.on_call(call, result)
        return HTTPStatus.OK, json.dumps({"ok": True, "result": result}).encode()

    def check(self, call: ApiCall) -> None:
        """Refuse what Telegram refuses (raise :class:`Refused`)."""
        params = call.params
        for key in ("text", "caption"):
            if key in params and params.get("parse_mode") == "HTML":
                check_html(str(params[key]))
        if len(str(params.get("text", ""))) > TEXT_LIMIT:
            raise Refused("Bad Request: message is too long")
        if call.method == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id"))
            if query_id in self.answered_queries:
                raise Refused(QUERY_INVALID)
            self.answered_queries.add(query_id)
        if call.method == "editMessageText" and "chat_id" in params:
            stored = self.messages.get((int(params["chat_id"]), int(params["message_id"])))
            edited = self.content(params)
            if stored is not None and all(
                stored.get(key) == edited.get(key) for key in ("text", "reply_markup")
            ):
                raise Refused(NOT_MODIFIED)

    def result_of(self, call: ApiCall) -> Any:
        """What Telegram answers to ``call``, as far as the bot reads it."""
        params = call.params
        if call.method == "getMe":
            return self.bot_user
        if call.method == "getUpdates":
            return []
        if call.method in ("sendMessage", "sendPhoto", "sendDocument"):
            return self.store(self.new_message(params))
        if call.method == "sendMediaGroup":  # an album: one message per picture
            return [self.store(self.new_message(params)) for _ in params.get("media", [])]
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
