"""Trainer quizzes, /leaderboard, /myscore and /practice, through real PTB routing.

Polls are sent to the offline request layer; answers come back as PollAnswer updates. The
storage's clock is a test clock, so Leitner schedules are checked without waiting.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.error import Forbidden

from bot.app import ALLOWED_UPDATES, start_up
from bot.config import Settings
from bot.i18n import label
from bot.quizzes import handlers as quiz
from bot.quizzes import service as quizzes
from bot.storage import SentPoll, Storage
from knowledge.quiz import QuizQuestion, generate_questions
from tests.bot.botcalls import only, sent
from tests.bot.conftest import GROUP_ID, STORE, USER_ID, Chat, Clock, new_database
from tests.fakebotapi import Call as ApiCall

TRAINER = 900001
STAFF_A = 900002
STAFF_B = 900003
OTHER_STORE = "高雄店"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 3, 3, 1, 0, tzinfo=UTC))


@pytest.fixture
def storage(settings: Settings, clock: Clock, empty_database: Path) -> Iterator[Storage]:
    storage = Storage.open(new_database(empty_database, settings.db_path), clock=clock)
    storage.people.add_person(USER_ID, "小明", "staff", [STORE])
    storage.people.add_person(TRAINER, "陳培訓", "trainer", [STORE])
    storage.people.add_person(STAFF_A, "阿美", "staff", [STORE])
    storage.people.add_person(STAFF_B, "阿強", "staff", [OTHER_STORE])
    # Quizzes run in groups an admin linked to a store (bot/access/rules.py).
    storage.groups.link_group(GROUP_ID, STORE, linked_by=1)
    yield storage
    storage.close()


def polls(calls: list[ApiCall]) -> list[dict[str, Any]]:
    return sent(calls, "sendPoll")


def last_poll_id(chat: Chat, chat_id: int) -> str:
    """The id Telegram gave the latest poll sent to a chat."""
    polls = [message for message in chat.api.sent_messages(chat_id) if "poll" in message]
    return polls[-1]["poll"]["id"]


async def answer(chat: Chat, poll_id: str, option: int, user_id: int = USER_ID) -> list[ApiCall]:
    return await chat.send(poll_answer(chat, poll_id, [option], user_id))


def poll_answer(chat: Chat, poll_id: str, options: list[int], user_id: int) -> dict[str, Any]:
    """A PollAnswer update as Telegram sends it."""
    return {
        "poll_answer": {
            "poll_id": poll_id,
            "user": chat.user(user_id),
            "option_ids": options,
            "option_persistent_ids": [str(option) for option in options],
        }
    }


def correct_of(params: dict[str, Any]) -> int:
    [correct] = params["correct_option_ids"]
    return int(correct)


def check_quiz_poll(params: dict[str, Any]) -> None:
    """A quiz poll Telegram accepts, scored (not anonymous), in plain text."""
    assert params["type"] == "quiz"
    assert params["is_anonymous"] is False
    assert 0 < len(params["question"]) <= 300
    assert 2 <= len(params["options"]) <= 10
    assert all(0 < len(option["text"]) <= 100 for option in params["options"])
    assert 0 <= correct_of(params) < len(params["options"])
    assert 0 < len(params["explanation"]) <= 200
    # Plain text: SOP text with "<" must not be read as HTML. (PTB adds a top-level
    # parse_mode to every send, which sendPoll ignores.)
    assert "question_parse_mode" not in params and "explanation_parse_mode" not in params
    assert "text_parse_mode" not in json.dumps(params["options"])


# -- /quiz ----------------------------------------------------------------------------------


async def test_quiz_in_a_private_chat_asks_one_after_another_and_sums_up(chat: Chat) -> None:
    calls = await chat.say("/quiz 3", user_id=TRAINER)
    intro = only(calls, "sendMessage")
    assert label("hant", "quiz_start", n=3) in intro["text"]
    first = only(calls, "sendPoll")
    check_quiz_poll(first)
    assert "open_period" not in first

    calls = await answer(chat, last_poll_id(chat, TRAINER), correct_of(first), TRAINER)
    second = only(calls, "sendPoll")
    check_quiz_poll(second)
    assert second["question"] != first["question"]
    wrong = (correct_of(second) + 1) % len(second["options"])
    third = only(await answer(chat, last_poll_id(chat, TRAINER), wrong, TRAINER), "sendPoll")

    calls = await answer(chat, last_poll_id(chat, TRAINER), correct_of(third), TRAINER)
    assert polls(calls) == []
    summary = only(calls, "sendMessage")["text"]
    assert label("hant", "quiz_over", n=3) in summary
    assert "陳培訓：<b>2</b>/3" in summary
    # The one missed question, with its right answer and where to read up on it.
    assert label("hant", "quiz_most_missed") in summary
    assert html.escape(second["options"][correct_of(second)]["text"]) in summary
    missed = chat.app.bot_data.storage.quizzes.quiz_answers(1)[1]
    assert f"📍 {html.escape(missed.breadcrumb)}" in summary
    assert chat.app.bot_data.storage.quizzes.running_quiz(TRAINER) is None


async def test_quiz_in_a_group_is_paced_by_open_period_and_scores_everyone(chat: Chat) -> None:
    calls = await chat.say("/quiz 2", user_id=TRAINER, chat_id=GROUP_ID)
    assert label("hant", "quiz_pace_group", seconds=30) in only(calls, "sendMessage")["text"]
    first = only(calls, "sendPoll")
    check_quiz_poll(first)
    assert first["open_period"] == quiz.QUESTION_SECONDS
    poll_id = last_poll_id(chat, GROUP_ID)
    right, wrong = correct_of(first), (correct_of(first) + 1) % len(first["options"])
    assert await answer(chat, poll_id, right, STAFF_A) == []  # no one is hurried along
    assert await answer(chat, poll_id, wrong, USER_ID) == []

    [job] = chat.app.job_queue.get_jobs_by_name("quiz:1")
    before = len(chat.request.calls)
    await job.run(chat.app)
    second = only(chat.request.calls[before:], "sendPoll")
    await answer(chat, last_poll_id(chat, GROUP_ID), correct_of(second), STAFF_A)
    await answer(chat, last_poll_id(chat, GROUP_ID), correct_of(second), USER_ID)

    [job] = [j for j in chat.app.job_queue.get_jobs_by_name("quiz:1") if j.data == (1, 1)]
    before = len(chat.request.calls)
    await job.run(chat.app)
    summary = only(chat.request.calls[before:], "sendMessage")["text"]
    assert summary.index("阿美：<b>2</b>/2") < summary.index("小明：<b>1</b>/2")
    assert label("hant", "quiz_wrong_count", wrong=1, answered=2) in summary
    assert html.escape(first["options"][right]["text"]) in summary
    # A late job (or a second one) changes nothing once the summary is out.
    before = len(chat.request.calls)
    await job.run(chat.app)
    assert chat.request.calls[before:] == []


async def test_quiz_stop_ends_it_early_with_a_summary(chat: Chat) -> None:
    await chat.say("/quiz 4", user_id=TRAINER, chat_id=GROUP_ID)
    refused = only(await chat.say("/quiz 4", user_id=TRAINER, chat_id=GROUP_ID), "sendMessage")
    assert refused["text"] == html.escape(label("hant", "quiz_running"))
    calls = await chat.say("/quiz stop", user_id=TRAINER, chat_id=GROUP_ID)
    assert label("hant", "quiz_over", n=4) in only(calls, "sendMessage")["text"]
    assert label("hant", "quiz_no_answers") in only(calls, "sendMessage")["text"]
    assert chat.app.job_queue.get_jobs_by_name("quiz:1") == [] or all(
        job.removed for job in chat.app.job_queue.get_jobs_by_name("quiz:1")
    )


def restart_jobs(chat: Chat) -> list[Any]:
    """What a restart leaves: no jobs in memory, then the start-up's resumed ones."""
    for job in chat.app.job_queue.jobs():
        job.schedule_removal()
    return [job for job in chat.app.job_queue.jobs() if not job.removed]


