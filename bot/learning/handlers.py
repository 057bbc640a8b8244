"""/gaps and /teach: questions the SOP answered badly, and teaching it staff's wording.

A trainer taps 🎓 under a gap group (or sends ``/teach wording``), then finds the step by
typing words or browsing /roles' keyboards; the wordings become alternate questions of that
step and the index is rebuilt at once, so the next person asking that way gets the step.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import Update

from bot.browse.keyboards import documents_keyboard
from bot.context import Context
from bot.documents import scope
from bot.i18n import label, label_html
from bot.learning import render as render_learning
from bot.learning import service as learning
from bot.render import shorten
from bot.tg.messages import InPrivateStep, answer_expired, edit, refuse
from knowledge.gaps import GapQuestion, group_gaps

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7
MAX_DAYS = 365
GAPS = "gaps"  # user_data key: the groups of the user's last /gaps, for its 🎓 buttons
LAST_TAUGHT = "last_taught"  # user_data key: the rows the user last taught, for ↩️
TAUGHT_LISTED = 12  # /teach alone lists this many of the latest taught wordings
DAYS_RE = re.compile(r"[0-9]{1,3}\Z")
TRAINER = "trainer"


async def show_gaps(update: Update, context: Context) -> None:
    """List the most frequent unanswered and 👎'd questions of the last N days, grouped."""
    if not context.at_least(TRAINER):
        await refuse(update, context)
        return
    args = context.args or []
    days = int(args[0]) if args and DAYS_RE.match(args[0]) else DEFAULT_DAYS
    days = min(max(days, 1), MAX_DAYS)
    # Their own stores' questions only (an admin's: every store's), bot/access/rules.py.
    found = context.bot_data.storage.questions.gap_questions(days, context.stores_seen)
    groups = group_gaps(GapQuestion(text, kind, step) for text, kind, step in found)
    context.user_data[GAPS] = [group.wordings for group in groups]
    text, keyboard = render_learning.gaps(groups, days, context.ui)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def teach_gap(update: Update, context: Context) -> None:
    """Start teaching the wordings of one gap group."""
    query = update.callback_query
    if not context.at_least(TRAINER):
        await refuse(update, context)
        return
    number = int(context.matches[0].group(1))
    remembered = context.user_data.get(GAPS) or []
    if not 1 <= number <= len(remembered):
        await answer_expired(query, context)
        return
    await query.answer()
    await prompt(update, context, tuple(remembered[number - 1]))


async def teach(update: Update, context: Context) -> None:
    """/teach WORDING: find the step a staff wording should lead to."""
    if not context.at_least(TRAINER):
        await refuse(update, context)
        return
    wording = " ".join(context.args or []).strip()
    if not wording:
        await show_taught(update, context)
        return
    await prompt(update, context, (wording,))


async def show_taught(update: Update, context: Context) -> None:
    """/teach alone: how to teach, and the latest taught wordings with 🗑 to take one back."""
    storage, kb = context.bot_data.storage, context.bot_data.kb
    wordings = [(w, kb.step(w.step_id)) for w in storage.questions.taught_wordings(TAUGHT_LISTED)]
    text, keyboard = render_learning.taught_list(wordings, context.ui)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def prompt(update: Update, context: Context, wordings: tuple[str, ...]) -> None:
    teaching = learning.start_teaching(context.user_data, wordings)
    ui = context.ui
    text, keyboard = render_learning.teach_prompt(teaching, ui)
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=keyboard)


async def find_step(update: Update, context: Context) -> None:
    """While teaching, typed words search the SOP for the step to teach."""
    words = (update.effective_message.text or "")[: learning.TAUGHT_LIMIT]
    language = update.effective_user.language_code
    result = await context.bot_data.ask(words, None, language, scope.hidden(context))
    ui = context.ui
    steps = [hit.step for hit in result.hits]
    if steps:
        learning.searched(context.user_data)  # the next text is a question again
    text, keyboard = render_learning.teach_results(steps, ui)
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def search_again(update: Update, context: Context) -> None:
    """🔎: the trainer's next typed text searches for the step once more."""
    query = update.callback_query
    teaching = learning.searched(context.user_data, again=True)
    if teaching is None:
        await answer_expired(query, context)
        return
    await query.answer()
    text, keyboard = render_learning.teach_prompt(teaching, context.ui)
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=keyboard)


async def browse_for_step(update: Update, context: Context) -> None:
    """Show /roles' documents keyboard; the step's page then offers 🎓 (see browse.read_step)."""
    query = update.callback_query
    if learning.teaching_of(context.user_data) is None:
        await answer_expired(query, context)
        return
    ui = context.ui
    await query.answer()
    await edit(
        query,
        label_html(ui, "documents"),
        documents_keyboard(scope.contents(context), 0, ui),
    )


