"""Issue 16: ask a person. A staff question the SOP did not answer goes, in private, to the
people of the asker's store who answer questions; one takes it, answers, and the answer
reaches the asker under their question; it can then become a store note.

Real PTB routing over the fake Telegram, several people registered around one
staff member (``USER_ID``, of ``STORE``).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import callbacks
from bot.asks import delivery
from bot.asks.model import ANSWERED, OPEN, REMINDER, TAKEN, WITHDRAWN
from bot.i18n import label
from bot.storage import Storage
from tests.bot.asks.conftest import (
    ADMIN,
    ANSWER,
    COLLEAGUE,
    MANAGER,
    OTHER_MANAGER,
    OUTSIDER,
    QUESTION,
    REWORDED,
    TRAINER,
)
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import GROUP_ID, STORE, USER_ID, Chat
from tests.fakebotapi import Call as ApiCall


def data_of(params: dict[str, Any], prefix: str) -> str:
    """The callback data of the button on a message whose data starts with ``prefix``."""
    found = [data for _, data in buttons(params) if data.startswith(prefix)]
    assert found, buttons(params)
    return found[0]


def latest(chat: Chat, chat_id: int) -> int:
    """The id of the bot's latest message in a chat."""
    return chat.api.sent_messages(chat_id)[-1]["message_id"]


def to(calls: list[ApiCall], chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [params for params in sent(calls, method) if params["chat_id"] == chat_id]


async def asked_person(chat: Chat, question: str = QUESTION) -> tuple[list[ApiCall], int]:
    """The staff member asks, gets no confident answer (only the closest steps, or none),
    taps 🙋; (calls, ask id)."""
    reply = only(await chat.say(question), "sendMessage")
    unsure = [html.escape(label("hant", key)) for key in ("not_found", "no_answer")]
    assert any(text in reply["text"] for text in unsure), reply["text"]
    assert (label("hant", "ask_button"), callbacks.ask_person()) in buttons(reply)
    calls = await chat.press(callbacks.ask_person())
    (offer,) = to(calls, MANAGER)
    ask_id = int(data_of(offer, "hp:t:").rsplit(":", 1)[1])
    return calls, ask_id


async def test_a_question_goes_to_the_stores_responders_only_and_the_answer_comes_back(
    chat: Chat, people: Storage
) -> None:
    calls, ask_id = await asked_person(chat)
    # The offers: the store's trainer and manager, in private, with ✋ and the closest steps.
    offered = {params["chat_id"] for params in sent(calls, "sendMessage")} - {USER_ID}
    assert offered == {TRAINER, MANAGER}
    (offer,) = to(calls, TRAINER)
    assert QUESTION in offer["text"] and "小明" in offer["text"] and STORE in offer["text"]
    assert label("hant", "ask_offer_closest") in offer["text"]
    # The asker is told it is waiting, with whom, and can withdraw it.
    (waiting,) = to(calls, USER_ID)
    assert "2" in waiting["text"] and STORE in waiting["text"]
    assert data_of(waiting, "hp:x:") == callbacks.ask("x", ask_id)

    # The manager takes it; the trainer's offer says so and loses its ✋.
    calls = await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    (mine,) = to(calls, MANAGER, "editMessageText")
    assert label("hant", "ask_release") in str(mine["reply_markup"])
    (theirs,) = to(calls, TRAINER, "editMessageText")
    assert "王店長" in theirs["text"] and "reply_markup" not in theirs
    # Only one taker: the trainer's (stale or forged) ✋ is refused.
    calls = await chat.press(callbacks.ask("t", ask_id), user_id=TRAINER)
    toast = only(calls, "answerCallbackQuery")
    assert toast["text"] == label("hant", "ask_taken_already", name="王店長")
    assert people.asks.ask(ask_id).taken_by == MANAGER

    # The manager's next message is the answer; it reaches the asker under their question.
    calls = await chat.say(ANSWER, user_id=MANAGER)
    (reply,) = to(calls, USER_ID)
    assert ANSWER in reply["text"] and "王店長" in reply["text"]
    assert "reply_parameters" in reply
    assert {data for _, data in buttons(reply)} == {
        callbacks.ask_vote(True, ask_id),
        callbacks.ask_vote(False, ask_id),
    }
    (confirmation,) = to(calls, MANAGER)
    assert data_of(confirmation, "hp:n:") == callbacks.ask("n", ask_id)
    assert data_of(confirmation, "hp:s:") == callbacks.ask("s", ask_id)
    assert people.asks.ask(ask_id).status == ANSWERED
    # Nobody else heard the answer; nothing was sent twice.
    assert {p["chat_id"] for p in sent(calls, "sendMessage")} == {USER_ID, MANAGER}

    # The asker rates it; nobody else may.
    answered = latest(chat, USER_ID)
    forged = await chat.press(
        callbacks.ask_vote(False, ask_id), user_id=COLLEAGUE, chat_id=USER_ID, message_id=answered
    )
    assert only(forged, "answerCallbackQuery")["text"] == label("hant", "ask_not_yours")
    calls = await chat.press(callbacks.ask_vote(True, ask_id), message_id=answered)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "thanks")
    assert people.asks.ask(ask_id).vote == 1


