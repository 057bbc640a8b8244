"""Questions and the buttons under their answers, through real PTB routing, offline.

Expected replies are computed with the knowledge core itself (``kb.ask`` + ``bot.render``),
so these tests pin the bot's wiring, not the ranking another team tunes.
"""

from __future__ import annotations

import html
import logging
import re

import pytest

from bot import render
from bot.context import ANSWER_LIMIT
from bot.i18n import label
from bot.storage import DOWN, UP, Storage
from knowledge import Answer, KnowledgeBase
from knowledge.model import Hit
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import GROUP_ID, STORE, USER_ID, Chat

CONFIDENT = ("客人沒帶證件怎麼辦", "客人投訴怎麼處理", "門市停電了怎麼辦", "晨會要做什麼")
UNSURE = ("早會幾點開", "客人要投訴怎麼辦", "公司年終獎金怎麼算", "停車場在哪裡")


def ask(kb: KnowledgeBase, question: str, role: str | None = None, hint: str = "zh-hant") -> Answer:
    return kb.ask(question, ANSWER_LIMIT, role, hint)


def pick(kb: KnowledgeBase, questions: tuple[str, ...], confidence: str, hits: int = 2) -> str:
    """The first question the core answers with this confidence (and enough hits)."""
    for question in questions:
        result = ask(kb, question)
        if result.confidence == confidence and len(result.hits) >= hits:
            return question
    pytest.fail(f"none of {questions} is answered with {confidence} confidence any more")


