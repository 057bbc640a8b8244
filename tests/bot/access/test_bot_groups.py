"""What a group may see (issue 17): SOP text only in groups an admin linked to a store.

Everyone in a group reads what the bot posts there, registered or not. So a group shows SOP
text only once an admin has linked it to a store with /link; in any other group a member's
question is answered in a private chat and everything else points there. The default test
user (conftest) is staff in STORE; ADMIN is in SOPBOT_ADMIN_IDS.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot import render
from bot.access import render as render_access
from bot.access import rules as access
from bot.app import build_application
from bot.config import Settings
from bot.context import ANSWER_LIMIT
from bot.i18n import label, label_html
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.access.conftest import ADMIN, MANAGER, QUESTION, STRANGER
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import GROUP_ID, STORE, TOKEN, USER_ID, Chat, run_chat
from tests.fakebotapi import FakeBotAPI, InProcessRequest

TRAINER = 900000003
MENTION = f"@sop_test_bot {QUESTION}"
BOT_LINK = "https://t.me/sop_test_bot"


@pytest.fixture
def storage(storage: Storage) -> Storage:
    storage.people.add_person(MANAGER, "王店長", "manager", [STORE])
    storage.people.add_person(TRAINER, "陳培訓", "trainer", [STORE])
    return storage


def in_chat(calls: list[Any], chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [params for params in sent(calls, method) if int(params["chat_id"]) == chat_id]


def answer_text(kb: KnowledgeBase) -> str:
    return render.answer(kb.ask(QUESTION, ANSWER_LIMIT, None, "zh-hant"))


async def link(chat: Chat, store: str = STORE) -> None:
    reply = only(await chat.say(f"/link {store}", user_id=ADMIN, chat_id=GROUP_ID), "sendMessage")
    assert reply["text"] == label_html("hant", "group_linked", store=store)


# -- a group nobody linked --------------------------------------------------------------------


async def test_unlinked_group_a_members_question_is_answered_in_private(
    chat: Chat, kb: KnowledgeBase
) -> None:
    calls = await chat.say(MENTION, chat_id=GROUP_ID)
    (note,) = in_chat(calls, GROUP_ID)
    assert note["text"] == label_html("hant", "group_answered_privately")
    assert note["reply_markup"]["inline_keyboard"][0][0]["url"] == BOT_LINK
    (private,) = in_chat(calls, USER_ID)
    assert private["text"] == render.asked(
        QUESTION, kb.ask(QUESTION, ANSWER_LIMIT, None, "zh-hant")
    )
    # Its buttons work in the private chat, where the answer is remembered.
    more = [data for _, data in buttons(private) if data.startswith("more:")]
    if more:
        edited = only(await chat.press(more[0], chat_id=USER_ID), "editMessageText")
        assert edited["chat_id"] == USER_ID


async def test_unlinked_group_an_edited_question_is_answered_in_private_too(
    chat: Chat,
) -> None:
    calls = await chat.send(chat.message(MENTION, chat_id=GROUP_ID, kind="edited_message"))
    assert [p["text"] for p in in_chat(calls, GROUP_ID)] == [
        label_html("hant", "group_answered_privately")
    ]
    assert len(in_chat(calls, USER_ID)) == 1


async def test_unlinked_group_asks_someone_the_bot_cannot_message_to_open_a_private_chat(
    settings: Settings, kb: KnowledgeBase, storage: Storage
) -> None:
    # Telegram refuses to message a user who never opened a chat with the bot.
    never_started = FakeBotAPI(token=TOKEN)
    never_started.fail(
        "sendMessage",
        403,
        times=None,
        description="Forbidden: bot can't initiate conversation with a user",
        chat_id=USER_ID,
    )
    async for chat in run_chat(settings, kb, storage, never_started):
        calls = await chat.say(MENTION, chat_id=GROUP_ID)
        (note,) = in_chat(calls, GROUP_ID)
        assert note["text"] == label_html("hant", "group_open_private")
        assert note["reply_markup"]["inline_keyboard"][0][0]["url"] == BOT_LINK
        assert answer_text(kb) not in note["text"]


@pytest.mark.parametrize(
    "command",
    ["/roles", "/start", "/help", "/role", "/quiz 2", "/leaderboard", "/myscore"]
    + ["/invite", "/brief 明天盤點", "/missed"],
)
async def test_unlinked_group_commands_point_to_a_private_chat(chat: Chat, command: str) -> None:
    calls = await chat.say(command, user_id=TRAINER, chat_id=GROUP_ID)
    assert [call.method for call in calls] == ["sendMessage"]
    assert calls[0].params["text"] == label_html("hant", "group_not_linked")
    assert calls[0].params["reply_markup"]["inline_keyboard"][0][0]["url"] == BOT_LINK
    assert chat.app.bot_data.storage.quizzes.running_quiz(GROUP_ID) is None


async def test_unlinked_group_buttons_show_nothing(chat: Chat, storage: Storage) -> None:
    await chat.say("/roles", chat_id=GROUP_ID)  # the pointer: a message to press on
    for data in ("docs:0", "doc:0:0", "ask:1", "full:0123456789"):
        calls = await chat.press(data, chat_id=GROUP_ID)
        assert [call.method for call in calls] == ["answerCallbackQuery"]
        assert calls[0].params["text"] == label("hant", "group_not_linked_short")
        assert calls[0].params["show_alert"] is True


async def test_unlinked_group_ignores_chatter_and_other_bots_commands(chat: Chat) -> None:
    assert await chat.say(QUESTION, chat_id=GROUP_ID) == []
    assert await chat.say("/roles@other_bot", chat_id=GROUP_ID) == []
    assert await chat.say("/frobnicate", chat_id=GROUP_ID) == []


async def test_unlinked_group_a_stranger_mentioning_the_bot_is_refused_as_anywhere(
    chat: Chat,
) -> None:
    reply = only(await chat.say(MENTION, user_id=STRANGER, chat_id=GROUP_ID), "sendMessage")
    assert reply["text"] == render_access.not_member("hant", STRANGER)


# -- linking a group ---------------------------------------------------------------------------


async def test_linked_group_gets_answers_and_the_sop_browser_in_the_group(
    chat: Chat, storage: Storage, kb: KnowledgeBase
) -> None:
    await link(chat)
    assert storage.groups.linked_store(GROUP_ID) == STORE
    reply = only(await chat.say(MENTION, chat_id=GROUP_ID), "sendMessage")
    assert reply["chat_id"] == GROUP_ID and reply["text"] == answer_text(kb)
    roles = only(await chat.say("/roles", chat_id=GROUP_ID), "sendMessage")
    assert roles["chat_id"] == GROUP_ID and buttons(roles)[0][1].startswith("doc:")
    shown = only(await chat.press(buttons(roles)[0][1], chat_id=GROUP_ID), "editMessageText")
    assert shown["chat_id"] == GROUP_ID
    quiz = await chat.say("/quiz 2", user_id=TRAINER, chat_id=GROUP_ID)
    assert len(sent(quiz, "sendPoll")) == 1


@pytest.mark.parametrize(
    ("command", "user_id"),
    [
        ("/gaps", TRAINER),
        ("/teach 沒帶證件", TRAINER),
        ("/stats", MANAGER),
        ("/users", MANAGER),
        ("/invite", MANAGER),
        ("/brief 明天盤點", MANAGER),
        ("/missed", USER_ID),
        ("/myscore", USER_ID),
        ("/practice", USER_ID),
    ],
)
async def test_linked_group_private_commands_still_point_to_a_private_chat(
    chat: Chat, command: str, user_id: int
) -> None:
    await link(chat)
    calls = await chat.say(command, user_id=user_id, chat_id=GROUP_ID)
    assert [call.method for call in calls] == ["sendMessage"]
    assert calls[0].params["text"] == label_html("hant", "group_private_only")
    assert "t.me/sop_test_bot?start=" not in calls[0].params["text"]


async def test_linked_group_leaderboard_shows_the_linked_store_only(
    chat: Chat, storage: Storage
) -> None:
    storage.people.add_person(MANAGER, "王店長", "manager", [STORE, "高雄店"])
    storage.people.add_person(STRANGER, "高雄店員", "staff", ["高雄店"])
    await link(chat)
    board = only(await chat.say("/leaderboard", user_id=MANAGER, chat_id=GROUP_ID), "sendMessage")
    assert STORE in board["text"] and "高雄店" not in board["text"]


async def test_link_and_unlink_are_for_admins_only(chat: Chat, storage: Storage) -> None:
    for user_id in (MANAGER, USER_ID):
        reply = only(
            await chat.say(f"/link {STORE}", user_id=user_id, chat_id=GROUP_ID), "sendMessage"
        )
        assert reply["text"] == render_access.notice("hant", "refused_admins")
    reply = only(
        await chat.say(f"/link {STORE}", user_id=STRANGER, chat_id=GROUP_ID), "sendMessage"
    )
    assert reply["text"] == render_access.not_member("hant", STRANGER)
    assert storage.groups.linked_store(GROUP_ID) is None
    await link(chat)
    reply = only(await chat.say("/unlink", user_id=MANAGER, chat_id=GROUP_ID), "sendMessage")
    assert reply["text"] == render_access.notice("hant", "refused_admins")
    assert storage.groups.linked_store(GROUP_ID) == STORE


async def test_unlink_makes_the_group_private_again(chat: Chat, storage: Storage) -> None:
    await link(chat)
    reply = only(await chat.say("/unlink", user_id=ADMIN, chat_id=GROUP_ID), "sendMessage")
    assert reply["text"] == label_html("hant", "group_unlinked")
    assert storage.groups.linked_store(GROUP_ID) is None
    calls = await chat.say(MENTION, chat_id=GROUP_ID)
    assert [p["text"] for p in in_chat(calls, GROUP_ID)] == [
        label_html("hant", "group_answered_privately")
    ]
    audit = [
        (row["actor"], row["action"], row["target"]) for row in storage.connection.db["audit"].rows
    ]
    assert (ADMIN, "link group", str(GROUP_ID)) in audit
    assert (ADMIN, "unlink group", str(GROUP_ID)) in audit


async def test_link_needs_a_store_and_a_group(chat: Chat, storage: Storage) -> None:
    reply = only(await chat.say("/link", user_id=ADMIN, chat_id=GROUP_ID), "sendMessage")
    assert reply["text"] == label_html("hant", "group_link_usage")
    reply = only(await chat.say(f"/link {STORE}", user_id=ADMIN), "sendMessage")
    assert reply["text"] == label_html("hant", "group_link_usage")
    assert (
        storage.groups.linked_store(GROUP_ID) is None and storage.groups.linked_store(ADMIN) is None
    )


async def test_a_group_quiz_stops_when_its_group_is_unlinked(chat: Chat, storage: Storage) -> None:
    await link(chat)
    await chat.say("/quiz 2", user_id=TRAINER, chat_id=GROUP_ID)
    await chat.say("/unlink", user_id=ADMIN, chat_id=GROUP_ID)
    [job] = chat.app.job_queue.get_jobs_by_name("quiz:1")
    before = len(chat.request.calls)
    await job.run(chat.app)
    assert sent(chat.request.calls[before:], "sendPoll") == []
    assert storage.quizzes.running_quiz(GROUP_ID) is None


# -- the rule, without Telegram -----------------------------------------------------------------


def test_every_command_has_a_place_in_the_group_rule(
    settings: Settings, kb: KnowledgeBase, storage: Storage
) -> None:
    """A new command must be put in one of the rule's lists: where it may be used."""
    from telegram.ext import CommandHandler

    app = build_application(settings, kb, storage, request=InProcessRequest())
    registered = {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    placed = access.GROUP_COMMANDS | access.PRIVATE_COMMANDS | access.LINK_COMMANDS
    assert registered == placed
    assert not access.GROUP_COMMANDS & access.PRIVATE_COMMANDS


@pytest.mark.parametrize(
    ("command", "linked", "expected"),
    [
        (None, False, "allow"),  # a question: answered, in private
        (None, True, "allow"),
        ("roles", False, "point"),
        ("roles", True, "allow"),
        ("gaps", True, "point"),
        ("link", False, "allow"),
        ("frobnicate", False, "ignore"),
    ],
)
def test_group_rule(command: str | None, linked: bool, expected: str) -> None:
    assert access.in_group(command, linked) == expected
