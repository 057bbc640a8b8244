"""Reading the Bot API calls a bot made: find them, and check them against Telegram's rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import callbacks
from tests.fakebotapi import Call as ApiCall
from tests.fakebotapi import TelegramAPIError, parse_html


def check_call(call: ApiCall) -> None:
    """Fail on a call Telegram would refuse, or a button this bot could not read back."""
    params = call.params
    if "text" in params:
        assert 0 < len(params["text"]) <= 4096, call
        if params.get("parse_mode") == "HTML":
            try:
                parse_html(params["text"])
            except TelegramAPIError as error:
                pytest.fail(f"{call.method} sent HTML Telegram refuses ({error}): {params['text']}")
    for data in button_data(params.get("reply_markup")):
        assert len(data.encode()) <= callbacks.MAX_BYTES, data
        assert callbacks.is_known(data), data
    for result in params.get("results", []):
        for data in button_data(result.get("reply_markup")):
            assert callbacks.is_known(data), data
        content = result["input_message_content"]
        check_call(ApiCall("inline result", {**content, "text": content["message_text"]}))


def button_data(markup: dict[str, Any] | None) -> list[str]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]


def sent(calls: list[ApiCall], method: str) -> list[dict[str, Any]]:
    """The parameters of the calls to ``method``."""
    return [call.params for call in calls if call.method == method]


def only(calls: list[ApiCall], method: str) -> dict[str, Any]:
    """The parameters of the one call to ``method``; fails unless there is exactly one."""
    found = sent(calls, method)
    assert len(found) == 1, f"expected one {method}, got {json.dumps([c.method for c in calls])}"
    return found[0]


def buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(caption, data) of every button in a call's keyboard, row by row."""
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(button["text"], button.get("callback_data", "")) for row in rows for button in row]