async def test_a_group_quiz_goes_on_after_a_restart(chat: Chat, clock: Clock) -> None:
    first = only(await chat.say("/quiz 2", user_id=TRAINER, chat_id=GROUP_ID), "sendPoll")
    await answer(chat, last_poll_id(chat, GROUP_ID), correct_of(first), STAFF_A)
    clock.advance(seconds=10)
    assert restart_jobs(chat) == []
    await start_up(chat.app)

    # The open poll closes on Telegram's clock; the next question follows it on time.
    [job] = chat.app.job_queue.get_jobs_by_name("quiz:1")
    assert job.data == (1, 0)
    assert job.job.trigger.run_date.timestamp() == pytest.approx(
        datetime.now(UTC).timestamp() + quiz.QUESTION_SECONDS + quiz.CLOSE_GRACE_SECONDS - 10,
        abs=2,
    )
    before = len(chat.request.calls)
    await job.run(chat.app)
    second = only(chat.request.calls[before:], "sendPoll")
    await answer(chat, last_poll_id(chat, GROUP_ID), correct_of(second), STAFF_A)

    # The answer before the restart still counts in the summary.
    [job] = [j for j in chat.app.job_queue.get_jobs_by_name("quiz:1") if j.data == (1, 1)]
    before = len(chat.request.calls)
    await job.run(chat.app)
    assert "阿美：<b>2</b>/2" in only(chat.request.calls[before:], "sendMessage")["text"]


