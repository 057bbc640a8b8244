"""The buttons of "ask a person" and store notes (the texts are in ``render.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.asks.model import OPEN, Ask, StoreNote
from bot.asks.render import listed_asks, listed_notes
from bot.i18n import label

TAKE_BUTTONS = 5  # ✋ buttons under /asks, for the oldest open questions


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


def notes_keyboard(
    notes: Sequence[StoreNote], ui: str, removable: set[int]
) -> InlineKeyboardMarkup | None:
    """🗑 under each note /notes lists that the reader may remove."""
    rows = [
        [Button(label(ui, "note_remove", id=n.id), callback_data=callbacks.note_remove(n.id))]
        for n in listed_notes(notes)
        if n.id in removable
    ]
    return InlineKeyboardMarkup(rows) if rows else None