async def test_the_answer_saved_as_a_store_note_answers_the_next_colleague_of_that_store_only(
    chat: Chat, people: Storage
) -> None:
    _, ask_id = await asked_person(chat)
    await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    await chat.say(ANSWER, user_id=MANAGER)
    calls = await chat.press(callbacks.ask("n", ask_id), user_id=MANAGER)
    (saved,) = to(calls, MANAGER, "editMessageText")
    assert STORE in saved["text"]
    (note,) = people.asks.notes([STORE])
    assert (note.question, note.answer, note.author_name) == (QUESTION, ANSWER, "王店長")
    # A second 📌 does not make a second note.
    await chat.press(callbacks.ask("n", ask_id), user_id=MANAGER, message_id=saved["message_id"])
    assert len(people.asks.notes()) == 1

    # A colleague of the store asks the same in other words: the note, with author and date.
    reply = only(await chat.say(REWORDED, user_id=COLLEAGUE), "sendMessage")
    assert ANSWER in reply["text"] and "王店長" in reply["text"]
    assert note.created_at.date().isoformat()[:4] in reply["text"]
    # Staff of another store never see it.
    reply = only(await chat.say(REWORDED, user_id=OUTSIDER), "sendMessage")
    assert ANSWER not in reply["text"]

    # /notes lists it; the trainer of the store removes it, and it answers no more.
    listing = only(await chat.say("/notes", user_id=TRAINER), "sendMessage")
    assert ANSWER in html.unescape(listing["text"])
    assert only(await chat.say("/notes", user_id=OUTSIDER), "sendMessage")["text"].count("#") == 0
    forged = await chat.press(
        callbacks.note_remove(note.id, note.version), user_id=OUTSIDER, chat_id=TRAINER
    )
    toast = only(forged, "answerCallbackQuery")["text"]
    assert toast == label("hant", "note_not_found", id=note.id)
    assert people.asks.note(note.id) is not None
    await chat.press(callbacks.note_remove(note.id, note.version), user_id=TRAINER)
    assert people.asks.note(note.id) is None
    reply = only(await chat.say(REWORDED, user_id=COLLEAGUE), "sendMessage")
    assert ANSWER not in reply["text"]


