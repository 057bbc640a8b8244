"""/start and /help: what the bot does and how to ask, with example questions to tap."""

from __future__ import annotations

from telegram import Update

from bot import render
from bot.answers.keyboards import examples_keyboard
from bot.context import Context
from bot.i18n import label_html
from bot.tg.commands import usable_commands


async def welcome(update: Update, context: Context) -> None:
    """Greet the user and offer three example questions as buttons."""
    user = update.effective_user
    ui = context.ui
    name = user.first_name if user else ""
    await update.effective_message.reply_html(
        render.welcome(ui, name), reply_markup=examples_keyboard(ui)
    )


async def show_help(update: Update, context: Context) -> None:
    """Explain how to ask, the answer's buttons, browsing, roles and sharing."""
    ui = context.ui
    # Everything they may use but /start and /help themselves.
    commands = [name for name in usable_commands(context.at_least) if name not in ("start", "help")]
    await update.effective_message.reply_html(render.help_text(ui, context.bot.username, commands))


async def unknown_command(update: Update, context: Context) -> None:
    """Point to /help when a command is not one of the bot's."""
    ui = context.ui
    await update.effective_message.reply_html(label_html(ui, "unknown_command"))
