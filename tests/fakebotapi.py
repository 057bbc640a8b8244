"""A fake Telegram Bot API server, so tests can run the real bot without the internet.

The server speaks the same HTTP protocol as ``api.telegram.org``: python-telegram-bot (PTB)
talks to it unchanged once it is configured with ``base_url=api.base_url`` (and
``base_file_url=api.base_file_url`` for downloads). Tests inject updates, inspect the calls the
bot made and script failures::

    with FakeBotAPI() as api:
        start_bot(token=api.token, base_url=api.base_url)      # e.g. `sopbot run` in a subprocess
        api.push_update(api.command("/start"))
        reply = api.wait_for_call("sendMessage", lambda p: "歡迎" in p["text"])
        api.fail("sendMessage", status=429, retry_after=1)     # the next send is rate limited

How PTB v22 sends requests (``telegram/request/_httpxrequest.py``, ``_requestparameter.py``):
every call is a POST whose parameters are form fields, ``application/x-www-form-urlencoded``
normally and ``multipart/form-data`` when a file is uploaded. Strings are sent as they are and
every other value JSON-encoded, so ``reply_markup`` arrives as a JSON string, ``chat_id`` as
``"42"`` and ``disable_notification`` as ``"true"``. The server turns them back into the
objects Telegram would see (see ``_coerce_form_value``), so recorded params look like the
keyword arguments the bot passed. JSON bodies and GET query strings work too.

What is modelled, because bots get it wrong in ways worth catching in tests: long polling
(``getUpdates`` blocks until an update arrives, ``offset`` confirms updates, two concurrent
pollers get 409 Conflict), webhooks (delivery with the secret token header and retries, 409
from ``getUpdates`` while one is set), HTML ``parse_mode`` (validated and turned into entities,
with Telegram's error texts), "message is not modified" edits, callback and inline query ids
that can be answered once, callback data over 64 bytes, command names, poll ids and uploaded
files that can be fetched back with ``getFile``. Faults are scripted per method (and chat):
``fail`` answers 429 with ``retry_after``, 401, 5xx or anything else, ``delay`` holds a call
past the client's timeout and then carries it out, as Telegram may. An update with a lone
surrogate (a forged "\\ud83d") is served as JSON's escape, since UTF-8 has no form for it.
Markdown parse modes are accepted without validation, and plain text gets no automatic
url/command entities.

Run ``python -m tests.fakebotapi --port 0`` for a standalone server: it prints one JSON line
with ``base_url``, ``base_file_url``, ``token`` and ``control_url``. Other processes drive it
through the control endpoints: ``POST /_fake/updates`` (body: an update), ``GET /_fake/calls``
and ``GET /_fake/sent_messages``.

Besides the standard library it uses only python-telegram-bot's constants (Telegram's
limits) and, for :class:`InProcessRequest`, its request interface, never the bot's code.

Two transports carry the same fake: HTTP, for a bot in another process (``sopbot run``), and
:class:`InProcessRequest`, PTB's request layer handing each call to the fake directly, for
tests that route updates through the real application in their own event loop. Both share
one state and one set of rules (tests/test_fakebotapi.py checks them over both).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import html
import itertools
import json
import mimetypes
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

from telegram.constants import (
    CallbackQueryLimit,
    InlineKeyboardButtonLimit,
    InlineQueryLimit,
    MediaGroupLimit,
    MessageLimit,
    PollLimit,
)
from telegram.request import BaseRequest, RequestData

JSONDict = dict[str, Any]
Params = dict[str, Any]
Predicate = Callable[[Params], bool]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
DEFAULT_USER_ID = 777000111
DEFAULT_FIRST_NAME = "Tester"
DEFAULT_LANGUAGE = "zh-hant"

# Telegram's own limits, as python-telegram-bot states them, so that a bot exceeding them
# fails here as it would live.
MAX_TEXT_LENGTH = int(MessageLimit.MAX_TEXT_LENGTH)
MAX_CAPTION_LENGTH = int(MessageLimit.CAPTION_LENGTH)
MAX_CALLBACK_DATA_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
MAX_CALLBACK_ANSWER_LENGTH = int(CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH)
MAX_INLINE_RESULTS = int(InlineQueryLimit.RESULTS)
MAX_POLL_OPTIONS = int(PollLimit.MAX_OPTION_NUMBER)
MAX_POLL_QUESTION_LENGTH = int(PollLimit.MAX_QUESTION_LENGTH)
MAX_POLL_OPTION_LENGTH = int(PollLimit.MAX_OPTION_LENGTH)
MAX_POLL_EXPLANATION_LENGTH = int(PollLimit.MAX_EXPLANATION_LENGTH)

# Update types Telegram leaves out unless they are asked for in allowed_updates.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# An inline keyboard button must carry exactly one of these besides its text.
_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

_MENU_BUTTON_TYPES = frozenset({"commands", "web_app", "default"})
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

# ---------------------------------------------------------------------------------------------
# Public value types
# ---------------------------------------------------------------------------------------------


class Call(NamedTuple):
    """One API call that the server answered successfully."""

    method: str
    params: Params


class FailedCall(NamedTuple):
    """One API call answered with an error, injected by :meth:`FakeBotAPI.fail` or genuine."""

    method: str
    params: Params
    status: int
    description: str


class WebhookAttempt(NamedTuple):
    """One attempt to POST an update to the registered webhook."""

    update_id: int
    url: str
    status: int | None  # HTTP status, None when no response came back
    error: str | None  # None when the attempt succeeded


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request; it is the value of that param."""

    filename: str
    mime_type: str
    content: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.mime_type!r}, {len(self.content)} bytes)"

    def to_json(self) -> JSONDict:
        """A JSON-friendly summary, used by the control endpoints."""
        return {"filename": self.filename, "mime_type": self.mime_type, "size": len(self.content)}


