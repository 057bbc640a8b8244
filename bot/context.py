"""What handlers get in ``context``: services in ``bot_data``, recent answers in ``chat_data``.

Following PTB's ``contexttypesbot`` example, ``bot_data`` and ``chat_data`` are classes
rather than dicts of string keys, so a typo is an AttributeError and types are checked.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from telegram import Chat, Update, User
from telegram.constants import ChatType
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.access.rules import StrangerReplies, shows_sop, stores_seen_by
from bot.briefings.service import Courier
from bot.browse.contents import Contents
from bot.config import Settings
from bot.documents.library import Library
from bot.search_worker import SearchWorker
from bot.storage import Person, Storage
from bot.storage.backlog import Backlog
from bot.storage.briefings import Briefings
from knowledge import Answer, KnowledgeBase
from knowledge.normalize import HANT, script_from_language

# How many hits an answer keeps: the first is the answer, the rest are "other answers".
ANSWER_LIMIT = 6
# Telegram's own limit is 4096, but a forged update can carry more; the search reads far less.
QUESTION_LIMIT = 20_000
# Answers kept per chat for their buttons; older answers' buttons say "expired".
RECENT_ANSWERS = 30
# Answers kept in all, across every chat (a few KB each): past this the oldest are forgotten
# whichever chat they are in, so memory stays bounded however many people ever asked.
ANSWERS_KEPT = 5_000


class BotData:
    """The services every handler uses, built once at start (see ``build_application``)."""

    settings: Settings
    kb: KnowledgeBase
    storage: Storage
    backlog: Backlog  # writes no answer waits for: the question log, "last seen"
    contents: Contents
    briefings: Briefings  # briefings, deliveries, schedules (bot/briefings/)
    library: Library  # which documents are served, and to whom (bot/documents/)
    courier: Courier  # delivers queued briefings in the background
    # Questions are searched in a child process when there is one (SOPBOT_SEARCH_WORKER,
    # bot/search_worker.py), else on the event loop: a worker thread would only add
    # hand-offs, since the search is pure-Python work under the GIL.
    search_worker: SearchWorker | None = None
    # Set when Telegram refused the token while running: the bot stops (bot.tg.errors).
    revoked: str = ""

    def __init__(self) -> None:
        # Senders recorded lately (when, and their name, username, language): recording
        # someone again within a minute, unchanged, is a write per message for nothing.
        self.recently_seen: dict[int, tuple[float, tuple[str, str | None, str | None]]] = {}
        # How many replies strangers still get (bot/access/rules.py): a flood of them must
        # not use up the sending budget staff's answers need.
        self.stranger_replies = StrangerReplies()
        self.recent_answers = RecentAnswers()

    async def ask(
        self, question: str, role: str | None, hint: str | None, hidden: Iterable[int] = ()
    ) -> Answer:
        """Search the SOP for a question, leaving out the ``hidden`` documents' steps."""
        question = question[:QUESTION_LIMIT]
        left_out = tuple(sorted(hidden))
        if self.search_worker is not None:
            kb = self.kb
            answer = await self.search_worker.ask(kb, question, ANSWER_LIMIT, role, hint, left_out)
            if answer is not None:
                return answer
        return self.kb.ask(question, ANSWER_LIMIT, role, hint, left_out)

    def now(self) -> datetime:
        """Now, in the store's time zone (``SOPBOT_TIMEZONE``), by the storage's clock: the
        one clock of the bot, which stamps what is stored and which tests move."""
        moment = datetime.fromisoformat(self.storage.connection.clock())
        return moment.astimezone(self.settings.timezone)


class ChatData:
    """The latest answers in a chat, by the id of the message showing them."""

    def __init__(self) -> None:
        self.answers: OrderedDict[int, Answer] = OrderedDict()

    def remember(self, message_id: int, answer: Answer) -> None:
        self.answers[message_id] = answer
        while len(self.answers) > RECENT_ANSWERS:
            self.answers.popitem(last=False)

    def forget(self, message_id: int) -> None:
        self.answers.pop(message_id, None)

    def answer_on(self, message_id: int) -> Answer | None:
        return self.answers.get(message_id)


class RecentAnswers:
    """The order answers were remembered in, across chats, to forget the oldest past
    ``limit``: each chat keeps at most RECENT_ANSWERS, and all of them at most ``limit``."""

    def __init__(self, limit: int = ANSWERS_KEPT) -> None:
        self.limit = limit
        self.order: OrderedDict[tuple[int, int], ChatData] = OrderedDict()

    def remember(self, chat: ChatData, message_id: int, answer: Answer) -> None:
        chat.remember(message_id, answer)
        # Keyed by the chat's object, which the entry keeps alive: its id stays its own.
        self.order[(id(chat), message_id)] = chat
        while len(self.order) > self.limit:
            (_, oldest), owner = self.order.popitem(last=False)
            owner.forget(oldest)


