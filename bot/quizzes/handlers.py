"""Trainer quizzes (/quiz), /leaderboard, /myscore and self-study (/practice) as quiz polls.

Pacing: in a private chat the next question follows the answer. In a group the number of
people who will answer is unknown, so each poll is open for ``QUESTION_SECONDS``
(Telegram closes it and shows the answer) and a named job posts the next one when it has
closed; the summary follows the last. Quiz state is in SQLite, so a restart loses nothing:
answers keep counting, and a group quiz goes on where it was (``resume_group_quizzes``).

Every answer arrives as a PollAnswer update and is scored against the stored poll; an
answer to a poll this bot did not send, or naming an option the poll lacks, is ignored.
"""

from __future__ import annotations

import html
import logging
import secrets
from datetime import datetime, timedelta
from datetime import time as day_time
from typing import Any, cast

from telegram import InputPollOption, Message, Poll, Update
from telegram.error import Forbidden
from telegram.ext import Application, JobQueue

from bot.access.rules import shows_sop
from bot.context import Context, script_of
from bot.documents import scope
from bot.i18n import label, label_html
from bot.quizzes import render
from bot.quizzes import service as quizzes
from bot.storage import SentPoll
from bot.tg.jobs import remove_jobs
from bot.tg.messages import refuse
from knowledge.corpus import load_catalog
from knowledge.quiz import QuizQuestion, generate_questions, role_names

log = logging.getLogger(__name__)

QUESTION_SECONDS = 30  # a group poll's open_period
# The next group question waits until the previous poll has surely closed.
CLOSE_GRACE_SECONDS = 2
# A group quiz the bot was down for longer than this is summed up rather than carried on:
# the group has moved on.
STALE_QUIZ = timedelta(hours=1)
STOP = "stop"


async def reply(update: Update, text: str) -> None:
    await update.effective_message.reply_html(text)


# -- /quiz -----------------------------------------------------------------------------------


async def start_quiz(update: Update, context: Context) -> None:
    """Start a quiz of N questions on the SOP (or one role) in this chat; trainers and up."""
    user, chat = update.effective_user, update.effective_chat
    ui = context.ui
    if not context.at_least("trainer"):
        await refuse(update, context, "refused_quiz")
        return
    storage, steps = context.bot_data.storage, scope.steps(context)
    if context.args and context.args[0].lower() == STOP:
        running = storage.quizzes.running_quiz(chat.id)
        if running is None:
            await reply(update, label_html(ui, "quiz_not_running"))
        else:
            await finish_quiz(context, running.id)
        return
    if storage.quizzes.running_quiz(chat.id) is not None:
        await reply(update, label_html(ui, "quiz_running"))
        return
    request = quizzes.parse_quiz_request(context.args or ())
    role = None
    if request.role:
        names = role_names(request.role, steps, load_catalog().roles)
        if not names:
            roles = scope.contents(context).roles
            await reply(update, render.unknown_quiz_role(ui, request.role, roles))
            return
        role = sorted(names)[0]
    questions = generate_questions(steps, request.size, role=request.role)
    if not questions:
        await reply(update, label_html(ui, "quiz_empty"))
        return
    quiz_id = storage.quizzes.start_quiz(chat.id, user.id, role, quizzes.list_to_json(questions))
    seconds = QUESTION_SECONDS if is_group(chat.id) else None
    started = render.quiz_started(ui, len(questions), role, seconds, request.asked)
    await reply(update, started)
    await send_quiz_question(context, quiz_id)


def is_group(chat_id: int) -> bool:
    # Telegram gives groups and channels negative ids, people positive ones.
    return chat_id < 0


def may_post(context: Context, chat_id: int) -> bool:
    """Whether a quiz may still post SOP text in its chat: a private chat, or a group still
    linked to a store (bot/access/rules.py); a group unlinked meanwhile gets no more."""
    group = is_group(chat_id)
    return shows_sop(
        not group, context.bot_data.storage.groups.linked_store(chat_id) if group else None
    )


