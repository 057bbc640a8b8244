"""Issue 7: the question log, /gaps, /teach, /stats, SOP updates and rollback.

These run the real application on a small Markdown SOP in a managed corpus of their own
(so rebuilding the index after teaching or an import takes seconds, not the full SOP's
minute), with people registered at each access level.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import callbacks
from bot.cli import cli
from bot.config import Settings
from bot.i18n import label
from bot.learning.service import PRUNE_JOB, start_search_worker
from bot.storage import Storage
from knowledge.gaps import DOWNVOTED, UNANSWERED, GapQuestion, group_gaps
from knowledge.index import dictionary_path
from knowledge.model import Step
from knowledge.updates import ManagedCorpus, UpdateError, compare, open_knowledge
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import TOKEN, USER_ID, Chat, new_database, run_chat, until
from tests.fakebotapi import Call as ApiCall

STAFF, TRAINER, MANAGER, ADMIN = USER_ID, 555001, 555002, 555003
STORE = "台北站前店"
SOP = """\
# 門市規範
## 店員
#### 1、開門準備
每天早上九點前打開收銀機，檢查零錢是否足夠。
> 溫馨提示：零錢不足時先找值班經理換零。
#### 2、處理投訴
客戶投訴時先道歉，記下問題，再請值班經理處理。
#### 3、冷氣保養
每月清洗冷氣濾網一次，由店長安排。
"""
# Step 2 reworded, step 3 gone, step 4 new.
SOP_V2 = """\
# 門市規範
## 店員
#### 1、開門準備
每天早上九點前打開收銀機，檢查零錢是否足夠。
> 溫馨提示：零錢不足時先找值班經理換零。
#### 2、處理投訴
客戶投訴時先聆聽並道歉，填寫投訴單，當天回報店長。
#### 4、盤點庫存
每週日晚上盤點庫存，把缺貨商品記在補貨單上。
"""
MISSED = "機器嗶嗶叫怎麼辦"


# -- fixtures: a small SOP, its index built once, a managed corpus per test -------------------


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(packaged corpus, index built from it): built once, copied by each test."""
    base = tmp_path_factory.mktemp("small")
    packaged = base / "packaged"
    packaged.mkdir()
    (packaged / "store.md").write_text(SOP, encoding="utf-8")
    root = base / "seed-corpus"
    ManagedCorpus(root, packaged=packaged).seed()
    index = base / "index.db"
    open_knowledge(index, root, {})
    return packaged, index


@pytest.fixture
def learning_settings(tmp_path: Path, small_index: tuple[Path, Path]) -> Settings:
    packaged, built = small_index
    corpus = tmp_path / "corpus"
    ManagedCorpus(corpus, packaged=packaged).seed()
    index = tmp_path / "index.db"
    shutil.copy(built, index)
    shutil.copy(dictionary_path(built), dictionary_path(index))
    return Settings(
        token=TOKEN,
        api_url="http://offline.invalid/bot",
        db_path=tmp_path / "sopbot.db",
        index_path=index,
        corpus_dir=corpus,
        log_days=30,
    )


@pytest.fixture
def people(learning_settings: Settings, empty_database: Path) -> Storage:
    storage = Storage.open(new_database(empty_database, learning_settings.db_path))
    storage.people.add_person(STAFF, "小明", "staff", [STORE])
    storage.people.add_person(TRAINER, "阿芳", "trainer", [STORE])
    storage.people.add_person(MANAGER, "王店長", "manager", [STORE])
    storage.people.add_person(ADMIN, "管理員", "admin")
    yield storage
    storage.close()


@pytest.fixture
async def bot(learning_settings: Settings, people: Storage) -> AsyncIterator[Chat]:
    kb = open_knowledge(learning_settings.index_path, learning_settings.corpus_dir, {})
    async for harness in run_chat(learning_settings, kb, people):
        yield harness