async def test_strangers_other_stores_and_forged_buttons_get_nothing(
    chat: Chat, people: Storage
) -> None:
    _, ask_id = await asked_person(chat)
    # Another store's manager, a staff member of the same store: ✋ refused, nothing shown.
    for user_id in (OTHER_MANAGER, COLLEAGUE):
        calls = await chat.press(callbacks.ask("t", ask_id), user_id=user_id, chat_id=MANAGER)
        assert only(calls, "answerCallbackQuery")["text"] == label("hant", "ask_not_responder")
        assert not sent(calls, "sendMessage") and not sent(calls, "editMessageText")
    # A stranger gets the gate's refusal, whatever the button.
    calls = await chat.press(callbacks.ask("t", ask_id), user_id=424242, chat_id=MANAGER)
    assert QUESTION not in str([c.params for c in calls])
    # Only the asker withdraws; a made-up question id has expired.
    calls = await chat.press(callbacks.ask("x", ask_id), user_id=COLLEAGUE, chat_id=USER_ID)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "ask_not_yours")
    calls = await chat.press(callbacks.ask("t", 99999), user_id=MANAGER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    # A responder revoked meanwhile: their ✋ stops working.
    people.people.deactivate(TRAINER)
    calls = await chat.press(callbacks.ask("t", ask_id), user_id=TRAINER)
    assert people.asks.ask(ask_id).status == OPEN
    assert not to(calls, TRAINER, "editMessageText")
    # Nobody but the taker answers: a manager's text is a question again.
    calls = await chat.say("冷氣壞了找誰修", user_id=MANAGER)
    assert people.asks.ask(ask_id).status == OPEN and not to(calls, USER_ID)


async def test_the_asker_withdraws_and_the_offers_say_so(chat: Chat, people: Storage) -> None:
    calls, ask_id = await asked_person(chat)
    calls = await chat.press(callbacks.ask("x", ask_id), message_id=latest(chat, USER_ID))
    edits = {p["chat_id"]: p for p in sent(calls, "editMessageText")}
    assert set(edits) == {USER_ID, TRAINER, MANAGER}
    assert edits[USER_ID]["text"] == label("hant", "ask_withdrawn", question=QUESTION)
    assert edits[MANAGER]["text"] == label("hant", "ask_settled_withdrawn", question=QUESTION)
    assert "reply_markup" not in edits[MANAGER]
    assert people.asks.ask(ask_id).status == WITHDRAWN
    # Too late to take it now.
    calls = await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "ask_closed")


async def test_the_taker_answers_in_text_within_the_limit(chat: Chat, people: Storage) -> None:
    _, ask_id = await asked_person(chat)
    await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    sticker = {
        "file_id": "x",
        "file_unique_id": "y",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }  # noqa: E501
    calls = await chat.send(chat.message(user_id=MANAGER, sticker=sticker))
    assert only(calls, "sendMessage")["text"] == label("hant", "ask_text_only")
    calls = await chat.say("長" * 4000, user_id=MANAGER)
    assert "4000" in only(calls, "sendMessage")["text"]
    assert people.asks.ask(ask_id).status == TAKEN
    # HTML in an answer is passed on as text, breaking nobody's message.
    calls = await chat.say("<b>先</b>問店長 & 等 <script>", user_id=MANAGER)
    (reply,) = to(calls, USER_ID)
    assert "&lt;b&gt;先&lt;/b&gt;問店長 &amp; 等 &lt;script&gt;" in reply["text"]


async def test_the_taker_can_give_it_back(chat: Chat, people: Storage) -> None:
    _, ask_id = await asked_person(chat)
    await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    calls = await chat.press(callbacks.ask("r", ask_id), user_id=MANAGER)
    (offer,) = to(calls, TRAINER, "editMessageText")
    assert data_of(offer, "hp:t:") == callbacks.ask("t", ask_id)
    assert people.asks.ask(ask_id).status == OPEN
    await chat.press(callbacks.ask("t", ask_id), user_id=TRAINER)
    assert people.asks.ask(ask_id).taken_by == TRAINER


