"""The fake Bot API must behave like Telegram for the real python-telegram-bot client.

Every test drives the fake through ``telegram.Bot`` (PTB's own HTTP layer, form and multipart
encoding, error mapping), so a test of the bot that passes against the fake exercises the same
code paths as in production. The ``bot`` fixture runs each test over both of the fake's
transports, HTTP (``sopbot run`` in a child process) and in-process (the bot's own tests), so
one set of tests holds both to the same rules; ``http_bot`` is for what only HTTP carries
(long polls held open, delays past the client's timeout).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    MenuButtonCommands,
    Update,
)
from telegram.constants import ParseMode, PollType
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from tests.fakebotapi import DEFAULT_USER_ID, FakeBotAPI, InProcessRequest, UploadedFile

REPO_ROOT = Path(__file__).resolve().parent.parent
CHAT = DEFAULT_USER_ID  # the default user's private chat


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def http_bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


@pytest.fixture(params=["http", "in-process"])
async def bot(request: pytest.FixtureRequest, api: FakeBotAPI) -> AsyncIterator[Bot]:
    """The client on the fake, over each transport in turn."""
    transports = {}
    if request.param == "in-process":
        transports = {
            "request": InProcessRequest(api),
            "get_updates_request": InProcessRequest(api),
        }
    async with Bot(
        token=api.token, base_url=api.base_url, base_file_url=api.base_file_url, **transports
    ) as b:
        yield b


# Proxy variables in the environment must not reroute calls to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(url: str, body: bytes | None = None) -> dict:
    """A plain HTTP call, for what PTB never sends (JSON bodies, control endpoints)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with _OPENER.open(request, timeout=5) as response:
        return json.load(response)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


# -- identity and transport ----------------------------------------------------------------------


async def test_get_me_returns_the_bot_identity(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.first_name, me.username) == (
        123456,
        True,
        "SOP Bot",
        "sop_test_bot",
    )
    assert me.can_join_groups and me.supports_inline_queries
    assert api.token == "123456:TEST-TOKEN"
    assert api.base_url == f"http://127.0.0.1:{api.port}/bot"


async def test_a_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot(token="999:WRONG", base_url=api.base_url):
            pass  # initialize() calls getMe, which is refused

    assert not api.calls


async def test_an_update_with_half_an_emoji_reaches_the_poller(api: FakeBotAPI, bot: Bot) -> None:
    """A lone surrogate has no UTF-8 form: it travels as JSON's \\ud83d escape, as from a
    forged update, instead of breaking the answer to getUpdates."""
    api.push_update(api.text_message("沒帶證件\ud83d", first_name="\ud83d"))
    (update,) = await bot.get_updates(timeout=1)
    assert update.message.text == "沒帶證件\ud83d"
    assert update.message.from_user.first_name == "\ud83d"


async def test_json_bodies_are_accepted_too(api: FakeBotAPI) -> None:
    body = {"chat_id": CHAT, "text": "42", "reply_markup": {"inline_keyboard": [[]]}}
    url = f"{api.base_url}{api.token}/sendMessage"
    reply = await asyncio.to_thread(http_json, url, json.dumps(body).encode())

    assert reply["ok"] and reply["result"]["text"] == "42"
    assert api.calls_to("sendMessage") == [body]


# -- sending and recording -----------------------------------------------------------------------


async def test_send_message_records_decoded_params_and_remembers_the_message(
    api: FakeBotAPI, bot: Bot
) -> None:
    first = await bot.send_message(CHAT, "選擇一個步驟", reply_markup=keyboard("step:1", "step:2"))
    second = await bot.send_message(CHAT, "42", disable_notification=True)

    assert second.message_id > first.message_id
    assert first.reply_markup == keyboard("step:1", "step:2")
    assert first.from_user.id == 123456 and first.chat.id == CHAT
    sent = api.calls_to("sendMessage")
    # Form fields come back typed: nested objects as dicts, numbers as int, strings untouched.
    assert sent[0]["reply_markup"] == keyboard("step:1", "step:2").to_dict()
    assert sent[1] == {"chat_id": CHAT, "text": "42", "disable_notification": True}
    assert [m["text"] for m in api.sent_messages(CHAT)] == ["選擇一個步驟", "42"]
    assert api.sent_messages(chat_id=1) == []


async def test_html_becomes_entities_and_bad_markup_is_rejected(api: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_message(CHAT, "<b>步驟</b> 1 &lt;必做&gt;", parse_mode=ParseMode.HTML)

    assert message.text == "步驟 1 <必做>"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 2)]
    with pytest.raises(BadRequest, match='(?i)unsupported start tag "必做"'):
        await bot.send_message(CHAT, "<必做> 1", parse_mode=ParseMode.HTML)
    assert api.failed_calls[-1].status == 400


