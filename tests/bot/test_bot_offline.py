"""The offline Bot API refuses what Telegram refuses, so the bot's handling of it runs."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.offline import NOT_MODIFIED, QUERY_INVALID, OfflineRequest
from knowledge import KnowledgeBase
from tests.bot.conftest import TOKEN, Chat

CHAT = 777


@pytest.fixture
async def bot() -> Bot:
    request = OfflineRequest()
    async with Bot(TOKEN, base_url="http://offline.invalid/bot", request=request) as bot:
        yield bot


async def test_html_telegram_cannot_parse_is_refused(bot: Bot) -> None:
    for text in ("<b>open", "a < b", "<div>x</div>", "<b><i>x</b></i>"):
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(CHAT, text, parse_mode="HTML")
    await bot.send_message(CHAT, "<b>1 &lt; 2</b> <a href='https://t.me'>x</a>", parse_mode="HTML")
    await bot.send_message(CHAT, "a < b")  # plain text may hold anything


async def test_a_text_over_4096_characters_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(CHAT, "x" * 4097)


async def test_an_edit_that_changes_nothing_is_refused(bot: Bot) -> None:
    message = await bot.send_message(CHAT, "same")
    await bot.edit_message_text("other", CHAT, message.message_id)
    with pytest.raises(BadRequest) as refused:
        await bot.edit_message_text("other", CHAT, message.message_id)
    assert refused.value.message.lower() in NOT_MODIFIED.lower()


async def test_a_button_is_answered_once(bot: Bot) -> None:
    await bot.answer_callback_query("42")
    with pytest.raises(BadRequest) as refused:
        await bot.answer_callback_query("42")
    assert refused.value.message.lower() in QUERY_INVALID.lower()


async def test_a_double_tap_meets_not_modified_and_stays_quiet(
    chat: Chat, kb: KnowledgeBase
) -> None:
    result = kb.ask("客人沒帶證件怎麼辦")
    await chat.say(result.query)
    step = result.hits[0].step
    await chat.press(f"full:{step.id}")
    assert chat.request.refused == []
    await chat.press(f"full:{step.id}")
    assert [call.method for call, _ in chat.request.refused] == ["editMessageText"]
    # and no handler raised: the harness checks that on teardown