def texts(calls: list[ApiCall]) -> str:
    return "\n".join(
        str(c.params.get("text") or c.params.get("caption") or "") for c in calls
    ) + "".join(str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery")


def step_named(bot: Chat, number: str) -> Step:
    return next(s for s in bot.app.bot_data.kb.steps if s.number == number)


async def upload(bot: Chat, name: str, content: str, user_id: int = ADMIN) -> list[ApiCall]:
    file_id = bot.api.store_file(content.encode(), name)
    document = {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_name": name,
        "file_size": len(content.encode()),
    }
    return await bot.send(bot.message(None, user_id=user_id, document=document))


# -- the core: grouping gaps, comparing SOP versions ----------------------------------------------


def test_group_gaps_puts_alike_wordings_together() -> None:
    questions = [
        GapQuestion("客人沒帶證件怎麼辦", UNANSWERED),
        GapQuestion("客戶沒帶證件怎麼辦？", UNANSWERED),
        GapQuestion("客人沒帶證件怎麼辦", DOWNVOTED, "abc"),
        GapQuestion("冷氣壞了找誰", UNANSWERED),
        GapQuestion("   ", UNANSWERED),
    ]
    groups = group_gaps(questions)
    assert [group.count for group in groups] == [3, 1]
    assert groups[0].wordings[0] == "客人沒帶證件怎麼辦"
    assert groups[0].downvoted == 1
    assert groups[1].wordings == ("冷氣壞了找誰",)


def test_group_gaps_reads_english_and_chinese_alike() -> None:
    groups = group_gaps(
        [
            GapQuestion("How do I open the till?", UNANSWERED),
            GapQuestion("how to open till", UNANSWERED),
        ]
    )
    assert len(groups) == 1


def test_group_gaps_keeps_questions_about_different_things_apart() -> None:
    groups = group_gaps(
        [
            GapQuestion("下班前要做什麼", UNANSWERED),
            GapQuestion("我要做什麼", UNANSWERED),
            GapQuestion("下班前要做什麼？", UNANSWERED),
            GapQuestion("客人沒帶證件怎麼辦", UNANSWERED),
            GapQuestion("客戶沒帶證件要怎麼辦？", UNANSWERED),
        ]
    )
    assert [group.wordings for group in groups] == [
        ("下班前要做什麼", "下班前要做什麼？"),
        ("客人沒帶證件怎麼辦", "客戶沒帶證件要怎麼辦？"),
        ("我要做什麼",),
    ]


@pytest.mark.parametrize(
    "junk",
    [
        "<b>收銀機</b>",
        "收銀機&nbsp;壞了",
        "NEAR(收銀 機)",
        '"客人" AND 證件',
        "收銀機*",
        "開門" * 2500,
        "🙏🙏🙏 ？？",
    ],
)
def test_group_gaps_leaves_out_what_no_one_would_teach(junk: str) -> None:
    groups = group_gaps([GapQuestion(junk, UNANSWERED), GapQuestion("冷氣壞了找誰", UNANSWERED)])
    assert [group.wordings for group in groups] == [("冷氣壞了找誰",)]


def test_compare_names_steps_added_removed_and_changed(tmp_path: Path) -> None:
    corpus = ManagedCorpus(tmp_path / "corpus", packaged=tmp_path)
    (tmp_path / "store.md").write_text(SOP, encoding="utf-8")
    proposal = corpus.propose("store.md", SOP_V2.encode())
    assert proposal.replaces and proposal.steps == 3
    assert proposal.changes.added == ("門市規範 › 店員 › 4、盤點庫存",)
    assert proposal.changes.removed == ("門市規範 › 店員 › 3、冷氣保養",)
    assert proposal.changes.changed == ("門市規範 › 店員 › 2、處理投訴",)
    assert compare([], []).any is False


@pytest.mark.parametrize(
    ("name", "content"),
    [("../../etc/passwd", b"x"), ("sop.exe", b"x"), ("bad.md", b"\xff\xfe\x00"), ("e.md", b"")],
)
def test_propose_refuses_what_is_not_an_sop(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / "store.md").write_text(SOP, encoding="utf-8")
    with pytest.raises(UpdateError):
        ManagedCorpus(tmp_path / "corpus", packaged=tmp_path).propose(name, content)


# -- the question log ----------------------------------------------------------------------------


async def test_every_question_is_logged_with_step_confidence_and_latency(
    bot: Chat, people: Storage
) -> None:
    await bot.say("收銀機幾點要打開")
    await bot.say(MISSED)
    rows = people.connection.db.execute(
        "SELECT user_id, store, query, step_id, confidence, latency_ms FROM questions ORDER BY id"
    ).fetchall()
    assert [row[:3] for row in rows] == [
        (STAFF, STORE, "收銀機幾點要打開"),
        (STAFF, STORE, MISSED),
    ]
    assert rows[0][3] == step_named(bot, "1").id
    assert rows[1][3] is None and rows[1][4] == "none"
    assert all(row[5] >= 0 for row in rows)


async def test_prune_job_forgets_questions_past_the_retention(bot: Chat, people: Storage) -> None:
    people.connection.clock = lambda: "2026-01-01T08:00:00+00:00"
    await bot.say(MISSED)
    people.connection.clock = lambda: "2026-03-01T08:00:00+00:00"  # 59 days later; retention is 30
    await bot.say("收銀機幾點要打開")
    (job,) = bot.app.job_queue.get_jobs_by_name(PRUNE_JOB)
    await job.run(bot.app)
    assert [q for (q,) in people.connection.db.execute("SELECT query FROM questions")] == [
        "收銀機幾點要打開"
    ]


def test_storage_links_votes_to_logged_questions(people: Storage) -> None:
    people.questions.log_question(STAFF, STORE, "早會幾點", "abc", "high", "", 4.0)
    people.users.vote(STAFF, "早會幾點", "abc", -1)
    people.users.vote(TRAINER, "not asked here", "abc", 1)
    assert people.questions.question_votes(7) == (0, 1)
    assert ("早會幾點", DOWNVOTED, "abc") in people.questions.gap_questions(7)


# -- /gaps and /teach ------------------------------------------------------------------------------


@pytest.mark.process
async def test_teach_makes_a_missed_question_find_the_taught_step(bot: Chat) -> None:
    first = await bot.say(MISSED)
    assert only(first, "sendMessage")["text"] == html.escape(label("hant", "no_answer"))
    await bot.say("機器嗶嗶叫要怎麼處理")

    gaps = only(await bot.say("/gaps", user_id=TRAINER), "sendMessage")
    assert MISSED in gaps["text"] and "問了 2 次" in gaps["text"]
    assert buttons(gaps)[0][1] == callbacks.teach_gap(1)

    prompt = only(await bot.press(callbacks.teach_gap(1), user_id=TRAINER), "sendMessage")
    assert (f"✅ {MISSED}", callbacks.teach_wording(0)) in buttons(prompt)
    # Typed words search for the step instead of being asked as a question.
    found = only(await bot.say("收銀機", user_id=TRAINER), "sendMessage")
    target = step_named(bot, "1")
    assert (f"🎓 {target.label}", callbacks.teach_step(target.id)) in buttons(found)

    done = await bot.press(callbacks.teach_step(target.id), user_id=TRAINER)
    assert "學會了" in only(done, "editMessageText")["text"]
    assert MISSED in bot.app.bot_data.kb.step(target.id).alternates

    again = only(await bot.say(MISSED), "sendMessage")
    assert "開門準備" in again["text"]
    assert bot.app.bot_data.kb.ask(MISSED).best.step.id == target.id
    # Typed text is a question again once taught.
    assert not any("選擇正確的步驟" in c.params.get("text", "") for c in await bot.say("收銀機"))


async def test_teach_search_ends_after_one_search_so_questions_are_answered_again(
    bot: Chat,
) -> None:
    await bot.say(f"/teach {MISSED}", user_id=TRAINER)
    found = only(await bot.say("收銀機", user_id=TRAINER), "sendMessage")
    assert label("hant", "teach_search_over") in found["text"]
    assert callbacks.teach_search() in [data for _, data in buttons(found)]
    # The next text is a question: it gets an SOP answer, not 🎓 step choices.
    answer = only(await bot.say("收銀機零錢不夠", user_id=TRAINER), "sendMessage")
    assert "開門準備" in answer["text"]
    assert not any(data.startswith("tch:s:") for _, data in buttons(answer))
    # 🔎 searches once more; the 🎓 buttons of the first search still teach.
    calls = await bot.press(callbacks.teach_search(), user_id=TRAINER)
    assert MISSED in only(calls, "sendMessage")["text"]
    again = only(await bot.say("投訴", user_id=TRAINER), "sendMessage")
    assert callbacks.teach_step(step_named(bot, "2").id) in [data for _, data in buttons(again)]


@pytest.mark.process
async def test_teaching_can_be_undone_and_taught_wordings_listed_and_taken_back(
    bot: Chat,
) -> None:
    target = step_named(bot, "1")
    await bot.say(f"/teach {MISSED}", user_id=TRAINER)
    done = only(
        await bot.press(callbacks.teach_step(target.id), user_id=TRAINER), "editMessageText"
    )
    assert buttons(done) == [(label("hant", "teach_undo"), callbacks.teach_undo())]
    assert MISSED in bot.app.bot_data.kb.step(target.id).alternates
    undone = await bot.press(callbacks.teach_undo(), user_id=TRAINER)
    assert only(undone, "editMessageText")["text"] == label("hant", "teach_undone", count=1)
    assert MISSED not in bot.app.bot_data.kb.step(target.id).alternates
    assert bot.app.bot_data.storage.questions.taught() == {}
    # A second ↩️ has nothing left to undo.
    stale = await bot.press(callbacks.teach_undo(), user_id=TRAINER)
    assert only(stale, "answerCallbackQuery")["text"] == label("hant", "expired")

    # /teach alone lists what was taught, newest first, each with 🗑.
    bot.app.bot_data.storage.questions.teach(target.id, ["零錢不夠"], TRAINER)
    bot.app.bot_data.storage.questions.teach(step_named(bot, "2").id, ["客人很兇"], MANAGER)
    listing = only(await bot.say("/teach", user_id=TRAINER), "sendMessage")
    assert listing["text"].index("客人很兇") < listing["text"].index("零錢不夠")
    assert "開門準備" in listing["text"]
    (manager_row, trainer_row) = (
        w.id for w in bot.app.bot_data.storage.questions.taught_wordings(5)
    )
    assert [data for _, data in buttons(listing)] == [
        callbacks.teach_forget(manager_row),
        callbacks.teach_forget(trainer_row),
    ]
    # A trainer may not take back a manager's wording; a manager may take back anyone's.
    refused = await bot.press(callbacks.teach_forget(manager_row), user_id=TRAINER)
    assert only(refused, "answerCallbackQuery")["text"] == label("hant", "teach_forget_refused")
    calls = await bot.press(callbacks.teach_forget(trainer_row), user_id=MANAGER, chat_id=TRAINER)
    assert "已拿掉「零錢不夠」" in only(calls, "editMessageText")["text"]
    assert bot.app.bot_data.storage.questions.taught() == {step_named(bot, "2").id: ["客人很兇"]}
    assert "零錢不夠" not in bot.app.bot_data.kb.step(target.id).alternates
    # Staff cannot use the list's buttons, nor an empty list show any.
    calls = await bot.press(callbacks.teach_forget(manager_row), user_id=STAFF, chat_id=TRAINER)
    assert bot.app.bot_data.storage.questions.taught() != {}
    bot.app.bot_data.storage.questions.forget_taught([manager_row])
    empty = only(await bot.say("/teach", user_id=TRAINER), "sendMessage")
    assert label("hant", "teach_list_none") in empty["text"] and "reply_markup" not in empty


@pytest.mark.process
async def test_teaching_a_gap_group_can_leave_one_wording_out(bot: Chat) -> None:
    await bot.say(MISSED)
    await bot.say(MISSED)
    await bot.say("機器嗶嗶叫要怎麼處理")
    for junk in ("<b>機器</b>", "NEAR(機器 嗶嗶)", "機器嗶嗶叫" * 900):
        await bot.say(junk)
    gaps = only(await bot.say("/gaps", user_id=TRAINER), "sendMessage")
    assert "&lt;b&gt;" not in gaps["text"] and "NEAR" not in gaps["text"]
    assert len(buttons(gaps)) == 1  # one group: the junk is not listed
    prompt = only(await bot.press(callbacks.teach_gap(1), user_id=TRAINER), "sendMessage")
    assert label("hant", "teach_prompt_many", chosen=2, count=2) in prompt["text"]
    assert buttons(prompt)[:2] == [
        (f"✅ {MISSED}", callbacks.teach_wording(0)),
        ("✅ 機器嗶嗶叫要怎麼處理", callbacks.teach_wording(1)),
    ]
    calls = await bot.press(callbacks.teach_wording(1), user_id=TRAINER)
    edited = only(calls, "editMessageText")
    assert ("⬜ 機器嗶嗶叫要怎麼處理", callbacks.teach_wording(1)) in buttons(edited)
    assert "（1/2）" in edited["text"]
    # Leaving every wording out leaves nothing to teach.
    await bot.press(callbacks.teach_wording(0), user_id=TRAINER)
    target = step_named(bot, "1")
    calls = await bot.press(callbacks.teach_step(target.id), user_id=TRAINER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "teach_none_chosen")
    await bot.press(callbacks.teach_wording(0), user_id=TRAINER)
    await bot.press(callbacks.teach_step(target.id), user_id=TRAINER)
    assert bot.app.bot_data.storage.questions.taught() == {target.id: [MISSED]}
    # Out of range, or after teaching: expired.
    calls = await bot.press(callbacks.teach_wording(5), user_id=TRAINER)
    assert only(calls, "answerCallbackQuery")["text"] == label("hant", "expired")


@pytest.fixture
async def bot_with_worker(learning_settings: Settings, people: Storage) -> AsyncIterator[Chat]:
    """The bot with a search worker, loaded (``sopbot run`` starts it in post_init)."""
    settings = dataclasses.replace(learning_settings, search_worker=True)
    kb = open_knowledge(settings.index_path, settings.corpus_dir, {})
    async for harness in run_chat(settings, kb, people):
        worker = harness.app.bot_data.search_worker
        assert worker is not None
        start_search_worker(harness.app.bot_data)
        await until(lambda: worker.ready)  # noqa: B023 (the loop runs once)
        yield harness
        await worker.stop()


@pytest.mark.process
async def test_teaching_replaces_the_search_worker_with_one_on_the_new_index(
    bot_with_worker: Chat,
) -> None:
    bot, data = bot_with_worker, bot_with_worker.app.bot_data
    worker = data.search_worker
    assert worker is not None
    target = step_named(bot, "1")
    await bot.say(f"/teach {MISSED}", user_id=TRAINER)
    await bot.press(callbacks.teach_step(target.id), user_id=TRAINER)

    await until(lambda: worker.ready and worker.fingerprint == data.kb.fingerprint)
    answer = await worker.ask(data.kb, MISSED, 6, None, None)
    assert answer is not None and answer.best is not None
    assert answer.best.step.id == target.id
    assert "開門準備" in only(await bot.say(MISSED), "sendMessage")["text"]


@pytest.mark.process
async def test_teaching_builds_the_index_in_a_child_process(
    bot: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """The build's CPU stays off the bot's GIL: the bot process only loads the result."""
    caplog.set_level(logging.INFO)
    target = step_named(bot, "3")
    await bot.say(f"/teach {MISSED}", user_id=TRAINER)
    await bot.press(callbacks.teach_step(target.id), user_id=TRAINER)
    assert MISSED in bot.app.bot_data.kb.step(target.id).alternates
    assert "swapped in" in caplog.text
    assert "built the index" not in caplog.text  # logged by whoever builds it
    assert "child process" not in caplog.text  # no failure, no fallback


@pytest.mark.process
async def test_teach_by_browsing_the_sop(bot: Chat) -> None:
    only(await bot.say(f"/teach {MISSED}", user_id=MANAGER), "sendMessage")
    documents = only(await bot.press(callbacks.teach_browse(), user_id=MANAGER), "editMessageText")
    assert buttons(documents)[0][1] == callbacks.document(0, 0)
    target = step_named(bot, "3")
    card = only(await bot.press(callbacks.read(target.id), user_id=MANAGER), "editMessageText")
    assert callbacks.teach_step(target.id) in [data for _, data in buttons(card)]
    await bot.press(callbacks.teach_step(target.id), user_id=MANAGER)
    assert bot.app.bot_data.storage.questions.taught() == {target.id: [MISSED]}
    # Staff browsing the same step see no 🎓.
    await bot.say("/roles")
    card = only(await bot.press(callbacks.read(target.id)), "editMessageText")
    assert callbacks.teach_step(target.id) not in [data for _, data in buttons(card)]


async def test_teach_cancel_and_stale_buttons(bot: Chat) -> None:
    await bot.say(f"/teach {MISSED}", user_id=TRAINER)
    cancelled = await bot.press(callbacks.teach_cancel(), user_id=TRAINER)
    assert "已取消" in only(cancelled, "editMessageText")["text"]
    step = step_named(bot, "1")
    stale = await bot.press(callbacks.teach_step(step.id), user_id=TRAINER)
    assert "過期" in only(stale, "answerCallbackQuery")["text"]
    gap = await bot.press(callbacks.teach_gap(9), user_id=TRAINER)
    assert "過期" in only(gap, "answerCallbackQuery")["text"]
    assert bot.app.bot_data.storage.questions.taught() == {}


async def test_gaps_and_teach_are_refused_to_staff(bot: Chat) -> None:
    for command in ("/gaps", f"/teach {MISSED}"):
        reply = only(await bot.say(command), "sendMessage")
        assert "只有培訓員" in reply["text"]
    step = step_named(bot, "1")
    for data in (callbacks.teach_gap(1), callbacks.teach_step(step.id)):
        refused = only(await bot.press(data), "answerCallbackQuery")
        assert "只有培訓員" in refused["text"]
    assert bot.app.bot_data.storage.questions.taught() == {}


async def test_gaps_with_nothing_to_show(bot: Chat) -> None:
    reply = only(await bot.say("/gaps 3", user_id=MANAGER), "sendMessage")
    assert "最近 3 天沒有" in reply["text"]


async def test_small_talk_gets_a_friendly_line_and_is_no_gap(bot: Chat) -> None:
    thanks = only(await bot.say("謝謝啦 🙏"), "sendMessage")
    assert thanks["text"] == label("hant", "talk_thanks") and "reply_markup" not in thanks
    hello = only(await bot.say("hi", language_code="en"), "sendMessage")
    assert hello["text"] == html.escape(label("en", "talk_greeting"))
    reply = only(await bot.say("/gaps 3", user_id=MANAGER), "sendMessage")
    assert "最近 3 天沒有" in reply["text"]


# -- /stats ----------------------------------------------------------------------------------------


async def test_stats_sends_a_chart_with_stores_topics_and_rates(bot: Chat) -> None:
    await bot.say("收銀機幾點要打開")
    await bot.say(MISSED)
    reply = await bot.say("/stats 7", user_id=MANAGER)
    photo = only(reply, "sendPhoto")
    caption = photo["caption"]
    assert "提問 2 次" in caption and STORE in caption
    assert "簡報已讀" in caption and "測驗答對" in caption  # those tables exist


def test_stats_chart_is_a_png(people: Storage, bot: Chat) -> None:
    import matplotlib.text

    from bot.stats import service as stats

    usage = stats.usage(people, bot.app.bot_data.kb, 7, bot.app.bot_data.settings.timezone)
    assert stats.chart(usage).startswith(b"\x89PNG")
    # No English inside a Chinese interface: the chart has dates and counts, no words (its
    # font has no Chinese; the message it comes with says what it shows).
    figure = stats.chart_figure(usage)
    words = [text.get_text() for text in figure.findobj(matplotlib.text.Text)]
    assert any(words) and not any(char.isalpha() for word in words for char in word)


async def test_stats_are_refused_below_manager(bot: Chat) -> None:
    for user_id in (STAFF, TRAINER):
        reply = await bot.say("/stats", user_id=user_id)
        assert "只有店長" in only(reply, "sendMessage")["text"]
        assert not sent(reply, "sendPhoto")


# -- SOP updates ---------------------------------------------------------------------------


@pytest.mark.process
async def test_sop_file_import_then_rollback_round_trip(bot: Chat) -> None:
    taught = step_named(bot, "1")
    bot.app.bot_data.storage.questions.teach(taught.id, [MISSED], ADMIN)

    summary = only(await upload(bot, "store.md", SOP_V2), "sendMessage")
    assert "新增 1 個步驟" in summary["text"] and "4、盤點庫存" in summary["text"]
    assert "刪除 1 個步驟" in summary["text"] and "3、冷氣保養" in summary["text"]
    assert "修改 1 個步驟" in summary["text"]
    apply = buttons(summary)[0][1]
    assert callbacks.SOP_UPDATE.match(apply)
    assert len(bot.app.bot_data.kb.steps) == 3 and step_named(bot, "3")  # nothing yet

    done = only(await bot.press(apply, user_id=ADMIN), "editMessageText")
    assert "SOP 已更新" in done["text"]
    numbers = [s.number for s in bot.app.bot_data.kb.steps]
    assert numbers == ["1", "2", "4"]
    assert "盤點庫存" in only(await bot.say("什麼時候盤點庫存"), "sendMessage")["text"]
    # What was taught to a step that still exists carries over.
    assert MISSED in bot.app.bot_data.kb.step(taught.id).alternates
    again = await bot.press(apply, user_id=ADMIN)
    assert "過期" in only(again, "answerCallbackQuery")["text"]

    back = only(await bot.say("/rollback", user_id=ADMIN), "sendMessage")
    assert "上一版" in back["text"]
    assert [s.number for s in bot.app.bot_data.kb.steps] == ["1", "2", "3"]
    assert "客戶投訴時先道歉" in step_named(bot, "2").text
    forward = only(await bot.say("/rollback", user_id=ADMIN), "sendMessage")
    assert forward["text"] == label("hant", "sop_rolled_forward", steps=3)
    assert [s.number for s in bot.app.bot_data.kb.steps] == ["1", "2", "4"]


async def test_sop_file_discarded_changes_nothing(bot: Chat) -> None:
    summary = only(await upload(bot, "store.md", SOP_V2), "sendMessage")
    discard = buttons(summary)[1][1]
    assert "已放棄" in only(await bot.press(discard, user_id=ADMIN), "editMessageText")["text"]
    assert [s.number for s in bot.app.bot_data.kb.steps] == ["1", "2", "3"]


async def test_sop_updates_are_refused_below_admin(bot: Chat) -> None:
    # A manager's file is not an import: they are told to type a question, or ask an admin.
    reply = await upload(bot, "store.md", SOP_V2, user_id=MANAGER)
    assert only(reply, "sendMessage")["text"] == label("hant", "file_not_read")
    assert not sent(reply, "getFile")
    assert "只有管理員" in only(await bot.say("/rollback", user_id=MANAGER), "sendMessage")["text"]
    await bot.say("/help")
    forged = await bot.press(callbacks.sop_update(True, "0badc0de"), user_id=STAFF)
    assert "只有管理員" in only(forged, "answerCallbackQuery")["text"]
    assert [s.number for s in bot.app.bot_data.kb.steps] == ["1", "2", "3"]


async def test_sop_file_that_is_not_an_sop_is_refused(bot: Chat) -> None:
    reply = only(await upload(bot, "photo.jpg", "not text"), "sendMessage")
    assert "無法匯入" in reply["text"]
    nothing = only(await bot.say("/rollback", user_id=ADMIN), "sendMessage")
    assert "沒有上一版" in nothing["text"]


async def test_sop_file_with_a_300_character_name_is_proposed_under_a_shorter_one(
    bot: Chat,
) -> None:
    name = "門市服務規範" * 50 + ".md"  # Telegram allows it; no file system does (900 bytes)
    summary = only(await upload(bot, name, SOP_V2), "sendMessage")
    assert "無法匯入" not in summary["text"] and "新增 1 個步驟" in summary["text"]
    apply = buttons(summary)[0][1]
    assert "SOP 已更新" in only(await bot.press(apply, user_id=ADMIN), "editMessageText")["text"]
    served = ManagedCorpus(bot.app.bot_data.settings.corpus_dir).directory
    (kept,) = [path for path in served.iterdir() if path.name.startswith("門市服務規範")]
    assert len(kept.name.encode()) <= 200 and kept.suffix == ".md"


@pytest.mark.process
@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_cli_import_of_a_device_or_pipe_says_so_at_once(
    learning_settings: Settings, tmp_path: Path, source: str
) -> None:
    if source == "fifo":
        source = str(tmp_path / "pipe.md")
        os.mkfifo(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPBOT_")}
    env |= {"SOPBOT_DB": str(learning_settings.db_path)}
    options = ["--corpus", str(learning_settings.corpus_dir), "--yes"]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "import", source, *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,  # it used to read /dev/zero until memory ran out: capped, in case
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)),
    )
    assert done.returncode == 1
    assert f"{source} is not a file" in done.stderr


