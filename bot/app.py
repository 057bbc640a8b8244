"""The Telegram application: every handler wired in one ordered block, and how the bot runs."""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import callbacks
from bot.access import gate, users
from bot.access import handlers as admin
from bot.access import rules as access
from bot.answers import cards, feedback, inline, start
from bot.answers import handlers as ask
from bot.asks import delivery as ask_delivery
from bot.asks import handlers as asks
from bot.briefings import handlers as briefings
from bot.browse import handlers as browse
from bot.browse import role
from bot.browse.contents import Contents
from bot.config import Settings
from bot.context import CONTEXT_TYPES, BotData
from bot.documents import handlers as library
from bot.documents import imports
from bot.documents import service as documents
from bot.i18n import label
from bot.learning import handlers as gaps
from bot.learning import service as learning
from bot.quizzes import handlers as quiz
from bot.search_worker import SearchWorker
from bot.stats import handlers as stats
from bot.storage import Storage
from bot.storage.backlog import Backlog
from bot.tg import errors
from bot.tg.commands import COMMAND_LANGUAGES, COMMANDS
from bot.tg.load import Admission, ArrivalQueue
from bot.tg.polling import Health, PollingRequest, health_path
from bot.tg.sending import Limiter
from knowledge import KnowledgeBase

log = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, BotData, Any]

# Handlers run concurrently (up to bot.tg.load.CONCURRENCY at a time): one slow chat never
# holds up the others. Nothing here depends on the order of updates across chats. Under
# overload a question that waited too long for its turn is declined at once (bot/tg/load.py).

# Only what the handlers use, so Telegram sends nothing else.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.POLL_ANSWER,  # answers to quiz polls, scored (bot/quizzes/handlers.py)
]


class ButtonHandler(CallbackQueryHandler[Any, Any]):
    """A button handler that takes only data its pattern matches.

    PTB's own lets a query with empty data through to every pattern (its game-query
    branch), and a forged query may well have empty data.
    """

    def check_update(self, update: object) -> bool | object | None:
        found = super().check_update(update)
        return found if isinstance(found, re.Match) else False


def command(name: str, callback: Any) -> CommandHandler[Any, Any]:
    """The handler of a command; in private chats only if the rules say it is private."""
    if name in access.PRIVATE_COMMANDS:
        return CommandHandler(name, callback, filters=filters.ChatType.PRIVATE)
    return CommandHandler(name, callback)


