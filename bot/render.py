"""Every message text the product shows, as Telegram HTML: pure functions of core objects.

The CLI prints the same strings (`sopbot ask` reports the bot's exact reply), so nothing
here imports Telegram. All SOP and user text is HTML-escaped; matched words are bold.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import briefings as brief
from bot.i18n import label
from knowledge.corpus import load_catalog
from knowledge.model import SHORT_TIP, Answer, Hit, Step
from knowledge.normalize import EN, to_script, to_simplified
from knowledge.smalltalk import KINDS as SMALL_TALK

if TYPE_CHECKING:  # only read here; importing them at run time would slow `sopbot ask`
    from bot.quizzes import MyScore, QuizSummary, Score
    from knowledge.quiz import QuizQuestion

SEPARATOR = " › "
PASSAGE_LIMIT = 380
TIP_LIMIT = 220
DOUBT_LIMIT = 160
TELEGRAM_LIMIT = 4096
SENTENCE_END_RE = re.compile(r"[。；;！？!?]")


def breadcrumb(step: Step, script: str) -> str:
    return html.escape(breadcrumb_text(step, script))


def breadcrumb_text(step: Step, script: str, levels: int = 3) -> str:
    """Document › role › step (plain text; the last ``levels``): names in English for
    English readers; the step's own heading stays as the SOP writes it."""
    *names, heading = step.breadcrumb[-levels:]
    return SEPARATOR.join([*(name_in(name, script) for name in names), to_script(heading, script)])


def name_in(name: str, script: str) -> str:
    """A document's or role's name for the reader: its English name from the catalog for
    English readers (the Chinese one when it has none), else in the reader's script."""
    if script == EN:
        return english_names().get(name, name)
    return to_script(name, script)


@cache
def english_names() -> dict[str, str]:
    return load_catalog().english_names()


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, at a sentence end where one is near."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [m.end() for m in SENTENCE_END_RE.finditer(cut)]
    if ends and ends[-1] >= limit * 0.5:
        return cut[: ends[-1]] + "…"
    return cut.rstrip() + "…"


def first_sentence(text: str) -> str:
    match = SENTENCE_END_RE.search(text)
    return text[: match.end()] if match else text


def highlight(text: str, terms: tuple[str, ...]) -> str:
    """Escape ``text`` and bold the places where the question's terms occur.

    Terms are in the folded (simplified) form; ``to_simplified`` keeps offsets, so a
    match found in the simplified text marks the same characters of the original.
    """
    folded = to_simplified(text.lower())
    marked = [False] * len(text)
    for term in terms:
        if len(term) < 2 and not term.isascii():
            continue
        start = folded.find(term)
        while start != -1:
            for i in range(start, min(start + len(term), len(text))):
                marked[i] = True
            start = folded.find(term, start + len(term))
    out, bold = [], False
    for char, mark in zip(text, marked, strict=True):
        if mark != bold:
            out.append("<b>" if mark else "</b>")
            bold = mark
        out.append(html.escape(char))
    if bold:
        out.append("</b>")
    return "".join(out)


def answer(result: Answer, buttons: bool = True) -> str:
    """The reply to a staff question (``buttons``: shown under it, as in Telegram)."""
    script = result.script
    if not result.hits:
        if result.problem in SMALL_TALK:
            return html.escape(label(script, f"talk_{result.problem}"))
        return html.escape(
            label(script, result.problem or "no_words")
            if result.problem
            else label(script, "not_found")
        )
    note = (
        f"<i>{html.escape(label(script, 'too_long'))}</i>\n\n"
        if result.problem == "too_long"
        else ""
    )
    if result.confidence != "high":
        return note + not_found(result)
    return note + hit_card(result.hits[0], script, buttons)


