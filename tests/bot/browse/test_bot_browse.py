"""/roles: browsing the SOP by document › role › step, in one message edited in place."""

from __future__ import annotations

from bot import render
from bot.browse.keyboards import PAGE_SIZE
from tests.bot.botcalls import buttons, only
from tests.bot.conftest import Chat


async def test_roles_lists_the_documents_a_page_at_a_time(chat: Chat) -> None:
    documents = chat.app.bot_data.contents.documents
    reply = only(await chat.say("/roles"), "sendMessage")
    assert reply["text"] == render.documents_heading("hant")
    first_page = [(doc.name, f"doc:{d}:0") for d, doc in enumerate(documents[:PAGE_SIZE])]
    assert buttons(reply)[:PAGE_SIZE] == first_page
    if len(documents) > PAGE_SIZE:
        assert buttons(reply)[-1] == ("下一頁 ▶️", "docs:1")
        second = only(await chat.press("docs:1"), "editMessageText")
        assert buttons(second)[0] == (documents[PAGE_SIZE].name, f"doc:{PAGE_SIZE}:0")
        assert ("◀️ 上一頁", "docs:0") in buttons(second)


async def test_english_readers_browse_by_english_names(chat: Chat) -> None:
    reply = only(await chat.say("/roles", language_code="en"), "sendMessage")
    assert "Telecom store service SOP" in [caption for caption, _ in buttons(reply)]
    store = next(data for caption, data in buttons(reply) if caption == "Telecom store service SOP")
    roles = only(await chat.press(store, language_code="en"), "editMessageText")
    captions = [caption for caption, _ in buttons(roles)]
    assert {"Duty manager", "Greeter", "Counter", "Security guard"} <= set(captions)
    assert roles["text"].startswith("<b>Telecom store service SOP</b>")


async def test_document_role_step_and_back(chat: Chat) -> None:
    contents = chat.app.bot_data.contents
    doc = next(d for d, document in enumerate(contents.documents) if len(document.roles) > 1)
    document = contents.documents[doc]
    await chat.say("/roles")

    roles = only(await chat.press(f"doc:{doc}:0"), "editMessageText")
    assert roles["text"] == render.roles_heading(document.name, "hant")
    assert buttons(roles)[0] == (document.roles[0].name, f"sec:{doc}:0:0")
    assert buttons(roles)[-1] == ("⬅️ 返回", f"docs:{doc // PAGE_SIZE}")

    section = document.roles[1]
    steps = only(await chat.press(f"sec:{doc}:1:0"), "editMessageText")
    assert steps["text"] == render.steps_heading(document.name, section.name, "hant")
    step = section.steps[0]
    assert buttons(steps)[0] == (render.step_caption(step, "hant"), f"read:{step.id}")
    assert buttons(steps)[-1] == ("⬅️ 返回", f"doc:{doc}:0")

    shown = only(await chat.press(f"read:{step.id}"), "editMessageText")
    assert shown["text"] == render.step_full(step, "hant")
    assert buttons(shown) == [("⬅️ 返回", f"sec:{doc}:1:0")]


async def test_a_document_without_roles_lists_its_steps_directly(chat: Chat) -> None:
    contents = chat.app.bot_data.contents
    doc = next(d for d, document in enumerate(contents.documents) if len(document.roles) == 1)
    document = contents.documents[doc]
    await chat.say("/roles")
    steps = only(await chat.press(f"doc:{doc}:0"), "editMessageText")
    assert steps["text"] == render.steps_heading(document.name, "", "hant")
    first = document.roles[0].steps[0]
    assert buttons(steps)[0] == (render.step_caption(first, "hant"), f"read:{first.id}")
    assert buttons(steps)[-1] == ("⬅️ 返回", f"docs:{doc // PAGE_SIZE}")


async def test_long_step_lists_are_paged(chat: Chat) -> None:
    contents = chat.app.bot_data.contents
    doc, role = next(
        (d, r)
        for d, document in enumerate(contents.documents)
        for r, section in enumerate(document.roles)
        if len(section.steps) > PAGE_SIZE
    )
    steps = contents.documents[doc].roles[role].steps
    await chat.say("/roles")
    second = only(await chat.press(f"sec:{doc}:{role}:1"), "editMessageText")
    assert buttons(second)[0][1] == f"read:{steps[PAGE_SIZE].id}"
    # Reading a step on page 2 comes back to page 2.
    shown = only(await chat.press(f"read:{steps[PAGE_SIZE].id}"), "editMessageText")
    assert buttons(shown) == [("⬅️ 返回", f"sec:{doc}:{role}:1")]


async def test_browsing_in_simplified_chinese(chat: Chat) -> None:
    contents = chat.app.bot_data.contents
    doc = next(d for d, document in enumerate(contents.documents) if len(document.roles) > 1)
    reply = only(await chat.say("/roles", language_code="zh-hans"), "sendMessage")
    assert reply["text"] == render.documents_heading("hans")
    roles = only(await chat.press(f"doc:{doc}:0", language_code="zh-hans"), "editMessageText")
    assert roles["text"] == render.roles_heading(contents.documents[doc].name, "hans")
    assert roles["text"] != render.roles_heading(contents.documents[doc].name, "hant")
