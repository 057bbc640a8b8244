"""Issue 14, the bot's side: the document library, scoping, pictures, SOP files sent in.

The library tests run the real application on a small managed corpus of two documents (a
store SOP with a picture, and a warehouse SOP), with people of two stores; the sample-SOP
test runs on the suite's packaged SOP.
"""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import callbacks
from bot.cli import cli
from bot.config import Settings
from bot.documents.library import Library, Rule, short_key
from bot.i18n import label, label_html
from bot.quizzes import service as quizzes
from bot.storage import Storage
from knowledge import KnowledgeBase
from knowledge.index import dictionary_path
from knowledge.updates import ManagedCorpus, open_knowledge
from tests.bot.botcalls import buttons, only, sent
from tests.bot.conftest import GROUP_ID, TOKEN, USER_ID, Chat, new_database, run_chat
from tests.bot.learning.test_bot_learning import upload
from tests.fakebotapi import Call as ApiCall
from tests.fakebotapi import FakeBotAPI

TAIPEI, TAICHUNG = "台北站前店", "台中店"
STAFF, FAR_STAFF, TRAINER, ADMIN, FAR_TRAINER = USER_ID, 555101, 555102, 555103, 555104
STORE_SOP = """\
# 門市規範
## 店員
#### 1、開門準備
每天早上九點前打開收銀機，檢查零錢是否足夠。
![收銀機](till.png)
> 溫馨提示：零錢不足時先找值班經理換零。
#### 2、處理投訴
客戶投訴時先道歉，記下問題，再請值班經理處理。
#### 3、冷氣保養
每月清洗冷氣濾網一次，由店長安排。
#### 4、關店結帳
每天關店前清點現金兩次，抽屜裡的現金不可超過五千元。
#### 5、垃圾分類
廚餘每晚十點前拿到後門的綠色桶，紙箱壓平後綁好。
"""
WAREHOUSE_SOP = """\
# 倉庫規範
## 倉管員
#### 1、冷凍庫巡檢
每兩小時檢查冷凍庫溫度，溫度高於零下十八度時立刻通知倉庫主管。
#### 2、棧板堆放
棧板堆放不可超過三層，走道保持一點五公尺淨空。
#### 3、叉車鑰匙
叉車鑰匙下班後交回倉庫辦公室的鑰匙箱。
"""
WAREHOUSE_QUESTION = "冷凍庫溫度太高怎麼辦"


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def write_word_sop(path: Path, picture: Path) -> Path:
    """A Word SOP with heading styles and a screenshot embedded in its one step."""
    import docx

    picture.write_bytes(png(16, 12))
    document = docx.Document()
    document.add_heading("收銀機操作", level=1)
    document.add_heading("收銀員", level=2)
    document.add_heading("1、退貨畫面", level=4)
    document.add_paragraph("客人退貨時在收銀機按退貨鍵，掃描發票上的條碼後輸入退貨原因。")
    document.add_paragraph().add_run().add_picture(str(picture))
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(packaged corpus of two documents, index built from it): built once, copied by each test."""
    base = tmp_path_factory.mktemp("library")
    packaged = base / "packaged"
    packaged.mkdir()
    (packaged / "store.md").write_text(STORE_SOP, encoding="utf-8")
    (packaged / "warehouse.md").write_text(WAREHOUSE_SOP, encoding="utf-8")
    (packaged / "till.png").write_bytes(png())
    write_word_sop(packaged / "training.docx", base / "screen.png")
    root = base / "seed-corpus"
    ManagedCorpus(root, packaged=packaged).seed()
    shutil.copy(packaged / "till.png", ManagedCorpus(root).directory / "till.png")
    index = base / "index.db"
    open_knowledge(index, root, {})
    return root, index


@pytest.fixture
def library_settings(tmp_path: Path, two_documents: tuple[Path, Path]) -> Settings:
    root, built = two_documents
    corpus = tmp_path / "corpus"
    shutil.copytree(root, corpus, symlinks=True)
    index = tmp_path / "index.db"
    shutil.copy(built, index)
    shutil.copy(dictionary_path(built), dictionary_path(index))
    return Settings(
        token=TOKEN,
        api_url="http://offline.invalid/bot",
        db_path=tmp_path / "sopbot.db",
        index_path=index,
        corpus_dir=corpus,
    )


@pytest.fixture
def people(library_settings: Settings, empty_database: Path) -> Storage:
    storage = Storage.open(new_database(empty_database, library_settings.db_path))
    storage.people.add_person(STAFF, "小明", "staff", [TAIPEI])
    storage.people.add_person(FAR_STAFF, "阿珠", "staff", [TAICHUNG])
    storage.people.add_person(TRAINER, "阿芳", "trainer", [TAIPEI])
    storage.people.add_person(FAR_TRAINER, "阿德", "trainer", [TAICHUNG])
    storage.people.add_person(ADMIN, "管理員", "admin")
    yield storage
    storage.close()


@pytest.fixture
async def bot(library_settings: Settings, people: Storage) -> AsyncIterator[Chat]:
    kb = open_knowledge(library_settings.index_path, library_settings.corpus_dir, {})
    async for harness in run_chat(library_settings, kb, people):
        yield harness


def warehouse(bot: Chat) -> int:
    return next(s.doc_no for s in bot.app.bot_data.kb.steps if s.doc == "倉庫規範")


def in_warehouse(bot: Chat, step_id: str) -> bool:
    step = bot.app.bot_data.kb.step(step_id)
    return step is not None and step.doc == "倉庫規範"


async def open_library(bot: Chat, user_id: int = ADMIN, language: str = "zh-hant") -> dict:
    return only(await bot.say("/docs", user_id=user_id, language_code=language), "sendMessage")


async def press_caption(bot: Chat, shown: dict, starts: str, user_id: int = ADMIN) -> list[ApiCall]:
    """Press the button of ``shown`` whose caption starts with ``starts``."""
    (data,) = [data for caption, data in buttons(shown) if caption.startswith(starts)][:1]
    return await bot.press(data, user_id=user_id)


async def limit_warehouse_to_taichung(bot: Chat) -> None:
    """As an admin would: /docs › 倉庫規範 › 🏪 › 台中店."""
    listing = await open_library(bot)
    card = only(await press_caption(bot, listing, "✅ 倉庫規範"), "editMessageText")
    picker = only(await press_caption(bot, card, "🏪"), "editMessageText")
    done = only(await press_caption(bot, picker, f"⬜ {TAICHUNG}"), "editMessageText")
    assert f"只限 {TAICHUNG}" in done["text"]


# -- the library's rules, without Telegram ------------------------------------------------------


def test_a_rule_serves_by_service_store_and_level() -> None:
    library = Library(
        {
            1: Rule(1, in_service=False),
            2: Rule(2, stores=(TAICHUNG,)),
            3: Rule(3, level="manager"),
        }
    )
    assert library.hidden_for([TAIPEI], "staff") == {1, 2, 3}
    assert library.hidden_for([TAICHUNG], "staff") == {1, 3}
    assert library.hidden_for([TAIPEI, TAICHUNG], "manager") == {1}
    assert library.hidden_for([], None) == {1, 2, 3}  # no one registered: nothing limited
    assert library.hidden_for([], "staff", everything=True) == {1}  # admins: all in service
    assert library.rule(99) == Rule(99)


def test_versions_count_changes_of_what_a_document_says(people: Storage) -> None:
    people.documents.record_versions({7: ("門市規範", "aaa"), 8: ("倉庫規範", "bbb")})
    people.documents.record_versions({7: ("門市規範", "aaa"), 8: ("倉庫規範", "ccc")})
    people.documents.record_versions({7: ("門市規範", "aaa"), 8: ("倉庫規範", "ccc")})
    versions = people.documents.versions()
    assert (versions[7].number, versions[8].number) == (1, 2)


# -- the library in the bot ---------------------------------------------------------------------


async def test_docs_lists_documents_by_file_with_steps_and_versions(bot: Chat) -> None:
    listing = await open_library(bot)
    text = listing["text"]
    assert "SOP 文件庫：3 份文件，3 份使用中" in text
    assert "目前的 SOP 版本：0001" in text
    assert "store.md" in text and "warehouse.md" in text
    assert "✅ 門市規範 · 5 個步驟 · v1 · 1 張圖片" in text
    card = only(await press_caption(bot, listing, "✅ 門市規範"), "editMessageText")
    assert "使用中" in card["text"] and "角色：店員" in card["text"] and "版本 v1" in card["text"]
    english = await open_library(bot, language="en")
    assert "SOP library: 3 documents, 3 in service" in english["text"]


async def test_a_document_out_of_service_is_served_to_no_one_until_put_back(bot: Chat) -> None:
    before = only(await bot.say(WAREHOUSE_QUESTION), "sendMessage")
    assert "冷凍庫巡檢" in before["text"]
    listing = await open_library(bot)
    card = only(await press_caption(bot, listing, "✅ 倉庫規範"), "editMessageText")
    pressed = await press_caption(bot, card, "⏸")
    assert "已停用" in only(pressed, "answerCallbackQuery")["text"]
    assert "已停用" in only(pressed, "editMessageText")["text"]
    for user_id in (STAFF, FAR_STAFF, ADMIN):
        reply = only(await bot.say(WAREHOUSE_QUESTION, user_id=user_id), "sendMessage")
        assert "冷凍庫" not in reply["text"], user_id
    audit = people_audit(bot)
    assert ("doc_withdraw", f"{warehouse(bot)} 倉庫規範") in audit
    assert "🕓" in only(pressed, "editMessageText")["text"]
    assert "管理員: 停用" in only(pressed, "editMessageText")["text"]

    card = only(
        await bot.press(callbacks.library_document(warehouse(bot)), user_id=ADMIN),
        "editMessageText",
    )
    await press_caption(bot, card, "▶️")
    assert "冷凍庫巡檢" in only(await bot.say(WAREHOUSE_QUESTION), "sendMessage")["text"]


def people_audit(bot: Chat) -> list[tuple[str, str]]:
    rows = bot.app.bot_data.storage.connection.rows("SELECT action, target FROM audit ORDER BY id")
    return [(row["action"], row["target"]) for row in rows]


async def test_a_document_limited_to_a_store_is_never_answered_to_another(bot: Chat) -> None:
    await limit_warehouse_to_taichung(bot)
    near = only(await bot.say(WAREHOUSE_QUESTION, user_id=STAFF), "sendMessage")
    assert "冷凍庫" not in near["text"]
    far = only(await bot.say(WAREHOUSE_QUESTION, user_id=FAR_STAFF), "sendMessage")
    assert "冷凍庫巡檢" in far["text"]
    assert f"🔒 倉庫規範 · 3 個步驟 · v1 · 只限 {TAICHUNG}" in (await open_library(bot))["text"]
    # The full-step and suggestion buttons of a step not served are refused, even forged.
    step = next(s for s in bot.app.bot_data.kb.steps if s.doc == "倉庫規範")
    await bot.say("/help", user_id=STAFF)
    for data in (callbacks.full(step.id), callbacks.see(step.id), callbacks.read(step.id)):
        forged = await bot.press(data, user_id=STAFF)
        assert "過期" in only(forged, "answerCallbackQuery")["text"], data
        assert not sent(forged, "editMessageText")


async def test_a_document_limited_to_a_store_is_not_in_roles_of_another(bot: Chat) -> None:
    await limit_warehouse_to_taichung(bot)
    near = only(await bot.say("/roles", user_id=STAFF), "sendMessage")
    far = only(await bot.say("/roles", user_id=FAR_STAFF), "sendMessage")
    assert [caption for caption, _ in buttons(near)] == ["門市規範", "收銀機操作"]
    assert "倉庫規範" in [caption for caption, _ in buttons(far)]
    roles = only(await bot.say("/role", user_id=STAFF), "sendMessage")
    assert "倉管員" not in str(buttons(roles))


async def test_a_document_limited_to_a_store_is_not_in_inline_results_of_another(
    bot: Chat,
) -> None:
    await limit_warehouse_to_taichung(bot)
    near = only(await bot.send(bot.inline("冷凍庫溫度", user_id=STAFF)), "answerInlineQuery")
    far = only(await bot.send(bot.inline("冷凍庫溫度", user_id=FAR_STAFF)), "answerInlineQuery")
    assert not any(in_warehouse(bot, result["id"]) for result in near["results"])
    assert any(in_warehouse(bot, result["id"]) for result in far["results"])


async def test_a_document_limited_to_a_store_is_not_in_quizzes_of_another(bot: Chat) -> None:
    await limit_warehouse_to_taichung(bot)
    storage = bot.app.bot_data.storage
    await bot.say("/quiz 20", user_id=TRAINER)
    near = quizzes.list_from_json(storage.quizzes.running_quiz(TRAINER).questions)
    await bot.say("/quiz 20", user_id=FAR_TRAINER)
    far = quizzes.list_from_json(storage.quizzes.running_quiz(FAR_TRAINER).questions)
    assert near and not any(in_warehouse(bot, q.step_id) for q in near)
    assert any(in_warehouse(bot, q.step_id) for q in far)
    # Practice draws from the person's documents only, round after round.
    for _ in range(5):
        calls = await bot.say("/practice", user_id=STAFF)
        poll = only(calls, "sendPoll")
        assert "冷凍庫" not in poll["question"] + str(poll.get("explanation", ""))
        message = bot.api.sent_messages(STAFF)[-1]
        record = storage.quizzes.poll(message["poll"]["id"])
        assert record is not None and "倉庫規範" not in record.breadcrumb


async def test_a_limited_document_is_never_shown_in_a_group(bot: Chat) -> None:
    """Everyone in a group reads the reply, and the bot cannot know their stores: not
    even in a group linked to the document's own store (only linked groups show SOP text
    at all, see test_bot_groups)."""
    bot.app.bot_data.storage.groups.link_group(GROUP_ID, TAICHUNG, linked_by=ADMIN)
    await limit_warehouse_to_taichung(bot)
    asked = f"@sop_test_bot {WAREHOUSE_QUESTION}"
    in_group = only(await bot.say(asked, user_id=FAR_STAFF, chat_id=GROUP_ID), "sendMessage")
    assert "冷凍庫" not in in_group["text"]
    inline = bot.inline("冷凍庫溫度", user_id=FAR_STAFF)
    inline["inline_query"]["chat_type"] = "supergroup"
    results = only(await bot.send(inline), "answerInlineQuery")["results"]
    assert not any(in_warehouse(bot, result["id"]) for result in results)
    await bot.say("/quiz 20", user_id=FAR_TRAINER, chat_id=GROUP_ID)
    quiz = bot.app.bot_data.storage.quizzes.running_quiz(GROUP_ID)
    assert quiz is not None
    assert not any(in_warehouse(bot, q.step_id) for q in quizzes.list_from_json(quiz.questions))
    # Store SOP steps, served to everyone, are answered in the group as before.
    store = "@sop_test_bot 客戶投訴時怎麼辦"
    assert (
        "處理投訴"
        in only(await bot.say(store, user_id=STAFF, chat_id=GROUP_ID), "sendMessage")["text"]
    )


async def test_a_document_from_a_level_up_is_not_served_below_it(bot: Chat) -> None:
    listing = await open_library(bot)
    card = only(await press_caption(bot, listing, "✅ 倉庫規範"), "editMessageText")
    card = only(await press_caption(bot, card, "🎚"), "editMessageText")  # staff → trainer
    assert "培訓員以上" in card["text"]
    assert (
        "冷凍庫"
        not in only(await bot.say(WAREHOUSE_QUESTION, user_id=STAFF), "sendMessage")["text"]
    )
    trainer = only(await bot.say(WAREHOUSE_QUESTION, user_id=FAR_TRAINER), "sendMessage")
    assert "冷凍庫巡檢" in trainer["text"]


async def test_library_buttons_refuse_forged_data_and_other_people(bot: Chat) -> None:
    doc = warehouse(bot)
    staff = only(await bot.say("/docs", user_id=STAFF), "sendMessage")
    assert staff["text"] == label("hant", "refused_docs")
    for data in (
        callbacks.library(0),
        callbacks.library_document(doc),
        callbacks.library_serve(doc, False),
        callbacks.library_file(short_key("warehouse.md"), False),
        callbacks.library_stores(doc),
        callbacks.library_store(doc, None),
        callbacks.library_level(doc, "admin"),
    ):
        refused = await bot.press(data, user_id=STAFF)
        assert only(refused, "answerCallbackQuery")["text"] == label("hant", "refused_docs")
    await open_library(bot)
    for data in (
        callbacks.library_document(999_999_999),  # no such document
        callbacks.library_serve(123, False),
        callbacks.library_file("deadbeef", False),  # no such file
        callbacks.library_store(doc, "deadbeef"),  # no such store
        "lib:s:1:2",  # no such choice: never reaches a handler
        f"lib:l:{doc}:owner",
        "lib:d:" + "9" * 40,
    ):
        forged = await bot.press(data, user_id=ADMIN)
        assert "過期" in only(forged, "answerCallbackQuery")["text"], data
        assert not sent(forged, "editMessageText")
    rules = bot.app.bot_data.storage.documents.library().rules.values()
    assert all(rule == Rule(rule.doc_no) for rule in rules)  # nothing changed
    assert "冷凍庫巡檢" in only(await bot.say(WAREHOUSE_QUESTION), "sendMessage")["text"]


async def test_changes_made_with_the_cli_reach_the_running_bot(
    bot: Chat, library_settings: Settings
) -> None:
    options = [
        "--corpus",
        str(library_settings.corpus_dir),
        "--index",
        str(library_settings.index_path),
    ]
    runner = CliRunner()
    result = runner.invoke(
        cli, ["docs", *options, "--db", str(library_settings.db_path), "off", "倉庫規範"]
    )
    assert result.exit_code == 0, result.output
    await bot.app.job_queue.get_jobs_by_name("library-watch")[0].run(bot.app)
    assert "冷凍庫" not in only(await bot.say(WAREHOUSE_QUESTION), "sendMessage")["text"]


# -- the packaged sample SOP ---------------------------------------------------------------------


async def test_the_packaged_sample_sop_can_be_taken_out_of_service(
    settings: Settings, kb: KnowledgeBase, storage: Storage
) -> None:
    storage.people.add_person(ADMIN, "管理員", "admin")
    async for chat in run_chat(settings, kb, storage):
        listing = only(await chat.say("/docs", user_id=ADMIN), "sendMessage")
        assert "營業主管崗位職責.txt" in listing["text"] and "（範例 SOP）" in listing["text"]
        assert "14 份文件，14 份使用中" in listing["text"]
        answered = only(await chat.say("客人沒帶身分證怎麼辦"), "sendMessage")
        assert "主動迎客" in answered["text"]
        off = await press_caption(chat, listing, "⏸ 停用 營業主管崗位職責.txt", user_id=ADMIN)
        assert "14 份文件，0 份使用中" in only(off, "editMessageText")["text"]
        reply = only(await chat.say("客人沒帶身分證怎麼辦"), "sendMessage")
        assert "主動迎客" not in reply["text"]
        assert only(await chat.say("/roles"), "sendMessage")["text"] == label("hant", "roles_none")
        back = only(await chat.say("/docs", user_id=ADMIN), "sendMessage")
        await press_caption(chat, back, "▶️ 恢復 營業主管崗位職責.txt", user_id=ADMIN)
        assert "主動迎客" in only(await chat.say("客人沒帶身分證怎麼辦"), "sendMessage")["text"]


# -- pictures ----------------------------------------------------------------------------------


async def test_the_full_step_sends_its_picture(bot: Chat) -> None:
    await bot.say("開門前要檢查收銀機的零錢嗎")
    calls = await bot.press(callbacks.full(bot.app.bot_data.kb.steps[0].id))
    full = only(calls, "editMessageText")
    assert "開門準備" in full["text"]
    photo = only(calls, "sendPhoto")
    assert "1、開門準備" in photo["caption"]
    # Opened while browsing, on a text message (the picture's own message has no buttons).
    read = await bot.press(
        callbacks.read(bot.app.bot_data.kb.steps[0].id), message_id=full["message_id"]
    )
    assert only(read, "sendPhoto")


async def test_a_word_files_embedded_picture_is_sent_with_its_step(bot: Chat) -> None:
    step = next(s for s in bot.app.bot_data.kb.steps if s.doc == "收銀機操作")
    assert step.pictures == ("training.docx#word/media/image1.png",)
    await bot.say("退貨要按哪個鍵")
    calls = await bot.press(callbacks.full(step.id))
    photo = only(calls, "sendPhoto")
    assert "1、退貨畫面" in photo["caption"]


async def test_a_picture_gone_from_the_corpus_is_named_not_a_traceback(
    bot: Chat, library_settings: Settings
) -> None:
    (ManagedCorpus(library_settings.corpus_dir).directory / "till.png").unlink()
    await bot.say("/help")
    calls = await bot.press(callbacks.full(bot.app.bot_data.kb.steps[0].id))
    assert not sent(calls, "sendPhoto")
    assert "till.png" in only(calls, "sendMessage")["text"]


def test_the_cli_lists_pictures(library_settings: Settings) -> None:
    options = ["--index", str(library_settings.index_path)]
    env = {
        "SOPBOT_CORPUS_DIR": str(library_settings.corpus_dir),
        "SOPBOT_DB": str(library_settings.db_path),
    }
    runner = CliRunner(env=env)
    listed = runner.invoke(cli, ["kb", *options])
    assert "門市規範 › 店員 › 1、開門準備\n  🖼 till.png" in listed.output
    asked = runner.invoke(cli, ["ask", "--json", *options, "開門前要檢查收銀機的零錢嗎"])
    import json

    hit = json.loads(asked.output)["hits"][0]
    assert hit["step"] == "1、開門準備" and hit["pictures"] == ["till.png"]
    plain = runner.invoke(cli, ["ask", *options, "開門前要檢查收銀機的零錢嗎"])
    assert "🖼 till.png" in plain.output


# -- SOP files sent to the bot ------------------------------------------------------------------

GAPPY = """\
# 收銀規範
## 收銀員
#### 4、開機
上班前打開收銀機。
![收銀機](till.png)
#### 6、關機
下班後關掉收銀機。
"""


async def test_a_staff_members_file_is_answered_not_refused(bot: Chat) -> None:
    receipt = await upload(bot, "receipt.pdf", "%PDF-1.4 not an SOP", user_id=STAFF)
    assert only(receipt, "sendMessage")["text"] == label_html("hant", "file_not_read")
    assert not sent(receipt, "getFile")
    document = {"file_id": "r1", "file_unique_id": "r1", "file_name": "receipt.pdf"}
    asked = await bot.send(bot.message(None, document=document, caption=WAREHOUSE_QUESTION))
    assert "冷凍庫巡檢" in only(asked, "sendMessage")["text"]
    assert not sent(asked, "getFile")
    english = await bot.send(bot.message(None, document=document, language_code="en"))
    assert only(english, "sendMessage")["text"] == label_html("en", "file_not_read")


async def test_import_refusals_are_in_the_admins_language(bot: Chat) -> None:
    for language, expected in (
        ("zh-hant", "無法匯入：receipt.jpg 不是 SOP 檔案（.jpg）"),
        ("zh-hans", "无法导入：receipt.jpg 不是 SOP 文件（.jpg）"),
        ("en", "Cannot import: receipt.jpg: .jpg files cannot be imported"),
    ):
        file_id = f"j{language}"
        bot.api.store_file(b"\xff\xd8\xff", "receipt.jpg", file_id=file_id)
        document = {"file_id": file_id, "file_unique_id": file_id, "file_name": "receipt.jpg"}
        reply = await bot.send(
            bot.message(None, user_id=ADMIN, language_code=language, document=document)
        )
        assert expected in only(reply, "sendMessage")["text"], language
    empty = await upload(bot, "empty.md", "\ufeff# 標題而已", user_id=ADMIN)
    assert "empty.md 裡找不到任何步驟" in only(empty, "sendMessage")["text"]
    big = {"file_id": "b1", "file_unique_id": "b1", "file_name": "big.pdf", "file_size": 60_000_000}
    refused = await bot.send(bot.message(None, user_id=ADMIN, language_code="en", document=big))
    assert (
        "big.pdf is 60 MB; an SOP file may be at most 20 MB" in only(refused, "sendMessage")["text"]
    )
    assert not sent(refused, "getFile")


def site_zip() -> bytes:
    """A zipped docs site: one page with a numbering gap, and its picture beside it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("till/index.md", GAPPY)
        archive.writestr("till/till.png", png())
    return buffer.getvalue()