def hit_card(hit: Hit, script: str, buttons: bool = True) -> str:
    """One step as a short card: breadcrumb, matching sentences, the best tip."""
    lines = [f"<b>{breadcrumb(hit.step, script)}</b>"]
    passage = hit.passage if hit.passage else ""
    if passage:
        lines.append(
            to_script(highlight(shorten(passage, PASSAGE_LIMIT), hit.matched_terms), script)
        )
    if hit.tip_passage:
        # A short tip is shown whole: its sentences make one point together.
        best_tip = hit.tips[0]
        shown = best_tip if len(best_tip) <= SHORT_TIP else hit.tip_passage
        tip = to_script(highlight(shorten(shown, TIP_LIMIT), hit.matched_terms), script)
        lines.append(f"{html.escape(label(script, 'tip'))}：{tip}")
    hidden_tips = len(hit.tips) - (1 if hit.tip_passage else 0)
    if hidden_tips and buttons:  # the hint points at the 📄 全文 button
        lines.append(f"<i>{html.escape(label(script, 'more_tips', n=hidden_tips))}</i>")
    if not passage and not hit.tips:
        lines.append(html.escape(to_script(shorten(hit.step.text, PASSAGE_LIMIT), script)))
    return "\n\n".join(lines)


def sentences(script: str, *parts: str) -> str:
    """Sentences one after another: Chinese runs them together, English needs a space."""
    return (" " if script == EN else "").join(parts)


def not_found(result: Answer, limit: int = 3) -> str:
    """Say the SOP has no clear answer, then show the closest step and name the others.

    The closest step is often right after all, so it is shown, briefly; but the
    reply never presents it as the answer.
    """
    script = result.script
    closest, *others = result.hits[:limit]
    lines = [
        html.escape(sentences(script, label(script, "not_found"), label(script, "closest_is"))),
        "",
        f"<b>{breadcrumb(closest.step, script)}</b>",
    ]
    passage = closest.passage or closest.tip_passage or closest.step.text
    if passage:
        short = shorten(passage, DOUBT_LIMIT)
        lines.append(to_script(highlight(short, closest.matched_terms), script))
    if others:
        lines += ["", html.escape(label(script, "also_close"))]
        lines += [f"• {breadcrumb(hit.step, script)}" for hit in others]
    return "\n".join(lines)


def step_full(step: Step, script: str) -> str:
    """A whole step with all its tips (the 📄 全文 button), within Telegram's limit."""
    parts = [f"<b>{breadcrumb(step, script)}</b>"]
    parts += [html.escape(to_script(paragraph, script)) for paragraph in step.body]
    parts += [
        f"{html.escape(label(script, 'tip'))}：{html.escape(to_script(tip, script))}"
        for tip in step.tips
    ]
    text = "\n\n".join(parts)
    if len(text) > TELEGRAM_LIMIT:
        text = html.escape(shorten(html.unescape(text), TELEGRAM_LIMIT - 200))
    return text


def plain(text: str) -> str:
    """Telegram HTML as a terminal shows it: tags dropped, entities unescaped."""
    return html.unescape(re.sub(r"</?(?:b|i|code|a)(?:\s[^>]*)?>", "", text))


# -- Texts of the Telegram interface: /start, /help, browsing, /role, button captions. ------


def step_caption(step: Step, script: str, limit: int = 32) -> str:
    """A step as a button reads (plain text): its heading, or an untitled step's opening words."""
    text = step.label if step.title else f"{step.label} {step.text}".strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return to_script(text, script)


def step_card(step: Step, script: str) -> str:
    """A step as a card when no question picked its sentences (browsing, suggestions)."""
    return hit_card(Hit(step=step, passage=step.text, tips=step.tips, score=0.0), script)


def asked(question: str, result: Answer) -> str:
    """The reply to a question the user tapped rather than typed, so the chat shows it."""
    return f"❓ <i>{html.escape(question)}</i>\n\n{answer(result)}"


def welcome(script: str, name: str) -> str:
    """The /start message; the example questions follow as buttons."""
    return "\n\n".join(
        [
            html.escape(label(script, "welcome", name=name)),
            html.escape(label(script, "try_examples")),
        ]
    )


def help_text(script: str, bot_username: str) -> str:
    return html.escape(label(script, "help", bot=bot_username))


