"""What the asker of an update is served: the documents their stores and level may see.

Every entry point that shows SOP steps (answers, inline results, /roles, quizzes and
practice, opening a step by its button) asks here first. A document limited to some
stores or levels is never shown in a group: the bot cannot know who else reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.browse.contents import Contents
from bot.documents.library import EVERYONE, served_steps
from knowledge.model import Step

if TYPE_CHECKING:
    from bot.context import Context

ADMIN = "admin"


def hidden(context: Context) -> frozenset[int]:
    """The documents not served to the asker: out of service, or limited to others.

    In a group (or an inline query made in one) everyone there reads the reply, and the
    bot does not know their stores: only documents served to everyone are.
    """
    if context.in_shared_chat:
        return context.bot_data.library.hidden_for((), EVERYONE)
    person = context.person
    level = person.access if person is not None and person.active else None
    everything = context.at_least(ADMIN)
    return context.bot_data.library.hidden_for(context.stores, level, everything)


def hidden_for_user(context: Context, user_id: int) -> frozenset[int]:
    """:func:`hidden` for someone the bot is not replying to (a practice reminder)."""
    person = context.bot_data.storage.people.person(user_id)
    everything = user_id in context.bot_data.settings.admin_ids or (
        person is not None and person.at_least(ADMIN)
    )
    level = person.access if person is not None and person.active else None
    stores = person.stores if person is not None else ()
    return context.bot_data.library.hidden_for(stores, level, everything)


def steps(context: Context, user_id: int | None = None) -> list[Step]:
    """The steps the asker (or ``user_id``) is served, in SOP order."""
    left_out = hidden(context) if user_id is None else hidden_for_user(context, user_id)
    return served_steps(context.bot_data.kb.steps, left_out)


def serves(context: Context, step: Step) -> bool:
    """Whether the asker is served ``step`` (a forged or stale button may name any)."""
    return step.doc_no not in hidden(context)


def contents(context: Context) -> Contents:
    """The table of contents the asker browses (/roles, /role): their documents only."""
    left_out = hidden(context)
    if not left_out:
        return context.bot_data.contents
    return Contents.from_steps(served_steps(context.bot_data.kb.steps, left_out))