async def send_quiz_question(context: Context, quiz_id: int) -> None:
    """Send the quiz's current question; in a group, schedule the next one."""
    storage = context.bot_data.storage
    quiz = storage.quizzes.quiz(quiz_id)
    if quiz is None or quiz.ended_at:
        return
    if not may_post(context, quiz.chat_id):
        log.info("quiz %d ended unfinished: its group is no longer linked", quiz_id)
        storage.quizzes.end_quiz(quiz_id)
        remove_jobs(context.job_queue, quiz_job_name(quiz_id))
        return
    question = quizzes.list_from_json(quiz.questions)[quiz.position]
    group = is_group(quiz.chat_id)
    script = script_of(storage, quiz.started_by)
    sent = await send_poll(
        context, quiz.chat_id, question, script, QUESTION_SECONDS if group else None
    )
    storage.quizzes.add_poll(
        poll_record(context, sent, question, quiz_id=quiz.id, position=quiz.position)
    )
    if group:
        job_queue: JobQueue[Any] | None = context.job_queue
        assert job_queue is not None, "install python-telegram-bot[job-queue]"
        job_queue.run_once(
            send_next_question,
            when=QUESTION_SECONDS + CLOSE_GRACE_SECONDS,
            data=(quiz.id, quiz.position),
            chat_id=quiz.chat_id,
            name=quiz_job_name(quiz.id),
        )


def quiz_job_name(quiz_id: int) -> str:
    return f"quiz:{quiz_id}"


async def send_poll(
    context: Context,
    chat_id: int,
    question: QuizQuestion,
    script: str,
    open_period: int | None,
    review: bool = False,
) -> Message:
    """Send one question as a quiz poll; answers are not anonymous so they can be scored."""
    text, options, explanation = render.poll(question, script, review=review)
    # The polls are plain text: None overrides the bot's default HTML parse mode.
    return await context.bot.send_poll(
        chat_id,
        text,
        [InputPollOption(option, text_parse_mode=None) for option in options],
        is_anonymous=False,
        type=Poll.QUIZ,
        # PTB types an option's index as a Literal of 0–11; a question has at most four.
        correct_option_ids=[question.correct],  # type: ignore[list-item]
        explanation=explanation,
        open_period=open_period,
        question_parse_mode=None,
        explanation_parse_mode=None,
    )


def poll_record(context: Context, sent: Message, question: QuizQuestion, **fields: Any) -> SentPoll:
    steps = {step.id: step for step in context.bot_data.kb.steps}
    values: dict[str, Any] = {
        "quiz_id": None,
        "position": 0,
        "owner_id": None,
        "card": None,
        "round_size": None,
        "round": None,
        **fields,
    }
    return SentPoll(
        poll_id=sent.poll.id,
        chat_id=sent.chat_id,
        message_id=sent.message_id,
        question=quizzes.to_json(question),
        correct=question.correct,
        options=len(question.options),
        role=quizzes.role_of(question, steps),
        breadcrumb=question.breadcrumb,
        **values,
    )


async def send_next_question(context: Context) -> None:
    """Job: a group question's time is up; ask the next one (or sum the quiz up)."""
    assert context.job is not None
    quiz_id, position = cast(tuple[int, int], context.job.data)
    await advance(context, quiz_id, position)


async def send_current_question(context: Context) -> None:
    """Job: ask the question a restart interrupted before it was sent."""
    assert context.job is not None
    quiz_id, _ = cast(tuple[int, int], context.job.data)
    await send_quiz_question(context, quiz_id)


async def finish_stale_quiz(context: Context) -> None:
    """Job: sum up a group quiz the bot was down for too long to carry on."""
    assert context.job is not None
    quiz_id, _ = cast(tuple[int, int], context.job.data)
    await finish_quiz(context, quiz_id)


