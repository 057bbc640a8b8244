"""The staff directory as a new store meets it: finding people, naming them, their level and
stores, the revoked, and /invite's and /grant's words (Chinese level names included).

Through real PTB routing over the offline Bot API. The default test user (conftest) is
小明, staff in STORE; ADMIN is in SOPBOT_ADMIN_IDS and has no store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.access import levels
from bot.access import render as render_access
from bot.i18n import label
from bot.storage import ACCESS_LEVELS, Storage, users
from tests.bot.access.conftest import (
    ADMIN,
    LINK_RE,
    MANAGER,
    NEWCOMER,
    OTHER_STORE,
    QUESTION,
    STRANGER,
)
from tests.bot.botcalls import buttons, only
from tests.bot.conftest import STORE, USER_ID, Chat, Clock

THIRD_STORE = "信義店"


def message_from(
    chat: Chat, text: str, user_id: int, first_name: str, username: str | None = None
) -> dict[str, Any]:
    """A private message from someone with their own Telegram name (and @username)."""
    update = chat.message(text, user_id=user_id)
    sender = update["message"]["from"]
    sender["first_name"] = first_name
    if username:
        sender["username"] = username
    return update


async def say(chat: Chat, text: str, user_id: int) -> str:
    return str(only(await chat.say(text, user_id=user_id), "sendMessage")["text"])


# -- finding and naming people -----------------------------------------------------------------


async def test_grant_finds_by_username_a_stranger_who_only_messaged_the_bot(
    chat: Chat, storage: Storage
) -> None:
    refused = await chat.send(message_from(chat, QUESTION, STRANGER, "Lee", "lee_tw"))
    assert only(refused, "sendMessage")["text"] == render_access.not_member("hant", STRANGER)

    reply = only(await chat.say(f"/grant @LEE_tw staff {STORE}", user_id=ADMIN), "sendMessage")
    assert reply["text"] == render_access.confirm_grant("hant", "Lee", STRANGER, "staff", [STORE])
    await chat.press("adm:ok:1", user_id=ADMIN)
    person = storage.people.person(STRANGER)
    assert person is not None and person.active and person.name == "Lee"


async def test_a_recorded_stranger_is_not_let_in_nor_listed(chat: Chat, storage: Storage) -> None:
    await chat.send(message_from(chat, QUESTION, STRANGER, "Lee", "lee_tw"))
    again = await chat.send(message_from(chat, "/roles", STRANGER, "Lee", "lee_tw"))
    assert only(again, "sendMessage")["text"] == render_access.not_member("hant", STRANGER)
    assert storage.people.person(STRANGER) is None and storage.users.user(STRANGER) is None
    assert "Lee" not in await say(chat, "/users", ADMIN)


async def test_a_revoked_person_found_by_username_stays_revoked_until_confirmed(
    chat: Chat, storage: Storage
) -> None:
    await chat.send(message_from(chat, QUESTION, STRANGER, "Lee", "lee_tw"))
    await chat.say(f"/grant @lee_tw staff {STORE}", user_id=ADMIN)
    await chat.press("adm:ok:1", user_id=ADMIN)
    storage.people.deactivate(STRANGER)
    await chat.say("/grant @lee_tw trainer", user_id=ADMIN)  # asked, never confirmed
    assert not storage.people.person(STRANGER).active
    refused = await chat.send(message_from(chat, QUESTION, STRANGER, "Lee", "lee_tw"))
    assert only(refused, "sendMessage")["text"] == render_access.not_member("hant", STRANGER)


async def test_grant_by_id_of_someone_who_never_wrote_says_so_instead_of_the_id_twice(
    chat: Chat,
) -> None:
    text = await say(chat, f"/grant 7007 staff {STORE}", ADMIN)
    assert "7007（7007）" not in text
    assert label("hant", "unknown_person") in text and "<code>7007</code>" in text


async def test_grant_by_id_of_a_stranger_who_wrote_names_them(chat: Chat) -> None:
    await chat.send(message_from(chat, QUESTION, STRANGER, "阿華"))
    text = await say(chat, f"/grant {STRANGER} staff {STORE}", ADMIN)
    assert text == render_access.confirm_grant("hant", "阿華", STRANGER, "staff", [STORE])


async def test_configured_admin_takes_their_telegram_name_once_seen(
    chat: Chat, storage: Storage
) -> None:
    assert storage.people.person(ADMIN).name == str(ADMIN)  # registered at start, never seen
    # Their very first message already names them: a note's header, as staff will see it.
    preview = await chat.send(message_from(chat, "/brief 明天盤點", ADMIN, "陳老闆"))
    text = only(preview, "sendMessage")["text"]
    assert "陳老闆" in text and str(ADMIN) not in text
    assert storage.people.person(ADMIN).name == "陳老闆"


async def test_a_name_given_by_telegram_is_not_replaced_by_a_new_one_silently(
    chat: Chat, storage: Storage
) -> None:
    """Only a placeholder name (the id) is filled in; a registered name stays as it was."""
    await chat.send(message_from(chat, QUESTION, USER_ID, "Ming"))
    assert storage.people.person(USER_ID).name == "小明"


# -- one level, several stores -----------------------------------------------------------------


async def test_grant_confirmation_says_the_level_holds_in_every_store_of_theirs(
    chat: Chat, storage: Storage
) -> None:
    storage.people.add_person(
        USER_ID, "小明", "staff", [OTHER_STORE]
    )  # now in STORE and OTHER_STORE
    text = await say(chat, f"/grant {USER_ID} trainer", ADMIN)
    both = sorted([STORE, OTHER_STORE])
    assert text == render_access.confirm_grant("hant", "小明", USER_ID, "trainer", both)
    assert STORE in text and OTHER_STORE in text
    done = only(await chat.press("adm:ok:1", user_id=ADMIN), "editMessageText")
    assert done["text"] == render_access.granted("hant", "小明", "trainer", both)


async def test_stores_moves_someone_to_another_store(chat: Chat, storage: Storage) -> None:
    reply = only(await chat.say(f"/stores {USER_ID} {OTHER_STORE}", user_id=ADMIN), "sendMessage")
    assert reply["text"] == render_access.confirm_stores(
        "hant", "小明", USER_ID, [STORE], [OTHER_STORE]
    )
    assert [data for _, data in buttons(reply)] == ["adm:ok:1", "adm:no:1"]
    assert storage.people.person(USER_ID).stores == (STORE,)  # nothing yet
    done = only(await chat.press("adm:ok:1", user_id=ADMIN), "editMessageText")
    assert done["text"] == render_access.stores_set("hant", "小明", [OTHER_STORE])
    assert storage.people.person(USER_ID).stores == (OTHER_STORE,)
    assert storage.people.person(USER_ID).access == "staff"


async def test_stores_takes_someone_off_one_store(chat: Chat, storage: Storage) -> None:
    storage.people.add_person(USER_ID, "小明", "staff", [OTHER_STORE])
    await chat.say(f"/stores {USER_ID} {OTHER_STORE}", user_id=ADMIN)
    await chat.press("adm:ok:1", user_id=ADMIN)
    assert storage.people.person(USER_ID).stores == (OTHER_STORE,)


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (f"/stores {USER_ID} {OTHER_STORE}", "not_your_store"),  # into a store not theirs
        (f"/stores {NEWCOMER} {STORE}", "not_your_store"),  # someone of another store
        (f"/stores {MANAGER + 1} {THIRD_STORE}", "not_below"),
        (f"/stores {ADMIN} {STORE}", "configured_admin"),
        (f"/stores {USER_ID}", "stores_usage"),
        ("/stores", "stores_usage"),
    ],
)
async def test_stores_a_manager_moves_only_people_below_them_within_their_stores(
    chat: Chat, storage: Storage, manager: int, command: str, reason: str
) -> None:
    storage.people.add_person(MANAGER, "王店長", "manager", [THIRD_STORE])
    storage.people.add_person(NEWCOMER, "Outsider", "staff", [OTHER_STORE])
    storage.people.add_person(MANAGER + 1, "副店長", "manager", [STORE])
    reply = only(await chat.say(command, user_id=MANAGER), "sendMessage")
    values = {"stores": "、".join(sorted([STORE, THIRD_STORE]))}
    values = values if reason == "not_your_store" else {}
    if reason == "configured_admin":
        values = {"name": str(ADMIN)}
    assert reply["text"] == render_access.notice("hant", reason, **values)
    assert "reply_markup" not in reply


async def test_stores_a_manager_moves_staff_between_their_own_stores(
    chat: Chat, storage: Storage, manager: int
) -> None:
    storage.people.add_person(MANAGER, "王店長", "manager", [THIRD_STORE])
    await chat.say(f"/stores {USER_ID} {THIRD_STORE}", user_id=MANAGER)
    await chat.press("adm:ok:1", user_id=MANAGER)
    assert storage.people.person(USER_ID).stores == (THIRD_STORE,)


async def test_stores_keeps_the_stores_a_manager_does_not_run(
    chat: Chat, storage: Storage, manager: int
) -> None:
    """A manager of one store moving someone who is also elsewhere changes only their own."""
    storage.people.add_person(MANAGER, "王店長", "manager", [THIRD_STORE])
    storage.people.add_person(USER_ID, "小明", "staff", [OTHER_STORE])
    await chat.say(f"/stores {USER_ID} {THIRD_STORE}", user_id=MANAGER)
    await chat.press("adm:ok:1", user_id=MANAGER)
    assert storage.people.person(USER_ID).stores == tuple(sorted([OTHER_STORE, THIRD_STORE]))


async def test_stores_of_a_revoked_person_is_refused_and_brings_nobody_back(
    chat: Chat, storage: Storage
) -> None:
    storage.people.deactivate(USER_ID)
    text = await say(chat, f"/stores {USER_ID} {OTHER_STORE}", ADMIN)
    assert text == render_access.notice("hant", "no_such_user", who=str(USER_ID))
    assert not storage.people.person(USER_ID).active


async def test_stores_rechecks_rights_when_confirmed(
    chat: Chat, storage: Storage, manager: int
) -> None:
    storage.people.add_person(MANAGER, "王店長", "manager", [THIRD_STORE])
    await chat.say(f"/stores {USER_ID} {THIRD_STORE}", user_id=MANAGER)
    storage.people.set_access(MANAGER, "staff")  # demoted before pressing ✅
    done = only(await chat.press("adm:ok:1", user_id=MANAGER), "editMessageText")
    assert done["text"] == render_access.notice("hant", "refused_managers")
    assert storage.people.person(USER_ID).stores == (STORE,)


async def test_stores_of_someone_who_was_revoked_after_asking_is_refused_on_confirm(
    chat: Chat, storage: Storage
) -> None:
    await chat.say(f"/stores {USER_ID} {OTHER_STORE}", user_id=ADMIN)
    storage.people.deactivate(USER_ID)
    done = only(await chat.press("adm:ok:1", user_id=ADMIN), "editMessageText")
    assert done["text"] == render_access.notice("hant", "no_such_user", who="小明")
    person = storage.people.person(USER_ID)
    assert not person.active and person.stores == (STORE,)


# -- the revoked in /users ---------------------------------------------------------------------


async def test_users_counts_the_revoked_and_users_revoked_lists_them(
    chat: Chat, storage: Storage, manager: int
) -> None:
    storage.people.add_person(NEWCOMER, "阿華", "staff", [STORE])
    storage.people.add_person(STRANGER, "Outsider", "staff", [OTHER_STORE])
    storage.people.deactivate(NEWCOMER)
    storage.people.deactivate(STRANGER)
    active = await say(chat, "/users", MANAGER)
    assert "阿華" not in active and label("hant", "revoked_count", n=1) in active
    revoked = await say(chat, "/users revoked", MANAGER)
    assert "阿華" in revoked and "小明" not in revoked and "Outsider" not in revoked
    assert label("hant", "people_revoked_title") in revoked
    assert revoked == await say(chat, "/users 已停用", MANAGER)
    assert "Outsider" in await say(chat, "/users revoked", ADMIN)


async def test_users_revoked_with_nobody_revoked_says_so(chat: Chat, manager: int) -> None:
    assert await say(chat, "/users revoked", MANAGER) == render_access.notice("hant", "no_revoked")
    assert label("hant", "revoked_count", n=0) not in await say(chat, "/users", MANAGER)


# -- /invite's words ---------------------------------------------------------------------------


async def test_invite_reads_a_number_as_the_uses_never_as_part_of_the_store(
    chat: Chat, storage: Storage
) -> None:
    text = await say(chat, f"/invite staff {THIRD_STORE} 500", ADMIN)
    assert text == render_access.notice("hant", "invite_uses_range", most=100)
    made = await say(chat, f"/invite staff {THIRD_STORE} 5", ADMIN)
    expected = render_access.invite_made("hant", "staff", THIRD_STORE, 5, 72, "")
    assert expected.split("<code>")[0] in made


async def test_invite_bare_from_an_admin_without_a_store_asks_for_one(
    chat: Chat, storage: Storage
) -> None:
    text = await say(chat, "/invite", ADMIN)
    assert text == render_access.notice("hant", "invite_name_a_store", stores=STORE)
    assert not LINK_RE.search(text)


async def test_invite_does_not_promise_an_admin_a_first_store(chat: Chat) -> None:
    text = await say(chat, "/invite", ADMIN)
    assert "第一間" not in text


@pytest.mark.parametrize(
    ("word", "level"),
    [
        ("員工", "staff"),
        ("员工", "staff"),
        ("店員", "staff"),
        ("店员", "staff"),
        ("培訓員", "trainer"),
        ("培训员", "trainer"),
        ("店長", "manager"),
        ("店长", "manager"),
        ("經理", "manager"),
        ("经理", "manager"),
        ("管理員", "admin"),
        ("管理员", "admin"),
        ("Trainer", "trainer"),
    ],
)
async def test_invite_and_grant_understand_chinese_level_names(
    chat: Chat, storage: Storage, word: str, level: str
) -> None:
    made = await say(chat, f"/invite {word} {THIRD_STORE}", ADMIN)
    expected = render_access.invite_made("hant", level, THIRD_STORE, 1, 72, "")
    assert expected.split("<code>")[0] in made
    asked = await say(chat, f"/grant {USER_ID} {word} {STORE}", ADMIN)
    assert render_access.access_name("hant", level) in asked
    await chat.press("adm:ok:1", user_id=ADMIN)
    assert storage.people.person(USER_ID).access == level


def test_every_level_name_the_bot_shows_is_understood_when_typed() -> None:
    for script in ("hant", "hans", "en"):
        for level in ACCESS_LEVELS:
            assert levels.level_named(label(script, f"access_{level}")) == level
    assert levels.level_named("台北站前店") is None and levels.level_named("") is None


async def test_a_manager_typing_a_chinese_level_above_theirs_is_refused(
    chat: Chat, storage: Storage, manager: int
) -> None:
    text = await say(chat, f"/grant {USER_ID} 店長", MANAGER)
    assert text == render_access.notice("hant", "above_level")
    assert storage.people.person(USER_ID).access == "staff"


def test_storage_forgets_strangers_after_a_month_and_keeps_a_bounded_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    storage = Storage.open(tmp_path / "bot.db", clock=clock)
    storage.users.saw_stranger(STRANGER, "Lee" * 100, "lee_tw", "en")
    stranger = storage.users.user_by_username("LEE_TW", among=users.STRANGERS)
    assert stranger.name == ("Lee" * 100)[: users.NAME_LIMIT]
    clock.advance(days=users.STRANGER_DAYS + 1)
    storage.users.saw_stranger(NEWCOMER, "阿華", None, None)
    assert storage.users.user(STRANGER, among=users.STRANGERS) is None
    assert storage.users.user(NEWCOMER, among=users.STRANGERS) is not None
    monkeypatch.setattr(users, "STRANGERS_KEPT", 2)
    for offset in range(1, 4):
        clock.advance(minutes=1)
        storage.users.saw_stranger(NEWCOMER + offset, f"s{offset}", None, None)
    kept = {row["id"] for row in storage.connection.db["strangers"].rows}
    assert kept == {NEWCOMER + 2, NEWCOMER + 3}
    storage.close()