async def test_a_group_question_a_restart_kept_from_being_sent_is_sent_at_start(
    chat: Chat,
) -> None:
    await chat.say("/quiz 2", user_id=TRAINER, chat_id=GROUP_ID)
    storage = chat.app.bot_data.storage
    assert storage.quizzes.advance_quiz(1, 0)  # moved on, then stopped before sending the poll
    restart_jobs(chat)
    await start_up(chat.app)
    [job] = chat.app.job_queue.get_jobs_by_name("quiz:1")
    before = len(chat.request.calls)
    await job.run(chat.app)
    check_quiz_poll(only(chat.request.calls[before:], "sendPoll"))
    assert storage.quizzes.running_group_quizzes()[0][1] is not None  # now sent, at position 1


async def test_a_group_quiz_left_for_hours_is_summed_up_at_start(chat: Chat, clock: Clock) -> None:
    first = only(await chat.say("/quiz 3", user_id=TRAINER, chat_id=GROUP_ID), "sendPoll")
    await answer(chat, last_poll_id(chat, GROUP_ID), correct_of(first), STAFF_A)
    clock.advance(hours=2)
    restart_jobs(chat)
    await start_up(chat.app)
    [job] = chat.app.job_queue.get_jobs_by_name("quiz:1")
    before = len(chat.request.calls)
    await job.run(chat.app)
    calls = chat.request.calls[before:]
    assert polls(calls) == []
    assert "阿美：<b>1</b>/1" in only(calls, "sendMessage")["text"]  # of those asked
    assert chat.app.bot_data.storage.quizzes.running_group_quizzes() == []


async def test_quiz_about_a_role_named_in_simplified_chinese(chat: Chat) -> None:
    calls = await chat.say("/quiz 值班经理 2", user_id=TRAINER)
    assert "值班經理" in only(calls, "sendMessage")["text"]
    stored = chat.app.bot_data.storage.quizzes.poll(last_poll_id(chat, TRAINER))
    assert stored is not None and stored.role == "值班經理"
    assert "值班經理" in stored.breadcrumb


