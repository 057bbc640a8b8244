"""Access control: the gate for strangers and revoked users, invites, /users, /grant, /revoke.

Every entry point a stranger could use is tried through real PTB routing; none may return
SOP text. The default test user (conftest) is staff in STORE; ADMIN is in SOPBOT_ADMIN_IDS.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from telegram.ext import AIORateLimiter

from bot import render
from bot.access import render as render_access
from bot.access import rules as access
from bot.app import COMMANDS, build_application, register_commands
from bot.config import ConfigError, Settings
from bot.context import ANSWER_LIMIT
from bot.i18n import label
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.access.conftest import (
    ADMIN,
    LINK_RE,
    MANAGER,
    NEWCOMER,
    OTHER_STORE,
    QUESTION,
    STRANGER,
)
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import GROUP_ID, STORE, TOKEN, USER_ID, Chat, Clock
from tests.fakebotapi import Call as ApiCall
from tests.fakebotapi import FakeBotAPI, InProcessRequest


def refusal(user_id: int, script: str = "hant") -> str:
    return render_access.not_member(script, user_id)


def audit(storage: Storage) -> list[tuple[int, str, str]]:
    return [
        (row["actor"], row["action"], row["target"]) for row in storage.connection.db["audit"].rows
    ]


async def invite_code(chat: Chat, command: str = "/invite", user_id: int = MANAGER) -> str:
    reply = only(await chat.say(command, user_id=user_id), "sendMessage")
    found = LINK_RE.search(reply["text"])
    assert found, reply["text"]
    return found[1]


# -- the gate: strangers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", [QUESTION, "/roles", "/role", "/quiz", "/users", "/invite", "/grant 1 admin", "/x"]
)
async def test_gate_refuses_a_strangers_text_and_commands(
    chat: Chat, storage: Storage, text: str
) -> None:
    calls = await chat.say(text, user_id=STRANGER)
    assert [call.method for call in calls] == ["sendMessage"]
    assert calls[0].params["text"] == refusal(STRANGER)
    assert "reply_markup" not in calls[0].params
    assert storage.people.person(STRANGER) is None


async def test_gate_refusal_shows_the_id_in_the_users_language(chat: Chat) -> None:
    reply = only(await chat.say(QUESTION, user_id=STRANGER, language_code="en"), "sendMessage")
    assert reply["text"] == refusal(STRANGER, "en")
    assert f"<code>{STRANGER}</code>" in reply["text"] and "invite" in reply["text"]


async def test_gate_refuses_a_strangers_edited_message(chat: Chat) -> None:
    calls = await chat.send(chat.message(QUESTION, user_id=STRANGER, kind="edited_message"))
    assert [call.method for call in calls] == ["sendMessage"]
    assert calls[0].params["text"] == refusal(STRANGER)


@pytest.mark.parametrize(
    "data", ["full:0123456789", "more:1", "ask:1", "docs:0", "adm:ok:1", "inv:x:1", "", "<b>"]
)
async def test_gate_answers_a_strangers_buttons_with_the_refusal(chat: Chat, data: str) -> None:
    calls = await chat.press(data, user_id=STRANGER, inline_message_id="forged")
    assert [call.method for call in calls] == ["answerCallbackQuery"]
    assert calls[0].params["text"] == render_access.not_member_short("hant", STRANGER)
    assert calls[0].params["show_alert"] is True
    assert len(calls[0].params["text"]) <= 200


async def test_gate_gives_a_strangers_inline_query_no_results_and_a_join_button(
    chat: Chat,
) -> None:
    answered = only(await chat.send(chat.inline("沒帶證件", user_id=STRANGER)), "answerInlineQuery")
    assert answered["results"] == []
    assert answered["button"] == {"text": label("hant", "inline_join"), "start_parameter": "join"}


@pytest.mark.parametrize("text", ["/start", "/help", "/start join", "/start inline"])
async def test_gate_start_and_help_tell_a_stranger_how_to_join(chat: Chat, text: str) -> None:
    reply = only(await chat.say(text, user_id=STRANGER), "sendMessage")
    assert reply["text"] == render_access.join_help("hant", STRANGER)
    assert "reply_markup" not in reply  # no example questions to tap


async def test_gate_ignores_a_strangers_group_chatter_but_refuses_a_mention(chat: Chat) -> None:
    assert await chat.say(QUESTION, user_id=STRANGER, chat_id=GROUP_ID) == []
    assert await chat.say("/roles@other_bot", user_id=STRANGER, chat_id=GROUP_ID) == []
    reply = only(
        await chat.say(f"@sop_test_bot {QUESTION}", user_id=STRANGER, chat_id=GROUP_ID),
        "sendMessage",
    )
    assert reply["text"] == refusal(STRANGER) and reply["chat_id"] == GROUP_ID


async def test_gate_ignores_a_strangers_poll_answer(chat: Chat) -> None:
    update = {
        "poll_answer": {
            "poll_id": "1",
            "user": chat.user(STRANGER),
            "option_ids": [0],
            "option_persistent_ids": ["0"],
        }
    }
    assert await chat.send(update) == []


async def test_gate_does_not_record_strangers(chat: Chat, storage: Storage) -> None:
    await chat.say(QUESTION, user_id=STRANGER)
    assert storage.users.user(STRANGER) is None


# -- the gate: revoked people ------------------------------------------------------------------


async def test_gate_refuses_a_revoked_person_everywhere(chat: Chat, storage: Storage) -> None:
    assert sent(await chat.say(QUESTION), "sendMessage")[0]["text"] != refusal(USER_ID)
    storage.people.deactivate(USER_ID)
    assert only(await chat.say(QUESTION), "sendMessage")["text"] == refusal(USER_ID)
    assert only(await chat.say("/roles"), "sendMessage")["text"] == refusal(USER_ID)
    edited = await chat.send(chat.message(QUESTION, kind="edited_message"))
    assert only(edited, "sendMessage")["text"] == refusal(USER_ID)
    pressed = only(await chat.press("more:1"), "answerCallbackQuery")
    assert pressed["text"] == render_access.not_member_short("hant", USER_ID)
    assert only(await chat.send(chat.inline("沒帶證件")), "answerInlineQuery")["results"] == []


# -- invites -----------------------------------------------------------------------------------


async def test_invite_link_registers_a_newcomer_who_can_then_ask(
    chat: Chat, storage: Storage, kb: KnowledgeBase, manager: int
) -> None:
    reply = only(await chat.say("/invite", user_id=MANAGER), "sendMessage")
    code = LINK_RE.search(reply["text"])[1]
    assert len(code) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)
    assert buttons(reply) == [(label("hant", "withdraw"), "inv:x:1")]
    assert storage.connection.db.execute("SELECT code_hash FROM invites").fetchone()[0] != code

    welcome = only(await chat.say(f"/start {code}", user_id=NEWCOMER), "sendMessage")
    assert welcome["text"].startswith(render_access.joined("hant", "staff", STORE))
    assert render.welcome("hant", "小明") in welcome["text"]
    person = storage.people.person(NEWCOMER)
    assert (person.access, person.stores, person.active) == ("staff", (STORE,), True)

    answer = only(await chat.say(QUESTION, user_id=NEWCOMER), "sendMessage")
    assert answer["text"] == render.answer(kb.ask(QUESTION, ANSWER_LIMIT, None, "zh-hant"))
    assert (MANAGER, "invite", STORE) in audit(storage)
    assert (NEWCOMER, "join", str(NEWCOMER)) in audit(storage)


async def test_invite_one_time_code_admits_one_person(
    chat: Chat, storage: Storage, manager: int
) -> None:
    code = await invite_code(chat)
    await chat.say(f"/start {code}", user_id=NEWCOMER)
    again = only(await chat.say(f"/start {code}", user_id=STRANGER), "sendMessage")
    assert again["text"] == render_access.invite_refused("hant", "used", STRANGER)
    assert storage.people.person(STRANGER) is None


async def test_invite_with_uses_admits_that_many(
    chat: Chat, storage: Storage, manager: int
) -> None:
    code = await invite_code(chat, "/invite 2 trainer")
    for user_id in (NEWCOMER, STRANGER):
        await chat.say(f"/start {code}", user_id=user_id)
        assert storage.people.person(user_id).access == "trainer"
    third = only(await chat.say(f"/start {code}", user_id=STRANGER + 1), "sendMessage")
    assert third["text"] == render_access.invite_refused("hant", "used", STRANGER + 1)


async def test_invite_expires_after_the_configured_hours(
    chat: Chat, storage: Storage, manager: int
) -> None:
    clock = Clock()
    storage.connection.clock = clock
    code = await invite_code(chat)
    clock.advance(hours=72)
    reply = only(await chat.say(f"/start {code}", user_id=NEWCOMER), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "expired", NEWCOMER)
    assert storage.people.person(NEWCOMER) is None


async def test_invite_still_works_just_before_it_expires(
    chat: Chat, storage: Storage, manager: int
) -> None:
    clock = Clock()
    storage.connection.clock = clock
    code = await invite_code(chat)
    clock.advance(hours=71, minutes=59)
    await chat.say(f"/start {code}", user_id=NEWCOMER)
    assert storage.people.person(NEWCOMER).active


async def test_invite_withdrawn_with_its_button_is_refused(
    chat: Chat, storage: Storage, manager: int
) -> None:
    code = await invite_code(chat)
    calls = await chat.press("inv:x:1", user_id=MANAGER)
    assert only(calls, "editMessageText")["text"] == render_access.notice("hant", "withdrawn")
    assert code not in only(calls, "editMessageText")["text"]
    reply = only(await chat.say(f"/start {code}", user_id=NEWCOMER), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "withdrawn", NEWCOMER)
    assert (MANAGER, "withdraw invite", STORE) in audit(storage)


async def test_invite_cannot_be_withdrawn_by_a_staff_member(
    chat: Chat, storage: Storage, manager: int
) -> None:
    code = await invite_code(chat)
    pressed = only(
        await chat.press("inv:x:1", user_id=USER_ID, inline_message_id="x"), "answerCallbackQuery"
    )
    assert pressed["text"] == label("hant", "expired")
    await chat.say(f"/start {code}", user_id=NEWCOMER)
    assert storage.people.person(NEWCOMER).active


@pytest.mark.parametrize(
    "code",
    [
        # Guesses of the right shape, new each run (their ids stay the same, so that
        # every worker of a parallel run collects the same tests).
        pytest.param(secrets.token_urlsafe(access.CODE_BYTES), id="a guess"),
        pytest.param(secrets.token_urlsafe(access.CODE_BYTES), id="another guess"),
        "abc",
        "x" * 64,
        "<b>hi</b>",
        "%00",
    ],
)
async def test_invite_guessed_or_malformed_codes_are_refused(
    chat: Chat, storage: Storage, manager: int, code: str
) -> None:
    await invite_code(chat)  # a real invite exists, and is not the guess
    reply = only(await chat.say(f"/start {code}", user_id=STRANGER), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "unknown", STRANGER)
    assert storage.people.person(STRANGER) is None


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/invite admin", "above_level"),
        (f"/invite staff {OTHER_STORE}", "not_your_store"),
    ],
)
async def test_invite_a_manager_stays_within_their_level_and_stores(
    chat: Chat, storage: Storage, manager: int, command: str, reason: str
) -> None:
    reply = only(await chat.say(command, user_id=MANAGER), "sendMessage")
    expected = (
        render_access.notice("hant", reason, stores=STORE)
        if "store" in reason
        else (render_access.notice("hant", reason))
    )
    assert reply["text"] == expected
    assert storage.connection.db["invites"].count == 0


async def test_invite_a_manager_may_invite_a_manager_and_an_admin_anywhere(
    chat: Chat, storage: Storage, manager: int
) -> None:
    await invite_code(chat, "/invite manager")
    code = await invite_code(chat, f"/invite admin {OTHER_STORE}", user_id=ADMIN)
    await chat.say(f"/start {code}", user_id=NEWCOMER)
    assert storage.people.person(NEWCOMER).access == "admin"
    assert storage.people.person(NEWCOMER).stores == (OTHER_STORE,)


async def test_invite_is_for_managers_only(chat: Chat, storage: Storage) -> None:
    reply = only(await chat.say("/invite"), "sendMessage")
    assert reply["text"] == render_access.notice("hant", "refused_managers")


async def test_invite_is_not_made_in_a_group(chat: Chat, storage: Storage, manager: int) -> None:
    reply = only(await chat.say("/invite", user_id=MANAGER, chat_id=GROUP_ID), "sendMessage")
    assert not LINK_RE.search(reply["text"])  # a pointer to the private chat, not a link
    assert storage.connection.db["invites"].count == 0


async def test_invite_a_member_opening_a_link_does_not_use_it_up(
    chat: Chat, storage: Storage, manager: int
) -> None:
    code = await invite_code(chat)
    await chat.say(f"/start {code}")  # the staff member, already registered
    await chat.say(f"/start {code}", user_id=NEWCOMER)
    assert storage.people.person(NEWCOMER).active


# -- admins, /users, /grant, /revoke -----------------------------------------------------------


async def test_admin_is_registered_from_settings_at_start(chat: Chat, storage: Storage) -> None:
    assert storage.people.person(ADMIN).access == "admin"
    reply = only(await chat.say(QUESTION, user_id=ADMIN), "sendMessage")
    assert reply["text"] != refusal(ADMIN)


async def test_admin_is_registered_again_on_a_message_if_revoked_in_storage(
    chat: Chat, storage: Storage
) -> None:
    storage.people.deactivate(ADMIN)
    reply = only(await chat.say(QUESTION, user_id=ADMIN), "sendMessage")
    assert reply["text"] != refusal(ADMIN)
    assert storage.people.person(ADMIN).active


async def test_users_lists_a_managers_stores_with_level_and_last_activity(
    chat: Chat, storage: Storage, manager: int
) -> None:
    storage.people.add_person(NEWCOMER, "Outsider", "staff", [OTHER_STORE])
    await chat.say(QUESTION)  # the staff member's last activity
    reply = only(await chat.say("/users", user_id=MANAGER), "sendMessage")
    text = reply["text"]
    assert f"<b>{STORE}</b>" in text and OTHER_STORE not in text and "Outsider" not in text
    assert "小明" in text and label("hant", "access_staff") in text
    assert label("hant", "access_manager") in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text)

    everything = only(await chat.say("/users", user_id=ADMIN), "sendMessage")["text"]
    assert OTHER_STORE in everything and "Outsider" in everything
    assert label("hant", "no_store") in everything  # the admin, who has no store


async def test_users_is_for_managers_only(chat: Chat) -> None:
    reply = only(await chat.say("/users"), "sendMessage")
    assert reply["text"] == render_access.notice("hant", "refused_managers")


async def test_grant_asks_to_confirm_then_changes_the_level_and_audits(
    chat: Chat, storage: Storage
) -> None:
    reply = only(await chat.say(f"/grant {USER_ID} trainer", user_id=ADMIN), "sendMessage")
    assert reply["text"] == render_access.confirm_grant("hant", "小明", USER_ID, "trainer", [STORE])
    assert [data for _, data in buttons(reply)] == ["adm:ok:1", "adm:no:1"]
    assert storage.people.person(USER_ID).access == "staff"  # nothing yet

    done = only(await chat.press("adm:ok:1", user_id=ADMIN), "editMessageText")
    assert done["text"] == render_access.granted("hant", "小明", "trainer", [STORE])
    assert storage.people.person(USER_ID).access == "trainer"
    assert (ADMIN, "grant", str(USER_ID)) in audit(storage)

    twice = only(await chat.press("adm:ok:1", user_id=ADMIN), "answerCallbackQuery")
    assert twice["text"] == label("hant", "expired")


async def test_grant_cancelled_changes_nothing(chat: Chat, storage: Storage) -> None:
    await chat.say(f"/grant {USER_ID} manager", user_id=ADMIN)
    done = only(await chat.press("adm:no:1", user_id=ADMIN), "editMessageText")
    assert done["text"] == render_access.notice("hant", "cancelled")
    assert storage.people.person(USER_ID).access == "staff"
    assert [row for row in audit(storage) if row[1] == "grant"] == []


async def test_grant_registers_a_stranger_by_id_and_by_username(
    chat: Chat, storage: Storage
) -> None:
    await chat.say(f"/grant {STRANGER} staff {STORE}", user_id=ADMIN)
    await chat.press("adm:ok:1", user_id=ADMIN)
    assert storage.people.person(STRANGER).stores == (STORE,)
    assert only(await chat.say(QUESTION, user_id=STRANGER), "sendMessage")["text"] != refusal(
        STRANGER
    )
    storage.users.seen(NEWCOMER, "Lee", "lee_tw", "en")
    await chat.say(f"/grant @LEE_tw trainer {STORE}", user_id=ADMIN)
    await chat.press("adm:ok:2", user_id=ADMIN)
    assert storage.people.person(NEWCOMER).access == "trainer"


async def test_grant_a_forged_confirmation_by_someone_else_does_nothing(
    chat: Chat, storage: Storage, manager: int
) -> None:
    await chat.say(f"/grant {USER_ID} trainer", user_id=MANAGER)
    forged = only(await chat.press("adm:ok:1", inline_message_id="x"), "answerCallbackQuery")
    assert forged["text"] == label("hant", "expired")
    assert storage.people.person(USER_ID).access == "staff"
    await chat.press("adm:ok:1", user_id=MANAGER)  # the manager's own press still works
    assert storage.people.person(USER_ID).access == "trainer"


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (f"/grant {USER_ID} manager", "above_level"),
        (f"/grant {NEWCOMER} staff", "not_your_store"),
        (f"/grant {USER_ID} staff {OTHER_STORE}", "not_your_store"),
        (f"/grant {ADMIN} staff", "configured_admin"),
        (f"/revoke {NEWCOMER}", "not_your_store"),
        (f"/revoke {MANAGER + 1}", "not_below"),
        (f"/revoke {ADMIN}", "configured_admin"),
        (f"/revoke {MANAGER}", "not_yourself"),
        ("/grant 123 wizard", "grant_usage"),
        ("/grant", "grant_usage"),
        ("/revoke", "revoke_usage"),
    ],
)
async def test_grant_and_revoke_a_manager_acts_only_below_them_in_their_stores(
    chat: Chat, storage: Storage, manager: int, command: str, reason: str
) -> None:
    storage.people.add_person(NEWCOMER, "Outsider", "staff", [OTHER_STORE])
    storage.people.add_person(MANAGER + 1, "副店長", "manager", [STORE])
    reply = only(await chat.say(command, user_id=MANAGER), "sendMessage")
    values = {"stores": STORE} if reason == "not_your_store" else {}
    if reason == "configured_admin":
        values = {"name": str(ADMIN)}
    assert reply["text"] == render_access.notice("hant", reason, **values)
    assert "reply_markup" not in reply


async def test_grant_and_revoke_unknown_people_are_named(chat: Chat) -> None:
    reply = only(await chat.say("/revoke @nobody_here", user_id=ADMIN), "sendMessage")
    assert reply["text"] == render_access.notice("hant", "no_such_user", who="@nobody_here")


async def test_revoke_confirmed_takes_access_away_at_once(
    chat: Chat, storage: Storage, manager: int
) -> None:
    reply = only(await chat.say(f"/revoke {USER_ID}", user_id=MANAGER), "sendMessage")
    assert reply["text"] == render_access.confirm_revoke("hant", "小明", USER_ID)
    done = only(await chat.press("adm:ok:1", user_id=MANAGER), "editMessageText")
    assert done["text"] == render_access.notice("hant", "revoked", name="小明")
    assert not storage.people.person(USER_ID).active
    assert (MANAGER, "revoke", str(USER_ID)) in audit(storage)
    assert only(await chat.say(QUESTION), "sendMessage")["text"] == refusal(USER_ID)


async def test_revoke_rechecks_rights_when_confirmed(
    chat: Chat, storage: Storage, manager: int
) -> None:
    await chat.say(f"/revoke {USER_ID}", user_id=MANAGER)
    storage.people.add_person(USER_ID, "小明", "manager", [STORE])  # promoted in the meantime
    done = only(await chat.press("adm:ok:1", user_id=MANAGER), "editMessageText")
    assert done["text"] == render_access.notice("hant", "not_below")
    assert storage.people.person(USER_ID).active


async def test_command_menu_of_managers_and_admins_adds_their_commands(
    chat: Chat, manager: int
) -> None:
    before = len(chat.request.calls)
    await register_commands(chat.app)
    scoped = {
        call.params["scope"]["chat_id"]: [c["command"] for c in call.params["commands"]]
        for call in chat.request.calls[before:]
        if call.method == "setMyCommands" and "scope" in call.params
    }
    assert set(scoped) == {ADMIN, MANAGER}  # not the staff member
    assert {"invite", "users", "grant", "revoke"} <= set(scoped[MANAGER])
    assert scoped[MANAGER][: len(COMMANDS)] == list(COMMANDS)  # the public menu, then theirs
    assert {"docs", "rollback"} <= set(scoped[ADMIN]) and "docs" not in scoped[MANAGER]


# -- settings and the pure rules ---------------------------------------------------------------


def test_settings_read_the_invite_hours() -> None:
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "SOPBOT_INVITE_HOURS": "24"}
    assert Settings.from_env(environ, env_file=None).invite_hours == 24
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None).invite_hours == 72
    with pytest.raises(ConfigError, match="SOPBOT_INVITE_HOURS"):
        Settings.from_env({**environ, "SOPBOT_INVITE_HOURS": "soon"}, env_file=None)


def test_codes_are_long_random_and_fit_a_start_parameter() -> None:
    codes = {access.new_code() for _ in range(100)}
    assert len(codes) == 100
    for code in codes:
        assert access.CODE_RE.match(code) and len(code) <= 64
        assert access.CODE_BYTES * 8 >= 128


async def test_command_menu_follows_a_grant_and_a_revocation(chat: Chat) -> None:
    await chat.say(f"/grant {USER_ID} manager", user_id=ADMIN)
    granted = only(await chat.press("adm:ok:1", user_id=ADMIN), "setMyCommands")
    assert granted["scope"] == {"type": "chat", "chat_id": USER_ID}
    assert "invite" in [command["command"] for command in granted["commands"]]
    await chat.say(f"/revoke {USER_ID}", user_id=ADMIN)
    revoked = only(await chat.press("adm:ok:2", user_id=ADMIN), "deleteMyCommands")
    assert revoked["scope"] == {"type": "chat", "chat_id": USER_ID}


def test_invites_and_confirmations_survive_a_restart(tmp_path: Path) -> None:
    storage = Storage.open(tmp_path / "bot.db")
    code = access.new_code()
    storage.invites.create_invite(access.code_hash(code), "staff", STORE, MANAGER, 72, 1)
    asked = storage.invites.propose(ADMIN, "revoke", USER_ID, None, None)
    storage.close()

    again = Storage.open(tmp_path / "bot.db")
    rule = partial(access.invite_refusal, now=datetime.now(UTC), admin_ids=frozenset({MANAGER}))
    assert (
        again.invites.redeem_invite(access.code_hash(code), NEWCOMER, "Lee", rule).outcome
        == "joined"
    )
    assert again.people.person(NEWCOMER).stores == (STORE,)
    assert again.invites.settle(asked.id, actor=USER_ID) is None  # not theirs
    assert again.invites.settle(asked.id, actor=ADMIN).target == USER_ID
    assert again.invites.settle(asked.id, actor=ADMIN) is None  # once only
    again.close()


# -- issue 17: no way back in but through someone entitled to let you in ---------------------


async def test_invite_does_not_readmit_a_revoked_person(
    chat: Chat, storage: Storage, manager: int
) -> None:
    """A multi-use link is for newcomers: someone revoked cannot open it again and be back."""
    code = await invite_code(chat, "/invite 10")
    await chat.say(f"/start {code}", user_id=NEWCOMER)
    assert storage.people.person(NEWCOMER).active
    storage.people.deactivate(NEWCOMER)

    reply = only(await chat.say(f"/start {code}", user_id=NEWCOMER), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "revoked", NEWCOMER)
    assert not storage.people.person(NEWCOMER).active
    assert storage.invites.invite(1).uses == 1  # the refusal used nothing up
    assert only(await chat.say(QUESTION, user_id=NEWCOMER), "sendMessage")["text"] == refusal(
        NEWCOMER
    )


async def test_invite_of_an_inviter_since_revoked_or_demoted_admits_no_one(
    chat: Chat, storage: Storage, manager: int
) -> None:
    code = await invite_code(chat, "/invite 5")
    storage.people.deactivate(MANAGER)
    reply = only(await chat.say(f"/start {code}", user_id=NEWCOMER), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "withdrawn", NEWCOMER)
    assert storage.people.person(NEWCOMER) is None

    storage.people.add_person(MANAGER, "王店長", "staff", [STORE])  # back, but as staff
    reply = only(await chat.say(f"/start {code}", user_id=STRANGER), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "withdrawn", STRANGER)
    assert storage.people.person(STRANGER) is None
    assert storage.invites.invite(1).uses == 0


async def test_invite_of_a_manager_moved_to_another_store_no_longer_admits_there(
    chat: Chat, storage: Storage, manager: int
) -> None:
    code = await invite_code(chat, "/invite 5")
    storage.connection.db.execute(
        "UPDATE memberships SET store = ? WHERE user_id = ?", (OTHER_STORE, MANAGER)
    )
    reply = only(await chat.say(f"/start {code}", user_id=NEWCOMER), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "withdrawn", NEWCOMER)
    assert storage.people.person(NEWCOMER) is None


async def test_invite_of_a_configured_admin_admits_whatever_the_database_says(
    chat: Chat, storage: Storage
) -> None:
    code = await invite_code(chat, f"/invite 2 {OTHER_STORE}", user_id=ADMIN)
    storage.people.deactivate(ADMIN)  # SOPBOT_ADMIN_IDS still names them
    await chat.say(f"/start {code}", user_id=NEWCOMER)
    assert storage.people.person(NEWCOMER).active


async def test_a_manager_cannot_make_a_manager_by_revoking_and_reinviting(
    chat: Chat, storage: Storage, manager: int
) -> None:
    """Managers grant only below their level; a revocation and a manager invite are no way round."""
    await chat.say(f"/revoke {USER_ID}", user_id=MANAGER)
    await chat.press("adm:ok:1", user_id=MANAGER)
    code = await invite_code(chat, "/invite manager")

    reply = only(await chat.say(f"/start {code}"), "sendMessage")
    assert reply["text"] == render_access.invite_refused("hant", "revoked", USER_ID)
    person = storage.people.person(USER_ID)
    assert (person.access, person.active) == ("staff", False)
    reply = only(await chat.say(f"/grant {USER_ID} manager", user_id=MANAGER), "sendMessage")
    assert reply["text"] == render_access.notice("hant", "above_level")


async def test_a_revoked_person_comes_back_with_only_what_they_are_given(
    chat: Chat, storage: Storage
) -> None:
    """Nothing of a revoked person's old stores comes back with a new grant."""
    storage.people.add_person(NEWCOMER, "前店長", "manager", [OTHER_STORE])
    storage.people.deactivate(NEWCOMER)
    await chat.say(f"/grant {NEWCOMER} staff {STORE}", user_id=ADMIN)
    await chat.press("adm:ok:1", user_id=ADMIN)
    person = storage.people.person(NEWCOMER)
    assert (person.access, person.stores, person.active) == ("staff", (STORE,), True)

    await chat.say(f"/grant {NEWCOMER} manager {STORE}", user_id=ADMIN)
    await chat.press("adm:ok:2", user_id=ADMIN)
    assert storage.people.person(NEWCOMER).stores == (STORE,)
    storage.people.add_person(STRANGER, "高雄店員", "staff", [OTHER_STORE])
    reply = only(await chat.say(f"/revoke {STRANGER}", user_id=NEWCOMER), "sendMessage")
    assert reply["text"] == render_access.notice("hant", "not_your_store", stores=STORE)
    directory = only(await chat.say("/users", user_id=NEWCOMER), "sendMessage")["text"]
    assert OTHER_STORE not in directory and "高雄店員" not in directory


