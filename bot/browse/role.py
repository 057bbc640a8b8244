"""/role: a user's own role, whose steps rank first in their answers."""

from __future__ import annotations

from telegram import Update

from bot import render
from bot.browse.keyboards import role_choice_keyboard
from bot.context import Context
from bot.documents import scope
from bot.tg.messages import answer_expired, edit
from knowledge.corpus import load_catalog
from knowledge.normalize import fold
from knowledge.quiz import role_names


async def choose_role(update: Update, context: Context) -> None:
    """Offer the roles to choose from, or set the one named after the command."""
    user = update.effective_user
    ui = context.ui
    roles = scope.contents(context).roles
    wanted = " ".join(context.args or ()).strip()
    named = named_role(context, wanted, roles) if wanted else None
    if named:
        context.bot_data.storage.users.set_role(user.id, named)
        await update.effective_message.reply_html(render.role_chosen(ui, named))
        return
    current = context.bot_data.storage.users.role_of(user.id)
    await update.effective_message.reply_html(
        render.role_prompt(ui, current, unknown=wanted[:40] or None),
        reply_markup=role_choice_keyboard(roles, current, ui),
    )


def named_role(context: Context, wanted: str, roles: tuple[str, ...]) -> str | None:
    """The role ``wanted`` names, by name in either script or by an alias (店長), as /quiz
    reads it; None if it names none, or several."""
    names = role_names(wanted, scope.steps(context), load_catalog().roles) & set(roles)
    exact = {role for role in names if fold(role) == fold(wanted)}
    found = exact or names
    return next(iter(found)) if len(found) == 1 else None


async def set_role(update: Update, context: Context) -> None:
    """Store the role the user tapped (or no role)."""
    query = update.callback_query
    ui = context.ui
    number, clear = context.matches[0].groups()
    roles = scope.contents(context).roles
    if not clear and int(number) >= len(roles):
        await answer_expired(query, context)
        return
    role = None if clear else roles[int(number)]
    context.bot_data.storage.users.set_role(query.from_user.id, role)
    await query.answer()
    await edit(query, render.role_chosen(ui, role), None)
