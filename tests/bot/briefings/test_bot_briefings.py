"""Briefings through the real application, offline: /brief, ✅ 已讀, /briefs, /missed, schedules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.briefings import handlers, render
from bot.briefings import service as brief
from bot.i18n import label
from bot.storage import Storage
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import STORE, USER_ID, Chat

MANAGER = USER_ID
STAFF = (501, 502, 503)
ELSEWHERE = 601  # staff of another store


def register(storage: Storage) -> None:
    storage.people.add_person(MANAGER, "王經理", "manager", [STORE])
    for n, user_id in enumerate(STAFF, start=1):
        storage.people.add_person(user_id, f"店員{n}", "staff", [STORE])
    storage.people.add_person(ELSEWHERE, "別店", "staff", ["板橋店"])


def sends_to(calls: list, user_id: int, method: str = "sendMessage") -> list[dict]:
    return [params for params in sent(calls, method) if int(params["chat_id"]) == user_id]


async def compose(chat: Chat, text: str = "今天早會重點：\n1. 新門號方案\n2. <VIP> 接待") -> int:
    """/brief with a text, then the first audience (all my staff); the draft's id."""
    calls = await chat.say(f"/brief {text}")
    preview = only(calls, "sendMessage")
    assert label("hant", "brief_choose_audience") in preview["text"]
    assert "&lt;VIP&gt;" in preview["text"]  # the author's text is escaped
    data = dict((caption, data) for caption, data in buttons(preview))
    return int(data[label("hant", "brief_audience_all")].split(":")[2])


async def send_to_all(chat: Chat) -> int:
    briefing_id = await compose(chat)
    calls = await chat.press(f"brf:to:{briefing_id}:0")
    edited = only(calls, "editMessageText")
    assert "（3 人）" in edited["text"]
    assert [data for _, data in buttons(edited)] == [
        f"brf:go:{briefing_id}",
        f"brf:at:{briefing_id}",
        f"brf:x:{briefing_id}",
    ]
    await chat.press(f"brf:go:{briefing_id}")
    await chat.app.bot_data.courier.drain()
    return briefing_id