def test_storage_reactivating_a_person_replaces_their_stores(storage: Storage) -> None:
    storage.people.add_person(NEWCOMER, "Lee", "manager", [OTHER_STORE, STORE])
    storage.people.add_person(NEWCOMER, "Lee", "manager", ["板橋店"])  # active: one more store
    assert storage.people.person(NEWCOMER).stores == (STORE, "板橋店", OTHER_STORE)
    storage.people.deactivate(NEWCOMER)
    storage.people.add_person(NEWCOMER, "Lee", "staff", [STORE])
    assert storage.people.person(NEWCOMER).stores == (STORE,)


# -- issue 17: strangers cannot use up the bot's sending budget --------------------------------


async def test_gate_a_stranger_gets_a_few_replies_a_minute_not_one_per_message(
    chat: Chat,
) -> None:
    calls = []
    for _ in range(20):
        calls += await chat.say(QUESTION, user_id=STRANGER)
    replies = sent(calls, "sendMessage")
    assert 1 <= len(replies) <= 3
    assert all(reply["text"] == refusal(STRANGER) for reply in replies)


async def test_gate_many_strangers_at_once_get_a_bounded_number_of_replies(chat: Chat) -> None:
    calls = []
    for n in range(100):
        calls += await chat.say(QUESTION, user_id=STRANGER + n)
    assert 1 <= len(sent(calls, "sendMessage")) <= 30