async def test_limits_are_enforced_like_telegram(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(CHAT, "字" * 4097)
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(CHAT, "x", reply_markup=keyboard("d" * 65))
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_photo(CHAT, b"\xff\xd8\xff", caption="字" * 1025)


async def test_quiz_and_button_answer_limits_are_telegrams(api: FakeBotAPI, bot: Bot) -> None:
    quiz = {"type": PollType.QUIZ, "correct_option_ids": [0]}
    with pytest.raises(BadRequest, match="(?i)question length"):
        await bot.send_poll(CHAT, "問" * 301, ["對", "錯"], **quiz)
    with pytest.raises(BadRequest, match="(?i)options length"):
        await bot.send_poll(CHAT, "問題", ["對" * 101, "錯"], **quiz)
    with pytest.raises(BadRequest, match="(?i)explanation is too long"):
        await bot.send_poll(CHAT, "問題", ["對", "錯"], explanation="因" * 201, **quiz)
    await bot.send_poll(CHAT, "問" * 300, ["對" * 100, "錯"], explanation="因" * 200, **quiz)
    api.push_update(api.callback_query("x"))
    (update,) = await bot.get_updates()
    with pytest.raises(BadRequest, match="(?i)message_too_long"):
        await bot.answer_callback_query(update.callback_query.id, text="好" * 201)


async def test_albums_are_one_message_per_picture(api: FakeBotAPI, bot: Bot) -> None:
    album = [InputMediaPhoto(b"\xff\xd8\xff", caption=f"圖 {n}") for n in (1, 2)]
    sent = await bot.send_media_group(CHAT, album)
    assert [m.caption for m in sent] == ["圖 1", "圖 2"]
    assert len({m.media_group_id for m in sent}) == 1
    with pytest.raises(BadRequest, match="(?i)media must hold 2-10"):
        await bot.send_media_group(CHAT, album[:1])


async def test_edits_deletes_and_not_modified(api: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_message(CHAT, "v1", reply_markup=keyboard("a"))

    edited = await bot.edit_message_text("v2", CHAT, message.message_id, reply_markup=keyboard("a"))
    assert edited.text == "v2" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("v2", CHAT, message.message_id, reply_markup=keyboard("a"))
    await bot.edit_message_reply_markup(CHAT, message.message_id, reply_markup=keyboard("b"))
    assert api.message(CHAT, message.message_id)["reply_markup"] == keyboard("b").to_dict()

    assert await bot.delete_message(CHAT, message.message_id)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(CHAT, message.message_id)
    assert api.sent_messages(CHAT) == []
    assert api.sent_messages(CHAT, include_deleted=True)[0]["text"] == "v2"


async def test_documents_and_photos_round_trip_through_get_file(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_document(CHAT, b"SOP v1", filename="sop.txt", caption="手冊")
    photo = await bot.send_photo(CHAT, b"\x89PNG fake")

    upload = api.calls_to("sendDocument")[0]["document"]
    assert upload == UploadedFile("sop.txt", "text/plain", b"SOP v1")
    assert sent.document.file_name == "sop.txt" and sent.caption == "手冊"
    assert len(photo.photo) == 2
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"SOP v1"

    update = api.push_update(api.document_message("門市.pdf", b"%PDF"))
    incoming = Update.de_json(update, bot).message.document
    assert incoming.file_name == "門市.pdf" and incoming.mime_type == "application/pdf"
    assert bytes(await (await incoming.get_file()).download_as_bytearray()) == b"%PDF"
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_commands_and_menu_button(api: FakeBotAPI, bot: Bot) -> None:
    commands = [BotCommand("start", "開始"), BotCommand("ask", "查詢 SOP")]
    scope = BotCommandScopeChat(CHAT)

    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands(commands[:1], scope=scope, language_code="zh")

    assert tuple(await bot.get_my_commands()) == tuple(commands)
    assert tuple(await bot.get_my_commands(scope=scope, language_code="zh")) == (commands[0],)
    assert api.my_commands() == [c.to_dict() for c in commands]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "capital letters are not allowed")])

    assert await bot.set_chat_menu_button(CHAT, MenuButtonCommands())
    assert await bot.get_chat_menu_button(CHAT) == MenuButtonCommands()


async def test_unknown_methods_succeed_and_are_recorded(api: FakeBotAPI, bot: Bot) -> None:
    assert await bot.do_api_request("someFutureMethod", api_kwargs={"flag": True}) is True
    assert api.calls_to("someFutureMethod") == [{"flag": True}]


# -- updates --------------------------------------------------------------------------------------


