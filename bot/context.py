"""What handlers get in ``context``: services in ``bot_data``, recent answers in ``chat_data``.

Following PTB's ``contexttypesbot`` example, ``bot_data`` and ``chat_data`` are classes
rather than dicts of string keys, so a typo is an AttributeError and types are checked.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from telegram import User
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.briefings.service import Courier
from bot.browse.contents import Contents
from bot.config import Settings
from bot.search_worker import SearchWorker
from bot.storage import Storage
from bot.storage.briefings import Briefings
from knowledge import Answer, KnowledgeBase
from knowledge.normalize import HANT, script_from_language

# How many hits an answer keeps: the first is the answer, the rest are "other answers".
ANSWER_LIMIT = 6
# Telegram's own limit is 4096, but a forged update can carry more; the search reads far less.
QUESTION_LIMIT = 20_000
# Answers kept per chat for their buttons; older answers' buttons say "expired".
RECENT_ANSWERS = 30


class BotData:
    """The services every handler uses, built once at start (see ``build_application``)."""

    settings: Settings
    kb: KnowledgeBase
    storage: Storage
    contents: Contents
    briefings: Briefings  # briefings, deliveries, schedules (bot/briefings/)
    courier: Courier  # delivers queued briefings in the background
    # Questions are searched in a child process when there is one (SOPBOT_SEARCH_WORKER,
    # bot/search_worker.py), else on the event loop: a worker thread would only add
    # hand-offs, since the search is pure-Python work under the GIL.
    search_worker: SearchWorker | None = None

    def __init__(self) -> None:
        # Senders recorded lately (when, and their name, username, language): recording
        # someone again within a minute, unchanged, is a write per message for nothing.
        self.recently_seen: dict[int, tuple[float, tuple[str, str | None, str | None]]] = {}

    async def ask(self, question: str, role: str | None, hint: str | None) -> Answer:
        """Search the SOP for a question."""
        question = question[:QUESTION_LIMIT]
        if self.search_worker is not None:
            kb = self.kb
            answer = await self.search_worker.ask(kb, question, ANSWER_LIMIT, role, hint)
            if answer is not None:
                return answer
        return self.kb.ask(question, ANSWER_LIMIT, role, hint)


class ChatData:
    """The latest answers in a chat, by the id of the message showing them."""

    def __init__(self) -> None:
        self.answers: OrderedDict[int, Answer] = OrderedDict()

    def remember(self, message_id: int, answer: Answer) -> None:
        self.answers[message_id] = answer
        while len(self.answers) > RECENT_ANSWERS:
            self.answers.popitem(last=False)

    def answer_on(self, message_id: int) -> Answer | None:
        return self.answers.get(message_id)


Context = CallbackContext[ExtBot[None], dict[Any, Any], ChatData, BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData, chat_data=ChatData)


def interface_script(user: User | None, fallback: str = HANT) -> str:
    """The script of button captions and messages for a user: from Telegram's language_code.

    Languages other than Chinese and English get ``fallback`` (the script of the question
    being answered, else traditional Chinese, the SOP's own script).
    """
    code = (user.language_code or "") if user else ""
    if code[:2].lower() in ("zh", "en"):
        return script_from_language(code)
    return fallback


def may(context: Context, user: User | None, access: str) -> bool:
    """Whether the user is registered at ``access`` or above (or a configured admin)."""
    if user is None:
        return False
    data = context.bot_data
    if user.id in data.settings.admin_ids:
        return True
    person = data.storage.person(user.id)
    return person is not None and person.at_least(access)