async def test_quiz_size_is_capped_and_unknown_roles_are_named(chat: Chat) -> None:
    calls = await chat.say("/quiz 500", user_id=TRAINER)
    started = only(calls, "sendMessage")["text"]
    assert label("hant", "quiz_start", n=quizzes.MAX_SIZE) in started
    # The size asked for is not silently lowered: the reply says why there are fewer.
    assert label("hant", "quiz_capped", asked=500, n=quizzes.MAX_SIZE) in started
    await chat.say("/quiz stop", user_id=TRAINER)
    calls = await chat.say("/quiz 5", user_id=TRAINER)
    assert "你要了" not in only(calls, "sendMessage")["text"]
    await chat.say("/quiz stop", user_id=TRAINER)
    calls = await chat.say("/quiz 火星人 3", user_id=TRAINER)
    assert polls(calls) == []
    assert "火星人" in only(calls, "sendMessage")["text"]


async def test_quiz_says_when_a_role_gives_fewer_questions_than_asked(chat: Chat) -> None:
    steps = chat.app.bot_data.kb.steps
    role, given = min(
        ((r, len(generate_questions(steps, 20, role=r, seed=0))) for r in ("業務演示", "客戶接待")),
        key=lambda pair: pair[1],
    )
    if given >= quizzes.MAX_SIZE:
        pytest.skip("every role gives a full quiz now")
    started = only(await chat.say(f"/quiz {role} 20", user_id=TRAINER), "sendMessage")["text"]
    assert label("hant", "quiz_fewer", asked=20, n=given) in started


async def test_quiz_is_refused_politely_to_staff(chat: Chat) -> None:
    calls = await chat.say("/quiz 3")
    assert only(calls, "sendMessage")["text"] == html.escape(label("hant", "refused_quiz"))
    assert polls(calls) == []
    calls = await chat.say("/quiz 3", user_id=STAFF_A, chat_id=GROUP_ID)
    assert polls(calls) == []


async def test_strangers_get_no_quiz(chat: Chat) -> None:
    calls = await chat.say("/quiz 3", user_id=123)
    assert polls(calls) == []


# -- answers that do not count ----------------------------------------------------------------


async def test_forged_unknown_and_repeated_poll_answers_are_ignored(chat: Chat) -> None:
    storage = chat.app.bot_data.storage
    first = only(await chat.say("/quiz 3", user_id=TRAINER), "sendPoll")
    poll_id = last_poll_id(chat, TRAINER)
    assert await answer(chat, "no-such-poll", 0, TRAINER) == []
    assert await answer(chat, poll_id, 7, TRAINER) == []  # an option the poll lacks
    assert await answer(chat, poll_id, -1, TRAINER) == []
    assert await chat.send(poll_answer(chat, poll_id, [], TRAINER)) == []  # a vote retracted
    assert await chat.send(poll_answer(chat, poll_id, [0, 1], TRAINER)) == []
    assert await answer(chat, poll_id, 0, user_id=555) == []  # a stranger, stopped at the gate
    assert storage.quizzes.quiz_answers(1) == []

    assert len(polls(await answer(chat, poll_id, correct_of(first), TRAINER))) == 1
    # The same answer again (Telegram retries, or a forger) neither counts nor moves on.
    assert await answer(chat, poll_id, correct_of(first), TRAINER) == []
    assert len(storage.quizzes.quiz_answers(1)) == 1


async def test_someone_else_cannot_answer_your_practice_question(chat: Chat) -> None:
    await chat.say("/practice")
    poll_id = last_poll_id(chat, USER_ID)
    assert await answer(chat, poll_id, 0, STAFF_A) == []
    assert chat.app.bot_data.storage.quizzes.cards(STAFF_A) == []
    assert chat.app.bot_data.storage.quizzes.cards(USER_ID) == []