async def test_answer_replies_with_the_best_step_in_html(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high")
    expected = ask(kb, question)
    reply = only(await chat.say(question), "sendMessage")
    assert reply["chat_id"] == USER_ID
    assert reply["parse_mode"] == "HTML"
    assert reply["text"] == render.answer(expected)
    assert render.breadcrumb(expected.hits[0].step, "hant") in reply["text"]
    step_id = expected.hits[0].step.id
    assert buttons(reply) == [
        ("📄 全文", f"full:{step_id}"),
        ("➡️ 其他答案", "more:1"),
        ("👍", f"fb:+:{step_id}"),
        ("👎", f"fb:-:{step_id}"),
    ]


async def test_answer_labels_follow_the_users_language(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high")
    reply = only(await chat.say(question, language_code="en"), "sendMessage")
    assert reply["text"] == render.answer(ask(kb, question, hint="en"))  # Chinese, as asked
    assert [caption for caption, _ in buttons(reply)][:2] == ["📄 Full step", "➡️ Other answers"]


async def test_english_readers_see_where_a_step_is_in_english(chat: Chat) -> None:
    reply = only(await chat.say("customer forgot his ID", language_code="en"), "sendMessage")
    heading = reply["text"].splitlines()[0]
    assert heading.startswith("<b>Telecom store service SOP › ")
    assert heading.split(" › ")[1] in {"Greeter", "Counter", "Duty manager", "Security guard"}
    # The step's own heading stays as the SOP writes it.
    assert re.search(r"› \d+、\w+</b>$", heading)
    chinese = only(await chat.say("客人沒帶證件怎麼辦"), "sendMessage")
    assert chinese["text"].startswith("<b>電信門市服務規範 › ")


async def test_answer_is_written_in_the_script_of_the_question(
    chat: Chat, kb: KnowledgeBase
) -> None:
    reply = only(await chat.say("客户没带证件怎么办", language_code="zh-hans"), "sendMessage")
    expected = ask(kb, "客户没带证件怎么办", hint="zh-hans")
    assert expected.script == "hans"
    assert reply["text"] == render.answer(expected)


async def test_low_confidence_offers_did_you_mean_buttons(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, UNSURE, "low")
    expected = ask(kb, question)
    reply = only(await chat.say(question), "sendMessage")
    assert reply["text"] == render.answer(expected)
    assert html.escape(label("hant", "not_found")) in reply["text"]
    assert buttons(reply) == [
        *(
            (f"❓ {render.suggestion_caption(hit.step, 'hant')}", f"see:{hit.step.id}")
            for hit in expected.hits[:3]
        ),
        (label("hant", "ask_button"), "hp:q"),  # or hand it to a person (bot/asks/)
    ]


async def test_did_you_mean_buttons_name_the_role_of_each_step(
    chat: Chat, kb: KnowledgeBase
) -> None:
    question = pick(kb, UNSURE, "low")
    hits = ask(kb, question).hits[:3]
    captions = [caption for caption, _ in buttons(only(await chat.say(question), "sendMessage"))]
    assert captions[-1] == label("hant", "ask_button")  # then 🙋, to ask a person
    for caption, hit in zip(captions[:-1], hits, strict=True):
        assert caption.startswith(f"❓ {hit.step.role or hit.step.doc} › "), caption
        assert len(caption) <= 42


async def test_a_question_off_every_topic_gets_no_steps(chat: Chat, kb: KnowledgeBase) -> None:
    assert ask(kb, "怎麼煮咖哩飯").confidence == "none"
    reply = only(await chat.say("怎麼煮咖哩飯"), "sendMessage")
    assert reply["text"] == html.escape(label("hant", "no_answer"))
    # No step to offer; only 🙋, to hand the question to a person (bot/asks/).
    assert buttons(reply) == [(label("hant", "ask_button"), "hp:q")]
    english = only(
        await chat.say("what's the capital of France", language_code="en"), "sendMessage"
    )
    assert english["text"] == html.escape(label("en", "no_answer"))


async def test_a_checklist_question_shows_every_item_on_its_line(chat: Chat) -> None:
    reply = only(await chat.say("開店前值班經理要檢查什麼"), "sendMessage")
    lines = render.plain(reply["text"]).splitlines()
    assert [line[:2] for line in lines if re.match(r"[A-E]、", line)] == [
        "A、",
        "B、",
        "C、",
        "D、",
        "E、",
    ]


async def test_a_rhyme_is_shown_as_its_lines(chat: Chat, kb: KnowledgeBase) -> None:
    reply = only(await chat.say("流動諮詢的服務標準口訣"), "sendMessage")
    lines = render.plain(reply["text"]).splitlines()
    assert "上前迎候笑一笑" in lines and "微笑送客別忘了" in lines
    step = ask(kb, "流動諮詢的服務標準口訣").hits[0].step
    full = only(await chat.press(f"full:{step.id}"), "editMessageText")
    assert "上前迎候笑一笑\n詢問客戶何需求" in full["text"]


async def test_a_sub_heading_run_into_the_text_is_set_off(chat: Chat) -> None:
    reply = only(await chat.say("客人沒帶身分證要辦業務怎麼處理"), "sendMessage")
    assert "詢問與核實詢問" not in reply["text"]
    assert "詢問與核實：" in render.plain(reply["text"])


def test_a_card_counts_the_items_of_a_list_it_had_no_room_for(kb: KnowledgeBase) -> None:
    step = next(s for s in kb.steps if s.tips)
    hit = Hit(step=step, passage="主要職責有:\nA、一;", tips=(), score=1.0, hidden_items=3)
    card = render.hit_card(hit, "hant")
    assert label("hant", "more_items", n=3) in card
    assert label("en", "more_items", n=1) == "1 more item: tap “Full step”."
    assert label("hant", "more_items", n=3) not in render.hit_card(hit, "hant", buttons=False)


async def test_an_english_not_found_reads_as_two_sentences(chat: Chat, kb: KnowledgeBase) -> None:
    reply = only(await chat.say("what is the wifi password", language_code="en"), "sendMessage")
    first_line = reply["text"].splitlines()[0]
    assert first_line == f"{label('en', 'not_found')} {label('en', 'closest_is')}"


async def test_did_you_mean_button_shows_that_steps_card(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, UNSURE, "low")
    hit = ask(kb, question).hits[1]
    await chat.say(question)
    calls = await chat.press(f"see:{hit.step.id}")
    assert only(calls, "answerCallbackQuery").keys() == {"callback_query_id"}
    card = only(calls, "editMessageText")
    assert card["text"] == render.hit_card(hit, "hant")
    assert ("⬅️ 返回", "more:0") in buttons(card)
    back = only(await chat.press("more:0"), "editMessageText")
    assert back["text"] == render.answer(ask(kb, question))


async def test_full_button_shows_the_whole_step(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high")
    step = ask(kb, question).hits[0].step
    await chat.say(question)
    calls = await chat.press(f"full:{step.id}")
    assert [call.method for call in calls] == ["answerCallbackQuery", "editMessageText"]
    full = only(calls, "editMessageText")
    assert full["text"] == render.step_full(step, "hant")
    assert all(tip[:20] in full["text"] for tip in step.tips)
    assert f"full:{step.id}" not in [data for _, data in buttons(full)]
    assert ("➡️ 其他答案", "more:1") in buttons(full)


async def test_other_answers_page_through_the_hits(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high", hits=3)
    expected = ask(kb, question)
    await chat.say(question)
    second = only(await chat.press("more:1"), "editMessageText")
    assert second["text"] == render.hit_card(expected.hits[1], "hant")
    step_id = expected.hits[1].step.id
    assert buttons(second)[:3] == [
        ("📄 全文", f"full:{step_id}"),
        ("⬅️ 上一個", "more:0"),
        ("➡️ 其他答案", "more:2"),
    ]
    first = only(await chat.press("more:0"), "editMessageText")
    assert first["text"] == render.answer(expected)


async def test_last_hit_has_no_next_button(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high")
    last = len(ask(kb, question).hits) - 1
    await chat.say(question)
    page = only(await chat.press(f"more:{last}"), "editMessageText")
    assert not any(data == f"more:{last + 1}" for _, data in buttons(page))


async def test_double_tap_on_a_button_is_harmless(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high")
    step = ask(kb, question).hits[0].step
    await chat.say(question)
    answer_message = chat.api.sent_messages()[-1]["message_id"]
    await chat.press(f"full:{step.id}", message_id=answer_message)
    await chat.press(f"full:{step.id}", message_id=answer_message)  # errors are checked on teardown


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


async def test_votes_are_stored_and_thanked(
    chat: Chat, kb: KnowledgeBase, storage: Storage
) -> None:
    question = pick(kb, CONFIDENT, "high")
    step_id = ask(kb, question).hits[0].step.id
    await chat.say(question)
    thanks = only(await chat.press(f"fb:+:{step_id}"), "answerCallbackQuery")
    assert thanks["text"] == label("hant", "thanks")
    await chat.press(f"fb:-:{step_id}")  # changed their mind: one vote, the last
    assert [(v.user_id, v.query, v.step_id, v.vote) for v in storage.users.votes()] == [
        (USER_ID, question, step_id, DOWN)
    ]


async def test_a_vote_on_an_answer_from_before_a_restart_keeps_its_question(
    chat: Chat, kb: KnowledgeBase, storage: Storage
) -> None:
    question = pick(kb, CONFIDENT, "high")
    step_id = ask(kb, question).hits[0].step.id
    await chat.say(question)
    answer_message = chat.api.sent_messages()[-1]["message_id"]
    chat.app.chat_data[USER_ID].forget(answer_message)  # what a restart forgets
    thanks = only(await chat.press(f"fb:+:{step_id}"), "answerCallbackQuery")
    assert thanks["text"] == label("hant", "thanks")
    assert [(v.query, v.step_id, v.vote) for v in storage.users.votes()] == [
        (question, step_id, UP)
    ]
    # A step this person was never given, and no question to tie it to: nothing stored.
    other = next(step.id for step in kb.steps if step.id != step_id)
    calls = await chat.press(f"fb:-:{other}", message_id=answer_message)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    assert all(v.query for v in storage.users.votes()) and len(storage.users.votes()) == 1


@pytest.mark.parametrize(
    "data",
    [
        "",
        "nonsense",
        "full:",
        "full:ZZZZZZZZZZ",
        "full:0000000000",  # the right form, but no such step
        "more:99",
        "more:1\n",
        "more:١",  # an Arabic-Indic digit: \d would take it, the pattern does not
        "fb:x:802c95ae0e",
        "fb:+:0000000000",
        "see:0000000000",
        "ask:9",
        "docs:1:2",
        "doc:999:0",
        "sec:0:99:0",
        "read:0000000000",
        "role:99",
        "x" * 64,
        "<b>hi</b>",
    ],
)
async def test_forged_or_stale_buttons_are_answered_expired(chat: Chat, data: str) -> None:
    await chat.say("/start")
    calls = await chat.press(data)
    assert [call.method for call in calls] == ["answerCallbackQuery"]
    assert calls[0].params["text"] == label("hant", "expired")


async def test_buttons_of_a_forgotten_answer_are_expired(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high")
    await chat.say(question)
    chat.app.chat_data[USER_ID].answers.clear()  # as after a restart
    calls = await chat.press("more:1")
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")


@pytest.mark.parametrize(
    "text",
    [
        "   ",
        "x" * 100_000,
        "客人沒帶證件" * 5000,
        "🙂🙂🙂",
        "\x00\x01\x02\u202e\u200b",
        "<b>證件</b> & <script>alert(1)</script>",
        "*沒帶證件* _怎麼辦_ [link](http://example.com) `code`",
        "\n\n\t",
        "a" * 4096,
    ],
)
async def test_odd_questions_get_one_reply_and_no_error(chat: Chat, text: str) -> None:
    calls = await chat.say(text)
    assert len(sent(calls, "sendMessage")) == 1  # HTML and length are checked on teardown


async def test_a_very_long_question_is_read_in_part_and_says_so(chat: Chat) -> None:
    reply = only(await chat.say("客人沒帶證件怎麼辦，" * 2000), "sendMessage")
    assert html.escape(label("hant", "too_long")) in reply["text"]


async def test_html_in_a_question_is_escaped(chat: Chat, kb: KnowledgeBase) -> None:
    calls = await chat.say("<b>客人</b>沒帶證件&怎麼辦")
    assert "<b>客人</b>沒帶" not in only(calls, "sendMessage")["text"]


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "u1",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]},
        {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 3}},
        {"location": {"latitude": 25.03, "longitude": 121.56}},
    ],
)
async def test_non_text_messages_get_a_friendly_pointer(chat: Chat, content: dict) -> None:
    calls = await chat.send(chat.message(**content))
    assert only(calls, "sendMessage")["text"] == html.escape(label("hant", "no_words"))


async def test_a_photos_caption_is_answered_as_the_question(chat: Chat, kb: KnowledgeBase) -> None:
    photo = [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]
    calls = await chat.send(chat.message(photo=photo, caption="沒帶證件"))
    assert only(calls, "sendMessage")["text"] == render.answer(ask(kb, "沒帶證件"))


async def test_service_messages_get_no_reply(chat: Chat) -> None:
    calls = await chat.send(chat.message(new_chat_title="Store"))
    assert sent(calls, "sendMessage") == []


async def test_an_edited_question_is_answered_again(chat: Chat, kb: KnowledgeBase) -> None:
    question = pick(kb, CONFIDENT, "high")
    calls = await chat.send(chat.message(question, kind="edited_message"))
    assert only(calls, "sendMessage")["text"] == render.answer(ask(kb, question))


async def test_groups_answer_only_messages_addressed_to_the_bot(
    chat: Chat, kb: KnowledgeBase
) -> None:
    chat.app.bot_data.storage.groups.link_group(
        GROUP_ID, "台北站前店", linked_by=1
    )  # see test_bot_groups
    question = pick(kb, CONFIDENT, "high")
    assert sent(await chat.say(question, chat_id=GROUP_ID), "sendMessage") == []
    calls = await chat.say(f"@sop_test_bot {question}", chat_id=GROUP_ID)
    reply = only(calls, "sendMessage")
    assert reply["chat_id"] == GROUP_ID
    assert reply["text"] == render.answer(ask(kb, question))
    assert "reply_parameters" in reply  # quoted, so the group sees whom it answers


async def test_users_are_remembered(chat: Chat, storage: Storage) -> None:
    await chat.say("你好", language_code="zh-hans")
    user = storage.users.user(USER_ID)
    assert (user.name, user.language, user.role) == ("小明", "zh-hans", None)


async def test_role_choice_ranks_that_roles_steps_first(
    chat: Chat, kb: KnowledgeBase, storage
) -> None:
    roles = chat.app.bot_data.contents.roles
    question = "主動迎客"
    default_role = ask(kb, question).hits[0].step.role
    role = next(
        (r for r in roles if r != default_role and ask(kb, question, r).hits[0].step.role == r),
        None,
    )
    if role is None:
        pytest.skip("no role changes the ranking of this question any more")
    prompt = only(await chat.say("/role"), "sendMessage")
    assert ("✖️ 不指定崗位", "role:-") in buttons(prompt)
    chosen = only(await chat.press(f"role:{roles.index(role)}"), "editMessageText")
    assert chosen["text"] == render.role_chosen("hant", role)
    assert storage.users.role_of(USER_ID) == role
    reply = only(await chat.say(question), "sendMessage")
    assert reply["text"] == render.answer(ask(kb, question, role))
    assert render.breadcrumb(ask(kb, question, role).hits[0].step, "hant") in reply["text"]
    await chat.press("role:-", message_id=chat.api.sent_messages()[-2]["message_id"])
    assert storage.users.role_of(USER_ID) is None


async def test_role_can_be_named_after_the_command(chat: Chat, storage: Storage) -> None:
    role = chat.app.bot_data.contents.roles[0]
    reply = only(await chat.say(f"/role {role}"), "sendMessage")
    assert reply["text"] == render.role_chosen("hant", role)
    assert storage.users.role_of(USER_ID) == role
    unknown = only(await chat.say("/role 太空人"), "sendMessage")
    assert "太空人" in unknown["text"]
    assert storage.users.role_of(USER_ID) == role


async def test_role_takes_the_aliases_quiz_takes(chat: Chat, storage: Storage) -> None:
    for wanted in ("店長", "值班经理", "duty manager"):
        storage.users.set_role(USER_ID, None)
        reply = only(await chat.say(f"/role {wanted}"), "sendMessage")
        assert reply["text"] == render.role_chosen("hant", "值班經理")
        assert storage.users.role_of(USER_ID) == "值班經理"
    # /quiz reads the same alias as the same role.
    storage.people.add_person(USER_ID, "小明", "trainer", ["台北站前店"])
    quiz = only(await chat.say("/quiz 店長 2"), "sendMessage")
    assert "值班經理" in quiz["text"]


async def test_errors_are_logged_and_the_user_gets_an_apology(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> Answer:
        raise RuntimeError("index is gone")

    monkeypatch.setattr(chat.app.bot_data.kb, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="bot.tg.errors"):
        calls = await chat.say("客人沒帶證件怎麼辦")
    assert only(calls, "sendMessage")["text"] == html.escape(label("hant", "error"))
    [record] = [r for r in caplog.records if r.name == "bot.tg.errors"]
    assert record.exc_info and "index is gone" in str(record.exc_info[1])
    assert len(chat.errors) == 1
    chat.errors.clear()


async def test_remembered_answers_are_bounded_across_chats(
    chat: Chat, kb: KnowledgeBase, storage: Storage
) -> None:
    """Every chat remembers its latest answers for their buttons, and all chats together at
    most a bounded number: the oldest are forgotten first, whichever chat asked."""
    recent = chat.app.bot_data.recent_answers
    recent.limit = 40
    people = range(600_001, 600_061)
    for user_id in people:
        storage.people.add_person(user_id, f"店員{user_id}", "staff", [STORE])
    question = pick(kb, CONFIDENT, "high")
    for user_id in people:
        await chat.say(question, user_id=user_id)
        await chat.say(question, user_id=user_id)
    kept = sum(len(data.answers) for data in chat.app.chat_data.values())
    assert kept == 40  # 120 answers given, the latest 40 kept
    assert len(recent.order) <= 40
    # The newest chat's buttons work; the oldest chat's say "expired".
    newest, oldest = people[-1], people[0]
    calls = await chat.press("more:1", user_id=newest)
    assert "editMessageText" in [call.method for call in calls]
    calls = await chat.press("more:1", user_id=oldest)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
