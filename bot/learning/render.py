"""Texts and keyboards of /gaps, /teach, /stats (SOP updates: bot/documents/).

Pure functions returning Telegram HTML, like ``bot.render``; staff questions, store names
and file names come from users and are escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup

from bot import callbacks, render
from bot.i18n import label, label_html
from bot.learning.service import Teaching
from bot.stats.service import Usage
from bot.storage.questions import TaughtWording
from knowledge import Step
from knowledge.gaps import GapGroup

GAPS_SHOWN = 10
WORDINGS_SHOWN = 3
WORDINGS_TOGGLED = 8  # a group's wordings the teach prompt offers to leave out
QUESTION_SHOWN = 80
TEACH_RESULTS = 5


def text(script: str, key: str, **values: object) -> str:
    return label_html(script, key, **values)


def quoted(question: str) -> str:
    return html.escape(render.shorten(question, QUESTION_SHOWN))


def gaps(groups: Sequence[GapGroup], days: int, ui: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The biggest gap groups, each with its wordings, and a 🎓 button per group."""
    if not groups:
        return text(ui, "gaps_none", days=days), None
    lines = [f"<b>{text(ui, 'gaps_heading', days=days)}</b>"]
    for number, group in enumerate(groups[:GAPS_SHOWN], 1):
        wordings = group.wordings
        counts = text(ui, "gaps_count", count=group.count)
        if group.downvoted:
            counts += " · " + text(ui, "gaps_downvoted", count=group.downvoted)
        lines.append(f"\n<b>{number}.</b> {quoted(wordings[0])} <i>({counts})</i>")
        if len(wordings) > 1:
            others = "、".join(quoted(w) for w in wordings[1:WORDINGS_SHOWN])
            lines.append(f"   {text(ui, 'gaps_also')} {others}")
    lines.append("\n" + text(ui, "gaps_hint"))
    buttons = [
        Button(label(ui, "teach_button", number=n), callback_data=callbacks.teach_gap(n))
        for n in range(1, min(len(groups), GAPS_SHOWN) + 1)
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def teach_prompt(teaching: Teaching, ui: str) -> tuple[str, InlineKeyboardMarkup]:
    """Which step to teach; a group's wordings each with ✅ / ⬜ to leave one out."""
    wordings = teaching.wordings
    if len(wordings) == 1:
        question = render.shorten(wordings[0], 40)
        return text(ui, "teach_prompt", question=question), teach_keyboard([], ui)
    rows = [
        [
            Button(
                ("⬜ " if n in teaching.left_out else "✅ ") + render.shorten(wording, 40),
                callback_data=callbacks.teach_wording(n),
            )
        ]
        for n, wording in enumerate(wordings[:WORDINGS_TOGGLED])
    ]
    keyboard = teach_keyboard([], ui).inline_keyboard
    chosen = len(teaching.chosen)
    message = text(ui, "teach_prompt_many", chosen=chosen, count=len(wordings))
    return message, InlineKeyboardMarkup([*rows, *keyboard])


def teach_keyboard(
    steps: Sequence[Step], ui: str, search_again: bool = False
) -> InlineKeyboardMarkup:
    """Steps to teach to (from a typed search), then (🔎 search again,) 📚 browse, ✖️ cancel."""
    rows = [
        [
            Button(
                "🎓 " + render.step_caption(step, ui, limit=40),
                callback_data=callbacks.teach_step(step.id),
            )
        ]
        for step in steps[:TEACH_RESULTS]
    ]
    last = [Button(label(ui, "teach_search"), callback_data=callbacks.teach_search())]
    last = last if search_again else []
    last += [
        Button(label(ui, "teach_browse"), callback_data=callbacks.teach_browse()),
        Button(label(ui, "teach_cancel"), callback_data=callbacks.teach_cancel()),
    ]
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def teach_results(steps: Sequence[Step], ui: str) -> tuple[str, InlineKeyboardMarkup]:
    """The steps a typed search found; once some are shown, typed text is a question again."""
    if not steps:
        return text(ui, "teach_no_results"), teach_keyboard(steps, ui)
    message = f"{text(ui, 'teach_results')}\n<i>{text(ui, 'teach_search_over')}</i>"
    return message, teach_keyboard(steps, ui, search_again=True)


def taught(
    wordings: Sequence[str], step: Step, ui: str, undo: bool = True
) -> tuple[str, InlineKeyboardMarkup | None]:
    """✅ taught, with ↩️ to take it back (``undo``: some wording was new)."""
    question = " / ".join(render.shorten(w, 40) for w in wordings[:WORDINGS_SHOWN])
    crumb = render.breadcrumb_text(step, ui)
    button = Button(label(ui, "teach_undo"), callback_data=callbacks.teach_undo())
    keyboard = InlineKeyboardMarkup([[button]]) if undo else None
    return text(ui, "teach_done", question=question, step=crumb), keyboard


def taught_list(
    wordings: Sequence[tuple[TaughtWording, Step | None]], ui: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/teach alone: how to teach, then the latest taught wordings, each with 🗑."""
    lines = [text(ui, "teach_usage")]
    if not wordings:
        return "\n\n".join([*lines, text(ui, "teach_list_none")]), None
    lines += ["", f"<b>{text(ui, 'teach_list_heading')}</b>"]
    for number, (wording, step) in enumerate(wordings, 1):
        where = render.step_caption(step, ui, limit=40) if step else label(ui, "teach_list_gone")
        lines.append(f"{number}. {quoted(wording.question)} → {html.escape(where)}")
    buttons = [
        Button(label(ui, "teach_forget", number=n), callback_data=callbacks.teach_forget(w.id))
        for n, (w, _) in enumerate(wordings, 1)
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def stats(usage: Usage, ui: str) -> str:
    """The usage summary sent with the chart."""
    lines = [f"<b>{text(ui, 'stats_heading', days=usage.days)}</b>"]
    lines.append(
        text(
            ui,
            "stats_questions",
            total=usage.total,
            answered=usage.answered,
            rate=percent(usage.answered, usage.total),
        )
    )
    lines.append(text(ui, "stats_votes", up=usage.votes[0], down=usage.votes[1]))
    if usage.by_store:
        lines.append("\n" + text(ui, "stats_stores"))
        for store, count in usage.by_store:
            name = store or label(ui, "stats_no_store")
            lines.append(f"• {html.escape(name)}: {count}")
    if usage.top_steps:
        lines.append("\n" + text(ui, "stats_topics"))
        for step, count in usage.top_steps:
            lines.append(f"• {html.escape(render.step_caption(step, ui, limit=48))}: {count}")
    read, sent = usage.briefings
    lines.append("\n" + text(ui, "stats_briefings", read=read, sent=sent, rate=percent(read, sent)))
    right, answered = usage.quizzes
    lines.append(
        text(ui, "stats_quiz", correct=right, answered=answered, rate=percent(right, answered))
    )
    asked, answered_by_people, minutes = usage.asks
    middle = label(ui, "stats_asks_median_none") if minutes is None else minutes_text(minutes, ui)
    lines.append(text(ui, "stats_asks", asked=asked, answered=answered_by_people, median=middle))
    return render.fit("\n".join(lines))


def minutes_text(minutes: float, ui: str) -> str:
    """A median time to an answer: 4 分鐘, 1.5 小時."""
    if minutes < 90:
        return label(ui, "ask_age_minutes", n=round(minutes))
    return label(ui, "ask_age_hours", n=round(minutes / 60, 1))