class TelegramAPIError(Exception):
    """An error answer, raised by method handlers and turned into Telegram's error envelope."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def envelope(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(reason: str) -> TelegramAPIError:
    return TelegramAPIError(HTTPStatus.BAD_REQUEST, f"Bad Request: {reason}")


# ---------------------------------------------------------------------------------------------
# Request decoding
# ---------------------------------------------------------------------------------------------

# Parameters that are strings even when their text looks like a number or like JSON: a bot that
# sends the text "42" or "[draft]" must see exactly that recorded.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "question",
        "explanation",
        "description",
        "short_description",
        "name",
        "title",
        "parse_mode",
        "explanation_parse_mode",
        "question_parse_mode",
        "description_parse_mode",
        "url",
        "secret_token",
        "ip_address",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "file_id",
        "action",
        "next_offset",
        "language_code",
        "message_effect_id",
        "business_connection_id",
        "emoji",
        "custom_title",
        "photo",
        "document",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
    }
)
_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?\d+\.\d+")


def _coerce_form_value(key: str, value: str) -> Any:
    """Turn one form field back into the value PTB JSON-encoded (strings stay as sent)."""
    if key in _STRING_FIELDS:
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if _INT_RE.fullmatch(value):
        return int(value)
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    return value


def _decode_json_body(data: Any) -> Params:
    """Params from a JSON body; Telegram also accepts objects there as JSON-encoded strings."""
    if not isinstance(data, dict):
        raise ValueError("the JSON body must be an object")
    params: Params = {}
    for key, value in data.items():
        if isinstance(value, str) and key not in _STRING_FIELDS and value[:1] in ("{", "["):
            with contextlib.suppress(ValueError):  # not JSON after all: keep the string
                value = json.loads(value)
        params[key] = value
    return params


_DISPOSITION_PARAM_RE = re.compile(r';\s*([\w*-]+)="((?:[^"\\]|\\.)*)"|;\s*([\w*-]+)=([^;\s]+)')
# httpx escapes '"' and control characters in multipart header values as %XX (HTML5 rules).
_FORM_ESCAPE_RE = re.compile(r"%(22|[01][0-9A-Fa-f])")


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Split a multipart/form-data body into text fields and uploaded files."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, Any] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):  # the closing delimiter
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition: dict[str, str] = {}
        for quoted_key, quoted, bare_key, bare in _DISPOSITION_PARAM_RE.findall(
            ";" + headers.get("content-disposition", "")
        ):
            raw = quoted if quoted_key else bare
            disposition[(quoted_key or bare_key).lower()] = _FORM_ESCAPE_RE.sub(
                lambda m: chr(int(m.group(1), 16)), raw
            )
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            files[name] = UploadedFile(
                filename=disposition["filename"],
                mime_type=headers.get("content-type", "application/octet-stream"),
                content=content,
            )
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


def decode_params(content_type: str, body: bytes, query: str = "") -> Params:
    """Decode a Bot API request (query string plus JSON, urlencoded or multipart body)."""
    fields: dict[str, str] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    params: Params = {}
    media_type = content_type.split(";")[0].strip().lower()
    if body:
        if media_type == "application/json":
            params.update(_decode_json_body(json.loads(body.decode("utf-8"))))
        elif media_type == "multipart/form-data":
            text_fields, files = _parse_multipart(body, content_type)
            fields.update(text_fields)
            params.update(files)
        else:  # application/x-www-form-urlencoded, also Telegram's default for other types
            fields.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key, value in fields.items():
        params.setdefault(key, _coerce_form_value(key, value))
    return params


# ---------------------------------------------------------------------------------------------
# Text formatting (parse_mode=HTML), modelled on Telegram's parser and its error messages
# ---------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


_HTML_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});")
_HTML_ATTR_RE = re.compile(r"""([^\s=>/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9.-]+)))?""")
_SIMPLE_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_HTML_TAGS = frozenset(_SIMPLE_HTML_TAGS) | {"a", "tg-emoji", "blockquote"}


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the output text where the tag's content starts


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Return Telegram's plain text and entities for an HTML-formatted message.

    Raises TelegramAPIError with Telegram's "can't parse entities" messages for markup Telegram
    rejects: unknown tags (which includes a bare '<'), unclosed or mismatched tags.
    """

    def fail(reason: str) -> TelegramAPIError:
        return _bad_request(f"can't parse entities: {reason}")

    def byte_offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    out: list[str] = []
    out_len = 0  # UTF-16 length of the output so far
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&" and (entity := _HTML_ENTITY_RE.match(text, i)):
            decoded = html.unescape(entity.group())
            out.append(decoded)
            out_len += utf16_len(decoded)
            i = entity.end()
            continue
        if char != "<":
            out.append(char)
            out_len += utf16_len(char)
            i += 1
            continue

        start = i
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise fail(f"Unclosed end tag at byte offset {byte_offset(start)}")
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(start)}")
            name = text[i + 2 : end].strip().lower()
            tag = stack.pop()
            if name and name != tag.name:
                raise fail(
                    f"Unmatched end tag at byte offset {byte_offset(start)}, "
                    f'expected "</{tag.name}>", found "</{name}>"'
                )
            if out_len > tag.offset:
                _close_html_entity(tag, out_len, "".join(out), entities)
            i = end + 1
            continue

        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        name = text[i + 1 : j].lower()
        if j >= n:
            raise fail(f"Unclosed start tag at byte offset {byte_offset(start)}")
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(start)}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise fail(f'Unclosed start tag "{name}" at byte offset {byte_offset(start)}')
            if text[j] == ">":
                break
            attr = _HTML_ATTR_RE.match(text, j)
            if not attr:
                raise fail(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(start)}'
                )
            value = next((v for v in attr.groups()[1:] if v is not None), "")
            attrs[attr.group(1).lower()] = html.unescape(value)
            j = attr.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(start)}'
            )
        stack.append(_OpenTag(name, attrs, out_len))
        i = j + 1

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _strip_with_entities("".join(out), entities)


def _close_html_entity(tag: _OpenTag, end: int, output: str, entities: list[JSONDict]) -> None:
    """Append the entity for a closed tag that spans output[tag.offset:end] (UTF-16 units)."""
    entity: JSONDict = {"offset": tag.offset, "length": end - tag.offset}
    if tag.name in _SIMPLE_HTML_TAGS:
        entity["type"] = _SIMPLE_HTML_TAGS[tag.name]
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
    elif tag.name == "tg-emoji":
        if not tag.attrs.get("emoji-id", "").isdigit():
            raise _bad_request("can't parse entities: Invalid custom emoji identifier specified")
        entity.update(type="custom_emoji", custom_emoji_id=tag.attrs["emoji-id"])
    else:  # <a>: without href Telegram links the text itself
        inner = output.encode("utf-16-le")[2 * tag.offset : 2 * end].decode("utf-16-le")
        entity.update(type="text_link", url=tag.attrs.get("href") or inner)
    # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
    if tag.name == "pre" and entities:
        last = entities[-1]
        if last["type"] == "code" and (last["offset"], last["length"]) == (
            entity["offset"],
            entity["length"],
        ):
            entities.pop()
            language = last.get("language")
            if language:
                entity["language"] = language
    if tag.name == "code" and tag.attrs.get("class", "").startswith("language-"):
        entity["language"] = tag.attrs["class"].removeprefix("language-")
    entities.append(entity)