async def resume_group_quizzes(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Carry on the group quizzes a restart interrupted (run at start-up, in post_init).

    The current poll closes on Telegram's clock whether the bot runs or not, so the next
    question follows on time; one the bot never got to send is sent now; a quiz left for
    longer than ``STALE_QUIZ`` gets its summary instead.
    """
    storage = app.bot_data.storage
    job_queue = app.job_queue
    assert job_queue is not None, "install python-telegram-bot[job-queue]"
    now = app.bot_data.now()
    closes = timedelta(seconds=QUESTION_SECONDS + CLOSE_GRACE_SECONDS)
    for run, sent_at in storage.quizzes.running_group_quizzes():
        sent = datetime.fromisoformat(sent_at) if sent_at else None
        if now - (sent or datetime.fromisoformat(run.started_at)) > STALE_QUIZ:
            callback, due = finish_stale_quiz, 0.0
        elif sent is None:
            callback, due = send_current_question, 0.0
        else:
            callback, due = send_next_question, max(0.0, (sent + closes - now).total_seconds())
        job_queue.run_once(
            callback,
            when=due,
            data=(run.id, run.position),
            chat_id=run.chat_id,
            name=quiz_job_name(run.id),
        )


async def advance(context: Context, quiz_id: int, position: int) -> None:
    """Move past question ``position`` (once, however many answers or jobs ask to)."""
    storage = context.bot_data.storage
    if not storage.quizzes.advance_quiz(quiz_id, position):
        return
    quiz = storage.quizzes.quiz(quiz_id)
    assert quiz is not None
    if quiz.position < len(quizzes.list_from_json(quiz.questions)):
        await send_quiz_question(context, quiz_id)
    else:
        await finish_quiz(context, quiz_id)


async def finish_quiz(context: Context, quiz_id: int) -> None:
    """End a quiz and post its summary: scores, and the most missed questions."""
    storage = context.bot_data.storage
    if not storage.quizzes.end_quiz(quiz_id):
        return
    remove_jobs(context.job_queue, quiz_job_name(quiz_id))
    quiz = storage.quizzes.quiz(quiz_id)
    assert quiz is not None
    if not may_post(context, quiz.chat_id):
        return  # the right answers are SOP text: not for a group unlinked meanwhile
    questions = quizzes.list_from_json(quiz.questions)
    summary = quizzes.summarize(questions, storage.quizzes.quiz_answers(quiz_id))
    script = script_of(storage, quiz.started_by)
    await context.bot.send_message(quiz.chat_id, render.quiz_summary(summary, script))


# -- answers -----------------------------------------------------------------------------------


async def record_answer(update: Update, context: Context) -> None:
    """Score an answer to one of this bot's quiz polls, then go on; ignore anything else."""
    answer = update.poll_answer
    user = answer.user if answer else None
    storage = context.bot_data.storage
    poll = storage.quizzes.poll(answer.poll_id) if answer and user else None
    if poll is None or user is None or len(answer.option_ids) != 1:
        return  # a poll not ours, an anonymous (chat) vote, or a retracted vote
    option = answer.option_ids[0]
    if not 0 <= option < poll.options or poll.owner_id not in (None, user.id):
        return
    quiz = storage.quizzes.quiz(poll.quiz_id) if poll.quiz_id is not None else None
    if poll.quiz_id is not None and (quiz is None or quiz.ended_at):
        return  # answered after the summary: it stays as posted
    correct = option == poll.correct
    if not storage.quizzes.record_answer(poll.poll_id, user.id, option, correct):
        return
    if quiz is not None:
        if not is_group(quiz.chat_id):
            await advance(context, quiz.id, poll.position)
        return
    quizzes.record_practice(storage, user.id, quizzes.from_json(poll.question), correct)
    assert poll.round is not None and poll.round_size is not None
    await send_practice_question(
        context, user.id, poll.chat_id, poll.round, poll.position + 1, poll.round_size
    )


# -- /practice -----------------------------------------------------------------------------


async def practice(update: Update, context: Context) -> None:
    """Practise SOP questions one at a time; `/practice on HH:MM` or `off` for a reminder."""
    user, chat = update.effective_user, update.effective_chat
    ui = context.ui
    if not context.at_least("staff"):
        await refuse(update, context, "refused_unregistered")
        return
    storage = context.bot_data.storage
    args = [arg.lower() for arg in context.args or ()]
    if args[:1] == ["off"]:
        storage.quizzes.clear_reminder(user.id)
        remove_reminder(context.job_queue, user.id)
        await reply(update, label_html(ui, "practice_reminder_off"))
    elif args[:1] == ["on"]:
        at = quizzes.parse_time(args[1]) if len(args) > 1 else None
        if at is None:
            await reply(update, label_html(ui, "practice_bad_time"))
            return
        text = f"{at[0]:02d}:{at[1]:02d}"
        storage.quizzes.set_reminder(user.id, chat.id, text)
        schedule_reminder(context.application, user.id, chat.id, text)
        await reply(update, label_html(ui, "practice_reminder_on", time=text))
    else:
        round_id = secrets.token_hex(6)
        await send_practice_question(context, user.id, chat.id, round_id, 0, quizzes.PRACTICE_ROUND)


async def send_practice_question(
    context: Context, user_id: int, chat_id: int, round_id: str, position: int, size: int
) -> None:
    """Send the round's next question (a card come due, else a new one), or its result."""
    storage = context.bot_data.storage
    script = script_of(storage, user_id)
    picked = None
    if position < size:
        seed = f"{user_id}:{storage.connection.clock()}"
        role = storage.users.role_of(user_id)
        served = scope.steps(context, user_id)
        picked = quizzes.next_practice(storage, user_id, served, role, seed)
    if picked is None:
        answers = storage.quizzes.round_answers(round_id)
        correct = sum(answer.correct for answer in answers)
        text = (
            render.practice_done(script, correct, len(answers))
            if answers
            else label_html(script, "practice_nothing")
        )
        await context.bot.send_message(chat_id, text)
        return
    question, review = picked
    sent = await send_poll(context, chat_id, question, script, None, review=review)
    record = poll_record(
        context,
        sent,
        question,
        position=position,
        owner_id=user_id,
        card=quizzes.card_key(question),
        round_size=size,
        round=round_id,
    )
    storage.quizzes.add_poll(record)


# -- reminders ---------------------------------------------------------------------------------


def reminder_job_name(user_id: int) -> str:
    return f"practice:{user_id}"


def remove_reminder(job_queue: JobQueue[Any] | None, user_id: int) -> None:
    remove_jobs(job_queue, reminder_job_name(user_id))


def schedule_reminder(
    app: Application[Any, Any, Any, Any, Any, Any], user_id: int, chat_id: int, at: str
) -> None:
    """(Re)place a person's daily practice reminder at ``at`` (HH:MM, the store's time)."""
    job_queue = app.job_queue
    assert job_queue is not None, "install python-telegram-bot[job-queue]"
    remove_reminder(job_queue, user_id)
    hours, minutes = (int(part) for part in at.split(":"))
    job_queue.run_daily(
        send_practice_reminder,
        time=day_time(hours, minutes, tzinfo=app.bot_data.settings.timezone),
        data=(user_id, chat_id),
        name=reminder_job_name(user_id),
        chat_id=chat_id,
        user_id=user_id,
    )


async def schedule_reminders(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every stored practice reminder (run at start-up, in post_init)."""
    for user_id, chat_id, at in app.bot_data.storage.quizzes.reminders():
        schedule_reminder(app, user_id, chat_id, at)


async def send_practice_reminder(context: Context) -> None:
    """Job: remind a person to practise, saying how many questions are due."""
    assert context.job is not None
    user_id, chat_id = cast(tuple[int, int], context.job.data)
    storage = context.bot_data.storage
    person = storage.people.person(user_id)
    if person is None or not person.active:
        return
    script = script_of(storage, user_id)
    due = quizzes.due_count(storage, user_id)
    text = (
        label(script, "practice_reminder_due", due=due)
        if due
        else label(script, "practice_reminder_new")
    )
    try:
        await context.bot.send_message(chat_id, html.escape(text))
    except Forbidden:
        # They blocked the bot: stop reminding rather than fail every day.
        log.info("practice reminder for %d refused; turning it off", user_id)
        storage.quizzes.clear_reminder(user_id)
        context.job.schedule_removal()


# -- /leaderboard, /myscore ------------------------------------------------------------------------


async def show_leaderboard(update: Update, context: Context) -> None:
    """Rank the people of the user's stores (every store for a manager or admin without one;
    in a linked group, that group's store)."""
    ui = context.ui
    if not context.at_least("staff"):
        await refuse(update, context, "refused_unregistered")
        return
    storage = context.bot_data.storage
    stores = list(context.stores)
    if not stores and context.at_least("manager"):
        stores = quizzes.all_stores(storage)
    if context.linked_store is not None:
        stores = [context.linked_store]  # a group sees its own store's board, nobody else's
    if not stores:
        await reply(update, label_html(ui, "leaderboard_no_store"))
        return
    boards = quizzes.leaderboard(storage, stores)
    await reply(update, render.leaderboard(boards, ui, quizzes.LEADERBOARD_DAYS))


async def show_my_score(update: Update, context: Context) -> None:
    """Show the user's totals, their last 30 days, weak roles and steps, and practice cards."""
    user = update.effective_user
    ui = context.ui
    if not context.at_least("staff"):
        await refuse(update, context, "refused_unregistered")
        return
    storage = context.bot_data.storage
    person = context.person
    name = person.name if person else user.full_name
    score = quizzes.my_score(storage, user.id, name)
    await reply(update, render.my_score(score, ui, quizzes.LEADERBOARD_DAYS))