async def test_reminders_after_n_minutes_then_the_admins_after_m(
    chat: Chat, people: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ask_id = await asked_person(chat)
    (job,) = chat.app.job_queue.get_jobs_by_name(delivery.FOLLOW_UP_JOB)
    settings = chat.app.bot_data.settings
    before = len(chat.request.calls)
    await job.run(chat.app)
    assert not sent(chat.request.calls[before:], "sendMessage")  # nothing due yet

    # The bot's clock (the storage's) moves on; the job's next run is then.
    start = datetime.now(UTC)
    later = start + timedelta(minutes=settings.ask_remind_minutes + 1)
    monkeypatch.setattr(people.connection, "clock", lambda: later.isoformat(timespec="seconds"))
    before = len(chat.request.calls)
    await job.run(chat.app)
    reminders = sent(chat.request.calls[before:], "sendMessage")
    assert {p["chat_id"] for p in reminders} == {TRAINER, MANAGER}
    assert all(data_of(p, "hp:t:") for p in reminders)
    before = len(chat.request.calls)
    await job.run(chat.app)  # once only
    assert not sent(chat.request.calls[before:], "sendMessage")

    later = start + timedelta(minutes=settings.ask_escalate_minutes + 1)
    before = len(chat.request.calls)
    await job.run(chat.app)
    escalation, waiting = sent(chat.request.calls[before:], "sendMessage")
    assert escalation["chat_id"] == ADMIN and QUESTION in escalation["text"]
    # The asker hears it is still waiting and where it went; they can still withdraw it.
    assert waiting["chat_id"] == USER_ID and QUESTION in waiting["text"]
    assert data_of(waiting, "hp:x:") == callbacks.ask("x", ask_id)
    # The admin may take it from there.
    await chat.press(callbacks.ask("t", ask_id), user_id=ADMIN)
    assert people.asks.ask(ask_id).taken_by == ADMIN
    assert [m.kind for m in people.asks.messages_of(ask_id)].count(REMINDER) == 2


async def test_ask_command_and_thumbs_down_offer_a_person(chat: Chat, people: Storage) -> None:
    for empty in ("/ask", "/ask 🙂🙂"):
        reply = only(await chat.say(empty), "sendMessage")
        assert reply["text"] == html.escape(label("hant", "ask_usage"))
    calls = await chat.say("/ask 客人要開兩張發票可以嗎")
    assert {p["chat_id"] for p in sent(calls, "sendMessage")} == {USER_ID, TRAINER, MANAGER}
    # 👎 on a confident answer adds 🙋 under it.
    reply = only(await chat.say("客人沒帶身分證怎麼辦"), "sendMessage")
    answer_id = latest(chat, USER_ID)
    down = data_of(reply, "fb:-:")
    calls = await chat.press(down)
    markup = only(calls, "editMessageReplyMarkup")["reply_markup"]
    assert callbacks.ask_person() in str(markup)
    calls = await chat.press(callbacks.ask_person(), message_id=answer_id)
    assert {p["chat_id"] for p in sent(calls, "sendMessage")} == {USER_ID, TRAINER, MANAGER}
    # A second tap on the same answer asks nobody again.
    calls = await chat.press(callbacks.ask_person(), message_id=answer_id)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "ask_already")
    assert not sent(calls, "sendMessage")


async def test_a_question_asked_in_a_group_is_answered_there_in_the_askers_language(
    chat: Chat, people: Storage
) -> None:
    people.groups.link_group(GROUP_ID, STORE, linked_by=1)  # answered in the group itself
    bot = chat.app.bot.username
    said = await chat.say(f"@{bot} {QUESTION}", chat_id=GROUP_ID, language_code="en")
    assert callbacks.ask_person() in str(only(said, "sendMessage")["reply_markup"])
    calls = await chat.press(callbacks.ask_person(), chat_id=GROUP_ID, language_code="en")
    (offer,) = to(calls, MANAGER)  # in private, in the manager's language
    assert label("hant", "ask_offer_closest") in offer["text"]
    ask_id = int(data_of(offer, "hp:t:").rsplit(":", 1)[1])
    (waiting,) = to(calls, GROUP_ID)  # "sent to …" in the group, under the question
    assert "Sent to 2 colleagues" in waiting["text"]
    await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    calls = await chat.say(ANSWER, user_id=MANAGER)
    (answer,) = to(calls, GROUP_ID)
    assert ANSWER in answer["text"] and "answered your question" in answer["text"]
    assert not to(calls, USER_ID)  # not in the asker's private chat


async def test_asks_lists_open_taken_and_answered_with_ages_and_stats_count_them(
    chat: Chat, people: Storage
) -> None:
    _, first = await asked_person(chat)
    _, second = await asked_person(chat, "停車場月租多少錢")
    await chat.press(callbacks.ask("t", first), user_id=MANAGER)
    await chat.say(ANSWER, user_id=MANAGER)
    listing = only(await chat.say("/asks", user_id=TRAINER), "sendMessage")
    text = html.unescape(listing["text"])
    assert label("hant", "asks_open") in text
    assert (
        label("hant", "asks_answered", name="王店長", age=label("hant", "ask_age_minutes", n=0))
        in text
    )
    assert callbacks.ask("t", second) in str(listing["reply_markup"])
    # Another store's manager sees none of them; the asker sees their own, with the answer.
    other = only(await chat.say("/asks", user_id=OTHER_MANAGER), "sendMessage")
    assert QUESTION not in other["text"]
    mine = html.unescape(only(await chat.say("/asks"), "sendMessage")["text"])
    assert QUESTION in mine and ANSWER[:20] in mine
    # /stats: questions asked of people and the median time to an answer.
    calls = await chat.say("/stats", user_id=MANAGER)
    summary = "".join(p.get("caption", "") + p.get("text", "") for c in calls for p in [c.params])
    assert (
        label(
            "hant", "stats_asks", asked=2, answered=1, median=label("hant", "ask_age_minutes", n=0)
        )
        in summary
    )


