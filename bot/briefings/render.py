"""The texts of briefings (/brief, /briefs, /missed, reminders), as Telegram HTML.
Nothing here imports Telegram."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.briefings import model as brief
from bot.i18n import label, label_html
from bot.render import fit, shorten

BRIEF_TITLE_LIMIT = 40
NAMES_SHOWN = 12


def briefing_title(briefing: brief.Briefing, script: str) -> str:
    """A short plain-text name for a note: its first line, or what kind of file it is."""
    first = next((line.strip() for line in briefing.note.text.splitlines() if line.strip()), "")
    if briefing.note.kind != brief.TEXT:
        kind = label(script, f"brief_{briefing.note.kind}")
        first = f"{kind} {first}".strip()
    return shorten(first, BRIEF_TITLE_LIMIT)


def briefing_note(briefing: brief.Briefing, script: str) -> str:
    """A note as staff get it: the header, then the author's words (a caption for files)."""
    header = label(script, "brief_header", author=html.escape(briefing.author_name))
    limit = brief.TEXT_LIMIT if briefing.note.kind == brief.TEXT else brief.CAPTION_LIMIT
    body = html.escape(shorten(briefing.note.text, limit))
    return f"{header}\n\n{body}" if body else header


def audience_name(audience: brief.Audience | None, script: str) -> str:
    if audience is None or audience.kind == brief.ALL:
        return label(script, "brief_audience_all")
    if audience.kind == brief.STORE:
        return label(script, "brief_audience_store", store=audience.value)
    level = label(script, f"brief_level_{audience.value}")
    return label(script, "brief_audience_level", level=level)


def briefing_preview(briefing: brief.Briefing, script: str, count: int | None = None) -> str:
    """The author's preview: the note as staff will see it, then the audience or the question."""
    note = briefing_note(briefing, script)
    if briefing.note.kind != brief.TEXT:
        note = f"{label(script, 'brief_' + briefing.note.kind)}\n{note}"
    if count is None:
        question = label(script, "brief_choose_audience")
    else:
        audience = audience_name(briefing.audience, script)
        question = label(script, "brief_audience_is", audience=audience, count=count)
    return f"{label_html(script, 'brief_preview')}\n\n{note}\n\n{html.escape(question)}"


def note_or_question(briefing: brief.Briefing, script: str) -> str:
    """A question-shaped draft: the note, and "send it to staff, or answer it?"."""
    note = briefing_note(briefing, script)
    return f"{label_html(script, 'brief_is_it_a_note')}\n\n{note}"


def when_name(when: brief.When, script: str) -> str:
    at = when.at.strftime("%H:%M")
    if when.repeat == brief.DAILY:
        return label(script, "when_daily", at=at)
    if when.repeat == brief.WEEKDAYS:
        return label(script, "when_weekdays", at=at)
    day = when.on.isoformat() if when.on else ""
    return label(script, "when_once", day=day, at=at)


def briefing_scheduled(briefing: brief.Briefing, when: brief.When, script: str) -> str:
    audience = audience_name(briefing.audience, script)
    return html.escape(
        label(script, "brief_scheduled", when=when_name(when, script), audience=audience)
    )


def delivery_summary(counts: dict[str, int], script: str) -> str:
    order = (brief.DELIVERED, brief.BLOCKED, brief.UNCERTAIN, brief.FAILED, brief.PENDING)
    parts = [
        label(script, f"state_{state}", n=counts[state]) for state in order if counts.get(state)
    ]
    return "，".join(parts) if script != "en" else ", ".join(parts)


def briefing_done(briefing_id: int, counts: dict[str, int], script: str) -> str:
    summary = delivery_summary(counts, script) or label(script, "state_sent", n=0)
    return label_html(script, "brief_done", id=briefing_id, summary=summary)


def briefing_resend_done(briefing_id: int, counts: dict[str, int], script: str) -> str:
    summary = delivery_summary(counts, script) or label(script, "state_sent", n=0)
    return label_html(script, "brief_resend_done", id=briefing_id, summary=summary)


def local_day(moment: str | None, zone: ZoneInfo) -> str:
    """``2026-05-01T00:30:00+00:00`` → ``05-01 08:30`` in the store's time zone."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(zone).strftime("%m-%d %H:%M")


def briefs_overview(
    receipts: list[brief.Receipt],
    schedules: list[tuple[brief.Schedule, brief.Briefing]],
    script: str,
    zone: ZoneInfo,
) -> str:
    """/briefs: recent notes with "read 12/15" and who has not read, then the schedules."""
    if not receipts and not schedules:
        return label_html(script, "briefs_none")
    lines = [label(script, "briefs_title")] if receipts else []
    for receipt in receipts:
        b = receipt.briefing
        line = label(
            script,
            "briefs_line",
            id=b.id,
            day=local_day(b.sent_at, zone),
            title=html.escape(briefing_title(b, script)),
            read=receipt.read,
            total=receipt.total,
        )
        others = {k: v for k, v in receipt.states.items() if k != brief.DELIVERED}
        if others:
            line += f" · {html.escape(delivery_summary(others, script))}"
        lines += ["", line]
        if receipt.unread:
            names = ", ".join(receipt.unread[:NAMES_SHOWN])
            if len(receipt.unread) > NAMES_SHOWN:
                names += " " + label(script, "briefs_others", n=len(receipt.unread) - NAMES_SHOWN)
            lines.append(label_html(script, "briefs_unread", names=names))
    if schedules:
        lines += ["", label(script, "briefs_schedules")]
        for schedule, template in schedules:
            lines.append(
                f"#{schedule.id} {html.escape(when_name(schedule.when, script))} · "
                f"{html.escape(audience_name(template.audience, script))} · "
                f"{html.escape(briefing_title(template, script))}"
            )
    return fit("\n".join(lines))


def missed_intro(count: int, script: str) -> str:
    if not count:
        return label_html(script, "missed_none")
    return label_html(script, "missed_intro", n=count)


def missed_more(count: int, script: str) -> str:
    return label_html(script, "missed_more", n=count)


def briefing_reminder(briefing: brief.Briefing, script: str) -> str:
    return html.escape(
        label(
            script,
            "brief_reminder",
            author=briefing.author_name,
            title=briefing_title(briefing, script),
        )
    )
