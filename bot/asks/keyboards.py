"""The buttons of "ask a person" and store notes (the texts are in ``render.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.asks.model import OPEN, Ask, NoteVersion, StoreNote
from bot.asks.render import listed_asks, listed_notes
from bot.i18n import label

TAKE_BUTTONS = 5  # ✋ buttons under /asks, for the oldest open questions
NOTES_PER_ROW = 4  # 📌 #n buttons side by side under /notes


def ask_button(ui: str) -> Button:
    """🙋 under an answer (not confident, or voted 👎)."""
    return Button(label(ui, "ask_button"), callback_data=callbacks.ask_person())


def waiting_keyboard(ask: Ask, ui: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.from_button(
        Button(label(ui, "ask_withdraw"), callback_data=callbacks.ask("x", ask.id))
    )


def offer_keyboard(ask: Ask, ui: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.from_button(
        Button(label(ui, "ask_take"), callback_data=callbacks.ask("t", ask.id))
    )


def taken_keyboard(ask: Ask, ui: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.from_button(
        Button(label(ui, "ask_release"), callback_data=callbacks.ask("r", ask.id))
    )


def reply_keyboard(ask: Ask) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                Button("👍", callback_data=callbacks.ask_vote(True, ask.id)),
                Button("👎", callback_data=callbacks.ask_vote(False, ask.id)),
            ]
        ]
    )


def knowledge_keyboard(ask: Ask, ui: str) -> InlineKeyboardMarkup | None:
    """📌 note / 🎓 step under the responder's confirmation, until one is chosen."""
    row = []
    if ask.note_id is None and ask.store is not None:
        row.append(Button(label(ui, "ask_save_note"), callback_data=callbacks.ask("n", ask.id)))
    if not ask.taught:
        row.append(Button(label(ui, "ask_attach_step"), callback_data=callbacks.ask("s", ask.id)))
    return InlineKeyboardMarkup([row]) if row else None


def asks_keyboard(asks: Sequence[Ask], ui: str) -> InlineKeyboardMarkup | None:
    """✋ for the oldest open questions /asks lists."""
    open_ones = [ask for ask in listed_asks(asks) if ask.status == OPEN][:TAKE_BUTTONS]
    rows = [
        [Button(label(ui, "asks_take", id=a.id), callback_data=callbacks.ask("t", a.id))]
        for a in open_ones
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def notes_keyboard(notes: Sequence[StoreNote], ui: str) -> InlineKeyboardMarkup | None:
    """📌 #n under /notes: each note listed, opened with its versions and buttons."""
    shown = listed_notes(notes)
    buttons = [
        Button(label(ui, "note_open", id=n.id), callback_data=callbacks.note_open(n.id))
        for n in shown
    ]
    rows = [buttons[at : at + NOTES_PER_ROW] for at in range(0, len(buttons), NOTES_PER_ROW)]
    return InlineKeyboardMarkup(rows) if rows else None


def note_keyboard(
    note: StoreNote,
    ui: str,
    *,
    manage: bool,
    share: bool,
    restorable: Sequence[NoteVersion] = (),
) -> InlineKeyboardMarkup | None:
    """Under one note: ✏️ and 🗑 for who may manage it, 🌐 / 🏪 for who may share it,
    ↩️ back to another of its texts (or back into service, once removed)."""
    rows: list[list[Button]] = []
    at = note.version
    if manage and not note.removed:
        rows.append(
            [
                Button(label(ui, "note_edit"), callback_data=callbacks.note_edit(note.id, at)),
                Button(
                    label(ui, "note_remove", id=note.id),
                    callback_data=callbacks.note_remove(note.id, at),
                ),
            ]
        )
    if share and not note.removed:
        key = "note_unshare" if note.shared else "note_share"
        rows.append(
            [
                Button(
                    label(ui, key),
                    callback_data=callbacks.note_share(note.id, at, not note.shared),
                )
            ]
        )
    if manage:
        restore = [
            Button(
                label(ui, "note_restore", version=v.version),
                callback_data=callbacks.note_restore(note.id, at, v.version),
            )
            for v in restorable
        ]
        if restore:
            rows.append(restore)
    return InlineKeyboardMarkup(rows) if rows else None


def edit_keyboard(ui: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.from_button(
        Button(label(ui, "note_edit_cancel"), callback_data=callbacks.note_edit_cancel())
    )
