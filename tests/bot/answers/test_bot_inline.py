"""Inline mode: ``@bot 沒帶證件`` in any chat offers step cards to share."""

from __future__ import annotations

from bot import render
from bot.context import ANSWER_LIMIT
from bot.i18n import label
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.botcalls import buttons, only
from tests.bot.conftest import Chat


async def test_inline_query_offers_step_cards(chat: Chat, kb: KnowledgeBase) -> None:
    expected = kb.ask("沒帶證件", ANSWER_LIMIT, None, "zh-hant")
    answer = only(await chat.send(chat.inline("沒帶證件")), "answerInlineQuery")
    results = answer["results"]
    assert [r["id"] for r in results] == [hit.step.id for hit in expected.hits]
    first, hit = results[0], expected.hits[0]
    assert first["type"] == "article"
    assert first["title"] == render.inline_title(hit.step, "hant")
    assert first["input_message_content"] == {
        "message_text": render.hit_card(hit, "hant"),
        "parse_mode": "HTML",
    }
    assert buttons(first) == [("📄 全文", f"full:{hit.step.id}")]


async def test_inline_results_are_cached_for_the_asker_alone(chat: Chat) -> None:
    """Telegram may hand cached results to anyone typing the same words unless they are
    personal: then strangers would get SOP cards without the bot being asked (issue 17)."""
    assert chat.app.bot_data.storage.users.role_of(777000111) is None  # no role set
    for words in ("沒帶證件", "  "):
        answer = only(await chat.send(chat.inline(words)), "answerInlineQuery")
        assert answer["is_personal"] is True
        assert answer["cache_time"] <= 60


async def test_an_empty_inline_query_offers_a_private_chat(chat: Chat) -> None:
    answer = only(await chat.send(chat.inline("  ")), "answerInlineQuery")
    assert answer["results"] == []
    assert answer["button"] == {"text": label("hant", "inline_open"), "start_parameter": "inline"}


async def test_inline_results_follow_the_askers_role(chat: Chat, storage: Storage) -> None:
    storage.users.set_role(777000111, chat.app.bot_data.contents.roles[0])
    answer = only(await chat.send(chat.inline("主動迎客")), "answerInlineQuery")
    assert answer["is_personal"] is True


async def test_full_button_on_a_shared_card_edits_it(chat: Chat, kb: KnowledgeBase) -> None:
    step = kb.ask("沒帶證件", ANSWER_LIMIT, None, "zh-hant").hits[0].step
    calls = await chat.press(f"full:{step.id}", inline_message_id="AAEAAQ")
    edit = only(calls, "editMessageText")
    assert edit["inline_message_id"] == "AAEAAQ"
    assert edit["text"] == render.step_full(step, "hant")
    assert "reply_markup" not in edit


async def test_an_inline_result_describes_a_list_on_one_line(chat: Chat) -> None:
    answer = only(await chat.send(chat.inline("開店前值班經理要檢查什麼")), "answerInlineQuery")
    first = answer["results"][0]
    assert "\n" not in first["description"]
    assert "\n" in first["input_message_content"]["message_text"]  # the card keeps its lines