def _strip_with_entities(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims surrounding whitespace; shift and clip entities to match."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        begin = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > begin:
            if entity["type"] == "code":
                entity.pop("language", None)  # only pre entities keep a language
            result.append({**entity, "offset": begin, "length": end - begin})
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, result


# ---------------------------------------------------------------------------------------------
# Scripted behaviour
# ---------------------------------------------------------------------------------------------

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class _Fault:
    method: str  # lower-case: Telegram method names are case-insensitive
    status: int
    description: str
    retry_after: int | None
    chat_id: str | None
    remaining: int | None  # None: fail forever

    def matches(self, method: str, params: Params) -> bool:
        if self.method != method.lower() or self.remaining == 0:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == self.chat_id

    def error(self) -> TelegramAPIError:
        parameters = {"retry_after": self.retry_after} if self.retry_after is not None else None
        return TelegramAPIError(self.status, self.description, parameters)


@dataclass
class _Delay:
    method: str  # lower-case
    seconds: float
    remaining: int | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None  # None for files known only by URL

    def as_file(self) -> JSONDict:
        result: JSONDict = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.content is not None:
            result["file_size"] = len(self.content)
        result["file_path"] = self.file_path
        return result


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Answer(NamedTuple):
    """A result together with the human-readable description Telegram sometimes adds."""

    result: Any
    description: str


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------

_API_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_FILE_PATH_RE = re.compile(r"/file/bot([^/]+)/(.+)")


class _Server(ThreadingHTTPServer):
    """Threaded server that can drop its keep-alive connections when the fake stops."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: FakeBotAPI) -> None:
        self.api = api
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads still reading from idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a timed-out request, a killed bot) is routine here, not news.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes Bot API, file download and control requests to the FakeBotAPI."""

    protocol_version = "HTTP/1.1"  # keep-alive, as PTB's connection pool expects
    server_version = "nginx"
    sys_version = ""
    timeout = 60  # don't let a stuck client pin a thread forever
    # Headers and body go out in separate writes; with Nagle's algorithm on, the client's
    # delayed ACK would add ~40 ms to every call.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the recorded calls are the log that matters; stderr noise hides test output

    def _route(self) -> None:
        api = self.server.api
        path, _, query = self.path.partition("?")
        path = urllib.parse.unquote(path)  # PTB quotes the token in file URLs
        body = self._read_body()
        if match := _API_PATH_RE.fullmatch(path):
            token, method = match.groups()
            if token != api.token:
                self._send_json(401, TelegramAPIError(401, "Unauthorized").envelope())
                return
            try:
                params = decode_params(self.headers.get("Content-Type", ""), body, query)
            except ValueError as exc:
                self._send_json(400, _bad_request(f"can't parse request: {exc}").envelope())
                return
            status, payload = api._handle_api_call(method, params)
            self._send_json(status, payload)
        elif match := _FILE_PATH_RE.fullmatch(path):
            token, file_path = match.groups()
            content = api._file_content(file_path)
            if token != api.token:
                self._send_json(401, TelegramAPIError(401, "Unauthorized").envelope())
            elif content is None:  # unknown path, or a file known only by id or URL
                self._send_json(404, TelegramAPIError(404, "Not Found").envelope())
            else:
                self._send(200, content, "application/octet-stream")
        elif path.startswith("/_fake/"):
            status, payload = api._handle_control(self.command, path, body)
            self._send_json(status, payload)
        else:
            self._send_json(404, TelegramAPIError(404, "Not Found").envelope())

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()  # the blank line after the last chunk
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload: Any) -> None:
        text = json.dumps(payload, ensure_ascii=False, default=_json_default)
        try:
            body = text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (a forged update's "\ud83d") has no UTF-8 form: JSON's own
            # escapes carry it, as a Telegram-compatible server would have to.
            body = json.dumps(payload, default=_json_default).encode("ascii")
        self._send(status, body, "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _json_default(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        return value.to_json()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------


class FakeBotAPI:
    """An in-process fake of the Telegram Bot API, served over HTTP on 127.0.0.1.

    All public methods are thread-safe. Blocking waits (:meth:`wait_for_call`,
    :meth:`wait_until_delivered`) must not run on an event loop that the awaited client needs;
    use :meth:`wait_for_call_async` there.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        auto_deliver_webhook: bool = True,
        webhook_retry_delay: float = 0.1,
    ) -> None:
        """
        Args:
            token: the only token the server accepts; its numeric prefix is the bot's user id.
            host, port: where to listen; port 0 picks a free port.
            auto_deliver_webhook: POST pending updates to a registered webhook from a background
                thread. Switch off to deliver explicitly with :meth:`deliver_webhook_updates`.
            webhook_retry_delay: first pause after a failed webhook delivery; it doubles up to
                one second (Telegram backs off too, only much more slowly).
        """
        self.token = token
        self._host = host
        self._requested_port = port
        self._auto_deliver = auto_deliver_webhook
        self._retry_delay = webhook_retry_delay

        bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 123456
        self._bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "SOP Bot",
            "username": "sop_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        # One re-entrant lock guards all state; the condition wakes long polls, webhook delivery
        # and wait_for_call whenever anything changes.
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._delivery_lock = threading.Lock()  # one webhook delivery at a time, in order

        self._calls: list[Call] = []
        self._failed_calls: list[FailedCall] = []
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []

        self._pending: list[JSONDict] = []  # updates not yet confirmed or delivered
        self._next_update_id = 100_000_001
        self._allowed_updates: list[str] | None = None  # None: Telegram's default set
        self._poll_generation = 0  # bumped by each getUpdates; an older long poll gets 409
        self._waiting_polls = 0  # getUpdates requests currently inside their long poll
        self._webhook: _Webhook | None = None
        self._webhook_attempts: list[WebhookAttempt] = []

        self._message_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_message_keys: list[tuple[int, int]] = []  # in the order they were sent
        self._deleted: set[tuple[int, int]] = set()
        self._chats: dict[int, JSONDict] = {}
        self._open_queries: set[str] = set()  # callback and inline query ids not yet answered
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._polls: dict[str, tuple[int, int]] = {}  # poll id -> key of the message holding it
        self._poll_ids = itertools.count(5_000_000_000_000_000_001)
        self._files: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._menu_buttons: dict[int | None, JSONDict] = {}

        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getMe": self._get_me,
            "logOut": self._return_true,
            "close": self._return_true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "sendPoll": self._send_poll,
            "stopPoll": self._stop_poll,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }
        self._method_names = {name.lower(): name for name in self._handlers}

        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        """Bind the port and serve from background threads. Returns self."""
        if self._server is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._stopping.clear()
        self._server = _Server((self._host, self._requested_port), self)
        self._threads = [
            threading.Thread(
                # A short poll interval keeps stop() fast: shutdown() waits for one interval.
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fakebotapi-http",
                daemon=True,
            ),
            threading.Thread(target=self._webhook_worker, name="fakebotapi-webhook", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake every blocked request and close all sockets."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        server.shutdown()
        server.close_connections()
        server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses and identity ------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` for PTB, which appends the token and ``/method``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """The ``base_file_url`` for PTB, used to download files from ``getFile``."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        """The User object getMe returns."""
        return copy.deepcopy(self._bot_user)

    # -- update injection ------------------------------------------------------------------------

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates or the webhook; returns it with its update_id.

        Messages, query ids and files inside it are remembered, so the bot can reply to,
        answer or download them as it could on Telegram.
        """
        with self._cond:
            # update_id first, where Telegram puts it.
            update = {"update_id": self._next_update_id, **copy.deepcopy(update)}
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
            self._remember_update(update)
            self._pending.append(update)
            self._cond.notify_all()
            return copy.deepcopy(update)

    def text_message(
        self,
        text: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        language_code: str | None = DEFAULT_LANGUAGE,
        first_name: str = DEFAULT_FIRST_NAME,
        username: str | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """Build (without pushing) an update with a text message from a user.

        ``chat_id`` defaults to the user's private chat; a negative id makes a group chat
        (``-100…`` a supergroup).
        """
        message = self._user_message(
            user_id, chat_id, language_code, first_name, username, reply_to_message_id
        )
        message["text"] = text
        if entities:
            message["entities"] = entities
        return {"message": message}

    def command(self, text: str, **kwargs: Any) -> JSONDict:
        """Build a text message update for a command such as ``"/ask 退貨流程"``.

        Takes the keyword arguments of :meth:`text_message`.
        """
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        name = text.split(maxsplit=1)[0]
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(name)}
        return self.text_message(text, entities=[entity], **kwargs)

    def document_message(
        self,
        file_name: str = "document.pdf",
        content: bytes = b"%PDF-1.4 fake",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        language_code: str | None = DEFAULT_LANGUAGE,
        first_name: str = DEFAULT_FIRST_NAME,
    ) -> JSONDict:
        """Build a message update carrying a document; getFile and the download serve it."""
        message = self._user_message(user_id, chat_id, language_code, first_name, None, None)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        with self._cond:
            stored = self._store_file("documents", file_name, content)
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
        return {"message": message}

    def photo_message(
        self,
        content: bytes = b"\x89PNG\r\n\x1a\n fake",
        *,
        caption: str | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        language_code: str | None = DEFAULT_LANGUAGE,
        first_name: str = DEFAULT_FIRST_NAME,
    ) -> JSONDict:
        """Build a message update carrying a photo (two sizes, both downloadable)."""
        message = self._user_message(user_id, chat_id, language_code, first_name, None, None)
        with self._cond:
            message["photo"] = self._photo_sizes(content)
        if caption is not None:
            message["caption"] = caption
        return {"message": message}

    def callback_query(
        self,
        data: str,
        message_id: int | None = None,
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        language_code: str | None = DEFAULT_LANGUAGE,
        first_name: str = DEFAULT_FIRST_NAME,
    ) -> JSONDict:
        """Build a callback query update: the user pressed a button on a message.

        ``message_id`` defaults to the bot's latest message in the chat, which in turn defaults
        to the user's private chat. The message is embedded as it is now (after edits).
        """
        chat_id = user_id if chat_id is None else chat_id
        with self._cond:
            if message_id is None:
                keys = [k for k in self._bot_message_keys if k[0] == chat_id]
                keys = [k for k in keys if k not in self._deleted]
                if not keys:
                    raise ValueError(f"the bot has sent no message to chat {chat_id} yet")
                message_id = keys[-1][1]
            message = self._messages.get((chat_id, message_id))
            if message is None or (chat_id, message_id) in self._deleted:
                raise ValueError(f"no message {message_id} in chat {chat_id}")
            query_id = str(next(self._query_ids))
            return {
                "callback_query": {
                    "id": query_id,
                    "from": _user(user_id, first_name, language_code, None),
                    "message": copy.deepcopy(message),
                    "chat_instance": str(-8_000_000_000_000_000_000 - chat_id),
                    "data": data,
                }
            }

    def inline_query(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        offset: str = "",
        chat_type: str = "private",
        language_code: str | None = DEFAULT_LANGUAGE,
        first_name: str = DEFAULT_FIRST_NAME,
    ) -> JSONDict:
        """Build an inline query update (the user typed ``@sop_test_bot query``)."""
        return {
            "inline_query": {
                "id": str(next(self._query_ids)),
                "from": _user(user_id, first_name, language_code, None),
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            }
        }

    def poll_answer(
        self,
        poll_id: str | None = None,
        *,
        user_id: int = DEFAULT_USER_ID,
        option_ids: Iterable[int] = (0,),
        language_code: str | None = DEFAULT_LANGUAGE,
        first_name: str = DEFAULT_FIRST_NAME,
    ) -> JSONDict:
        """Build a poll answer update; ``poll_id`` defaults to the bot's latest poll.

        The stored poll's vote counts are updated, so a later stopPoll reports them.
        """
        option_ids = list(option_ids)
        with self._cond:
            if poll_id is None:
                if not self._polls:
                    raise ValueError("the bot has sent no poll yet")
                poll_id = list(self._polls)[-1]
            persistent_ids = [str(i) for i in option_ids]
            key = self._polls.get(poll_id)
            if key is not None:
                poll = self._messages[key]["poll"]
                options = poll["options"]
                for option_id in option_ids:
                    if not 0 <= option_id < len(options):
                        raise ValueError(f"poll {poll_id} has no option {option_id}")
                    options[option_id]["voter_count"] += 1
                persistent_ids = [options[i]["persistent_id"] for i in option_ids]
                poll["total_voter_count"] += 1
        return {
            "poll_answer": {
                "poll_id": poll_id,
                "user": _user(user_id, first_name, language_code, None),
                "option_ids": option_ids,
                "option_persistent_ids": persistent_ids,
            }
        }

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by getUpdates (offset) or delivered to the webhook."""
        with self._cond:
            return copy.deepcopy(self._pending)

    def wait_until_delivered(self, timeout: float = 10) -> None:
        """Block until no update is pending (polled and confirmed, or POSTed to the webhook).

        With polling, PTB confirms a batch when it asks for the next one, which it does right
        after queueing the batch: "delivered" means received, not processed.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: not self._pending, timeout):
                raise TimeoutError(
                    f"{len(self._pending)} update(s) still pending after {timeout}s: "
                    f"{_brief(self._pending)}"
                )

    def wait_until_polling(self, timeout: float = 10) -> None:
        """Block until a getUpdates long poll is waiting for updates.

        Calls are recorded when answered, so a poll in progress is invisible to
        :meth:`wait_for_call`; this is how a test knows a freshly started bot is listening.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._waiting_polls > 0, timeout):
                raise TimeoutError(
                    f"no getUpdates long poll within {timeout}s; "
                    + self._describe_wait_failure("getUpdates", None, timeout)
                )

    async def wait_until_polling_async(self, timeout: float = 10) -> None:
        """:meth:`wait_until_polling` for async tests."""
        await asyncio.to_thread(self.wait_until_polling, timeout)

    # -- webhook ---------------------------------------------------------------------------------

    @property
    def webhook_url(self) -> str | None:
        with self._cond:
            return self._webhook.url if self._webhook else None

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        """Every webhook POST, successful or not, in order."""
        with self._cond:
            return list(self._webhook_attempts)

    def deliver_webhook_updates(self) -> int:
        """POST pending updates to the webhook now, stopping at the first failure.

        Returns how many were delivered. Meant for ``auto_deliver_webhook=False``; it blocks
        until the receiver answers, so don't call it from the event loop serving the webhook.
        """
        delivered = 0
        while self._deliver_one():
            delivered += 1
        return delivered

    # -- recorded calls --------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Successful API calls as (method, params), in the order they were answered."""
        with self._cond:
            return list(self._calls)

    @property
    def failed_calls(self) -> list[FailedCall]:
        """Calls answered with an error, as (method, params, status, description)."""
        with self._cond:
            return list(self._failed_calls)

    def calls_to(self, method: str) -> list[Params]:
        """Params of every successful call to ``method`` (case-insensitive), in order."""
        with self._cond:
            return [c.params for c in self._calls if c.method.lower() == method.lower()]

    def clear_calls(self) -> None:
        """Forget recorded calls and failures (not messages, files or other state)."""
        with self._cond:
            self._calls.clear()
            self._failed_calls.clear()

    def wait_for_call(
        self,
        method: str,
        predicate: Predicate | None = None,
        timeout: float = 10,
        *,
        since: int = 0,
    ) -> Params:
        """Return the params of the first successful call to ``method`` matching ``predicate``.

        Calls already made count: pass ``since=len(api.calls)`` to wait for a new one only.
        Raises TimeoutError listing the recent calls when none arrives within ``timeout``.
        """
        method_lower = method.lower()

        def find() -> Params | None:
            for call in self._calls[since:]:
                if call.method.lower() == method_lower and (
                    predicate is None or predicate(call.params)
                ):
                    return call.params
            return None

        with self._cond:
            found = self._cond.wait_for(find, timeout)
            if found is None:
                raise TimeoutError(self._describe_wait_failure(method, predicate, timeout))
            return found

    async def wait_for_call_async(
        self,
        method: str,
        predicate: Predicate | None = None,
        timeout: float = 10,
        *,
        since: int = 0,
    ) -> Params:
        """:meth:`wait_for_call` for async tests, so the event loop keeps running meanwhile."""
        return await asyncio.to_thread(self.wait_for_call, method, predicate, timeout, since=since)

    def sent_messages(
        self, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[JSONDict]:
        """Messages the bot sent (optionally to one chat), in order and as they are now."""
        with self._cond:
            return [
                copy.deepcopy(self._messages[key])
                for key in self._bot_message_keys
                if (chat_id is None or key[0] == chat_id)
                and (include_deleted or key not in self._deleted)
            ]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a stored message (the bot's or a user's), or None."""
        with self._cond:
            message = self._messages.get((chat_id, message_id))
            return copy.deepcopy(message) if message is not None else None

    def my_commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list set by setMyCommands for a scope and language."""
        with self._cond:
            return copy.deepcopy(self._commands.get(_scope_key(scope, language_code), []))

    # -- fault injection -------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        times: int | None = 1,
        description: str | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` (None: all) with an error.

        ``retry_after`` defaults to 1 for 429 and is sent as Telegram's
        ``parameters.retry_after`` (PTB raises RetryAfter for it). With ``chat_id`` only calls
        for that chat fail. Faults for one method apply in the order they were added.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            template = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            description = template.format(retry_after=retry_after)
        fault = _Fault(
            method=method.lower(),
            status=status,
            description=description,
            retry_after=retry_after,
            chat_id=None if chat_id is None else str(chat_id),
            remaining=times,
        )
        with self._cond:
            self._faults.append(fault)

    def delay(self, method: str, seconds: float, times: int | None = 1) -> None:
        """Hold the next ``times`` calls to ``method`` for ``seconds`` before answering.

        The call is then carried out as usual even if the client gave up meanwhile, as on
        Telegram, where a timed-out send may still have been delivered.
        """
        with self._cond:
            self._delays.append(_Delay(method.lower(), seconds, times))

    def clear_faults(self) -> None:
        """Drop all scripted failures and delays that have not fired yet."""
        with self._cond:
            self._faults.clear()
            self._delays.clear()

    # -- the in-process transport's entry points -------------------------------------------------

    def remember(self, update: JSONDict) -> None:
        """Know an update's messages, files and queries as if it had been delivered: for a
        transport that hands updates to the bot itself (:class:`InProcessRequest`)."""
        with self._cond:
            self._remember_update(update)

    def new_message_id(self) -> int:
        """A message id for a user's message that no other message in the fake has."""
        with self._cond:
            return next(self._message_ids)

    def store_file(self, content: bytes, name: str = "file", file_id: str | None = None) -> str:
        """Keep a file the bot may fetch with getFile and download; its id (``file_id`` if
        given, as a test may name the file a user's message carries)."""
        with self._cond:
            stored = self._store_file("documents", name, content)
            if file_id is not None:
                del self._files[stored.file_id]
                stored = _StoredFile(file_id, file_id, stored.file_path, content)
                self._files[file_id] = stored
            return stored.file_id

    # -- request handling (called from server threads, or the in-process transport) -------------

    def handle(self, method: str, params: Params) -> tuple[int, JSONDict]:
        """Answer one Bot API call, as (HTTP status, Telegram's JSON envelope)."""
        return self._handle_api_call(method, params)

    def _handle_api_call(self, method: str, params: Params) -> tuple[int, JSONDict]:
        method = self._method_names.get(method.lower(), method)
        if not self._wait_scripted_delay(method):
            # Stopped while holding the call: answer like Telegram's front end with its
            # backend gone, and leave no trace of a call the test no longer watches.
            return 502, TelegramAPIError(502, "Bad Gateway").envelope()
        with self._cond:
            try:
                fault = next((f for f in self._faults if f.matches(method, params)), None)
                if fault is not None:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    raise fault.error()
                handler = self._handlers.get(method, self._return_true)
                result = handler(params)
            except Exception as exc:
                # A crash in the fake must reach the test as an answer, not a dropped connection.
                error = (
                    exc
                    if isinstance(exc, TelegramAPIError)
                    else TelegramAPIError(500, f"Internal Server Error: {method} crashed: {exc!r}")
                )
                self._failed_calls.append(
                    FailedCall(method, params, error.status, error.description)
                )
                self._cond.notify_all()
                return error.status, error.envelope()
            self._calls.append(Call(method, params))
            self._cond.notify_all()
        if isinstance(result, _Answer):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _wait_scripted_delay(self, method: str) -> bool:
        """Sleep if a delay is scripted for this call. False if the server stopped meanwhile."""
        with self._cond:
            delay = next(
                (d for d in self._delays if d.method == method.lower() and d.remaining != 0), None
            )
            if delay is None:
                return True
            if delay.remaining is not None:
                delay.remaining -= 1
        # Outside the lock, so other calls go on meanwhile; stop() cuts the wait short.
        return not self._stopping.wait(delay.seconds)

    def _handle_control(self, command: str, path: str, body: bytes) -> tuple[int, JSONDict]:
        """Endpoints for driving a standalone server (``python -m tests.fakebotapi``)."""
        if command == "POST" and path == "/_fake/updates":
            try:
                update = json.loads(body.decode("utf-8"))
            except ValueError:
                update = None
            if not isinstance(update, dict):
                return 400, _bad_request("the body must be a JSON object (an update)").envelope()
            return 200, {"ok": True, "result": self.push_update(update)}
        if command == "GET" and path == "/_fake/calls":
            calls = [{"method": c.method, "params": c.params} for c in self.calls]
            return 200, {"ok": True, "result": calls}
        if command == "GET" and path == "/_fake/sent_messages":
            return 200, {"ok": True, "result": self.sent_messages()}
        return 404, TelegramAPIError(404, "Not Found").envelope()

    def _file_content(self, file_path: str) -> bytes | None:
        with self._cond:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
            return stored.content if stored is not None else None

    # -- method handlers: run with the lock held, params must not be mutated ---------------------

    def _return_true(self, params: Params) -> bool:
        return True

    def _get_me(self, params: Params) -> JSONDict:
        return self.bot_user

    def _get_updates(self, params: Params) -> list[JSONDict]:
        if self._webhook is not None:
            raise TelegramAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = max(_float_param(params, "timeout", 0.0), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = _allowed_updates_param(params)

        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()  # an older long poll still waiting loses (409 below)

        # A positive offset confirms everything before it; a negative one keeps the last few.
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

        deadline = time.monotonic() + timeout
        self._waiting_polls += 1
        self._cond.notify_all()
        try:
            while True:
                batch = self._deliverable(self._allowed_updates)[:limit]
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._stopping.is_set():
                    return copy.deepcopy(batch)
                self._cond.wait(remaining)
                if self._poll_generation != generation:
                    raise TelegramAPIError(409, _DEFAULT_DESCRIPTIONS[409])
        finally:
            self._waiting_polls -= 1

    def _set_webhook(self, params: Params) -> _Answer:
        url = str(params.get("url", ""))
        if not url:
            return self._delete_webhook(params)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            # The real API insists on HTTPS; plain HTTP is allowed so tests need no TLS.
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook = _Webhook(
            url=url,
            secret_token=None if secret is None else str(secret),
            max_connections=_int_param(params, "max_connections", 40),
            allowed_updates=_allowed_updates_param(params),
            ip_address=params.get("ip_address"),
        )
        self._cond.notify_all()  # the delivery thread may start now
        return _Answer(True, "Webhook was set")

    def _delete_webhook(self, params: Params) -> _Answer:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        was_set, self._webhook = self._webhook is not None, None
        self._cond.notify_all()
        return _Answer(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _get_webhook_info(self, params: Params) -> JSONDict:
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = hook.ip_address or "127.0.0.1"
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    def _send_message(self, params: Params) -> JSONDict:
        text, entities = self._formatted(params, "text", "parse_mode", "entities")
        if not text:
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_bot_message(params, content)

    def _send_photo(self, params: Params) -> JSONDict:
        photo = params.get("photo")
        if isinstance(photo, UploadedFile):
            sizes = self._photo_sizes(photo.content)
        elif isinstance(photo, str) and photo in self._files:
            stored = self._files[photo]
            sizes = [{**stored.as_file(), "width": 1280, "height": 960}]
            sizes[0].pop("file_path")
        elif isinstance(photo, str) and photo.startswith(("http://", "https://")):
            sizes = self._photo_sizes(None)
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        return self._new_bot_message(params, {"photo": sizes, **self._caption(params)})

    def _send_document(self, params: Params) -> JSONDict:
        document = params.get("document")
        if isinstance(document, UploadedFile):
            stored = self._store_file("documents", document.filename, document.content)
            info: JSONDict = {
                "file_name": document.filename,
                "mime_type": document.mime_type,
                "file_size": len(document.content),
            }
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
            info = {"file_name": stored.file_path.rsplit("/", 1)[-1]}
        elif isinstance(document, str) and document.startswith(("http://", "https://")):
            name = urllib.parse.urlsplit(document).path.rsplit("/", 1)[-1] or "file"
            stored = self._store_file("documents", name, None)
            info = {"file_name": name}
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        info = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, **info}
        return self._new_bot_message(params, {"document": info, **self._caption(params)})

    def _send_media_group(self, params: Params) -> list[JSONDict]:
        media = params.get("media")
        if not isinstance(media, list) or not (
            MediaGroupLimit.MIN_MEDIA_LENGTH <= len(media) <= MediaGroupLimit.MAX_MEDIA_LENGTH
        ):
            raise _bad_request(
                f"media must hold {MediaGroupLimit.MIN_MEDIA_LENGTH}-"
                f"{MediaGroupLimit.MAX_MEDIA_LENGTH} items"
            )
        kinds = {item.get("type") if isinstance(item, dict) else None for item in media}
        if not kinds <= {"photo", "document"} or len(kinds) != 1:
            raise _bad_request("wrong media group: photos and documents cannot be mixed")
        self._resolve_chat(params)
        group_id = str(next(self._file_numbers))
        messages = []
        for item in media:
            source = item.get("media")
            if isinstance(source, str) and source.startswith("attach://"):
                source = params.get(source.removeprefix("attach://"))
            key = item["type"]
            single = {
                **{k: v for k, v in params.items() if k != "media"},
                key: source,
                **{k: item[k] for k in ("caption", "parse_mode") if k in item},
            }
            send = self._send_photo if key == "photo" else self._send_document
            message = send(single)
            stored = self._messages[(message["chat"]["id"], message["message_id"])]
            stored["media_group_id"] = group_id
            messages.append(copy.deepcopy(stored))
        return messages

    def _send_poll(self, params: Params) -> JSONDict:
        question = str(params.get("question", ""))
        if not 1 <= len(question) <= MAX_POLL_QUESTION_LENGTH:
            raise _bad_request(
                f"poll question length must be between 1 and {MAX_POLL_QUESTION_LENGTH}"
            )
        raw_options = params.get("options")
        if not isinstance(raw_options, list) or not 1 <= len(raw_options) <= MAX_POLL_OPTIONS:
            raise _bad_request(f"poll must have between 1 and {MAX_POLL_OPTIONS} options")
        options = []
        for index, option in enumerate(raw_options):
            text = option.get("text") if isinstance(option, dict) else option
            if not isinstance(text, str) or not 1 <= len(text) <= MAX_POLL_OPTION_LENGTH:
                raise _bad_request(f"poll options length must not exceed {MAX_POLL_OPTION_LENGTH}")
            options.append({"text": text, "voter_count": 0, "persistent_id": str(index)})
        poll_type = params.get("type", "regular")
        if poll_type not in ("regular", "quiz"):
            raise _bad_request("wrong poll type specified")
        is_quiz = poll_type == "quiz"
        correct = params.get("correct_option_ids")
        if correct is None and params.get("correct_option_id") is not None:
            correct = [params["correct_option_id"]]  # the pre-9.6 single-answer form
        if isinstance(correct, int):
            correct = [correct]
        if correct is not None and any(
            not isinstance(i, int) or not 0 <= i < len(options) for i in correct
        ):
            raise _bad_request("wrong correct option ID specified")

        if len(str(params.get("explanation", ""))) > MAX_POLL_EXPLANATION_LENGTH:
            raise _bad_request("explanation is too long")

        poll_id = str(next(self._poll_ids))
        poll: JSONDict = {
            "id": poll_id,
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": poll_type,
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", not is_quiz)),
            "members_only": bool(params.get("members_only", False)),
        }
        if is_quiz and correct is not None:
            poll["correct_option_ids"] = correct
        for key in ("explanation", "description", "open_period", "close_date"):
            if key in params:
                poll[key] = params[key]
        message = self._new_bot_message(params, {"poll": poll})
        self._polls[poll_id] = (message["chat"]["id"], message["message_id"])
        return message

    def _stop_poll(self, params: Params) -> JSONDict:
        key = self._message_key(params)
        message = self._messages.get(key) if key else None
        if message is None or key in self._deleted or "poll" not in message:
            raise _bad_request("message with poll to stop not found")
        poll = message["poll"]
        if poll["is_closed"]:
            raise _bad_request("poll has already been closed")
        poll["is_closed"] = True
        self._set_inline_markup(message, params)
        return copy.deepcopy(poll)

    def _send_chat_action(self, params: Params) -> bool:
        self._resolve_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _edit_message_text(self, params: Params) -> JSONDict | bool:
        text, entities = self._formatted(params, "text", "parse_mode", "entities")
        if not text:
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        message = self._editable_message(params)
        if message is None:  # an inline message: Telegram only says True
            return True
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        return self._apply_edit(message, params, {"text": text, "entities": entities})

    def _edit_message_caption(self, params: Params) -> JSONDict | bool:
        caption = self._caption(params)
        message = self._editable_message(params)
        if message is None:
            return True
        if not any(k in message for k in ("photo", "document", "video", "audio", "animation")):
            raise _bad_request("there is no caption in the message to edit")
        # Keys missing from the new caption are removed from the message.
        changes = {"caption": None, "caption_entities": None} | caption
        return self._apply_edit(message, params, changes)

    def _edit_message_reply_markup(self, params: Params) -> JSONDict | bool:
        message = self._editable_message(params)
        if message is None:
            return True
        return self._apply_edit(message, params, {})

    def _delete_message(self, params: Params) -> bool:
        key = self._message_key(params)
        if key is None or key not in self._messages or key in self._deleted:
            raise _bad_request("message to delete not found")
        self._deleted.add(key)
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        self._close_query(params.get("callback_query_id"))
        if len(str(params.get("text", ""))) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        return True

    def _answer_inline_query(self, params: Params) -> bool:
        results = params.get("results", [])
        if not isinstance(results, list):
            raise _bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        ids = [r.get("id") if isinstance(r, dict) else None for r in results]
        if any(not isinstance(i, str) or not 1 <= len(i.encode()) <= 64 for i in ids):
            raise _bad_request("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise _bad_request("RESULT_ID_DUPLICATE")
        self._close_query(params.get("inline_query_id"))
        return True

    def _get_file(self, params: Params) -> JSONDict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        return stored.as_file()

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _scope_key(params.get("scope"), str(params.get("language_code", "")))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: Params) -> list[JSONDict]:
        key = _scope_key(params.get("scope"), str(params.get("language_code", "")))
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: Params) -> bool:
        key = _scope_key(params.get("scope"), str(params.get("language_code", "")))
        self._commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id = params.get("chat_id")
        button = params.get("menu_button", {"type": "default"})
        if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTON_TYPES:
            raise _bad_request("can't parse menu button JSON object")
        self._menu_buttons[None if chat_id is None else int(chat_id)] = button
        return True

    def _get_chat_menu_button(self, params: Params) -> JSONDict:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else int(chat_id)
        button = self._menu_buttons.get(key) or self._menu_buttons.get(None)
        if button is None or button.get("type") == "default":
            button = {"type": "commands"}
        return copy.deepcopy(button)

    # -- handler helpers -------------------------------------------------------------------------

    def _resolve_chat(self, params: Params) -> JSONDict:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            if not _INT_RE.fullmatch(chat_id):  # @channelusername: nothing is known by name
                raise _bad_request("chat not found")
            chat_id = int(chat_id)
        if not isinstance(chat_id, int) or chat_id == 0:
            raise _bad_request("chat not found")
        return self._chats.get(chat_id) or _chat(chat_id, None, None)

    def _new_bot_message(self, params: Params, content: JSONDict) -> JSONDict:
        chat = self._resolve_chat(params)
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": self.bot_user,
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if params.get("message_thread_id") is not None:
            message["message_thread_id"] = params["message_thread_id"]
        reply_to = self._reply_target(params, chat["id"])
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        self._set_inline_markup(message, params)
        key = (chat["id"], message["message_id"])
        self._messages[key] = message
        self._bot_message_keys.append(key)
        return copy.deepcopy(message)

    def _reply_target(self, params: Params, chat_id: int) -> JSONDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            target_chat = reply.get("chat_id", chat_id)
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            message_id, target_chat = params["reply_to_message_id"], chat_id
            allow_missing = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        key = (int(target_chat), int(message_id))
        if key not in self._messages or key in self._deleted:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        target = copy.deepcopy(self._messages[key])
        target.pop("reply_to_message", None)  # Telegram nests replies only one level deep
        return target

    def _set_inline_markup(self, message: JSONDict, params: Params) -> None:
        """Validate reply_markup and keep it if it is an inline keyboard.

        Telegram echoes only inline keyboards in the Message; reply keyboards and keyboard
        removal are accepted but not part of the result.
        """
        markup = params.get("reply_markup")
        message.pop("reply_markup", None)
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not _BUTTON_ACTIONS & button.keys():
                raise _bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        if any(rows):
            message["reply_markup"] = copy.deepcopy(markup)

    def _formatted(
        self, params: Params, text_key: str, mode_key: str, entities_key: str
    ) -> tuple[str, list[JSONDict]]:
        text = params.get(text_key)
        if text is None:
            return "", []
        text = str(text)
        if str(params.get(mode_key, "")).lower() == "html":
            return parse_html(text)
        entities = params.get(entities_key)
        if isinstance(entities, list):
            return text, entities
        return text.strip(), []

    def _caption(self, params: Params) -> JSONDict:
        caption, entities = self._formatted(params, "caption", "parse_mode", "caption_entities")
        if len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        result: JSONDict = {}
        if caption:
            result["caption"] = caption
        if entities:
            result["caption_entities"] = entities
        return result

    def _message_key(self, params: Params) -> tuple[int, int] | None:
        try:
            return int(params["chat_id"]), int(params["message_id"])
        except (KeyError, TypeError, ValueError):
            return None

    def _editable_message(self, params: Params) -> JSONDict | None:
        """The bot message an edit targets; None for inline messages (inline_message_id)."""
        if params.get("inline_message_id") is not None:
            return None
        key = self._message_key(params)
        if key is None or key not in self._messages or key in self._deleted:
            raise _bad_request("message to edit not found")
        message = self._messages[key]
        if message["from"]["id"] != self._bot_user["id"]:
            raise _bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: JSONDict, params: Params, changes: JSONDict) -> JSONDict:
        edited = copy.deepcopy(message)
        for key, value in changes.items():
            if value:
                edited[key] = value
            else:
                edited.pop(key, None)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        self._set_inline_markup(edited, params)
        if all(edited.get(k) == message.get(k) for k in (*changes, "reply_markup")):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        edited["edit_date"] = int(time.time())
        message.clear()
        message.update(edited)
        return copy.deepcopy(message)

    def _close_query(self, query_id: Any) -> None:
        if query_id is None or str(query_id) not in self._open_queries:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_queries.discard(str(query_id))

    def _store_file(self, folder: str, name: str, content: bytes | None) -> _StoredFile:
        number = next(self._file_numbers)
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        stored = _StoredFile(
            file_id=f"BQACAgUAAxkBAAI{number:06d}fake",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            content=content,
        )
        self._files[stored.file_id] = stored
        return stored

    def _photo_sizes(self, content: bytes | None) -> list[JSONDict]:
        sizes = []
        for width, height in ((90, 68), (1280, 960)):
            stored = self._store_file("photos", "photo.jpg", content)
            size = stored.as_file()
            size.pop("file_path")
            sizes.append({**size, "width": width, "height": height})
        return sizes

    # -- update bookkeeping ----------------------------------------------------------------------

    def _user_message(
        self,
        user_id: int,
        chat_id: int | None,
        language_code: str | None,
        first_name: str,
        username: str | None,
        reply_to_message_id: int | None,
    ) -> JSONDict:
        chat_id = user_id if chat_id is None else chat_id
        with self._cond:
            message: JSONDict = {
                "message_id": next(self._message_ids),
                "from": _user(user_id, first_name, language_code, username),
                "chat": self._chats.get(chat_id) or _chat(chat_id, first_name, username),
                "date": int(time.time()),
            }
            if reply_to_message_id is not None:
                target = self._messages.get((chat_id, reply_to_message_id))
                if target is None:
                    raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
                message["reply_to_message"] = copy.deepcopy(target)
                message["reply_to_message"].pop("reply_to_message", None)
        return copy.deepcopy(message)

    def _remember_update(self, update: JSONDict) -> None:
        for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            message = update.get(kind)
            if isinstance(message, dict) and "chat" in message and "message_id" in message:
                chat = message["chat"]
                self._chats.setdefault(chat["id"], copy.deepcopy(chat))
                self._messages[(chat["id"], message["message_id"])] = copy.deepcopy(message)
                for document in [message.get("document"), *message.get("photo", [])]:
                    if isinstance(document, dict) and document.get("file_id") not in self._files:
                        self._files[document["file_id"]] = _StoredFile(
                            document["file_id"],
                            document.get("file_unique_id", document["file_id"]),
                            f"documents/{document['file_id']}",
                            None,
                        )
        for kind in ("callback_query", "inline_query"):
            query = update.get(kind)
            if isinstance(query, dict) and "id" in query:
                self._open_queries.add(str(query["id"]))

    def _deliverable(self, allowed: list[str] | None) -> list[JSONDict]:
        """Pending updates, after dropping those of types the bot did not ask for.

        Telegram never delivers those, so they are discarded rather than held back.
        """
        self._pending = [u for u in self._pending if _is_allowed(u, allowed)]
        return self._pending

    # -- webhook delivery ------------------------------------------------------------------------

    def _webhook_worker(self) -> None:
        """Background thread: POST pending updates to the webhook in order, retrying failures."""
        pause = self._retry_delay
        while not self._stopping.is_set():
            with self._cond:
                self._cond.wait_for(
                    lambda: (
                        self._stopping.is_set()
                        or (
                            self._auto_deliver
                            and self._webhook is not None
                            and bool(self._deliverable(self._webhook.allowed_updates))
                        )
                    ),
                    timeout=1,
                )
            if self._stopping.is_set():
                return
            outcome = self._deliver_one()
            if outcome is False:
                self._stopping.wait(pause)
                pause = min(pause * 2, 1.0)
            elif outcome:
                pause = self._retry_delay

    def _deliver_one(self) -> bool | None:
        """POST the oldest pending update. True: delivered, False: failed, None: nothing to do."""
        with self._delivery_lock:
            with self._cond:
                hook = self._webhook
                if hook is None:
                    return None
                updates = self._deliverable(hook.allowed_updates)
                if not updates:
                    return None
                update = copy.deepcopy(updates[0])
            # The POST happens without the lock: the bot may call the API while handling it.
            status, error = _post_update(hook.url, hook.secret_token, update)
            with self._cond:
                self._webhook_attempts.append(
                    WebhookAttempt(update["update_id"], hook.url, status, error)
                )
                if error is None:
                    self._pending = [
                        u for u in self._pending if u["update_id"] != update["update_id"]
                    ]
                else:
                    hook.last_error_date = int(time.time())
                    hook.last_error_message = error
                self._cond.notify_all()
            return error is None

    # -- diagnostics -----------------------------------------------------------------------------

    def _describe_wait_failure(
        self, method: str, predicate: Predicate | None, timeout: float
    ) -> str:
        matching = [c.params for c in self._calls if c.method.lower() == method.lower()]
        lines = [
            f"no {method} call"
            + (" matching the predicate" if predicate else "")
            + f" within {timeout}s ({len(matching)} {method} call(s) in total)."
        ]
        recent = [c for c in self._calls if c.method != "getUpdates"][-15:]
        lines.append("Recent calls (getUpdates omitted):" if recent else "No calls yet.")
        lines.extend(f"  {c.method} {_brief(c.params)}" for c in recent)
        if self._failed_calls:
            lines.append("Recent failed calls:")
            lines.extend(
                f"  {c.method} -> {c.status} {c.description} {_brief(c.params)}"
                for c in self._failed_calls[-5:]
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------------------------


def _user(
    user_id: int, first_name: str, language_code: str | None, username: str | None
) -> JSONDict:
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def _chat(chat_id: int, first_name: str | None, username: str | None) -> JSONDict:
    if chat_id > 0:
        chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name or "User"}
        if username:
            chat["username"] = username
        return chat
    chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": chat_type, "title": "Test Group"}


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _is_allowed(update: JSONDict, allowed: list[str] | None) -> bool:
    kind = _update_type(update)
    if allowed:
        return kind in allowed
    return kind not in _OPT_IN_UPDATE_TYPES


def _allowed_updates_param(params: Params) -> list[str] | None:
    allowed = params.get("allowed_updates")
    if allowed is None:
        return None
    if not isinstance(allowed, list):
        raise _bad_request("can't parse allowed updates")
    return [str(kind) for kind in allowed] or None  # [] means Telegram's default set


def _int_param(params: Params, key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except (TypeError, ValueError):
        raise _bad_request(f"wrong parameter {key} in request") from None


def _float_param(params: Params, key: str, default: float) -> float:
    try:
        return float(params.get(key, default))
    except (TypeError, ValueError):
        raise _bad_request(f"wrong parameter {key} in request") from None


def _scope_key(scope: Any, language_code: str) -> tuple[str, str]:
    if not scope:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code


def _brief(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Proxy variables in a test environment must never reroute deliveries to 127.0.0.1.
_WEBHOOK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post_update(
    url: str, secret_token: str | None, update: JSONDict
) -> tuple[int | None, str | None]:
    """POST one update like Telegram does. Returns (HTTP status, error message or None)."""
    headers = {"Content-Type": "application/json"}
    if secret_token:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    body = json.dumps(update, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _WEBHOOK_OPENER.open(request, timeout=5) as response:
            response.read()
            return response.status, None
    except urllib.error.HTTPError as error:
        with error:
            error.read()
        return error.code, f"Wrong response from the webhook: {error.code} {error.reason}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, f"Connection failed: {reason}"


# ---------------------------------------------------------------------------------------------
# The in-process transport
# ---------------------------------------------------------------------------------------------


def request_params(request_data: RequestData | None) -> Params:
    """The params of a call as PTB hands them to its request layer, shaped as the HTTP
    transport decodes them (JSON values; each uploaded file an :class:`UploadedFile`)."""
    if request_data is None:
        return {}
    params: Params = dict(request_data.parameters)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        params[name] = UploadedFile(filename, mime_type, data)
    return params


class InProcessRequest(BaseRequest):
    """PTB's request layer handing each call straight to a :class:`FakeBotAPI`, no socket.

    ``build_application(..., request=InProcessRequest())`` runs the real application on the
    fake's state and rules: the same answers, refusals and scripted faults (``api.fail``) as
    over HTTP, in the test's own event loop. Scripted delays hold the event loop; use the HTTP
    transport for those. ``calls`` keeps every call in order, refused ones too, and
    ``refused`` each refused call with Telegram's description; ``on_call`` is told every
    call Telegram took, with its result.
    """

    def __init__(
        self,
        api: FakeBotAPI | None = None,
        on_call: Callable[[Call, Any], None] | None = None,
    ) -> None:
        self.api = api or FakeBotAPI()
        self.on_call = on_call
        self.calls: list[Call] = []
        self.refused: list[tuple[Call, str]] = []

    @property
    def bot_user(self) -> JSONDict:
        return self.api.bot_user

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
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        if match := _FILE_PATH_RE.search(path):
            content = self.api._file_content(match.group(2))
            if match.group(1) != self.api.token or content is None:
                return 404, json.dumps(TelegramAPIError(404, "Not Found").envelope()).encode()
            return 200, content
        match = _API_PATH_RE.search(path)
        if match is None or match.group(1) != self.api.token:
            return 401, json.dumps(TelegramAPIError(401, "Unauthorized").envelope()).encode()
        call = Call(match.group(2), request_params(request_data))
        self.calls.append(call)
        status, payload = self.api.handle(call.method, call.params)
        if payload.get("ok"):
            if self.on_call is not None:
                self.on_call(call, payload["result"])
        else:
            self.refused.append((call, payload["description"]))
        return status, json.dumps(payload, default=_json_default).encode()


# ---------------------------------------------------------------------------------------------
# Standalone use
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM after printing one JSON line with the connection details."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakebotapi", description="Fake Telegram Bot API server for tests."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with FakeBotAPI(token=args.token, host=args.host, port=args.port) as api:
        details = {
            "base_url": api.base_url,
            "base_file_url": api.base_file_url,
            "token": api.token,
            "port": api.port,
            "control_url": f"{api.url}/_fake",
        }
        print(json.dumps(details), flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