async def test_get_updates_returns_pushed_updates_and_offset_confirms_them(
    api: FakeBotAPI, bot: Bot
) -> None:
    pushed = api.push_update(api.text_message("退貨怎麼辦？"))
    api.push_update(api.command("/ask 報廢"))

    first, second = await bot.get_updates()
    assert first.update_id == pushed["update_id"] and second.update_id == first.update_id + 1
    assert first.message.text == "退貨怎麼辦？"
    assert first.effective_user.language_code == "zh-hant"
    assert second.message.text == "/ask 報廢"
    assert second.message.parse_entities(["bot_command"]) != {}

    assert len(await bot.get_updates(limit=1)) == 1  # nothing confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=second.update_id)] == [
        second.update_id
    ]
    assert await bot.get_updates(offset=second.update_id + 1) == ()
    assert api.pending_updates == []


async def test_long_polling_waits_and_wakes_as_soon_as_an_update_arrives(
    api: FakeBotAPI, http_bot: Bot
) -> None:
    started = time.monotonic()
    assert await http_bot.get_updates(timeout=dtm.timedelta(milliseconds=300)) == ()
    assert time.monotonic() - started >= 0.25

    timer = threading.Timer(0.2, api.push_update, [api.text_message("在嗎")])
    timer.start()
    started = time.monotonic()
    updates = await http_bot.get_updates(timeout=5)
    timer.join()

    assert [u.message.text for u in updates] == ["在嗎"]
    assert time.monotonic() - started < 2


async def test_a_second_poller_terminates_the_first_with_conflict(
    api: FakeBotAPI, http_bot: Bot
) -> None:
    first = asyncio.create_task(http_bot.get_updates(timeout=5))
    await api.wait_until_polling_async(timeout=5)

    # A second bot instance, as when two copies of the bot run with one token.
    async with Bot(token=api.token, base_url=api.base_url) as rival:
        assert await rival.get_updates() == ()
    with pytest.raises(Conflict, match="(?i)terminated by other getUpdates request"):
        await first


async def test_allowed_updates_filters_update_types(api: FakeBotAPI, bot: Bot) -> None:
    api.push_update(api.inline_query("退貨"))
    api.push_update(api.text_message("hi"))

    updates = await bot.get_updates(allowed_updates=["message"])

    assert [u.message.text for u in updates] == ["hi"]


async def test_callback_queries_reference_sent_messages_and_are_answered_once(
    api: FakeBotAPI, bot: Bot
) -> None:
    message = await bot.send_message(CHAT, "確認？", reply_markup=keyboard("yes", "no"))
    api.push_update(api.callback_query("yes"))  # defaults to the latest bot message

    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query.data == "yes" and query.message.message_id == message.message_id
    assert query.message.reply_markup == keyboard("yes", "no")
    assert await bot.answer_callback_query(query.id, text="好")
    assert api.calls_to("answerCallbackQuery") == [{"callback_query_id": query.id, "text": "好"}]
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query.id)


async def test_inline_queries_can_be_answered(api: FakeBotAPI, bot: Bot) -> None:
    api.push_update(api.inline_query("收銀"))
    (update,) = await bot.get_updates()
    result = InlineQueryResultArticle("1", "收銀流程", InputTextMessageContent("步驟…"))

    assert await bot.answer_inline_query(update.inline_query.id, [result], cache_time=0)
    recorded = api.calls_to("answerInlineQuery")[0]
    assert recorded["results"][0]["id"] == "1" and recorded["cache_time"] == 0


async def test_quiz_polls_get_fresh_ids_and_answers_reference_them(
    api: FakeBotAPI, bot: Bot
) -> None:
    message = await bot.send_poll(
        CHAT,
        "冷藏溫度上限？",
        ["4°C", "10°C"],
        type=PollType.QUIZ,
        correct_option_ids=[0],
        is_anonymous=False,
    )
    other = await bot.send_poll(CHAT, "第二題", ["a", "b"])
    poll = message.poll
    assert poll.type == PollType.QUIZ and poll.correct_option_ids == (0,)
    assert poll.id != other.poll.id and not poll.is_closed

    api.push_update(api.poll_answer(poll.id, option_ids=[1]))
    (update,) = await bot.get_updates()
    assert update.poll_answer.poll_id == poll.id and update.poll_answer.option_ids == (1,)

    stopped = await bot.stop_poll(CHAT, message.message_id)
    assert stopped.is_closed and stopped.total_voter_count == 1
    assert stopped.options[1].voter_count == 1


# -- fault injection -----------------------------------------------------------------------------


