"""Texts of "ask a person" and store notes: pure functions returning Telegram HTML.

Questions, answers, names and store names come from people and are escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import render
from bot.asks.model import (
    ANSWERED,
    BLOCKED,
    EDITED,
    ESCALATION,
    FAILED,
    OPEN,
    PENDING,
    REASONS,
    REMINDER,
    RESTORED,
    SAVED,
    SENT,
    TAKEN,
    WITHDRAWN,
    Ask,
    NoteVersion,
    StoreNote,
)
from bot.i18n import label, label_html
from knowledge import Step

QUESTION_SHOWN = 80  # characters of a question in a list
ANSWER_SHOWN = 120
LISTED = 15  # questions (or notes) in one /asks (or /notes)
HISTORY_SHOWN = 10  # the latest versions of a note shown


def text(ui: str, key: str, **values: object) -> str:
    return label_html(ui, key, **values)


def short(value: str, limit: int) -> str:
    """A user's text cut to ``limit`` (plain: ``text`` escapes the values it fills in)."""
    return render.shorten(value, limit)


def age(minutes: float, ui: str) -> str:
    """5 分鐘, 2 小時, 3 天 (whole units, rounded down; under a minute is 0 minutes)."""
    if minutes < 60:
        return label(ui, "ask_age_minutes", n=int(minutes))
    if minutes < 48 * 60:
        return label(ui, "ask_age_hours", n=int(minutes // 60))
    return label(ui, "ask_age_days", n=int(minutes // (24 * 60)))


def store_name(ask: Ask, ui: str) -> str:
    return ask.store or label(ui, "stats_no_store")


# -- the asker ---------------------------------------------------------------------------------


def sent(ask: Ask, count: int, to_admins: bool, ui: str) -> str:
    """What the asker is told: it is waiting, with whom."""
    key = "ask_sent_admins" if to_admins else "ask_sent"
    return text(ui, key, count=count, store=store_name(ask, ui), question=short(ask.question, 200))


def still_waiting(ask: Ask, ui: str, now: datetime) -> str:
    """Told to the asker when nobody has answered and it goes up to the admins."""
    return text(
        ui, "ask_still_waiting", age=age(ask.age(now), ui), question=short(ask.question, 200)
    )


def reply(ask: Ask, ui: str) -> str:
    """The answer, as the asker gets it, under their question."""
    return text(ui, "ask_reply", name=ask.taker_name, answer=ask.answer)


# -- the responders ----------------------------------------------------------------------------


def offer(ask: Ask, kind: str, steps: Sequence[Step], ui: str, now: datetime, taker: bool) -> str:
    """The question as a responder (or an admin) gets it, with the bot's closest steps."""
    lines = []
    minutes = ask.age(now)
    if kind == REMINDER:
        key = "ask_taker_reminder" if taker else "ask_reminder_head"
        lines.append(text(ui, key, age=age(minutes, ui)))
    elif kind == ESCALATION:
        lines.append(
            text(ui, "ask_escalation_head", store=store_name(ask, ui), age=age(minutes, ui))
        )
    lines.append(
        text(
            ui,
            "ask_offer",
            asker=ask.asker_name,
            store=store_name(ask, ui),
            question=short(ask.question, 1000),
        )
    )
    if steps:
        lines.append("\n" + text(ui, "ask_offer_closest"))
        lines += [f"• {render.breadcrumb(step, ask.script)}" for step in steps]
    else:
        lines.append("\n" + text(ui, "ask_offer_none"))
    if not taker:
        lines.append("\n" + text(ui, "ask_offer_how"))
    return render.fit("\n".join(lines))


def taken_by_you(ask: Ask, ui: str) -> str:
    return text(ui, "ask_taken_you", question=short(ask.question, 1000))


def settled(ask: Ask, ui: str) -> str:
    """An offer once someone took, answered or the asker withdrew the question."""
    question = short(ask.question, QUESTION_SHOWN)
    if ask.status == WITHDRAWN:
        return text(ui, "ask_settled_withdrawn", question=question)
    if ask.status == ANSWERED:
        return text(ui, "ask_settled_answered", name=ask.taker_name, question=question)
    return text(ui, "ask_settled_taken", name=ask.taker_name, question=question)


def answered(ask: Ask, ui: str, reply_state: str = SENT) -> str:
    """The taker's confirmation: it went, is kept to try again, or could not go (they were
    told why just before); then 📌 / 🎓."""
    # Sent, or cut off waiting for Telegram's answer (most likely it went): "it went".
    keys = {
        PENDING: "ask_answered_later",
        FAILED: "ask_answered_kept",
        BLOCKED: "ask_answered_kept",
    }
    key = keys.get(reply_state, "ask_answered")
    return text(ui, key, asker=ask.asker_name, question=short(ask.question, 200))


# -- /asks ---------------------------------------------------------------------------------------


def state_of(ask: Ask, ui: str, now: datetime) -> str:
    if ask.status == OPEN:
        return label(ui, "asks_open")
    if ask.status == TAKEN:
        return label(ui, "asks_taken", name=ask.taker_name)
    if ask.status == ANSWERED:
        return label(ui, "asks_answered", name=ask.taker_name, age=age(ask.age(now), ui))
    return label(ui, "asks_withdrawn")


def listed_asks(asks: Sequence[Ask]) -> list[Ask]:
    """Open questions first (oldest first), then taken, then answered, then withdrawn."""
    order = {OPEN: 0, TAKEN: 1, ANSWERED: 2, WITHDRAWN: 3}
    return sorted(asks, key=lambda a: (order.get(a.status, 9), a.created_at))[:LISTED]


def asks_list(asks: Sequence[Ask], ui: str, now: datetime, days: int, mine: bool) -> str:
    """/asks: each question with its age, who asked, and where it stands."""
    if not asks:
        return text(ui, "asks_none", days=days)
    shown = listed_asks(asks)
    lines = [f"<b>{text(ui, 'asks_mine_heading' if mine else 'asks_heading', days=days)}</b>"]
    for ask in shown:
        lines.append(
            text(
                ui,
                "asks_line",
                id=ask.id,
                age=age((now - ask.created_at).total_seconds() / 60, ui),
                asker=ask.asker_name,
                store=store_name(ask, ui),
                question=short(ask.question, QUESTION_SHOWN),
                state=state_of(ask, ui, now),
            )
        )
        if mine and ask.status == ANSWERED:
            lines.append(f"    💬 {html.escape(short(ask.answer, ANSWER_SHOWN))}")
    if len(asks) > LISTED:
        lines.append(text(ui, "asks_more", count=len(asks) - LISTED))
    return render.fit("\n".join(lines))


# -- delivery that failed -------------------------------------------------------------------


def unreached(ask: Ask, ui: str) -> str:
    """Told to the asker when the question reached nobody who answers."""
    return text(ui, "ask_unreached", question=short(ask.question, 200))


def undelivered(ask: Ask, reason: str, ui: str) -> str:
    """Told to the taker when their answer could not reach the asker, and why."""
    why = label(ui, f"ask_why_{reason}" if reason in REASONS else "ask_why_rejected")
    return text(
        ui, "ask_undelivered", asker=ask.asker_name, why=why, question=short(ask.question, 200)
    )


# -- store notes ---------------------------------------------------------------------------------


def day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def minute(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def byline(note: StoreNote, ui: str, zone: ZoneInfo) -> str:
    """Who wrote a note and when, and who last changed its text and when (plain)."""
    if note.edited_at is None:
        return label(ui, "note_byline", author=note.author_name, date=day(note.created_at, zone))
    return label(
        ui,
        "note_byline_edited",
        author=note.author_name,
        date=day(note.created_at, zone),
        editor=note.editor_name,
        edited=day(note.edited_at, zone),
    )


def shared_mark(note: StoreNote, ui: str) -> str:
    return label(ui, "note_shared_mark") if note.shared else ""


def note_card(note: StoreNote, ui: str, zone: ZoneInfo) -> str:
    """A store note as the answer to a question: its store's (shared or not), by whom, when."""
    return render.fit(
        text(
            ui,
            "note_card",
            store=note.store,
            shared=shared_mark(note, ui),
            byline=byline(note, ui, zone),
            question=note.question,
            answer=note.answer,
        )
    )


def listed_notes(notes: Sequence[StoreNote]) -> list[StoreNote]:
    return list(notes)[-LISTED:]


def notes_list(notes: Sequence[StoreNote], ui: str, zone: ZoneInfo) -> str:
    """/notes: the latest notes, each with its store, author and date."""
    if not notes:
        return text(ui, "notes_none")
    shown = listed_notes(notes)
    lines = [f"<b>{text(ui, 'notes_heading', count=len(notes))}</b>"]
    for note in shown:
        lines.append(
            text(
                ui,
                "notes_line",
                id=note.id,
                store=note.store,
                shared=shared_mark(note, ui),
                byline=byline(note, ui, zone),
                question=short(note.question, QUESTION_SHOWN),
                answer=short(note.answer, ANSWER_SHOWN),
            )
        )
    return render.fit("\n\n".join(lines))


def note_detail(
    note: StoreNote, versions: Sequence[NoteVersion] | None, ui: str, zone: ZoneInfo
) -> str:
    """One note as /notes N shows it; with its versions for those who may manage it."""
    key = "note_detail_removed" if note.removed else "note_detail"
    lines = [
        text(
            ui,
            key,
            id=note.id,
            store=note.store,
            shared=shared_mark(note, ui),
            question=note.question,
            answer=note.answer,
            byline=byline(note, ui, zone),
            version=note.version,
        )
    ]
    if versions:
        lines.append("\n" + text(ui, "note_history"))
        asked = None  # the question of the text version above: shown again only if changed
        for version in list(versions)[-HISTORY_SHOWN:]:
            lines.append(
                text(
                    ui,
                    "note_version_line",
                    version=version.version,
                    action=label(ui, f"note_action_{version.action}"),
                    name=version.by_name or "—",
                    at=minute(version.at, zone),
                )
            )
            if version.action in (SAVED, EDITED, RESTORED):
                if version.question != asked:
                    lines.append(
                        text(ui, "note_version_question", question=short(version.question, 80))
                    )
                    asked = version.question
                lines.append(
                    text(ui, "note_version_answer", answer=short(version.answer, ANSWER_SHOWN))
                )
    return render.fit("\n".join(lines))


def edit_prompt(note: StoreNote, ui: str) -> str:
    return text(ui, "note_edit_prompt", id=note.id, answer=short(note.answer, 1000))


def responders(store: str, levels: Sequence[str], ui: str) -> str:
    names = (", " if ui == "en" else "、").join(label(ui, f"access_{level}") for level in levels)
    return text(ui, "responders_show", store=store, levels=names)