class Context(CallbackContext[ExtBot[None], dict[Any, Any], ChatData, BotData]):
    """What every handler gets: the services (``bot_data``), and who is asking.

    PTB builds one context per update and hands it to every handler group, so the asker's
    registration is read once per update (the gate reads it first) instead of by each
    handler. Jobs get a context too, with no asker.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.asker: User | None = None
        self.chat: Chat | None = None
        # A group or channel (or an inline query made there): others read the reply too.
        self.in_shared_chat = False
        self._person: Person | None = None
        self._person_read = False
        self._linked_store: str | None = None
        self._linked_read = False
        self._script: str | None = None
        self._script_read = False

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> Context:
        context = super().from_update(update, application)
        if isinstance(update, Update):
            context.asker = update.effective_user
            context.chat = update.effective_chat
            context.in_shared_chat = in_shared_chat(update)
        return context

    @property
    def ui(self) -> str:
        """The script of the asker's messages and buttons, from their Telegram language
        (traditional Chinese, the SOP's own, for another language); worked out once."""
        return self.ui_or(HANT)

    def ui_or(self, fallback: str) -> str:
        """:attr:`ui`, with ``fallback`` (the script of the question being answered) for a
        language other than Chinese and English."""
        if not self._script_read:
            self._script = spoken_script(self.asker)
            self._script_read = True
        return self._script or fallback

    @property
    def person(self) -> Person | None:
        """The asker as registered (active or not), None for a stranger; read once."""
        if not self._person_read:
            user = self.asker
            self._person = self.bot_data.storage.people.person(user.id) if user else None
            self._person_read = True
        return self._person

    def remember(self, message_id: int, answer: Answer) -> None:
        """Keep the answer a message of this chat shows, for its buttons (bounded: see
        ``ANSWERS_KEPT``)."""
        if self.chat_data is not None:
            self.bot_data.recent_answers.remember(self.chat_data, message_id, answer)

    def forget_person(self) -> None:
        """Read the asker's registration again (after it changed during this update)."""
        self._person_read = False

    @property
    def linked_store(self) -> str | None:
        """The store an admin linked this group to; None in a private chat or another group."""
        if not self._linked_read:
            chat = self.chat
            if chat is not None and chat.type != ChatType.PRIVATE:
                self._linked_store = self.bot_data.storage.groups.linked_store(chat.id)
            self._linked_read = True
        return self._linked_store

    @property
    def shows_sop(self) -> bool:
        """Whether SOP text may be posted in this chat (bot/access/rules.py): a private chat,
        a linked group, or no chat at all (an inline query, a button on a shared card)."""
        chat = self.chat
        return chat is None or shows_sop(chat.type == ChatType.PRIVATE, self.linked_store)

    @property
    def stores_seen(self) -> tuple[str, ...] | None:
        """The stores whose questions, usage and people the asker sees (None: every store)."""
        configured = self.asker is not None and self.asker.id in self.bot_data.settings.admin_ids
        return stores_seen_by(self.person, configured)

    @property
    def stores(self) -> tuple[str, ...]:
        person = self.person
        return person.stores if person else ()

    def at_least(self, access: str) -> bool:
        """The one guard: the asker is active at ``access`` or above, or a configured admin."""
        if self.asker is None:
            return False
        if self.asker.id in self.bot_data.settings.admin_ids:
            return True
        person = self.person
        return person is not None and person.at_least(access)

    def now(self) -> datetime:
        """Now, in the store's time zone, by the storage's clock (:meth:`BotData.now`)."""
        return self.bot_data.now()


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData, chat_data=ChatData)


SHARED_CHATS = {ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL}


def in_shared_chat(update: Update) -> bool:
    """Whether what the bot sends for ``update`` is read by more than the asker."""
    if update.inline_query is not None:
        return update.inline_query.chat_type in SHARED_CHATS
    chat = update.effective_chat
    return chat is not None and chat.type in SHARED_CHATS


def script_of(storage: Storage, user_id: int) -> str:
    """The script of a user the bot is not replying to (jobs, quiz questions, menus): from
    the language they last wrote with."""
    user = storage.users.user(user_id)
    return script_from_language(user.language if user else None)


def interface_script(user: User | None, fallback: str = HANT) -> str:
    """The script of button captions and messages for a user: from Telegram's language_code.

    Languages other than Chinese and English get ``fallback`` (the script of the question
    being answered, else traditional Chinese, the SOP's own script). A handler asks its
    context (``context.ui``, ``context.ui_or``), which works this out once per update.
    """
    return spoken_script(user) or fallback


def spoken_script(user: User | None) -> str | None:
    """The script of a user's Telegram language, if it is Chinese or English."""
    code = (user.language_code or "") if user else ""
    if code[:2].lower() in ("zh", "en"):
        return script_from_language(code)
    return None