async def test_rate_limit_raises_retry_after_then_recovers(
    api: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without this PTB warns that retry_after becomes a timedelta, an error under this config.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail("sendMessage", status=429, retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "一")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(CHAT, "二")

    assert [c.params["text"] for c in api.failed_calls] == ["一"]
    assert [p["text"] for p in api.calls_to("sendMessage")] == ["二"]


async def test_forbidden_only_for_the_blocked_chat(api: FakeBotAPI, bot: Bot) -> None:
    api.fail("sendMessage", status=403, chat_id=555, times=None)

    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(555, "hi")
    await bot.send_message(CHAT, "hi")

    assert [(c.status, c.params["chat_id"]) for c in api.failed_calls] == [(403, 555)] * 2


async def test_server_errors_raise_network_error_for_the_given_number_of_times(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.fail("sendMessage", status=500, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")

    assert len(api.failed_calls) == 2 and len(api.calls_to("sendMessage")) == 1


async def test_a_delay_provokes_a_client_timeout_but_the_call_still_lands(
    api: FakeBotAPI,
) -> None:
    api.delay("sendMessage", 0.3)
    impatient = HTTPXRequest(read_timeout=0.05)
    async with Bot(api.token, base_url=api.base_url, request=impatient) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "slow")
        # As on Telegram, a send that timed out on the client may still have been delivered.
        params = await api.wait_for_call_async("sendMessage", timeout=5)
        await bot.send_message(CHAT, "fast")

    assert params["text"] == "slow"
    assert [m["text"] for m in api.sent_messages()] == ["slow", "fast"]


def test_wait_for_call_times_out_with_the_recent_calls() -> None:
    with FakeBotAPI() as api:
        http_json(f"{api.base_url}{api.token}/sendMessage?chat_id=1&text=hello")

        with pytest.raises(TimeoutError, match=r"(?s)no editMessageText call.*hello"):
            api.wait_for_call("editMessageText", timeout=0.05)
        assert api.wait_for_call("sendMessage", lambda p: p["text"] == "hello")["chat_id"] == 1


# -- webhooks -------------------------------------------------------------------------------------


class _Receiver(ThreadingHTTPServer):
    """A stand-in for the bot's webhook server that fails its first ``failures`` requests."""

    daemon_threads = True

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict, str | None]] = []
        self.arrived = threading.Event()
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.failures > 0:
            self.server.failures -= 1
            self.send_response(500)
        else:
            secret = self.headers.get("X-Telegram-Bot-Api-Secret-Token")
            self.server.received.append((json.loads(body), secret))
            self.server.arrived.set()
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver(failures=1)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


async def test_webhook_delivery_with_secret_and_retry(
    api: FakeBotAPI, bot: Bot, receiver: _Receiver
) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    assert await bot.set_webhook(url, secret_token="s3cret_token")
    pushed = api.push_update(api.text_message("經 webhook"))

    assert await asyncio.to_thread(receiver.arrived.wait, 5)
    await asyncio.to_thread(api.wait_until_delivered, 5)

    assert receiver.received == [(pushed, "s3cret_token")]
    assert [a.status for a in api.webhook_attempts] == [500, 200]  # the failure was retried
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0
    assert "500" in info.last_error_message
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()

    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    api.push_update(api.text_message("polling again"))
    assert [u.message.text for u in await bot.get_updates()] == ["polling again"]


def test_explicit_webhook_delivery(receiver: _Receiver) -> None:
    receiver.failures = 0
    with FakeBotAPI(auto_deliver_webhook=False) as api:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        http_json(f"{api.base_url}{api.token}/setWebhook?url={url}")
        api.push_update(api.text_message("one"))
        api.push_update(api.text_message("two"))

        assert api.deliver_webhook_updates() == 2

    assert [u["message"]["text"] for u, secret in receiver.received] == ["one", "two"]
    assert receiver.received[0][1] is None


# -- standalone server ---------------------------------------------------------------------------


def test_module_runs_as_a_standalone_server() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakebotapi", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        details = json.loads(process.stdout.readline())
        me = http_json(f"{details['base_url']}{details['token']}/getMe")
        assert me["result"]["username"] == "sop_test_bot"

        chat = {"id": 1, "type": "private", "first_name": "A"}
        update = {"message": {"message_id": 1, "date": 0, "chat": chat, "text": "hi"}}
        pushed = http_json(f"{details['control_url']}/updates", json.dumps(update).encode())
        assert pushed["result"] == {"update_id": pushed["result"]["update_id"], **update}
        updates = http_json(f"{details['base_url']}{details['token']}/getUpdates")["result"]
        assert [u["message"]["text"] for u in updates] == ["hi"]
        calls = http_json(f"{details['control_url']}/calls")["result"]
        assert [c["method"] for c in calls] == ["getMe", "getUpdates"]
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
        process.stdout.close()