async def test_responders_are_configurable_per_store(chat: Chat, people: Storage) -> None:
    calls = await chat.say("/responders manager", user_id=MANAGER)
    assert STORE in only(calls, "sendMessage")["text"]
    assert people.asks.responder_levels(STORE) == ("manager",)
    calls, _ = await asked_person(chat)
    assert {p["chat_id"] for p in sent(calls, "sendMessage")} == {USER_ID, MANAGER}
    refused = only(
        await chat.say(f"/responders {STORE} staff", user_id=OTHER_MANAGER), "sendMessage"
    )
    assert STORE in refused["text"] and people.asks.responder_levels(STORE) == ("manager",)
    refused = only(await chat.say("/responders staff", user_id=TRAINER), "sendMessage")
    assert refused["text"] == html.escape(label("hant", "refused_stats"))


async def test_responders_understand_chinese_level_names(chat: Chat, people: Storage) -> None:
    await chat.say(f"/responders {STORE} 經理", user_id=MANAGER)
    assert people.asks.responder_levels(STORE) == ("manager",)
    await chat.say(f"/responders {STORE} 员工 培訓員", user_id=MANAGER)
    assert people.asks.responder_levels(STORE) == ("staff", "trainer")


async def test_attaching_the_question_to_a_step_starts_teaching_it(
    chat: Chat, people: Storage
) -> None:
    _, ask_id = await asked_person(chat)
    await chat.press(callbacks.ask("t", ask_id), user_id=MANAGER)
    await chat.say(ANSWER, user_id=MANAGER)
    # Only the one who answered may; then the question is the wording being taught.
    refused = await chat.press(callbacks.ask("s", ask_id), user_id=TRAINER, chat_id=MANAGER)
    assert only(refused, "answerCallbackQuery")["text"] == label("hant", "ask_not_responder")
    calls = await chat.press(callbacks.ask("s", ask_id), user_id=MANAGER)
    prompt = only(calls, "sendMessage")
    assert QUESTION in prompt["text"] and callbacks.teach_cancel() in str(prompt["reply_markup"])
    assert people.asks.ask(ask_id).taught
    # The manager's next words search for the step to teach (as /teach does).
    calls = await chat.say("晨會", user_id=MANAGER)
    assert "tch:s:" in str(only(calls, "sendMessage")["reply_markup"])


async def test_a_huge_question_with_html_breaks_no_ones_message(
    chat: Chat, people: Storage
) -> None:
    question = "<b>收銀機</b> & <i>發票</i> " + "很長的問題" * 800  # over 4000 characters
    calls = await chat.say(f"/ask {question}")
    offers = [p for p in sent(calls, "sendMessage") if p["chat_id"] in (TRAINER, MANAGER)]
    assert len(offers) == 2
    for offer in offers:
        assert "&lt;b&gt;收銀機&lt;/b&gt; &amp; &lt;i&gt;發票&lt;/i&gt;" in offer["text"]
        assert len(offer["text"]) < 4096


async def test_an_answer_from_before_a_restart_still_hands_its_question_over(
    chat: Chat, people: Storage
) -> None:
    question = chat.message(QUESTION)
    await chat.send(question)
    answer_id = latest(chat, USER_ID)
    chat.app.chat_data[USER_ID].answers.clear()  # what a restart forgets
    pressed = chat.callback(callbacks.ask_person(), message_id=answer_id)
    # Telegram says which message the answer replied to: the question.
    pressed["callback_query"]["message"]["reply_to_message"] = question["message"]
    calls = await chat.send(pressed)
    (offer,) = to(calls, MANAGER)
    assert QUESTION in offer["text"]
    (waiting,) = to(calls, USER_ID)
    assert waiting["reply_parameters"]["message_id"] == question["message"]["message_id"]
    # Someone else pressing 🙋 under my answer hands nothing over.
    pressed = chat.callback(
        callbacks.ask_person(), message_id=answer_id, user_id=COLLEAGUE, chat_id=USER_ID
    )
    pressed["callback_query"]["message"]["reply_to_message"] = question["message"]
    calls = await chat.send(pressed)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "ask_not_yours")