async def test_gate_throttles_nobody_who_is_registered(chat: Chat) -> None:
    for n in range(30):
        await chat.say(QUESTION, user_id=STRANGER + n)
    for _ in range(10):
        assert len(sent(await chat.say(QUESTION), "sendMessage")) == 1


@pytest.mark.parametrize("senders", [5, 150])
async def test_a_flood_of_strangers_does_not_delay_a_staff_answer(
    settings: Settings, kb: KnowledgeBase, storage: Storage, senders: int
) -> None:
    """150 stranger messages at once, as `sopbot run` meets them (PTB's AIORateLimiter at
    Telegram's ~30 messages/s): a staff question right behind them is answered at once."""
    answered: list[float] = []

    def on_call(call: ApiCall, result: object) -> None:
        if call.method == "sendMessage" and int(call.params["chat_id"]) == USER_ID:
            answered.append(time.monotonic())

    request = InProcessRequest(FakeBotAPI(token=TOKEN), on_call=on_call)
    app = build_application(settings, kb, storage, request=request, rate_limiter=AIORateLimiter())
    chat = Chat(app, request)
    async with app:
        flood = [
            asyncio.create_task(chat.say(QUESTION, user_id=STRANGER + n % senders))
            for n in range(150)
        ]
        await asyncio.sleep(0.05)  # the refusals queue at the limiter
        asked = time.monotonic()
        await chat.say(QUESTION)
        await asyncio.gather(*flood)
    assert len(answered) == 1
    assert answered[0] - asked < 1.5
