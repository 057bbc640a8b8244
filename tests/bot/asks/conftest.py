"""The people around the staff member of the asks tests (``USER_ID``, of ``STORE``), and the
question the SOP has no clear answer to."""

from __future__ import annotations

import pytest

from bot.storage import Storage
from tests.bot.conftest import STORE

TRAINER, MANAGER, OTHER_MANAGER, COLLEAGUE, ADMIN, OUTSIDER = (
    555001,
    555002,
    555003,
    555004,
    555005,
    555006,
)
OTHER_STORE = "信義店"
QUESTION = "加班費怎麼算"  # the SOP has no clear answer
REWORDED = "加班費點計"  # the same question, in other (Cantonese) words
ANSWER = "加班費按時薪 1.34 倍計，第三小時起 1.67 倍；打卡記錄為準。"


@pytest.fixture
def people(storage: Storage) -> Storage:
    storage.people.add_person(TRAINER, "陳培訓", "trainer", [STORE])
    storage.people.add_person(MANAGER, "王店長", "manager", [STORE])
    storage.people.add_person(OTHER_MANAGER, "林店長", "manager", [OTHER_STORE])
    storage.people.add_person(COLLEAGUE, "小華", "staff", [STORE])
    storage.people.add_person(ADMIN, "總部", "admin", [])
    storage.people.add_person(OUTSIDER, "阿強", "staff", [OTHER_STORE])
    return storage
