"""The buttons of briefings: ✅ 已讀, audiences, send or schedule, and /briefs."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.briefings import model as brief
from bot.briefings import render
from bot.i18n import label

Button = InlineKeyboardButton


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


def note_or_question_keyboard(briefing_id: int, ui: str) -> InlineKeyboardMarkup:
    """📋 send it as a note, 💬 answer it as a question, ✖ 取消."""
    return InlineKeyboardMarkup(
        [
            [
                Button(
                    label(ui, "brief_as_note"), callback_data=callbacks.briefing("nt", briefing_id)
                ),
                Button(
                    label(ui, "brief_as_question"),
                    callback_data=callbacks.briefing("qa", briefing_id),
                ),
            ],
            [Button(label(ui, "brief_cancel"), callback_data=callbacks.briefing("x", briefing_id))],
        ]
    )


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
