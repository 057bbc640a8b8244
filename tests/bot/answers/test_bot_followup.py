"""Follow-up questions in the bot: the last answer in a conversation (a private chat, or a
group's topic) is the context of a message that refers back to it, for a few minutes."""

from __future__ import annotations

import pytest

from bot import render
from bot.answers import handlers
from bot.storage import Storage
from knowledge import KnowledgeBase
from knowledge.followup import FRESH_SECONDS, Turn, in_context, turn_after
from tests.bot.botcalls import only
from tests.bot.conftest import GROUP_ID, USER_ID, Chat

FIRST = "業務受理上班前要準備什麼"
FOLLOW_UP = "那VIP呢"
OTHER = 555010


def expected(kb: KnowledgeBase, first: str = FIRST, follow_up: str = FOLLOW_UP) -> str:
    turn = turn_after(kb, first)
    return render.breadcrumb(in_context(kb, follow_up, turn).hits[0].step, "hant")


async def test_a_follow_up_in_a_private_chat_is_answered_in_context(
    chat: Chat, kb: KnowledgeBase
) -> None:
    await chat.say(FIRST)
    reply = only(await chat.say(FOLLOW_UP), "sendMessage")
    crumb = expected(kb)
    assert crumb in reply["text"] and "VIP" in crumb
    alone = render.breadcrumb(kb.ask(FOLLOW_UP).hits[0].step, "hant")
    assert alone != crumb  # alone, it would have been another step
    # A clear new question right after is not dragged.
    new = "門市保全怎麼維護秩序"
    reply = only(await chat.say(new), "sendMessage")
    assert render.breadcrumb(kb.ask(new).hits[0].step, "hant") in reply["text"]


async def test_context_lasts_a_few_minutes(
    chat: Chat, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.say(FIRST)
    later = handlers.time.monotonic() + FRESH_SECONDS + 1
    monkeypatch.setattr(handlers.time, "monotonic", lambda: later)
    reply = only(await chat.say(FOLLOW_UP), "sendMessage")
    assert expected(kb) not in reply["text"]


async def test_in_a_group_each_person_and_topic_has_its_own_context(
    chat: Chat, kb: KnowledgeBase, storage: Storage
) -> None:
    storage.people.add_person(OTHER, "阿華", "staff", ["台北站前店"])
    storage.groups.link_group(GROUP_ID, "台北站前店", linked_by=1)  # answered in the group itself
    bot = f"@{chat.app.bot.username}"
    await chat.say(f"{bot} {FIRST}", chat_id=GROUP_ID, message_thread_id=7, is_topic_message=True)
    # Someone else's follow-up, or mine in another topic: no context of mine.
    reply = only(
        await chat.say(f"{bot} {FOLLOW_UP}", chat_id=GROUP_ID, user_id=OTHER), "sendMessage"
    )
    assert expected(kb) not in reply["text"]
    reply = only(
        await chat.say(
            f"{bot} {FOLLOW_UP}", chat_id=GROUP_ID, message_thread_id=8, is_topic_message=True
        ),
        "sendMessage",
    )
    assert expected(kb) not in reply["text"]
    # Mine in the same topic: answered in context, in that topic.
    reply = only(
        await chat.say(
            f"{bot} {FOLLOW_UP}", chat_id=GROUP_ID, message_thread_id=7, is_topic_message=True
        ),
        "sendMessage",
    )
    assert expected(kb) in reply["text"]


async def test_a_second_follow_up_keeps_the_first_questions_context(
    chat: Chat, kb: KnowledgeBase
) -> None:
    await chat.say("晨會幾點開始")
    await chat.say("要開多久")
    remembered = chat.app.user_data[USER_ID][handlers.LAST_TURNS][(USER_ID, None)]
    assert isinstance(remembered, Turn) and remembered.question == "晨會幾點開始 要開多久"
