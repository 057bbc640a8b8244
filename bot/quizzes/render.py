"""The texts of quizzes, /practice, /leaderboard and /myscore, as Telegram HTML (polls as
plain text). Nothing here imports Telegram."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from bot.i18n import label, label_html
from bot.quizzes.service import MAX_SIZE
from bot.render import DOUBT_LIMIT, fit, name_in, shorten
from knowledge.normalize import EN, to_script

if TYPE_CHECKING:
    from bot.quizzes.service import MyScore, QuizSummary, Score
    from knowledge.quiz import QuizQuestion

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


def quiz_started(
    script: str, size: int, role: str | None, seconds: int | None, asked: int | None = None
) -> str:
    """The message before a quiz's first poll: how many questions, about what, how paced
    (and, if fewer than ``asked``, why)."""
    title = label(script, "quiz_start", n=size)
    if role:
        title += f"（{to_script(role, script)}）" if script != EN else f" ({name_in(role, script)})"
    pace = label(script, "quiz_pace_group", seconds=seconds) if seconds else None
    pace = pace or label(script, "quiz_pace_private")
    text = f"<b>{html.escape(title)}</b>\n{html.escape(pace)}"
    if asked is not None and asked > size:
        key = "quiz_capped" if size == MAX_SIZE else "quiz_fewer"
        text += "\n" + label_html(script, key, asked=asked, n=size)
    return text


def unknown_quiz_role(script: str, role: str, roles: tuple[str, ...]) -> str:
    names = ("、" if script != EN else ", ").join(name_in(name, script) for name in roles)
    return label_html(script, "quiz_unknown_role", role=role, roles=names)


def score_line(rank: int, score: Score) -> str:
    name = html.escape(score.name or str(score.user_id))
    return f"{rank}. {name}：<b>{score.correct}</b>/{score.answered}"


def quiz_summary(summary: QuizSummary, script: str) -> str:
    """The end of a quiz: everyone's score, then the most missed questions with their answer."""
    lines = [f"<b>{label_html(script, 'quiz_over', n=summary.questions)}</b>", ""]
    if not summary.scores:
        lines.append(label_html(script, "quiz_no_answers"))
    lines += [score_line(rank, score) for rank, score in enumerate(summary.scores, 1)]
    if summary.missed:
        lines += ["", f"<b>{label_html(script, 'quiz_most_missed')}</b>"]
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
            lines.append(label_html(script, "leaderboard_empty"))
        parts.append("\n".join(lines))
    return fit("\n\n".join(parts))


def my_score(score: MyScore, script: str, days: int) -> str:
    """/myscore: totals, the last days, weak roles and steps, practice cards."""
    lines = [f"<b>{label_html(script, 'myscore', name=score.total.name)}</b>"]
    total = score.total
    if not total.answered:
        return "\n".join([*lines, label_html(script, "myscore_none")])
    percent = round(100 * total.correct / total.answered)
    recent = score.recent
    counts = {"correct": total.correct, "answered": total.answered, "percent": percent}
    lately = {"days": days, "correct": recent.correct, "answered": recent.answered}
    lines += [
        label_html(script, "myscore_total", **counts),
        label_html(script, "myscore_recent", **lately),
    ]
    weak = (("myscore_weak_roles", score.weak_roles), ("myscore_weak_topics", score.weak_topics))
    for key, spots in weak:
        if spots:
            lines += ["", f"<b>{label_html(script, key)}</b>"]
            lines += [
                "• "
                + label_html(
                    script,
                    "myscore_weak_line",
                    name=name_in(spot.name, script),
                    wrong=spot.wrong,
                    answered=spot.answered,
                )
                for spot in spots
            ]
    cards = label(
        script, "myscore_cards", due=score.due, waiting=score.waiting, learned=score.learned
    )
    lines += ["", html.escape(cards)]
    return fit("\n".join(lines))


def practice_done(script: str, correct: int, answered: int) -> str:
    return label_html(script, "practice_done", correct=correct, answered=answered)