async def teach_step(update: Update, context: Context) -> None:
    """Make the wordings alternates of the chosen step and rebuild the index."""
    query = update.callback_query
    if not context.at_least(TRAINER):
        await refuse(update, context)
        return
    teaching = learning.teaching_of(context.user_data)
    step = context.bot_data.kb.step(context.matches[0].group(1))
    if teaching is None or step is None or not scope.serves(context, step):
        await answer_expired(query, context)
        return
    ui = context.ui
    if not teaching.chosen:
        await query.answer(label(ui, "teach_none_chosen"), show_alert=True)
        return
    learning.stop_teaching(context.user_data)
    await query.answer(label(ui, "teach_working"))
    rows = context.bot_data.storage.questions.teach_rows(
        step.id, teaching.chosen, query.from_user.id
    )
    context.user_data[LAST_TAUGHT] = rows
    await learning.rebuild_knowledge(context.bot_data)
    await edit(query, *render_learning.taught(teaching.chosen, step, ui, undo=bool(rows)))


async def toggle_wording(update: Update, context: Context) -> None:
    """✅ / ⬜ on a group's wording: leave it out of what is taught, or take it back in."""
    query = update.callback_query
    teaching = learning.toggle_wording(context.user_data, int(context.matches[0].group(1)))
    if teaching is None:
        await answer_expired(query, context)
        return
    await query.answer()
    await edit(query, *render_learning.teach_prompt(teaching, context.ui))


async def undo_teaching(update: Update, context: Context) -> None:
    """↩️ under ✅ 學會了: take those wordings back and rebuild the index."""
    query = update.callback_query
    if not context.at_least(TRAINER):
        await refuse(update, context)
        return
    rows = context.user_data.pop(LAST_TAUGHT, None)
    if not rows:
        await answer_expired(query, context)
        return
    ui = context.ui
    await query.answer(label(ui, "teach_working"))
    removed = context.bot_data.storage.questions.forget_taught(rows)
    await learning.rebuild_knowledge(context.bot_data)
    await edit(query, label_html(ui, "teach_undone", count=removed), None)


async def forget_wording(update: Update, context: Context) -> None:
    """🗑 in /teach's list: take one taught wording back (its teacher, or a manager)."""
    query = update.callback_query
    if not context.at_least(TRAINER):
        await refuse(update, context)
        return
    storage = context.bot_data.storage
    wording = storage.questions.taught_wording(int(context.matches[0].group(1)))
    if wording is None:
        await answer_expired(query, context)
        return
    ui = context.ui
    if wording.taught_by != query.from_user.id and not context.at_least("manager"):
        await query.answer(label(ui, "teach_forget_refused"), show_alert=True)
        return
    await query.answer(label(ui, "teach_working"))
    storage.questions.forget_taught([wording.id])
    await learning.rebuild_knowledge(context.bot_data)
    kb = context.bot_data.kb
    wordings = [(w, kb.step(w.step_id)) for w in storage.questions.taught_wordings(TAUGHT_LISTED)]
    text, keyboard = render_learning.taught_list(wordings, ui)
    question = shorten(wording.question, render_learning.QUESTION_SHOWN)
    gone = label_html(ui, "teach_forgotten", question=question)
    await edit(query, f"{gone}\n\n{text}", keyboard)


async def stop_teaching(update: Update, context: Context) -> None:
    """✖️: stop teaching; typed text is a question again."""
    query = update.callback_query
    learning.stop_teaching(context.user_data)
    ui = context.ui
    await query.answer()
    await edit(query, label_html(ui, "teach_cancelled"), None)


# -- jobs, and the filter for a trainer's messages while teaching ---------------------------


async def prune_question_log(context: Context) -> None:
    """Forget questions older than SOPBOT_LOG_DAYS (a daily job)."""
    days = context.bot_data.settings.log_days
    removed = context.bot_data.storage.questions.prune_questions(days)
    log.info("pruned %d questions older than %d days", removed, days)


async def watch_sop_version(context: Context) -> None:
    """Pick up an SOP imported or rolled back with the CLI (a job, every minute)."""
    if not learning.serves_current_sop(context.bot_data):
        log.info("the SOP changed on disk; reloading")
        await learning.rebuild_knowledge(context.bot_data)


def is_teaching(user_data: Any) -> InPrivateStep:
    """Messages from someone in the middle of teaching: their text searches for the step."""
    return InPrivateStep(
        "IsTeaching", user_data, lambda data: learning.searching_of(data) is not None
    )


def schedule_jobs(app: Any) -> None:
    """The daily prune of the question log, and the watch for SOP versions changed by the CLI."""
    jobs = app.job_queue
    jobs.run_daily(prune_question_log, time=learning.PRUNE_AT, name=learning.PRUNE_JOB)
    jobs.run_repeating(
        watch_sop_version, interval=learning.SOP_WATCH_SECONDS, name=learning.SOP_WATCH_JOB
    )