def build_application(
    settings: Settings,
    kb: KnowledgeBase,
    storage: Storage,
    *,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    get_updates_request: BaseRequest | None = None,
) -> BotApplication:
    """The bot, ready to run: services on ``bot_data``, handlers in the order they match.

    ``request`` replaces the HTTP layer (tests and benchmarks pass an offline one);
    ``rate_limiter`` keeps the bot within Telegram's flood limits and retries what a passing
    fault refused (``run`` passes one, ``bot.tg.sending.Limiter``); ``get_updates_request``
    is the HTTP layer of polling alone (``run`` passes ``bot.tg.polling.PollingRequest``).
    """
    arrivals = ArrivalQueue()
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(settings.base_file_url)
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone))
        .update_queue(arrivals)
        .concurrent_updates(Admission(arrivals))
        .post_init(start_up)
        .post_stop(stop_background_work)
        .post_shutdown(close_storage)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    elif get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    app: BotApplication = builder.build()

    # The services, built once (the caller loaded the knowledge base and opened storage).
    app.bot_data.settings = settings
    app.bot_data.kb = kb
    app.bot_data.storage = storage
    app.bot_data.backlog = Backlog(storage.connection)
    app.bot_data.contents = Contents.from_steps(kb.steps)
    # Which documents are served to whom (bot/documents/), and what each says now.
    app.bot_data.library = storage.documents.library()
    documents.note_versions(storage, kb)
    if settings.search_worker:
        app.bot_data.search_worker = SearchWorker()  # started in post_init
    briefings.install(app)  # briefings and the courier that delivers them

    # 0. The gate (group -2, before everything): only registered, active people get past it;
    #    strangers and revoked users get a refusal with their id (a few a minute), or join
    #    with an invite link. In a group no admin linked to a store, members are pointed to
    #    a private chat (bot/access/rules.py says what each chat may show).
    #    Admins listed in SOPBOT_ADMIN_IDS are registered now (and again on a message).
    access.register_admins(storage, settings.admin_ids)
    app.add_handler(TypeHandler(Update, gate.gate), group=-2)

    # 1. Before anything else (group -1, which never stops the rest): note who wrote.
    app.add_handler(TypeHandler(Update, users.remember_user), group=-1)

    # 2. Commands, before the text handler that would take them for questions. Those of
    #    access.PRIVATE_COMMANDS answer in private chats only (an invite link, a store's
    #    figures or staff's questions must not land in a group; the gate points group
    #    members to their private chat); see command() below.
    app.add_handler(command("start", start.welcome))
    app.add_handler(command("help", start.show_help))
    app.add_handler(command("roles", browse.list_documents))
    app.add_handler(command("role", role.choose_role))
    app.add_handler(command("quiz", quiz.start_quiz))
    app.add_handler(command("practice", quiz.practice))
    app.add_handler(command("leaderboard", quiz.show_leaderboard))
    app.add_handler(command("myscore", quiz.show_my_score))
    # Managers and admins: invites and people.
    app.add_handler(command("invite", admin.invite))
    app.add_handler(command("users", admin.list_people))
    app.add_handler(command("grant", admin.grant))
    app.add_handler(command("stores", admin.set_stores))
    app.add_handler(command("revoke", admin.revoke))
    # Admins, in a group: link it to a store (the only groups SOP text is shown in), unlink it.
    app.add_handler(command("link", admin.link_group))
    app.add_handler(command("unlink", admin.unlink_group))
    # Knowledge gaps and teaching (trainers+), usage (managers+), SOP rollback (admins).
    app.add_handler(command("gaps", gaps.show_gaps))
    app.add_handler(command("teach", gaps.teach))
    app.add_handler(command("stats", stats.show_stats))
    app.add_handler(command("rollback", imports.roll_back))
    app.add_handler(command("docs", library.list_documents))
    # Briefings: managers /brief and /briefs; anyone catches up with /missed.
    app.add_handler(command("brief", briefings.start_briefing))
    app.add_handler(command("briefs", briefings.list_briefs))
    app.add_handler(command("missed", briefings.show_missed))
    # Ask a person: anyone /ask; responders /asks; store notes; who answers (managers+).
    app.add_handler(command("ask", asks.ask_command))
    app.add_handler(command("asks", asks.list_asks))
    app.add_handler(command("notes", asks.list_notes))
    app.add_handler(command("responders", asks.set_responders))

    # 3. Buttons, each kind by its strict pattern (bot.callbacks).
    app.add_handler(ButtonHandler(cards.show_full_step, pattern=callbacks.FULL))
    app.add_handler(ButtonHandler(cards.show_other_answer, pattern=callbacks.MORE))
    app.add_handler(ButtonHandler(cards.show_suggestion, pattern=callbacks.SEE))
    app.add_handler(ButtonHandler(feedback.record_vote, pattern=callbacks.VOTE))
    app.add_handler(ButtonHandler(ask.answer_example, pattern=callbacks.EXAMPLE))
    app.add_handler(ButtonHandler(browse.show_documents, pattern=callbacks.DOCUMENTS))
    app.add_handler(ButtonHandler(browse.show_document, pattern=callbacks.DOCUMENT))
    app.add_handler(ButtonHandler(browse.show_section, pattern=callbacks.SECTION))
    app.add_handler(ButtonHandler(browse.read_step, pattern=callbacks.READ))
    app.add_handler(ButtonHandler(role.set_role, pattern=callbacks.ROLE))
    app.add_handler(ButtonHandler(admin.settle, pattern=callbacks.CONFIRM))
    app.add_handler(ButtonHandler(admin.withdraw_invite, pattern=callbacks.WITHDRAW))
    app.add_handler(ButtonHandler(gaps.teach_gap, pattern=callbacks.TEACH_GAP))
    app.add_handler(ButtonHandler(gaps.teach_step, pattern=callbacks.TEACH_STEP))
    app.add_handler(ButtonHandler(gaps.browse_for_step, pattern=callbacks.TEACH_BROWSE))
    app.add_handler(ButtonHandler(gaps.stop_teaching, pattern=callbacks.TEACH_CANCEL))
    app.add_handler(ButtonHandler(gaps.search_again, pattern=callbacks.TEACH_SEARCH))
    app.add_handler(ButtonHandler(gaps.undo_teaching, pattern=callbacks.TEACH_UNDO))
    app.add_handler(ButtonHandler(gaps.forget_wording, pattern=callbacks.TEACH_FORGET))
    app.add_handler(ButtonHandler(gaps.toggle_wording, pattern=callbacks.TEACH_WORDING))
    app.add_handler(ButtonHandler(imports.settle_sop_file, pattern=callbacks.SOP_UPDATE))
    app.add_handler(ButtonHandler(library.show_library, pattern=callbacks.LIBRARY))
    app.add_handler(ButtonHandler(library.show_document, pattern=callbacks.LIBRARY_DOC))
    app.add_handler(ButtonHandler(library.serve_document, pattern=callbacks.LIBRARY_SERVE))
    app.add_handler(ButtonHandler(library.serve_file, pattern=callbacks.LIBRARY_FILE))
    app.add_handler(ButtonHandler(library.choose_stores, pattern=callbacks.LIBRARY_STORES))
    app.add_handler(ButtonHandler(library.toggle_store, pattern=callbacks.LIBRARY_STORE))
    app.add_handler(ButtonHandler(library.set_level, pattern=callbacks.LIBRARY_LEVEL))
    app.add_handler(ButtonHandler(briefings.mark_read, pattern=callbacks.BRIEF_READ))
    app.add_handler(ButtonHandler(briefings.choose_audience, pattern=callbacks.BRIEF_AUDIENCE))
    app.add_handler(ButtonHandler(briefings.send_now, pattern=callbacks.BRIEF_SEND))
    app.add_handler(ButtonHandler(briefings.ask_time, pattern=callbacks.BRIEF_SCHEDULE))
    app.add_handler(ButtonHandler(briefings.cancel_draft, pattern=callbacks.BRIEF_CANCEL))
    app.add_handler(ButtonHandler(briefings.take_as_note, pattern=callbacks.BRIEF_AS_NOTE))
    app.add_handler(ButtonHandler(briefings.take_as_question, pattern=callbacks.BRIEF_AS_QUESTION))
    app.add_handler(ButtonHandler(briefings.resend_unread, pattern=callbacks.BRIEF_RESEND))
    app.add_handler(ButtonHandler(briefings.cancel_schedule, pattern=callbacks.BRIEF_UNSCHEDULE))
    app.add_handler(ButtonHandler(asks.ask_person, pattern=callbacks.ASK_PERSON))
    app.add_handler(ButtonHandler(asks.take, pattern=callbacks.ASK_TAKE))
    app.add_handler(ButtonHandler(asks.release, pattern=callbacks.ASK_RELEASE))
    app.add_handler(ButtonHandler(asks.withdraw, pattern=callbacks.ASK_WITHDRAW))
    app.add_handler(ButtonHandler(asks.vote_on_answer, pattern=callbacks.ASK_VOTE))
    app.add_handler(ButtonHandler(asks.save_note, pattern=callbacks.ASK_NOTE))
    app.add_handler(ButtonHandler(asks.attach_to_step, pattern=callbacks.ASK_TEACH))
    app.add_handler(ButtonHandler(asks.open_note, pattern=callbacks.NOTE_OPEN))
    app.add_handler(ButtonHandler(asks.remove_note, pattern=callbacks.NOTE_REMOVE))
    app.add_handler(ButtonHandler(asks.edit_note, pattern=callbacks.NOTE_EDIT))
    app.add_handler(ButtonHandler(asks.share_note, pattern=callbacks.NOTE_SHARE))
    app.add_handler(ButtonHandler(asks.restore_note, pattern=callbacks.NOTE_RESTORE))
    app.add_handler(ButtonHandler(asks.cancel_edit, pattern=callbacks.NOTE_EDIT_CANCEL))
    # ... and any other data (an older version's, or forged) is answered "expired".
    app.add_handler(CallbackQueryHandler(errors.expired_button))

    # 4. Inline mode: share step cards in any chat.
    app.add_handler(InlineQueryHandler(inline.share_steps))

    # 4b. Answers to the bot's quiz polls (trainer quizzes and practice), scored.
    app.add_handler(PollAnswerHandler(quiz.record_answer))

    # 4c. After ✏️ under a store note, the editor's next private message is its new text
    #     (first: it is the one thing pressed just before, and it lasts one message).
    editing = asks.editing_note(app.user_data) & filters.UpdateType.MESSAGE & ~filters.COMMAND
    app.add_handler(MessageHandler(editing, asks.take_edit))

    # 4c. After /brief (or 🕗), the author's next private message is the note (text, photo,
    #     document) or the time, not a question.
    awaiting_note = briefings.AwaitingBriefing(storage, settings.admin_ids)
    awaiting = awaiting_note & filters.UpdateType.MESSAGE & ~filters.COMMAND
    app.add_handler(MessageHandler(awaiting, briefings.take_note))

    # 4c. While a trainer is teaching (/teach, 🎓 in /gaps), their private text searches for
    #     the step to teach instead of being a question.
    teaching = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    teaching = teaching & filters.UpdateType.MESSAGE & gaps.is_teaching(app.user_data)
    app.add_handler(MessageHandler(teaching, gaps.find_step))

    # 4d. Someone who took a question (✋): their next private message is the answer.
    answering = asks.Answering(app.bot_data) & filters.UpdateType.MESSAGE & ~filters.COMMAND
    app.add_handler(MessageHandler(answering, asks.take_answer))

    # 5. Questions: text sent or edited (a fixed typo is asked again), in a private chat or
    #    addressed to the bot in a group. Channel posts have no sender and are left alone.
    from_users = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    questions = filters.TEXT & ~filters.COMMAND & from_users & ask.AddressedToBot()
    app.add_handler(MessageHandler(questions, ask.answer))

    # 6. In private chats, unknown commands and anything but text get a friendly pointer.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & filters.COMMAND, start.unknown_command))
    # A file from an admin proposes an SOP update; anyone else's caption is a question.
    app.add_handler(MessageHandler(private & filters.Document.ALL, imports.receive_file))
    not_text = ~filters.TEXT & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(private & not_text, ask.ask_for_text))

    # 7. Errors: logged with their traceback; the user gets an apology.
    app.add_error_handler(errors.report_error)

    # 8. Jobs: forget questions past SOPBOT_LOG_DAYS daily; pick up SOP versions the CLI changed.
    gaps.schedule_jobs(app)
    #    And the library's rules changed with `sopbot docs`, every minute.
    library.schedule_jobs(app)
    #    Every minute: remind responders of unanswered questions, send them up to admins.
    ask_delivery.schedule_jobs(app)
    return app