async def test_english_readers_get_quiz_polls_worded_in_english(chat: Chat) -> None:
    poll = only(await chat.say("/practice", language_code="en"), "sendPoll")
    stored = chat.app.bot_data.storage.quizzes.poll(last_poll_id(chat, USER_ID))
    assert stored is not None
    question = quizzes.from_json(stored.question)
    text, options, explanation = question.in_english()
    assert poll["question"] == text and re.search(r"[A-Za-z]{3}", text)
    assert [o["text"] for o in poll["options"]] == list(options)
    assert poll["explanation"] == explanation


def test_questions_stored_before_english_wordings_still_load() -> None:
    question = QuizQuestion(
        "truefalse", "判斷對錯：「x」", ("對", "錯"), 0, "對。", "x", "a › b", "s1"
    )
    stored = json.loads(quizzes.to_json(question))
    for field in ("question_en", "explanation_en", "options_en"):
        del stored[field]
    loaded = quizzes.from_json(json.dumps(stored, ensure_ascii=False))
    assert loaded == question and loaded.in_english()[0] == question.question


# -- /leaderboard and /myscore --------------------------------------------------------------


POLL_NUMBERS = itertools.count(1)


def record(storage: Storage, user_id: int, correct: bool, role: str = "值班經理") -> None:
    """Store one scored answer to a poll of its own (what record_answer leaves behind)."""
    number = next(POLL_NUMBERS)
    poll_id = f"p{number}"
    breadcrumb = f"門市 › {role} › 1、晨會"
    question = QuizQuestion("truefalse", "？", ("對", "錯"), 0, "", "", breadcrumb, "ab12")
    storage.quizzes.add_poll(
        SentPoll(
            poll_id=poll_id,
            chat_id=user_id,
            message_id=number,
            quiz_id=None,
            position=0,
            owner_id=user_id,
            card=None,
            round_size=5,
            round="r",
            question=quizzes.to_json(question),
            correct=0,
            options=2,
            role=role,
            breadcrumb=breadcrumb,
        )
    )
    storage.quizzes.record_answer(poll_id, user_id, 0 if correct else 1, correct)


async def test_leaderboard_ranks_a_stores_people_over_the_last_30_days(
    chat: Chat, clock: Clock
) -> None:
    storage = chat.app.bot_data.storage
    for _ in range(5):
        record(storage, TRAINER, True)  # long ago: no longer counts
    clock.advance(days=31)
    record(storage, STAFF_A, True)
    record(storage, STAFF_A, True)
    record(storage, USER_ID, True)
    record(storage, USER_ID, False)
    record(storage, STAFF_B, True)  # another store
    text = only(await chat.say("/leaderboard"), "sendMessage")["text"]
    assert STORE in text and OTHER_STORE not in text
    assert text.index("1. 阿美：<b>2</b>/2") < text.index("2. 小明：<b>1</b>/2")
    assert "陳培訓" not in text and "阿強" not in text


async def test_myscore_shows_totals_and_the_roles_missed_most(chat: Chat, clock: Clock) -> None:
    storage = chat.app.bot_data.storage
    assert label("hant", "myscore_none") in only(await chat.say("/myscore"), "sendMessage")["text"]
    record(storage, USER_ID, False, role="門市保全")
    record(storage, USER_ID, False, role="門市保全")
    record(storage, USER_ID, True, role="值班經理")
    record(storage, USER_ID, False, role="值班經理")
    clock.advance(days=40)
    record(storage, USER_ID, True, role="值班經理")
    text = only(await chat.say("/myscore"), "sendMessage")["text"]
    assert label("hant", "myscore_total", correct=2, answered=5, percent=40) in text
    assert label("hant", "myscore_recent", days=30, correct=1, answered=1) in text
    weak = text.split(label("hant", "myscore_weak_roles"))[1]
    assert weak.index("門市保全") < weak.index("值班經理")
    # Said in words, not "2/2 ✗".
    assert label("hant", "myscore_weak_line", name="門市保全", wrong=2, answered=2) in weak
    assert "✗" not in text


