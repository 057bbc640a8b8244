"""Issue 16: store notes are versioned like imports and visible only to their store unless
shared. Every edit keeps the old text as a version (who, when), an earlier version can be
restored, a removal is a version too; search serves the current version. A manager of the
note's store (or an admin) shares it with all stores; an unshared note never reaches another
store's staff, whatever button they forge.

Real PTB routing over the fake Telegram, with the people of the asks tests.
"""

from __future__ import annotations

import html
from typing import Any

import pytest

from bot import callbacks
from bot.asks.model import (
    EDITED,
    NOTE_ANSWER_LIMIT,
    NOTE_QUESTION_LIMIT,
    REMOVED,
    RESTORED,
    SAVED,
    SHARED,
    UNSHARED,
    StoreNote,
)
from bot.i18n import label
from bot.storage import Storage
from tests.bot.asks.conftest import (
    ADMIN,
    ANSWER,
    COLLEAGUE,
    MANAGER,
    OTHER_MANAGER,
    OTHER_STORE,
    OUTSIDER,
    QUESTION,
    REWORDED,
    TRAINER,
)
from tests.bot.asks.test_bot_asks import to
from tests.bot.botcalls import button_data, only, sent
from tests.bot.conftest import GROUP_ID, STORE, USER_ID, Chat
from tests.fakebotapi import Call as ApiCall

NEW_ANSWER = "加班費按時薪 1.34 倍；國定假日加倍，以打卡記錄為準。"


@pytest.fixture
def note(people: Storage) -> StoreNote:
    return people.asks.add_note(STORE, QUESTION, ANSWER, MANAGER, "王店長")


def texts(calls: list[ApiCall]) -> str:
    """Everything the calls put in front of anyone, unescaped."""
    return html.unescape(" ".join(str(call.params) for call in calls))


async def opened(chat: Chat, note_id: int, user_id: int) -> dict[str, Any]:
    """/notes N as ``user_id`` sees it."""
    return only(await chat.say(f"/notes {note_id}", user_id=user_id), "sendMessage")