async def start_up(app: BotApplication) -> None:
    """What runs once the bot is initialised (post_init): the search worker, menus, then
    stored schedules."""
    learning.start_search_worker(app.bot_data)
    await register_commands(app)
    await quiz.schedule_reminders(app)
    await quiz.resume_group_quizzes(app)
    await briefings.resume(app)  # interrupted broadcasts, schedules, reminders
    await ask_delivery.resume(app)  # questions asked of people: what is still to be delivered


async def register_commands(app: BotApplication) -> None:
    """Register the command menu in each language (run at start-up, in post_init)."""
    for language_code, script in COMMAND_LANGUAGES:
        menu = [BotCommand(name, label(script, f"cmd_{name}")) for name in COMMANDS]
        await app.bot.set_my_commands(menu, language_code=language_code or None)
    # Managers and admins also get /invite, /users, /grant, /revoke, in their own chat's menu.
    await admin.set_manager_menus(app.bot, app.bot_data.storage, COMMANDS)


async def stop_background_work(app: BotApplication) -> None:
    """At shutdown (post_stop): briefing sends in flight finish; the rest resume at start."""
    await briefings.stop(app)
    if app.bot_data.search_worker is not None:
        await app.bot_data.search_worker.stop()


async def close_storage(app: BotApplication) -> None:
    app.bot_data.backlog.close()
    app.bot_data.storage.close()


