"""An SOP with outsized parts: a heading of thousands of characters, a step longer than a
Telegram message. Every answer citing them, and 📄 全文, must still fit one message (4,096
characters) with its markup whole: the offline Bot API refuses what Telegram refuses."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.i18n import label
from bot.storage import Storage
from knowledge import KnowledgeBase
from tests.bot.botcalls import only
from tests.bot.conftest import Chat, run_chat

HEADING = "開門前檢查收銀機與零錢" + "並且確認每一台收銀機的電源線與網路線都已經接好" * 200
PARAGRAPH = "營業前一小時清點零錢，並把每一筆金額記在交接本上 & 簽名。" * 12
SOP = (
    f"# 門市規範\n\n## 店員\n\n#### 1、{HEADING}\n\n每天早上九點前打開收銀機。\n\n"
    f"#### 2、清點零錢\n\n" + "\n\n".join([PARAGRAPH] * 12) + "\n\n> 溫馨提示：點完在群組回報。\n"
)


@pytest.fixture(scope="module")
def long_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("long")
    (folder / "store.md").write_text(SOP, encoding="utf-8")
    kb = KnowledgeBase.open(
        index_path=folder / "index.db", sources=[folder / "store.md"], questions=[]
    )
    assert len(kb.steps[0].title) > 4096 and len(kb.steps[1].text) > 4096
    return kb


@pytest.fixture
async def long_chat(
    settings: Settings, long_kb: KnowledgeBase, storage: Storage
) -> AsyncIterator[Chat]:
    async for chat in run_chat(settings, long_kb, storage):
        yield chat


async def test_an_answer_citing_an_outsized_heading_fits_a_message(
    long_chat: Chat, long_kb: KnowledgeBase
) -> None:
    reply = only(await long_chat.say("收銀機怎麼開機"), "sendMessage")
    assert len(reply["text"]) <= 4096
    assert label("hant", "error") not in reply["text"]
    assert "開門前檢查收銀機" in reply["text"]  # the heading, shortened
    # 📄 全文 of that step fits too.
    full = only(await long_chat.press(f"full:{long_kb.steps[0].id}"), "editMessageText")
    assert len(full["text"]) <= 4096


async def test_the_whole_of_a_step_too_long_for_a_message_keeps_its_markup(
    long_chat: Chat, long_kb: KnowledgeBase
) -> None:
    step = long_kb.steps[1]
    await long_chat.say("清點零錢要記在哪裡")
    full = only(await long_chat.press(f"full:{step.id}"), "editMessageText")["text"]
    assert len(full) <= 4096
    assert full.startswith("<b>") and "&lt;b&gt;" not in full  # bold, not literal tags
    assert "&amp;" in full and full.endswith("…")  # escaped text, cut at the limit
    assert html.unescape(full.split("\n\n")[1]) == PARAGRAPH