async def test_one_right_answer_each_is_not_yet_learned(chat: Chat, clock: Clock) -> None:
    calls = await chat.say("/practice")
    for _ in range(quizzes.PRACTICE_ROUND):
        params = only(calls, "sendPoll")
        calls = await answer(chat, last_poll_id(chat, USER_ID), correct_of(params))
    text = only(await chat.say("/myscore"), "sendMessage")["text"]
    cards = quizzes.PRACTICE_ROUND
    assert label("hant", "myscore_cards", due=0, waiting=cards, learned=0) in text
    # A week on they come back once; right again, they are learned.
    clock.advance(days=7)
    calls = await chat.say("/practice")
    for _ in range(quizzes.PRACTICE_ROUND):
        params = only(calls, "sendPoll")
        assert params["question"].startswith(label("hant", "practice_again"))
        calls = await answer(chat, last_poll_id(chat, USER_ID), correct_of(params))
    text = only(await chat.say("/myscore"), "sendMessage")["text"]
    assert label("hant", "myscore_cards", due=0, waiting=0, learned=cards) in text


async def test_leaderboard_and_myscore_are_for_members_only(chat: Chat) -> None:
    for command in ("/leaderboard", "/myscore", "/practice"):
        calls = await chat.say(command, user_id=4242)
        assert all("🏆" not in params["text"] for params in sent(calls, "sendMessage"))
        assert polls(calls) == []


# -- Leitner boxes -------------------------------------------------------------------------


def test_after_answer_moves_cards_between_leitner_boxes() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    day = timedelta(days=1)
    assert quizzes.after_answer(None, False, now) == (1, now + day)
    # Right at first sight is not yet learned: the last box, asked again in a week.
    assert quizzes.after_answer(None, True, now) == (5, now + 7 * day)
    # Box 1 comes back daily, box 2 every 3 days, box 3 weekly …
    assert quizzes.after_answer(1, True, now) == (2, now + 3 * day)
    assert quizzes.after_answer(2, True, now) == (3, now + 7 * day)
    assert quizzes.after_answer(3, True, now) == (4, now + 14 * day)
    assert quizzes.after_answer(4, True, now) == (5, now + 30 * day)
    assert quizzes.after_answer(4, False, now) == (1, now + day)
    assert quizzes.after_answer(5, True, now) == (quizzes.LEARNED, now)


async def test_practice_brings_a_missed_question_back_when_it_is_due(
    chat: Chat, clock: Clock
) -> None:
    storage = chat.app.bot_data.storage
    missed = only(await chat.say("/practice"), "sendPoll")
    check_quiz_poll(missed)
    wrong = (correct_of(missed) + 1) % len(missed["options"])
    calls = await answer(chat, last_poll_id(chat, USER_ID), wrong)
    [card] = storage.quizzes.cards(USER_ID)
    assert card.box == 1
    # The round goes on with new questions; answered right, they are learned.
    for _ in range(quizzes.PRACTICE_ROUND - 1):
        params = only(calls, "sendPoll")
        assert params["question"] != missed["question"]
        calls = await answer(chat, last_poll_id(chat, USER_ID), correct_of(params))
    done = only(calls, "sendMessage")["text"]
    assert done == html.escape(label("hant", "practice_done", correct=4, answered=5))

    clock.advance(hours=23)  # not due yet: a new question comes first
    fresh = only(await chat.say("/practice"), "sendPoll")
    assert missed["question"] not in fresh["question"]
    clock.advance(hours=1)
    again = only(await chat.say("/practice"), "sendPoll")
    assert again["question"] == f"{label('hant', 'practice_again')}\n{missed['question']}"
    await answer(chat, last_poll_id(chat, USER_ID), correct_of(again))
    card = storage.quizzes.card(USER_ID, card.card)
    assert card is not None and card.box == 2  # promoted: back in 3 days

    clock.advance(days=2)
    assert missed["question"] not in only(await chat.say("/practice"), "sendPoll")["question"]
    clock.advance(days=1)
    assert missed["question"] in only(await chat.say("/practice"), "sendPoll")["question"]