async def test_a_file_telegram_will_not_hand_over_is_refused_in_a_sentence(
    library_settings: Settings, people: Storage
) -> None:
    kb = open_knowledge(library_settings.index_path, library_settings.corpus_dir, {})
    # Telegram refusing to hand a bot a file over 20 MB whose size the message did not say.
    api = FakeBotAPI(token=TOKEN)
    api.fail("getFile", 400, times=None, description="Bad Request: file is too big")
    async for harness in run_chat(library_settings, kb, people, api):
        document = {"file_id": "huge", "file_unique_id": "huge", "file_name": "manual.pdf"}
        calls = await harness.send(harness.message(None, user_id=ADMIN, document=document))
        assert (
            "無法匯入：manual.pdf 有 20+ MB，SOP 檔案最多 20 MB"
            in only(calls, "sendMessage")["text"]
        )


async def test_an_imports_lints_and_pictures_are_shown_in_the_admins_language(
    bot: Chat,
) -> None:
    bot.api.store_file(site_zip(), "till.zip", file_id="site")
    document = {"file_id": "site", "file_unique_id": "site", "file_name": "till.zip"}
    calls = await bot.send(bot.message(None, user_id=ADMIN, document=document))
    hant = only(calls, "sendMessage")["text"]
    assert "編號由 4 跳到 6" in hant and "🖼 1 張圖片" in hant
    calls = await bot.send(bot.message(None, user_id=ADMIN, language_code="en", document=document))
    english = only(calls, "sendMessage")["text"]
    assert "numbering jumps from 4 to 6" in english and "🖼 1 picture" in english


