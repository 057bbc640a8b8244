"""The request context: who asks is read once per update, whatever handlers run."""

from __future__ import annotations

import pytest

from bot.storage import Storage
from tests.bot.conftest import USER_ID, Chat


async def test_the_asker_is_read_once_per_update(
    chat: Chat, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    person = storage.people.person

    def counted(user_id: int):
        read.append(user_id)
        return person(user_id)

    monkeypatch.setattr(storage.people, "person", counted)
    await chat.say("客人沒帶證件怎麼辦")  # the gate, the user tracker, the answer and its log
    assert read == [USER_ID]
    read.clear()
    await chat.say("/myscore")
    assert read == [USER_ID]