async def test_practice_is_for_private_chats(chat: Chat) -> None:
    calls = await chat.say("/practice", chat_id=GROUP_ID)
    assert only(calls, "sendMessage")["text"] == html.escape(label("hant", "group_private_only"))
    assert polls(calls) == []


# -- reminders -------------------------------------------------------------------------------


async def test_practice_reminder_is_stored_fired_and_turned_off(chat: Chat) -> None:
    storage = chat.app.bot_data.storage
    reply = only(await chat.say("/practice on 7:05"), "sendMessage")
    assert reply["text"] == html.escape(label("hant", "practice_reminder_on", time="07:05"))
    assert storage.quizzes.reminders() == [(USER_ID, USER_ID, "07:05")]
    [job] = chat.app.job_queue.get_jobs_by_name(f"practice:{USER_ID}")
    assert job.trigger.fields[5].expressions[0].first == 7  # the hour, in the store's time zone

    before = len(chat.request.calls)
    await job.run(chat.app)
    reminder = only(chat.request.calls[before:], "sendMessage")
    assert reminder["chat_id"] == USER_ID
    assert reminder["text"] == html.escape(label("hant", "practice_reminder_new"))

    reply = only(await chat.say("/practice off"), "sendMessage")
    assert reply["text"] == html.escape(label("hant", "practice_reminder_off"))
    assert storage.quizzes.reminders() == []


async def test_practice_reminder_says_how_many_are_due(chat: Chat, clock: Clock) -> None:
    poll = only(await chat.say("/practice"), "sendPoll")
    await answer(chat, last_poll_id(chat, USER_ID), (correct_of(poll) + 1) % len(poll["options"]))
    await chat.say("/practice on 09:30")
    clock.advance(days=1)
    [job] = chat.app.job_queue.get_jobs_by_name(f"practice:{USER_ID}")
    before = len(chat.request.calls)
    await job.run(chat.app)
    text = only(chat.request.calls[before:], "sendMessage")["text"]
    assert text == html.escape(label("hant", "practice_reminder_due", due=1))


async def test_bad_reminder_times_are_explained(chat: Chat) -> None:
    for text in ("/practice on", "/practice on 25:00", "/practice on 7點"):
        reply = only(await chat.say(text), "sendMessage")
        assert reply["text"] == html.escape(label("hant", "practice_bad_time"))
    assert chat.app.bot_data.storage.quizzes.reminders() == []


async def test_stored_reminders_are_registered_at_start_up(chat: Chat) -> None:
    chat.app.bot_data.storage.quizzes.set_reminder(STAFF_A, STAFF_A, "18:00")
    await start_up(chat.app)
    assert len(chat.app.job_queue.get_jobs_by_name(f"practice:{STAFF_A}")) == 1


async def test_a_reminder_to_someone_who_blocked_the_bot_turns_itself_off(chat: Chat) -> None:
    await chat.say("/practice on 09:30")
    [job] = chat.app.job_queue.get_jobs_by_name(f"practice:{USER_ID}")

    def blocked(call: ApiCall, result: Any) -> None:
        if call.method == "sendMessage":
            raise Forbidden("Forbidden: bot was blocked by the user")

    chat.request.on_call = blocked
    await job.run(chat.app)
    assert chat.app.bot_data.storage.quizzes.reminders() == []


def test_poll_answers_are_among_the_allowed_updates() -> None:
    assert "poll_answer" in ALLOWED_UPDATES


def test_quiz_requests_read_role_and_size_in_any_order() -> None:
    assert quizzes.parse_quiz_request([]) == quizzes.QuizRequest(None, 5)
    assert quizzes.parse_quiz_request(["10", "值班經理"]) == quizzes.QuizRequest("值班經理", 10)
    assert quizzes.parse_quiz_request(["VIP接待", "0"]) == quizzes.QuizRequest("VIP接待", 1)
    assert quizzes.parse_quiz_request(["99"]).size == quizzes.MAX_SIZE
