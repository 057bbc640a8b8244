"""Every inline keyboard the bot shows: captions from ``bot.i18n``, data from ``bot.callbacks``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import briefings as brief
from bot import callbacks, render
from bot.contents import Contents
from bot.i18n import label
from knowledge import Answer

HIGH = "high"
SUGGESTIONS = 3
PAGE_SIZE = 8

Item = TypeVar("Item")
Button = InlineKeyboardButton
Rows = list[list[InlineKeyboardButton]]


def answer_keyboard(result: Answer, index: int, ui: str) -> InlineKeyboardMarkup | None:
    """The buttons under hit ``index`` of an answer (0: the reply as first sent)."""
    if not result.hits:
        return None
    if result.confidence != HIGH:
        if index == 0:
            return suggestions_keyboard(result)
        # A suggestion's card: "back" returns to the list of suggestions.
        return card_keyboard(result.hits[index].step.id, ui, previous=0, previous_caption="back")
    return card_keyboard(
        result.hits[index].step.id,
        ui,
        previous=index - 1 if index > 0 else None,
        following=index + 1 if index + 1 < len(result.hits) else None,
    )


def card_keyboard(
    step_id: str,
    ui: str,
    previous: int | None = None,
    following: int | None = None,
    previous_caption: str = "previous",
) -> InlineKeyboardMarkup:
    """📄 full step, ⬅️/➡️ through the answer's hits, 👍/👎."""
    first = [Button(label(ui, "full_text"), callback_data=callbacks.full(step_id))]
    if previous is not None:
        first.append(Button(label(ui, previous_caption), callback_data=callbacks.more(previous)))
    if following is not None:
        first.append(Button(label(ui, "more"), callback_data=callbacks.more(following)))
    votes = [
        Button("👍", callback_data=callbacks.vote(True, step_id)),
        Button("👎", callback_data=callbacks.vote(False, step_id)),
    ]
    return InlineKeyboardMarkup([first, votes])


def suggestions_keyboard(result: Answer) -> InlineKeyboardMarkup:
    """The closest steps as "did you mean…" buttons, in the question's script."""
    return InlineKeyboardMarkup(
        [
            [
                Button(
                    f"❓ {render.step_caption(hit.step, result.script)}",
                    callback_data=callbacks.see(hit.step.id),
                )
            ]
            for hit in result.hits[:SUGGESTIONS]
        ]
    )


def shared_card_keyboard(step_id: str, ui: str) -> InlineKeyboardMarkup:
    """Under a card shared with inline mode: only the full step (votes need the asker)."""
    return InlineKeyboardMarkup.from_button(
        Button(label(ui, "full_text"), callback_data=callbacks.full(step_id))
    )