def documents_heading(script: str) -> str:
    return f"<b>{html.escape(label(script, 'documents'))}</b>"


def roles_heading(document: str, script: str) -> str:
    heading = html.escape(name_in(document, script))
    return f"<b>{heading}</b>\n{html.escape(label(script, 'choose_role'))}"


def steps_heading(document: str, role: str, script: str) -> str:
    title = SEPARATOR.join(name_in(part, script) for part in (document, role) if part)
    heading = html.escape(title)
    return f"<b>{heading}</b>\n{html.escape(label(script, 'choose_step'))}"


def role_prompt(script: str, current: str | None, unknown: str | None = None) -> str:
    """/role: the choice of roles; ``unknown`` is a role name typed that matched none."""
    role = name_in(current, script) if current else label(script, "role_none")
    lines = [label(script, "role_unknown", role=unknown)] if unknown else []
    lines += [label(script, "role_prompt"), label(script, "role_current", role=role)]
    return "\n\n".join(html.escape(line) for line in lines)


def role_chosen(script: str, role: str | None) -> str:
    if role is None:
        return html.escape(label(script, "role_cleared"))
    return html.escape(label(script, "role_set", role=name_in(role, script)))


def inline_title(step: Step, script: str) -> str:
    """An inline result's title (plain text): the step under its role or document."""
    return breadcrumb_text(step, script, levels=2)


def inline_description(hit: Hit, script: str, limit: int = 120) -> str:
    """An inline result's second line (plain text): the sentences that matched."""
    text = hit.passage or hit.step.text
    return to_script(shorten(text, limit), script)


# -- Quizzes, /leaderboard, /myscore, /practice ----------------------------------------------

# Telegram's limits on a quiz poll (characters after entity parsing; the polls are plain text).
POLL_QUESTION_LIMIT = 300
POLL_OPTION_LIMIT = 100
POLL_EXPLANATION_LIMIT = 200


def poll(question: QuizQuestion, script: str, review: bool = False) -> tuple[str, list[str], str]:
    """A question as a quiz poll shows it (plain text): question, options, explanation."""
    text, options, explanation = worded(question, script)
    text = to_script(text, script)
    if review:
        text = f"{label(script, 'practice_again')}\n{text}"
    shown = [shorten(to_script(option, script), POLL_OPTION_LIMIT) for option in options]
    explanation = shorten(to_script(explanation, script), POLL_EXPLANATION_LIMIT)
    return shorten(text, POLL_QUESTION_LIMIT), shown, explanation


def worded(question: QuizQuestion, script: str) -> tuple[str, tuple[str, ...], str]:
    """(question, options, explanation) in the reader's language: English readers get the
    English wording around the SOP's own text."""
    if script == EN:
        return question.in_english()
    return question.question, question.options, question.explanation


def quiz_started(script: str, size: int, role: str | None, seconds: int | None) -> str:
    """The message before a quiz's first poll: how many questions, about what, how paced."""
    title = label(script, "quiz_start", n=size)
    if role:
        title += f"（{to_script(role, script)}）" if script != EN else f" ({name_in(role, script)})"
    pace = label(script, "quiz_pace_group", seconds=seconds) if seconds else None
    pace = pace or label(script, "quiz_pace_private")
    return f"<b>{html.escape(title)}</b>\n{html.escape(pace)}"


def unknown_quiz_role(script: str, role: str, roles: tuple[str, ...]) -> str:
    names = ("、" if script != EN else ", ").join(name_in(name, script) for name in roles)
    return html.escape(label(script, "quiz_unknown_role", role=role, roles=names))


def score_line(rank: int, score: Score) -> str:
    name = html.escape(score.name or str(score.user_id))
    return f"{rank}. {name}：<b>{score.correct}</b>/{score.answered}"