def test_cli_import_speaks_the_readers_language_and_says_when_nothing_was_imported(
    library_settings: Settings, tmp_path: Path
) -> None:
    new = tmp_path / "till.zip"
    new.write_bytes(site_zip())
    options = [
        "--corpus",
        str(library_settings.corpus_dir),
        "--index",
        str(library_settings.index_path),
    ]
    runner = CliRunner(env={"SOPBOT_DB": str(library_settings.db_path), "LANG": "zh_TW.UTF-8"})
    declined = runner.invoke(cli, ["import", str(new), *options], input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "編號由 4 跳到 6" in declined.output, declined.output
    assert "2 steps, 1 picture\n" in declined.output
    assert "Not imported: the served SOP is unchanged" in declined.output
    no_answer = runner.invoke(cli, ["import", str(new), "--lang", "en", *options], input="")
    assert no_answer.exit_code == 1 and "No answer: nothing imported" in no_answer.output
    assert "numbering jumps from 4 to 6" in no_answer.output
    assert "till.md" not in {
        p.name for p in ManagedCorpus(library_settings.corpus_dir).directory.iterdir()
    }
    photo = tmp_path / "receipt.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    refused = runner.invoke(cli, ["import", str(photo), "--lang", "hans", *options])
    assert refused.exit_code == 1 and "receipt.jpg 不是 SOP 文件" in refused.output


def test_cli_docs_lists_and_limits_documents(library_settings: Settings) -> None:
    options = [
        "--corpus",
        str(library_settings.corpus_dir),
        "--index",
        str(library_settings.index_path),
        "--db",
        str(library_settings.db_path),
    ]
    runner = CliRunner()
    listed = runner.invoke(cli, ["docs", *options])
    assert listed.exit_code == 0, listed.output
    assert "store.md: 0 lints" in listed.output and "倉庫規範  ·  3 steps, v1" in listed.output
    limited = runner.invoke(cli, ["docs", *options, "stores", "倉庫規範", TAICHUNG])
    assert limited.exit_code == 0, limited.output
    leveled = runner.invoke(cli, ["docs", *options, "level", "warehouse.md", "培訓員"])
    assert leveled.exit_code == 0, leveled.output
    import json

    records = [
        json.loads(line)
        for line in runner.invoke(cli, ["docs", "--json", *options]).output.splitlines()
    ]
    (record,) = [r for r in records if r["name"] == "倉庫規範"]
    assert (record["stores"], record["level"], record["in_service"]) == (
        [TAICHUNG],
        "trainer",
        True,
    )
    assert record["file"] == "warehouse.md" and record["steps"] == 3 and record["version"] == 1
    shown = runner.invoke(cli, ["docs", *options, "show", "倉庫規範"])
    assert shown.exit_code == 0 and "file: warehouse.md" in shown.output
    assert "roles: 倉管員" in shown.output and "OUT OF SERVICE" not in shown.output
    unknown = runner.invoke(cli, ["docs", *options, "off", "no such document"])
    assert unknown.exit_code == 2 and "no served document is 'no such document'" in unknown.output
    off = runner.invoke(cli, ["docs", *options, "off", "倉庫規範"])
    assert off.exit_code == 0, off.output
    env = {
        "SOPBOT_DB": str(library_settings.db_path),
        "SOPBOT_CORPUS_DIR": str(library_settings.corpus_dir),
    }
    asked = CliRunner(env=env).invoke(
        cli, ["ask", "--json", "--index", str(library_settings.index_path), WAREHOUSE_QUESTION]
    )
    assert all(hit["doc"] != "倉庫規範" for hit in json.loads(asked.output)["hits"])
    storage = Storage.open(library_settings.db_path)
    actions = [
        row["action"] for row in storage.connection.rows("SELECT action FROM audit ORDER BY id")
    ]
    storage.close()
    assert actions == ["doc_stores", "doc_level", "doc_withdraw"]


def test_cli_takes_the_packaged_sample_out_of_service_and_keeps_the_store_sop(
    index_path: Path, kb: KnowledgeBase, tmp_path: Path
) -> None:
    import json

    options = ["--corpus", str(tmp_path / "corpus"), "--index", str(index_path)]
    options += ["--db", str(tmp_path / "sopbot.db")]
    runner = CliRunner()
    off = runner.invoke(cli, ["docs", *options, "off", "packaged"])
    assert off.exit_code == 0, off.output
    assert len(off.output.splitlines()) == 14
    back = runner.invoke(cli, ["docs", *options, "on", "3"])  # 篇3, the store service SOP
    assert back.exit_code == 0 and back.output.startswith("3 電信門市服務規範")
    listed = runner.invoke(cli, ["docs", "--json", *options])
    served = {r["doc_no"] for r in map(json.loads, listed.output.splitlines()) if r["in_service"]}
    assert served == {3}
    env = {"SOPBOT_DB": str(tmp_path / "sopbot.db"), "SOPBOT_CORPUS_DIR": str(tmp_path / "corpus")}
    asked = CliRunner(env=env).invoke(cli, ["ask", "--json", "--index", str(index_path), "保潔"])
    assert all(hit["doc"] == "電信門市服務規範" for hit in json.loads(asked.output)["hits"])


@pytest.mark.process
async def test_a_word_sop_sent_in_is_served_with_its_picture_and_counts_versions(
    bot: Chat, tmp_path: Path
) -> None:
    def word(body: str) -> bytes:
        import docx

        (tmp_path / "form.png").write_bytes(png(20, 10))
        document = docx.Document()
        document.add_heading("盤點作業", level=1)
        document.add_heading("1、月底盤點", level=4)
        document.add_paragraph(body)
        document.add_paragraph().add_run().add_picture(str(tmp_path / "form.png"))
        path = tmp_path / "count.docx"
        document.save(str(path))
        return path.read_bytes()

    async def send(content: bytes) -> None:
        file_id = bot.api.store_file(content, "count.docx")
        document = {"file_id": file_id, "file_unique_id": file_id, "file_name": "count.docx"}
        summary = only(
            await bot.send(bot.message(None, user_id=ADMIN, document=document)), "sendMessage"
        )
        assert "🖼 1 張圖片" in summary["text"]
        apply = [data for caption, data in buttons(summary) if data.startswith("sop:ok:")][0]
        assert (
            "SOP 已更新" in only(await bot.press(apply, user_id=ADMIN), "editMessageText")["text"]
        )

    await send(word("每月最後一天關店後盤點庫存，把數量填在盤點表上。"))
    step = next(s for s in bot.app.bot_data.kb.steps if s.doc == "盤點作業")
    assert step.pictures == ("count.docx#word/media/image1.png",)
    await bot.say("/help", user_id=STAFF)
    calls = await bot.press(callbacks.full(step.id), user_id=STAFF)
    assert "1、月底盤點" in only(calls, "sendPhoto")["caption"]
    assert "盤點作業 · 1 個步驟 · v1" in (await open_library(bot))["text"]

    await send(word("每月最後一天關店後盤點庫存，數量填在盤點表上，交給店長簽名。"))
    assert "盤點作業 · 1 個步驟 · v2" in (await open_library(bot))["text"]
