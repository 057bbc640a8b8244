"""/start, /help, unknown commands and the command menu."""

from __future__ import annotations

import html

from bot import render
from bot.app import register_commands
from bot.context import ANSWER_LIMIT
from bot.i18n import label
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import USER_ID, Chat

TRAINER = 555101


async def test_start_greets_and_offers_three_example_questions(chat: Chat) -> None:
    reply = only(await chat.say("/start"), "sendMessage")
    assert reply["text"] == render.welcome("hant", "小明")
    assert buttons(reply) == [
        (f"❓ {label('hant', f'example_{n}')}", f"ask:{n}") for n in (1, 2, 3)
    ]


async def test_start_speaks_the_users_language(chat: Chat) -> None:
    reply = only(await chat.say("/start", language_code="en"), "sendMessage")
    assert reply["text"].startswith("Hi 小明!")
    assert buttons(reply)[0] == (f"❓ {label('en', 'example_1')}", "ask:1")


async def test_start_escapes_the_users_name(chat: Chat) -> None:
    update = chat.message("/start")
    update["message"]["from"]["first_name"] = "<b>Ann</b> & co"
    reply = only(await chat.send(update), "sendMessage")
    assert html.escape("<b>Ann</b> & co") in reply["text"]


async def test_example_button_asks_its_question(chat: Chat, kb: KnowledgeBase) -> None:
    await chat.say("/start")
    calls = await chat.press("ask:2")
    assert [call.method for call in calls] == ["answerCallbackQuery", "sendMessage"]
    question = label("hant", "example_2")
    expected = kb.ask(question, ANSWER_LIMIT, None, "zh-hant")
    reply = only(calls, "sendMessage")
    assert reply["text"] == render.asked(question, expected)
    if expected.confidence == "high":
        assert ("➡️ 其他答案", "more:1") in buttons(reply)
        paged = only(await chat.press("more:1"), "editMessageText")  # its answer is remembered
        assert paged["text"] == render.hit_card(expected.hits[1], "hant")


async def test_help_explains_buttons_browsing_and_sharing(chat: Chat) -> None:
    reply = only(await chat.say("/help"), "sendMessage")
    assert reply["text"].startswith(render.help_text("hant", "sop_test_bot"))
    assert "/roles" in reply["text"] and "@sop_test_bot" in reply["text"]


def listed(text: str) -> list[str]:
    """The commands a /help lists, one a line after its heading."""
    _, _, commands = text.partition(label("hant", "help_commands"))
    return [line.split()[0][1:] for line in commands.splitlines() if line.startswith("/")]


async def test_help_lists_the_commands_the_reader_may_use(chat: Chat, storage: Storage) -> None:
    staff = listed(only(await chat.say("/help"), "sendMessage")["text"])
    assert {"roles", "role", "practice", "myscore", "missed", "ask"} <= set(staff)
    assert not {"quiz", "gaps", "teach", "brief", "invite", "rollback"} & set(staff)
    assert (
        f"/practice {label('hant', 'cmd_practice')}"
        in only(await chat.say("/help"), "sendMessage")["text"]
    )
    storage.people.add_person(USER_ID, "小明", "trainer", ["台北站前店"])
    trainer = listed(only(await chat.say("/help"), "sendMessage")["text"])
    assert {"quiz", "gaps", "teach"} <= set(trainer) and "brief" not in trainer
    storage.people.add_person(USER_ID, "小明", "admin")
    admin = listed(only(await chat.say("/help"), "sendMessage")["text"])
    assert {"brief", "invite", "stats", "docs", "rollback"} <= set(admin)
    assert len(admin) == len(set(admin))


async def test_trainers_get_a_menu_with_gaps_and_teach(chat: Chat, storage: Storage) -> None:
    storage.people.add_person(TRAINER, "阿芳", "trainer", ["台北站前店"])
    before = len(chat.request.calls)
    await register_commands(chat.app)
    scoped = {
        params["scope"]["chat_id"]: [c["command"] for c in params["commands"]]
        for params in sent(chat.request.calls[before:], "setMyCommands")
        if "scope" in params
    }
    assert {"gaps", "teach"} <= set(scoped[TRAINER])
    assert "brief" not in scoped[TRAINER] and USER_ID not in scoped  # staff: the public menu


async def test_unknown_commands_point_to_help(chat: Chat) -> None:
    reply = only(await chat.say("/frobnicate now"), "sendMessage")
    assert reply["text"] == html.escape(label("hant", "unknown_command"))


async def test_commands_for_other_bots_in_groups_are_ignored(chat: Chat) -> None:
    assert sent(await chat.say("/frobnicate@other_bot", chat_id=-100777), "sendMessage") == []


async def test_command_menu_is_registered_in_english_and_chinese(chat: Chat) -> None:
    before = len(chat.request.calls)
    await register_commands(chat.app)
    calls = [call.params for call in chat.request.calls[before:] if call.method == "setMyCommands"]
    by_language = {params.get("language_code", ""): params["commands"] for params in calls}
    assert set(by_language) == {"", "zh"}
    assert [c["command"] for c in by_language[""]][:4] == ["start", "help", "roles", "role"]
    assert by_language[""][0]["description"] == label("en", "cmd_start")
    assert by_language["zh"][2]["description"] == label("hant", "cmd_roles")


async def test_every_example_question_leads_to_a_confident_answer(
    chat: Chat, kb: KnowledgeBase
) -> None:
    await chat.say("/start")
    for n in (1, 2, 3):
        for ui, language in (("hant", "zh-hant"), ("hans", "zh-hans"), ("en", "en")):
            question = label(ui, f"example_{n}")
            expected = kb.ask(question, ANSWER_LIMIT, None, language)
            assert expected.confidence == "high", question
        reply = only(await chat.press(f"ask:{n}"), "sendMessage")
        assert label("hant", "not_found") not in reply["text"]