@pytest.mark.process
def test_cli_import_and_rollback(learning_settings: Settings, tmp_path: Path) -> None:
    new = tmp_path / "store.md"
    new.write_text(SOP_V2, encoding="utf-8")
    options = [
        "--corpus",
        str(learning_settings.corpus_dir),
        "--index",
        str(learning_settings.index_path),
    ]
    runner = CliRunner(env={"SOPBOT_DB": str(learning_settings.db_path)})
    refused = runner.invoke(cli, ["import", str(new), *options], input="n\n")
    assert refused.exit_code == 0 and "+ 門市規範 › 店員 › 4、盤點庫存" in refused.output
    assert "Not imported: the served SOP is unchanged" in refused.output
    assert "Aborted" not in refused.output
    done = runner.invoke(cli, ["import", str(new), "--yes", *options])
    assert done.exit_code == 0, done.output
    assert "3 steps" in done.output
    corpus = ManagedCorpus(learning_settings.corpus_dir)
    assert "盤點庫存" in (corpus.directory / "store.md").read_text(encoding="utf-8")
    back = runner.invoke(cli, ["rollback", *options])
    assert back.exit_code == 0, back.output
    assert back.output.startswith("rolled back: 3 steps")
    assert "冷氣保養" in (corpus.directory / "store.md").read_text(encoding="utf-8")
    # A second rollback comes forward again, and says so.
    forward = runner.invoke(cli, ["rollback", *options])
    assert forward.exit_code == 0, forward.output
    assert forward.output.startswith("rolled forward to the newer version: 3 steps")
    assert "盤點庫存" in (corpus.directory / "store.md").read_text(encoding="utf-8")


