"""Usage statistics for managers: questions per day and store, top steps, answer rate, chart."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.storage import Storage
from knowledge import KnowledgeBase, Step
from knowledge.base import HIGH, NOT_QUESTIONS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOP_STEPS = 5
TOP_STORES = 8


@dataclass(frozen=True)
class Usage:
    days: int
    total: int
    answered: int  # answered with confidence
    per_day: tuple[tuple[date, int], ...]  # every day of the window, oldest first
    by_store: tuple[tuple[str | None, int], ...]
    top_steps: tuple[tuple[Step, int], ...]
    votes: tuple[int, int]  # 👍, 👎
    briefings: tuple[int, int]  # read, delivered
    quizzes: tuple[int, int]  # right, answered
    # Questions asked of people (bot/asks/): asked, answered, median minutes to an answer.
    asks: tuple[int, int, float | None] = (0, 0, None)


def usage(
    storage: Storage,
    kb: KnowledgeBase,
    days: int,
    zone: ZoneInfo,
    stores: Iterable[str] | None = None,
) -> Usage:
    """Sum up the last ``days`` of the question log, by the store's calendar days.

    Only ``stores`` count (None: every store): a manager sees their own stores' usage
    (``bot.access.rules.stores_seen_by``), never another's.
    """
    wanted = None if stores is None else tuple(stores)
    rows = [
        row for row in storage.questions.asked(days, wanted) if (row[4] or "") not in NOT_QUESTIONS
    ]
    today = datetime.fromisoformat(storage.connection.clock()).astimezone(zone).date()
    per_day = Counter(datetime.fromisoformat(at).astimezone(zone).date() for at, *_ in rows)
    by_store = Counter(store for _, store, *_ in rows)
    steps = Counter(
        step_id for _, _, step_id, confidence, _ in rows if confidence == HIGH and step_id
    )
    top = [(kb.step(step_id), n) for step_id, n in steps.most_common()]
    return Usage(
        days=days,
        total=len(rows),
        answered=sum(confidence == HIGH for _, _, _, confidence, _ in rows),
        per_day=tuple(
            (day, per_day.get(day, 0))
            for day in (today - timedelta(days=n) for n in range(days - 1, -1, -1))
        ),
        by_store=tuple(by_store.most_common(TOP_STORES)),
        top_steps=tuple((step, n) for step, n in top if step is not None)[:TOP_STEPS],
        votes=storage.questions.question_votes(days, wanted),
        briefings=storage.questions.briefing_reads(days, wanted),
        quizzes=storage.questions.quiz_results(days, wanted),
        asks=asks_summary(storage, days, wanted),
    )


def asks_summary(
    storage: Storage, days: int, stores: Sequence[str] | None = None
) -> tuple[int, int, float | None]:
    """Questions asked of people, how many got an answer, the median minutes to it."""
    asked, minutes = storage.asks.answer_times(storage.connection.cutoff(days), stores)
    return asked, len(minutes), (median(minutes) if minutes else None)


def chart(found: Usage) -> bytes:
    """Questions per day as a bar chart (PNG)."""
    figure = chart_figure(found)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(found: Usage) -> Figure:
    """The bars of questions per day, with no words on it: only dates and counts.

    matplotlib's bundled font has no Chinese glyphs and a server may have no other, so a
    title would have to be English inside a Chinese interface; the message the chart comes
    with names it in the reader's script instead (``stats_heading``).
    """
    # Imported here: matplotlib takes a while to import and only /stats needs it.
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2), dpi=100)
    axes = figure.subplots()
    labels = [day.strftime("%m-%d") for day, _ in found.per_day]
    axes.bar(labels, [count for _, count in found.per_day], color="#7fa7d9")
    axes.spines[["top", "right"]].set_visible(False)
    step = max(1, len(labels) // 10)
    axes.set_xticks(range(0, len(labels), step), labels[::step], fontsize=8)
    figure.tight_layout()
    return figure