class TokenRevoked(Exception):
    """Telegram refused the token while the bot was running (it was revoked or replaced)."""


def run(settings: Settings, kb: KnowledgeBase, storage: Storage) -> None:
    """Run until SIGINT or SIGTERM: long polling, or a webhook when one is configured.

    Raises :class:`TokenRevoked` when Telegram refused the token once running.
    """
    # Replies to many users at once may burst past Telegram's limits (about 30 messages/s);
    # the limiter spaces them, pauses a chat Telegram asks to wait, and retries what a
    # passing fault (a 5xx, a dropped connection) refused, within bounded time.
    health = Health(health_path(settings.db_path))
    app: BotApplication | None = None

    def revoked(problem: str) -> None:
        if app is not None:
            errors.stop_on_revoked_token(app, problem)

    polling = None if settings.uses_webhook else PollingRequest(health, revoked)
    app = build_application(
        settings, kb, storage, rate_limiter=Limiter(), get_updates_request=polling
    )
    try:
        if settings.uses_webhook:
            log.info("listening for updates at %s", settings.webhook_url)
            app.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=settings.webhook_path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            log.info("polling %s for updates", settings.api_url)
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
    finally:
        if polling is not None and not polling.revoked:
            health.stopped()
    if app.bot_data.revoked:
        raise TokenRevoked(app.bot_data.revoked)
    log.info("stopped")