async def test_an_edit_keeps_the_old_text_as_a_version_and_search_serves_the_new_one(
    chat: Chat, people: Storage, note: StoreNote
) -> None:
    shown = await opened(chat, note.id, TRAINER)
    assert ANSWER in html.unescape(shown["text"]) and "王店長" in shown["text"]
    assert label("hant", "note_action_saved") in shown["text"]
    data = button_data(shown["reply_markup"])
    assert callbacks.note_edit(note.id, 1) in data and callbacks.note_remove(note.id, 1) in data
    assert not [d for d in data if d.startswith("nt:s:")]  # a trainer does not share

    calls = await chat.press(callbacks.note_edit(note.id, 1), user_id=TRAINER)
    prompt = only(calls, "sendMessage")
    assert prompt["chat_id"] == TRAINER and ANSWER in html.unescape(prompt["text"])
    assert button_data(prompt["reply_markup"]) == [callbacks.note_edit_cancel()]
    # What is not text, or too long, is asked again; the note is unchanged meanwhile.
    sticker = {"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}
    sticker |= {"is_animated": False, "is_video": False, "type": "regular"}
    calls = await chat.send(chat.message(user_id=TRAINER, sticker=sticker))
    assert only(calls, "sendMessage")["text"] == label("hant", "note_edit_text_only")
    calls = await chat.say("長" * (NOTE_ANSWER_LIMIT + 1), user_id=TRAINER)
    too_long = label(
        "hant",
        "note_edit_too_long",
        question_limit=NOTE_QUESTION_LIMIT,
        answer_limit=NOTE_ANSWER_LIMIT,
    )
    assert only(calls, "sendMessage")["text"] == too_long
    assert people.asks.note(note.id).version == 1

    calls = await chat.say(NEW_ANSWER, user_id=TRAINER)
    assert label("hant", "note_edited", id=note.id, version=2) in texts(calls)
    edited = people.asks.note(note.id)
    assert (edited.question, edited.answer, edited.version) == (QUESTION, NEW_ANSWER, 2)
    first, second = people.asks.note_versions(note.id)
    assert (first.action, first.answer, first.by_name) == (SAVED, ANSWER, "王店長")
    assert (second.action, second.answer, second.by_name) == (EDITED, NEW_ANSWER, "陳培訓")

    # The next colleague asking gets the current text, with its author and who edited it.
    reply = html.unescape(only(await chat.say(REWORDED, user_id=COLLEAGUE), "sendMessage")["text"])
    assert NEW_ANSWER in reply and ANSWER not in reply
    assert "王店長" in reply and "陳培訓" in reply

    # The history shows both texts; ↩️ v1 brings the first back, as a new version.
    shown = await opened(chat, note.id, MANAGER)
    history = html.unescape(shown["text"])
    assert ANSWER in history and NEW_ANSWER in history and "v2" in history
    restore = callbacks.note_restore(note.id, 2, 1)
    assert restore in button_data(shown["reply_markup"])
    calls = await chat.press(restore, user_id=MANAGER)
    toast = only(calls, "answerCallbackQuery")["text"]
    assert toast == label("hant", "note_restored", id=note.id, version=1)
    assert (people.asks.note(note.id).answer, people.asks.note(note.id).version) == (ANSWER, 3)
    assert people.asks.note_versions(note.id)[-1].action == RESTORED
    reply = html.unescape(only(await chat.say(REWORDED, user_id=COLLEAGUE), "sendMessage")["text"])
    assert ANSWER in reply and NEW_ANSWER not in reply

    # A button shown before a change changes nothing: it says so and shows the note now.
    calls = await chat.press(callbacks.note_edit(note.id, 1), user_id=TRAINER, chat_id=TRAINER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "note_changed", id=note.id)
    calls = await chat.press(restore, user_id=MANAGER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "note_changed", id=note.id)
    assert people.asks.note(note.id).version == 3


async def test_an_edit_may_change_the_question_too_or_be_left(
    chat: Chat, people: Storage, note: StoreNote
) -> None:
    await opened(chat, note.id, MANAGER)
    await chat.press(callbacks.note_edit(note.id, 1), user_id=MANAGER)
    await chat.say("問：國定假日加班費怎麼算\n答：按時薪加倍發給。", user_id=MANAGER)
    edited = people.asks.note(note.id)
    assert (edited.question, edited.answer) == ("國定假日加班費怎麼算", "按時薪加倍發給。")
    # ✖ leaves it: the next text is a question again.
    await chat.press(callbacks.note_edit(note.id, 2), user_id=MANAGER, chat_id=MANAGER)
    calls = await chat.press(callbacks.note_edit_cancel(), user_id=MANAGER)
    assert only(calls, "editMessageText")["text"] == label("hant", "note_edit_cancelled")
    await chat.say("客人沒帶身分證怎麼辦", user_id=MANAGER)
    assert people.asks.note(note.id).version == 2


async def test_a_removal_is_a_version_and_the_note_can_come_back(
    chat: Chat, people: Storage, note: StoreNote
) -> None:
    await opened(chat, note.id, MANAGER)
    calls = await chat.press(callbacks.note_remove(note.id, 1), user_id=MANAGER)
    toast = only(calls, "answerCallbackQuery")["text"]
    assert toast == label("hant", "note_removed", id=note.id)
    assert people.asks.note(note.id) is None
    removal = people.asks.note_versions(note.id)[-1]
    assert (removal.action, removal.removed, removal.by_name) == (REMOVED, True, "王店長")
    assert ANSWER not in texts(await chat.say(REWORDED, user_id=COLLEAGUE))
    # Nothing is lost: whoever may manage it still sees it, and restores it.
    shown = await opened(chat, note.id, TRAINER)
    assert ANSWER in html.unescape(shown["text"])
    restore = callbacks.note_restore(note.id, 2, 1)
    assert button_data(shown["reply_markup"]) == [restore]
    # A colleague who may not bring it back sees no such note.
    colleague = await opened(chat, note.id, COLLEAGUE)
    assert colleague["text"] == label("hant", "note_not_found", id=note.id)
    await chat.press(restore, user_id=TRAINER)
    assert people.asks.note(note.id).version == 3
    assert ANSWER in texts(await chat.say(REWORDED, user_id=COLLEAGUE))


async def test_an_unshared_note_never_reaches_another_stores_staff(
    chat: Chat, people: Storage, note: StoreNote
) -> None:
    # Asking, listing, opening: nothing of it.
    assert ANSWER not in texts(await chat.say(REWORDED, user_id=OUTSIDER))
    listing = only(await chat.say("/notes", user_id=OUTSIDER), "sendMessage")
    assert ANSWER not in texts([ApiCall("sendMessage", listing)])
    assert (await opened(chat, note.id, OUTSIDER))["text"] == label(
        "hant", "note_not_found", id=note.id
    )
    # Forged buttons, by a staff member and a manager of another store, on their own chat.
    forged = [
        callbacks.note_open(note.id),
        callbacks.note_edit(note.id, 1),
        callbacks.note_remove(note.id, 1),
        callbacks.note_share(note.id, 1, True),
        callbacks.note_restore(note.id, 1, 1),
    ]
    for user_id in (OUTSIDER, OTHER_MANAGER):
        await chat.say("/notes", user_id=user_id)
        for data in forged:
            calls = await chat.press(data, user_id=user_id)
            assert only(calls, "answerCallbackQuery")["text"] == label(
                "hant", "note_not_found", id=note.id
            )
            assert ANSWER not in texts(calls) and not sent(calls, "sendMessage")
    assert people.asks.note(note.id).version == 1 and not people.asks.note(note.id).shared
    # A group linked to another store is not shown it either, whoever asks there.
    people.groups.link_group(GROUP_ID, OTHER_STORE, linked_by=ADMIN)
    bot = chat.app.bot.username
    assert ANSWER not in texts(await chat.say(f"@{bot} {REWORDED}", chat_id=GROUP_ID))


async def test_a_manager_shares_a_note_with_every_store_and_takes_it_back(
    chat: Chat, people: Storage, note: StoreNote
) -> None:
    share = callbacks.note_share(note.id, 1, True)
    # Only a manager of its store (or an admin) shares; its trainer is told why not.
    await opened(chat, note.id, TRAINER)
    calls = await chat.press(share, user_id=TRAINER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "note_managers_only")
    shown = await opened(chat, note.id, MANAGER)
    assert share in button_data(shown["reply_markup"])
    calls = await chat.press(share, user_id=MANAGER)
    assert only(calls, "answerCallbackQuery")["text"] == label(
        "hant", "note_shared_done", id=note.id, store=STORE
    )
    assert (
        people.asks.note(note.id).shared and people.asks.note_versions(note.id)[-1].action == SHARED
    )

    # Another store's staff now get it, marked with the store it comes from.
    reply = html.unescape(only(await chat.say(REWORDED, user_id=OUTSIDER), "sendMessage")["text"])
    assert ANSWER in reply and STORE in reply and label("hant", "note_shared_mark") in reply
    listing = only(await chat.say("/notes", user_id=OUTSIDER), "sendMessage")
    assert STORE in listing["text"] and callbacks.note_open(note.id) in str(listing)
    # They see it, but may not change it.
    shown = await opened(chat, note.id, OUTSIDER)
    assert "reply_markup" not in shown and label("hant", "note_history") not in shown["text"]
    calls = await chat.press(callbacks.note_edit(note.id, 2), user_id=OUTSIDER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "note_not_yours")
    unshare = callbacks.note_share(note.id, 2, False)
    calls = await chat.press(unshare, user_id=OTHER_MANAGER, chat_id=OUTSIDER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "note_managers_only")

    # Taken back: another store's staff no longer get it.
    await chat.press(callbacks.note_share(note.id, 2, False), user_id=ADMIN, chat_id=MANAGER)
    assert not people.asks.note(note.id).shared
    assert people.asks.note_versions(note.id)[-1].action == UNSHARED
    assert ANSWER not in texts(await chat.say(REWORDED, user_id=OUTSIDER))
    assert ANSWER in texts(await chat.say(REWORDED, user_id=USER_ID))
    # Who shared and unshared it is in the audit trail.
    audit = [(r["actor"], r["action"], r["target"]) for r in people.connection.db["audit"].rows]
    assert audit[-2:] == [
        (MANAGER, "note_shared", str(note.id)),
        (ADMIN, "note_unshared", str(note.id)),
    ]


async def test_notes_list_opens_each_note(chat: Chat, people: Storage, note: StoreNote) -> None:
    listing = only(await chat.say("/notes", user_id=COLLEAGUE), "sendMessage")
    assert button_data(listing["reply_markup"]) == [callbacks.note_open(note.id)]
    calls = await chat.press(callbacks.note_open(note.id), user_id=COLLEAGUE)
    (shown,) = to(calls, COLLEAGUE)
    assert ANSWER in html.unescape(shown["text"]) and "reply_markup" not in shown
    # A note number nobody has, or a word, is answered plainly.
    assert (await opened(chat, 99999, COLLEAGUE))["text"] == label(
        "hant", "note_not_found", id=99999
    )
    calls = await chat.say("/notes 加班", user_id=COLLEAGUE)
    assert callbacks.note_open(note.id) in str(only(calls, "sendMessage"))
