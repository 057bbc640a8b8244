"""The buttons of browsing the SOP (documents, roles, steps, pages) and of /role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks, render
from bot.browse.contents import Contents
from bot.i18n import label

PAGE_SIZE = 8

Item = TypeVar("Item")
Button = InlineKeyboardButton
Rows = list[list[InlineKeyboardButton]]


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