def without_button(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """``markup`` less the button that sent ``data`` (📄 once the full step is shown)."""
    if markup is None:
        return None
    rows = [
        [button for button in row if button.callback_data != data] for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def examples_keyboard(ui: str) -> InlineKeyboardMarkup:
    """The example questions of /start; tapping one asks it."""
    return InlineKeyboardMarkup(
        [
            [Button(f"❓ {label(ui, f'example_{n}')}", callback_data=callbacks.example(n))]
            for n in (1, 2, 3)
        ]
    )


def documents_keyboard(contents: Contents, page: int, ui: str) -> InlineKeyboardMarkup:
    """/roles: a page of documents."""
    indexed = list(enumerate(contents.documents))
    shown, page = page_of(indexed, page)
    rows = [
        [Button(render.name_in(doc.name, ui), callback_data=callbacks.document(d, 0))]
        for d, doc in shown
    ]
    rows += pager(page, len(indexed), callbacks.documents, ui)
    return InlineKeyboardMarkup(rows)


def roles_keyboard(contents: Contents, doc: int, page: int, ui: str) -> InlineKeyboardMarkup:
    """The roles of one document."""
    document = contents.documents[doc]
    indexed = list(enumerate(document.roles))
    shown, page = page_of(indexed, page)
    rows = [
        [
            Button(
                render.name_in(section.name, ui) if section.name else label(ui, "general"),
                callback_data=callbacks.section(doc, r, 0),
            )
        ]
        for r, section in shown
    ]
    rows += pager(page, len(indexed), lambda p: callbacks.document(doc, p), ui)
    rows.append([Button(label(ui, "back"), callback_data=callbacks.documents(doc // PAGE_SIZE))])
    return InlineKeyboardMarkup(rows)


def steps_keyboard(
    contents: Contents, doc: int, role: int, page: int, ui: str
) -> InlineKeyboardMarkup:
    """The steps of one role in a document."""
    document = contents.documents[doc]
    steps = document.roles[role].steps
    shown, page = page_of(list(steps), page)
    rows = [
        [Button(render.step_caption(step, ui), callback_data=callbacks.read(step.id))]
        for step in shown
    ]
    rows += pager(page, len(steps), lambda p: callbacks.section(doc, role, p), ui)
    # A document without roles skips the role level, so "back" goes to the documents.
    back = (
        callbacks.document(doc, role // PAGE_SIZE)
        if len(document.roles) > 1
        else callbacks.documents(doc // PAGE_SIZE)
    )
    rows.append([Button(label(ui, "back"), callback_data=back)])
    return InlineKeyboardMarkup(rows)


def step_read_keyboard(
    doc: int, role: int, position: int, ui: str, teach: str | None = None
) -> InlineKeyboardMarkup:
    """Under a step opened while browsing: back to its list (and 🎓 while teaching it)."""
    back = callbacks.section(doc, role, position // PAGE_SIZE)
    rows = [[Button(label(ui, "back"), callback_data=back)]]
    if teach:
        rows.insert(0, [Button(label(ui, "teach_here"), callback_data=callbacks.teach_step(teach))])
    return InlineKeyboardMarkup(rows)


def role_choice_keyboard(
    roles: Sequence[str], current: str | None, ui: str
) -> InlineKeyboardMarkup:
    """/role: every role, two per row, the current one ticked, then "no role"."""
    buttons = [
        Button(
            ("✅ " if role == current else "") + render.name_in(role, ui),
            callback_data=callbacks.role(index),
        )
        for index, role in enumerate(roles)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([Button(label(ui, "role_clear"), callback_data=callbacks.role(None))])
    return InlineKeyboardMarkup(rows)


def page_of(items: list[Item], page: int) -> tuple[list[Item], int]:
    """The items on ``page`` (clamped to the pages there are) and that page's number."""
    last = max(0, (len(items) - 1) // PAGE_SIZE)
    page = min(max(page, 0), last)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page


def pager(page: int, count: int, data: Callable[[int], str], ui: str) -> Rows:
    """◀️ / ▶️ between pages, when there is more than one."""
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(Button(label(ui, "page_previous"), callback_data=data(page - 1)))
    if (page + 1) * PAGE_SIZE < count:
        row.append(Button(label(ui, "page_next"), callback_data=data(page + 1)))
    return [row] if row else []


# -- briefings ----------------------------------------------------------------------------------


def briefing_read_keyboard(briefing_id: int, ui: str) -> InlineKeyboardMarkup:
    """✅ 已讀 under a delivered note (and its reminder)."""
    return InlineKeyboardMarkup.from_button(
        Button(label(ui, "brief_read_button"), callback_data=callbacks.briefing("ok", briefing_id))
    )


def audience_keyboard(
    briefing_id: int, choices: Sequence[brief.Audience], ui: str
) -> InlineKeyboardMarkup:
    """The audiences an author may pick, then ✖ 取消."""
    buttons = [
        Button(
            render.audience_name(audience, ui),
            callback_data=callbacks.briefing("to", briefing_id, n),
        )
        for n, audience in enumerate(choices)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [Button(label(ui, "brief_cancel"), callback_data=callbacks.briefing("x", briefing_id))]
    )
    return InlineKeyboardMarkup(rows)


def briefing_send_keyboard(briefing_id: int, ui: str) -> InlineKeyboardMarkup:
    """✅ 發送 now, 🕗 排程, ✖ 取消."""
    return InlineKeyboardMarkup(
        [
            [
                Button(
                    label(ui, "brief_send"), callback_data=callbacks.briefing("go", briefing_id)
                ),
                Button(
                    label(ui, "brief_schedule"), callback_data=callbacks.briefing("at", briefing_id)
                ),
            ],
            [Button(label(ui, "brief_cancel"), callback_data=callbacks.briefing("x", briefing_id))],
        ]
    )


def briefs_keyboard(
    receipts: Sequence[brief.Receipt], schedules: Sequence[brief.Schedule], ui: str
) -> InlineKeyboardMarkup | None:
    """/briefs: 🔁 resend to the unread of each note, ✖ each schedule."""
    rows = [
        [
            Button(
                label(ui, "brief_resend_button", id=receipt.briefing.id),
                callback_data=callbacks.briefing("re", receipt.briefing.id),
            )
        ]
        for receipt in receipts
        if receipt.unread
    ]
    rows += [
        [
            Button(
                label(ui, "brief_unschedule_button", id=schedule.id),
                callback_data=callbacks.briefing("xs", schedule.id),
            )
        ]
        for schedule in schedules
    ]
    return InlineKeyboardMarkup(rows) if rows else None