# -- issue 17: each store sees its own staff's questions and usage --------------------------------

ELSEWHERE, ELSEWHERE_TRAINER, ELSEWHERE_MANAGER = 556001, 556002, 556003
OTHER_STORE = "高雄店"
THEIR_QUESTION = "高雄店的咖啡機漏水怎麼辦"


@pytest.fixture
def two_stores(people: Storage) -> Storage:
    people.people.add_person(ELSEWHERE, "高雄店員", "staff", [OTHER_STORE])
    people.people.add_person(ELSEWHERE_TRAINER, "高雄培訓", "trainer", [OTHER_STORE])
    people.people.add_person(ELSEWHERE_MANAGER, "高雄店長", "manager", [OTHER_STORE])
    return people


async def test_gaps_show_a_trainer_only_their_own_stores_questions(
    bot: Chat, two_stores: Storage
) -> None:
    await bot.say(MISSED)  # our store's staff
    await bot.say(THEIR_QUESTION, user_id=ELSEWHERE)
    two_stores.questions.log_question(
        ELSEWHERE, OTHER_STORE, "另一店被倒讚的問題", "abc", "high", "", 3.0
    )
    two_stores.users.vote(ELSEWHERE, "另一店被倒讚的問題", "abc", -1)

    ours = only(await bot.say("/gaps", user_id=TRAINER), "sendMessage")["text"]
    assert MISSED in ours
    assert THEIR_QUESTION not in ours and "另一店被倒讚的問題" not in ours
    theirs = only(await bot.say("/gaps", user_id=ELSEWHERE_TRAINER), "sendMessage")["text"]
    assert THEIR_QUESTION in theirs and "另一店被倒讚的問題" in theirs and MISSED not in theirs
    everything = only(await bot.say("/gaps", user_id=ADMIN), "sendMessage")["text"]
    assert MISSED in everything and THEIR_QUESTION in everything