async def test_brief_previews_asks_the_audience_and_sends_to_my_staff(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    before = len(chat.request.calls)
    briefing_id = await send_to_all(chat)
    calls = chat.request.calls[before:]
    for user_id in STAFF:
        (note,) = sends_to(calls, user_id)
        assert note["text"].startswith("📋 <b>簡報</b> · 王經理")
        assert buttons(note) == [(label("hant", "brief_read_button"), f"brf:ok:{briefing_id}")]
    assert sends_to(calls, ELSEWHERE) == []  # another store's staff
    # The author hears how it went once every delivery has settled.
    report = sends_to(calls, MANAGER)[-1]
    assert report["text"] == render.briefing_done(briefing_id, {"sent": 3}, "hant")
    states = {d.user_id: d.state for d in chat.app.bot_data.briefings.deliveries(briefing_id)}
    assert states == dict.fromkeys(STAFF, brief.DELIVERED)


async def test_brief_alone_takes_the_next_message_a_photo(chat: Chat, storage: Storage) -> None:
    register(storage)
    calls = await chat.say("/brief")
    assert only(calls, "sendMessage")["text"] == label("hant", "brief_ask_note")
    photo = [{"file_id": "PHOTO-1", "file_unique_id": "u1", "width": 90, "height": 90}]
    calls = await chat.send(chat.message(None, photo=photo, caption="新海報貼在櫃台"))
    preview = only(calls, "sendMessage")
    assert label("hant", "brief_photo") in preview["text"]
    briefing_id = int(buttons(preview)[0][1].split(":")[2])
    await chat.press(f"brf:to:{briefing_id}:0")
    before = len(chat.request.calls)
    await chat.press(f"brf:go:{briefing_id}")
    await chat.app.bot_data.courier.drain()
    photos = sent(chat.request.calls[before:], "sendPhoto")
    assert sorted(int(p["chat_id"]) for p in photos) == list(STAFF)
    assert all(p["photo"] == "PHOTO-1" and "新海報貼在櫃台" in p["caption"] for p in photos)
    # The draft is done: the next text is a question again, not a note.
    calls = await chat.say("客人沒帶證件怎麼辦")
    assert label("hant", "brief_choose_audience") not in only(calls, "sendMessage")["text"]


async def test_only_managers_and_admins_may_brief(chat: Chat, storage: Storage) -> None:
    register(storage)
    for command in ("/brief 明天放假", "/briefs"):
        calls = await chat.say(command, user_id=STAFF[0])
        assert only(calls, "sendMessage")["text"] == label("hant", "refused_brief")
    # A staff member's forged buttons on a manager's draft do nothing but say "expired".
    briefing_id = await compose(chat)
    for data in (f"brf:to:{briefing_id}:0", f"brf:go:{briefing_id}", f"brf:x:{briefing_id}"):
        calls = await chat.press(data, user_id=STAFF[0], chat_id=MANAGER)
        assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    assert chat.app.bot_data.briefings.deliveries(briefing_id) == []
    # Out-of-range audiences and a second ✅ 發送 are stale too.
    calls = await chat.press(f"brf:to:{briefing_id}:99")
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    await chat.press(f"brf:to:{briefing_id}:0")
    await chat.press(f"brf:go:{briefing_id}")
    calls = await chat.press(f"brf:go:{briefing_id}")
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    await chat.app.bot_data.courier.drain()
    assert len(chat.app.bot_data.briefings.deliveries(briefing_id)) == 3


async def test_a_store_and_a_level_are_audiences_too(chat: Chat, storage: Storage) -> None:
    register(storage)
    storage.people.add_person(MANAGER, "王經理", "manager", [STORE, "板橋店"])
    storage.people.add_person(504, "培訓員", "trainer", [STORE])
    choices = brief.audience_choices(storage.people.person(MANAGER), ["板橋店", STORE, "別的店"])
    assert [c.key for c in choices] == [
        "all",
        f"store:{STORE}",  # 台北站前店 sorts before 板橋店
        "store:板橋店",
        "level:staff",
        "level:trainer",
        "level:manager",
    ]
    manager = storage.people.person(MANAGER)
    reach = {
        key: sorted(p.user_id for p in brief.recipients(storage, MANAGER, manager, audience))
        for audience in choices
        if (key := audience.key)
    }
    assert reach["all"] == [*STAFF, 504, ELSEWHERE]
    assert reach["store:板橋店"] == [ELSEWHERE]
    assert reach["level:trainer"] == [504]
    assert reach["level:manager"] == []
    # A store the manager is not in reaches nobody, even if forged.
    assert brief.recipients(storage, MANAGER, manager, brief.Audience("store", "別的店")) == []


async def test_read_receipts_briefs_counts_and_resend_to_the_unread(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    briefing_id = await send_to_all(chat)
    # Two of three tap ✅ 已讀 on their note.
    for user_id in STAFF[:2]:
        calls = await chat.press(f"brf:ok:{briefing_id}", user_id=user_id)
        assert only(calls, "answerCallbackQuery")["text"] == label("hant", "brief_read")
        assert only(calls, "editMessageReplyMarkup")["chat_id"] == user_id
    # Someone who never got it cannot acknowledge it.
    calls = await chat.press(f"brf:ok:{briefing_id}", user_id=MANAGER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")

    calls = await chat.say("/briefs")
    overview = only(calls, "sendMessage")
    assert "已讀 2/3" in overview["text"]
    assert "未讀：店員3" in overview["text"]
    resend = f"brf:re:{briefing_id}"
    assert (label("hant", "brief_resend_button", id=briefing_id), resend) in buttons(overview)

    before = len(chat.request.calls)
    calls = await chat.press(resend)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "brief_resent", count=1)
    await chat.app.bot_data.courier.drain()
    again = [int(p["chat_id"]) for p in sent(chat.request.calls[before:], "sendMessage")]
    assert again.count(STAFF[2]) == 1 and STAFF[0] not in again and STAFF[1] not in again
    # The author hears how the resend went: one person, not the note's three.
    report = sends_to(chat.request.calls[before:], MANAGER)[-1]
    assert report["text"] == render.briefing_resend_done(briefing_id, {"sent": 1}, "hant")
    assert "送達 1 人" in report["text"]


async def test_missed_lists_every_unread_note_oldest_first_after_days_away(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    ids = [await send_to_all(chat) for _ in range(3)]
    away = STAFF[2]
    await chat.press(f"brf:ok:{ids[1]}", user_id=away)  # read one of them on the way
    calls = await chat.say("/missed", user_id=away)
    messages = sent(calls, "sendMessage")
    assert messages[0]["text"] == render.missed_intro(2, "hant")
    assert [buttons(m)[0][1] for m in messages[1:]] == [f"brf:ok:{ids[0]}", f"brf:ok:{ids[2]}"]
    for briefing_id in (ids[0], ids[2]):
        await chat.press(f"brf:ok:{briefing_id}", user_id=away)
    calls = await chat.say("/missed", user_id=away)
    assert only(calls, "sendMessage")["text"] == render.missed_intro(0, "hant")


async def test_schedule_daily_fires_once_a_day_and_survives_a_restart(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    briefing_id = await compose(chat)
    await chat.press(f"brf:to:{briefing_id}:0")
    calls = await chat.press(f"brf:at:{briefing_id}")
    asked = label("hant", "brief_ask_time", zone="Asia/Taipei")
    assert only(calls, "sendMessage")["text"] == asked
    calls = await chat.say("明天幾點？")  # not a time: asked again, not taken as a question
    assert only(calls, "sendMessage")["text"] == label("hant", "brief_bad_time")
    calls = await chat.say("每天 08:30")
    assert "每天 08:30" in only(calls, "sendMessage")["text"]
    (job,) = chat.app.job_queue.get_jobs_by_name("briefing-schedule-1")

    before = len(chat.request.calls)
    await job.run(chat.app)
    await job.run(chat.app)  # the same day again (a restart at 08:30): nothing more
    await chat.app.bot_data.courier.drain()
    notes = [p for p in sent(chat.request.calls[before:], "sendMessage") if "簡報</b>" in p["text"]]
    assert sorted(int(p["chat_id"]) for p in notes) == list(STAFF)

    # /briefs shows the schedule with its ✖; a restart registers it again (post_init).
    calls = await chat.say("/briefs")
    assert ("✖ 取消排程 #1", "brf:xs:1") in buttons(only(calls, "sendMessage"))
    for old in chat.app.job_queue.jobs():
        old.schedule_removal()
    await handlers.resume(chat.app)
    assert len(chat.app.job_queue.get_jobs_by_name("briefing-schedule-1")) == 1
    calls = await chat.press("brf:xs:1")
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "brief_unscheduled", id=1)
    assert not chat.app.bot_data.briefings.schedules()


async def test_a_once_schedule_missed_while_down_goes_out_at_start(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    briefings = chat.app.bot_data.briefings
    draft = briefings.create(MANAGER, "王經理", brief.Note(brief.TEXT, "盤點"))
    briefings.set_audience(draft.id, brief.Audience(brief.ALL))
    yesterday = datetime.now(chat.app.bot_data.settings.timezone) - timedelta(days=1)
    when = brief.When(brief.ONCE, yesterday.time().replace(microsecond=0), yesterday.date())
    schedule = briefings.add_schedule(draft.id, MANAGER, when)
    await handlers.resume(chat.app)
    (job,) = chat.app.job_queue.get_jobs_by_name(f"briefing-schedule-{schedule.id}")
    await job.run(chat.app)
    await chat.app.bot_data.courier.drain()
    assert not briefings.schedule(schedule.id).active  # once: done
    (sent_briefing,) = briefings.recent(None)
    assert sent_briefing.total == 3


async def test_reminder_goes_once_to_those_who_have_not_read(chat: Chat, storage: Storage) -> None:
    register(storage)
    briefing_id = await send_to_all(chat)
    await chat.press(f"brf:ok:{briefing_id}", user_id=STAFF[0])
    (job,) = chat.app.job_queue.get_jobs_by_name(f"briefing-reminder-{briefing_id}")
    before = len(chat.request.calls)
    await job.run(chat.app)
    await job.run(chat.app)  # never twice
    reminders = sent(chat.request.calls[before:], "sendMessage")
    assert sorted(int(p["chat_id"]) for p in reminders) == list(STAFF[1:])
    assert all(p["text"].startswith("⏰") for p in reminders)
    assert all(buttons(p)[0][1] == f"brf:ok:{briefing_id}" for p in reminders)


async def test_odd_input_never_raises(chat: Chat, storage: Storage) -> None:
    register(storage)
    calls = await chat.say("/brief " + "長" * 5000)
    assert only(calls, "sendMessage")["text"] == label("hant", "brief_too_long", limit=3800)
    calls = await chat.say("/brief <b>粗體</b> & <script>")
    assert "&lt;script&gt;" in only(calls, "sendMessage")["text"]
    for data in ("brf:ok:999999", "brf:re:999999", "brf:xs:999999", "brf:to:999999:0"):
        calls = await chat.press(data)
        assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    calls = await chat.say("/missed")
    assert only(calls, "sendMessage")["text"] == render.missed_intro(0, "hant")


TAIPEI = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 5, 1, 10, 0, tzinfo=TAIPEI)  # a Friday morning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:30", brief.When(brief.ONCE, time(8, 30), date(2026, 5, 2))),  # passed: tomorrow
        ("14:05", brief.When(brief.ONCE, time(14, 5), date(2026, 5, 1))),
        ("明天 9:00", brief.When(brief.ONCE, time(9, 0), date(2026, 5, 2))),
        ("tomorrow 09:00", brief.When(brief.ONCE, time(9, 0), date(2026, 5, 2))),
        ("2026-05-04 09:00", brief.When(brief.ONCE, time(9, 0), date(2026, 5, 4))),
        ("5/4 09：00", brief.When(brief.ONCE, time(9, 0), date(2026, 5, 4))),
        ("1/5 08:00", brief.When(brief.ONCE, time(8, 0), date(2027, 1, 5))),  # next January
        ("每天 08:30", brief.When(brief.DAILY, time(8, 30))),
        ("daily 8:30", brief.When(brief.DAILY, time(8, 30))),
        ("平日 08:30", brief.When(brief.WEEKDAYS, time(8, 30))),
        ("weekdays 07:45", brief.When(brief.WEEKDAYS, time(7, 45))),
        ("明天", None),
        ("25:00", None),
        ("2026-02-30 09:00", None),
        ("2026-04-30 09:00", None),  # already past
        ("", None),
        ("9" * 10_000, None),
    ],
)
def test_parse_when_reads_what_managers_type(text: str, expected: brief.When | None) -> None:
    assert brief.parse_when(text, NOW) == expected


# -- issue 17: notes reach only people who may still read them -----------------------------------


async def test_resend_to_the_unread_skips_someone_revoked_since(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    briefing_id = await send_to_all(chat)
    await chat.press(f"brf:ok:{briefing_id}", user_id=STAFF[0])
    storage.people.deactivate(STAFF[2])
    before = len(chat.request.calls)
    calls = await chat.press(f"brf:re:{briefing_id}")
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "brief_resent", count=1)
    await chat.app.bot_data.courier.drain()
    again = [int(p["chat_id"]) for p in sent(chat.request.calls[before:], "sendMessage")]
    assert STAFF[2] not in again and again.count(STAFF[1]) == 1


async def test_reminder_skips_someone_revoked_since(chat: Chat, storage: Storage) -> None:
    register(storage)
    briefing_id = await send_to_all(chat)
    storage.people.deactivate(STAFF[1])
    (job,) = chat.app.job_queue.get_jobs_by_name(f"briefing-reminder-{briefing_id}")
    before = len(chat.request.calls)
    await job.run(chat.app)
    reminders = sent(chat.request.calls[before:], "sendMessage")
    assert sorted(int(p["chat_id"]) for p in reminders) == [STAFF[0], STAFF[2]]


async def test_a_note_queued_for_someone_revoked_before_it_went_is_not_sent(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    briefing_id = await compose(chat)
    await chat.press(f"brf:to:{briefing_id}:0")
    briefings = chat.app.bot_data.briefings
    briefings.queue(briefing_id, list(STAFF), None)  # as ✅ 發送 does, before the courier runs
    storage.people.deactivate(STAFF[0])
    before = len(chat.request.calls)
    chat.app.bot_data.courier.start(briefing_id)
    await chat.app.bot_data.courier.drain()
    notes = [int(p["chat_id"]) for p in sent(chat.request.calls[before:], "sendMessage")]
    assert STAFF[0] not in notes and STAFF[1] in notes
    assert briefings.delivery(briefing_id, STAFF[0]).state == brief.FAILED


@pytest.mark.parametrize("loss", ["revoked", "demoted to staff"])
async def test_a_schedule_of_a_manager_revoked_or_demoted_sends_nothing_more(
    chat: Chat, storage: Storage, loss: str
) -> None:
    register(storage)
    briefing_id = await compose(chat)
    await chat.press(f"brf:to:{briefing_id}:0")
    await chat.press(f"brf:at:{briefing_id}")
    await chat.say("每天 08:30")
    (job,) = chat.app.job_queue.get_jobs_by_name("briefing-schedule-1")
    if loss == "revoked":
        storage.people.deactivate(MANAGER)
    else:
        storage.people.set_access(MANAGER, "staff")
    before = len(chat.request.calls)
    await job.run(chat.app)
    await chat.app.bot_data.courier.drain()
    assert sent(chat.request.calls[before:], "sendMessage") == []
    assert not chat.app.bot_data.briefings.schedule(1).active
    assert chat.app.bot_data.briefings.recent(None) == []


async def test_a_manager_demoted_to_staff_cannot_send_an_old_draft(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    briefing_id = await compose(chat)
    await chat.press(f"brf:to:{briefing_id}:0")
    storage.people.set_access(MANAGER, "staff")
    for data in (f"brf:go:{briefing_id}", f"brf:at:{briefing_id}", f"brf:to:{briefing_id}:0"):
        calls = await chat.press(data)
        assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    await chat.app.bot_data.courier.drain()
    assert chat.app.bot_data.briefings.deliveries(briefing_id) == []


async def test_a_manager_demoted_while_a_draft_waits_for_its_note_gets_an_answer(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    await chat.say("/brief")
    storage.people.set_access(MANAGER, "staff")
    calls = await chat.say("客人沒帶證件怎麼辦")
    assert label("hant", "brief_choose_audience") not in only(calls, "sendMessage")["text"]
    assert sent(calls, "sendMessage")[0]["text"] != label("hant", "brief_ask_note")


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("客人沒帶證件怎麼辦", True),
        ("開店前要檢查什麼？", True),
        ("how do I refund a top-up", True),
        ("VIP 可以插隊嗎", True),
        ("明天起收銀機開機前先點零錢，點完在群組回報。", False),
        ("今天早會重點：\n1. 新門號方案\n2. 有問題嗎？", False),  # a note of several lines
        ("", False),
    ],
)
def test_looks_like_question_tells_a_question_from_a_note(text: str, question: bool) -> None:
    assert brief.looks_like_question(text) is question


async def test_a_question_typed_after_brief_is_asked_about_not_sent(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    await chat.say("/brief")
    calls = await chat.say("客人沒帶證件怎麼辦")
    asked = only(calls, "sendMessage")
    assert label("hant", "brief_is_it_a_note") in asked["text"]
    assert "客人沒帶證件怎麼辦" in asked["text"]  # the note as staff would see it
    (briefing_id,) = {int(data.split(":")[2]) for _, data in buttons(asked)}
    assert [data for _, data in buttons(asked)] == [
        f"brf:nt:{briefing_id}",
        f"brf:qa:{briefing_id}",
        f"brf:x:{briefing_id}",
    ]
    # 💬: the draft is dropped and the question answered with an SOP step.
    calls = await chat.press(f"brf:qa:{briefing_id}")
    assert only(calls, "editMessageText")["text"] == label("hant", "brief_taken_as_question")
    (reply,) = sent(calls, "sendMessage")
    assert "›" in reply["text"] and any(d.startswith("full:") for _, d in buttons(reply))
    assert chat.app.bot_data.briefings.get(briefing_id).status == brief.CANCELLED
    # Its buttons are spent: the note cannot be sent after all.
    calls = await chat.press(f"brf:nt:{briefing_id}")
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")
    assert chat.app.bot_data.briefings.deliveries(briefing_id) == []


async def test_a_question_shaped_note_is_sent_when_the_author_says_so(
    chat: Chat, storage: Storage
) -> None:
    register(storage)
    await chat.say("/brief")
    calls = await chat.say("明天誰要早班？")
    briefing_id = int(buttons(only(calls, "sendMessage"))[0][1].split(":")[2])
    calls = await chat.press(f"brf:nt:{briefing_id}")
    preview = only(calls, "editMessageText")
    assert label("hant", "brief_choose_audience") in preview["text"]
    assert label("hant", "brief_preview") in preview["text"]
    await chat.press(f"brf:to:{briefing_id}:0")
    await chat.press(f"brf:go:{briefing_id}")
    await chat.app.bot_data.courier.drain()
    assert len(chat.app.bot_data.briefings.deliveries(briefing_id)) == 3
