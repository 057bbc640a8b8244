"""The people and settings the access tests share: an admin configured in
SOPBOT_ADMIN_IDS (with no store), a manager of STORE, and people the bot does not know."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.config import Settings
from bot.storage import Storage
from tests.bot.conftest import STORE

STRANGER = 555000111
NEWCOMER = 555000222
ADMIN = 900000001
MANAGER = 900000002
OTHER_STORE = "高雄店"
QUESTION = "客人沒帶證件怎麼辦"
LINK_RE = re.compile(r"https://t\.me/sop_test_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest settings, with an admin configured."""
    return dataclasses.replace(settings, admin_ids=frozenset({ADMIN}))


@pytest.fixture
def manager(storage: Storage) -> int:
    storage.people.add_person(MANAGER, "王店長", "manager", [STORE])
    return MANAGER