async def test_stats_show_a_manager_only_their_own_stores_usage(
    bot: Chat, two_stores: Storage
) -> None:
    await bot.say("收銀機幾點要打開")
    for _ in range(3):
        await bot.say(THEIR_QUESTION, user_id=ELSEWHERE)

    ours = only(await bot.say("/stats 7", user_id=MANAGER), "sendPhoto")["caption"]
    assert "提問 1 次" in ours and STORE in ours and OTHER_STORE not in ours
    theirs = only(await bot.say("/stats 7", user_id=ELSEWHERE_MANAGER), "sendPhoto")["caption"]
    assert "提問 3 次" in theirs and OTHER_STORE in theirs and STORE not in theirs
    everything = only(await bot.say("/stats 7", user_id=ADMIN), "sendPhoto")["caption"]
    assert "提問 4 次" in everything and STORE in everything and OTHER_STORE in everything


def test_usage_counts_only_the_stores_asked_for(two_stores: Storage, bot: Chat) -> None:
    from bot.stats import service as stats

    two_stores.questions.log_question(STAFF, STORE, "早會幾點", "abc", "high", "", 4.0)
    two_stores.questions.log_question(ELSEWHERE, OTHER_STORE, "晚班幾點", "abc", "high", "", 4.0)
    two_stores.users.vote(ELSEWHERE, "晚班幾點", "abc", 1)
    data = bot.app.bot_data
    ours = stats.usage(two_stores, data.kb, 7, data.settings.timezone, stores=(STORE,))
    assert (ours.total, ours.votes, ours.by_store) == (1, (0, 0), ((STORE, 1),))
    everyone = stats.usage(two_stores, data.kb, 7, data.settings.timezone)
    assert (everyone.total, everyone.votes) == (2, (1, 0))