def quiz_summary(summary: QuizSummary, script: str) -> str:
    """The end of a quiz: everyone's score, then the most missed questions with their answer."""
    lines = [f"<b>{html.escape(label(script, 'quiz_over', n=summary.questions))}</b>", ""]
    if not summary.scores:
        lines.append(html.escape(label(script, "quiz_no_answers")))
    lines += [score_line(rank, score) for rank, score in enumerate(summary.scores, 1)]
    if summary.missed:
        lines += ["", f"<b>{html.escape(label(script, 'quiz_most_missed'))}</b>"]
    for missed in summary.missed:
        question = missed.question
        text, options, _ = worded(question, script)
        count = label(script, "quiz_wrong_count", wrong=missed.wrong, answered=missed.answered)
        answer = label(script, "quiz_answer", answer=to_script(options[question.correct], script))
        lines += [
            "",
            f"❓ {html.escape(shorten(to_script(text, script), DOUBT_LIMIT))}",
            f"<i>{html.escape(count)}</i>",
            html.escape(answer),
            f"📍 {html.escape(to_script(question.breadcrumb, script))}",
        ]
    return fit("\n".join(lines))


def leaderboard(boards: dict[str, list[Score]], script: str, days: int) -> str:
    """One ranking per store, best first."""
    parts = []
    for store, scores in boards.items():
        heading = label(script, "leaderboard", store=store, days=days)
        lines = [f"<b>{html.escape(heading)}</b>"]
        lines += [score_line(rank, score) for rank, score in enumerate(scores, 1)]
        if not scores:
            lines.append(html.escape(label(script, "leaderboard_empty")))
        parts.append("\n".join(lines))
    return fit("\n\n".join(parts))


def my_score(score: MyScore, script: str, days: int) -> str:
    """/myscore: totals, the last days, weak roles and steps, practice cards."""
    lines = [f"<b>{html.escape(label(script, 'myscore', name=score.total.name))}</b>"]
    total = score.total
    if not total.answered:
        return "\n".join([*lines, html.escape(label(script, "myscore_none"))])
    percent = round(100 * total.correct / total.answered)
    recent = score.recent
    counts = {"correct": total.correct, "answered": total.answered, "percent": percent}
    lately = {"days": days, "correct": recent.correct, "answered": recent.answered}
    lines += [
        html.escape(label(script, "myscore_total", **counts)),
        html.escape(label(script, "myscore_recent", **lately)),
    ]
    weak = (("myscore_weak_roles", score.weak_roles), ("myscore_weak_topics", score.weak_topics))
    for key, spots in weak:
        if spots:
            lines += ["", f"<b>{html.escape(label(script, key))}</b>"]
            lines += [
                f"• {html.escape(name_in(spot.name, script))}：{spot.wrong}/{spot.answered} ✗"
                for spot in spots
            ]
    cards = label(
        script, "myscore_cards", due=score.due, waiting=score.waiting, learned=score.learned
    )
    lines += ["", html.escape(cards)]
    return fit("\n".join(lines))


def practice_done(script: str, correct: int, answered: int) -> str:
    return html.escape(label(script, "practice_done", correct=correct, answered=answered))


def fit(text: str) -> str:
    """A long ranking or summary cut to a message's length, at a line."""
    if len(text) <= TELEGRAM_LIMIT:
        return text
    return text[: text.rfind("\n", 0, TELEGRAM_LIMIT - 2)] + "\n…"


# -- briefings (/brief, /briefs, /missed) ---------------------------------------------------------

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
    return f"{html.escape(label(script, 'brief_preview'))}\n\n{note}\n\n{html.escape(question)}"


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
    return html.escape(label(script, "brief_done", id=briefing_id, summary=summary))


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
        return html.escape(label(script, "briefs_none"))
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
            lines.append(html.escape(label(script, "briefs_unread", names=names)))
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
        return html.escape(label(script, "missed_none"))
    return html.escape(label(script, "missed_intro", n=count))


def missed_more(count: int, script: str) -> str:
    return html.escape(label(script, "missed_more", n=count))


def briefing_reminder(briefing: brief.Briefing, script: str) -> str:
    return html.escape(
        label(
            script,
            "brief_reminder",
            author=briefing.author_name,
            title=briefing_title(briefing, script),
        )
    )
