"""/roles: browse the SOP by document › role › step, in one message edited in place."""

from __future__ import annotations

from telegram import Message, Update

from bot import render
from bot.browse.keyboards import (
    documents_keyboard,
    roles_keyboard,
    step_read_keyboard,
    steps_keyboard,
)
from bot.context import Context
from bot.documents import pictures, scope
from bot.i18n import label_html
from bot.learning import service as learning
from bot.tg.messages import answer_expired, edit


async def list_documents(update: Update, context: Context) -> None:
    """Send the list of documents."""
    ui = context.ui
    contents = scope.contents(context)
    if not contents.documents:  # every document out of service, or limited to others
        await update.effective_message.reply_html(label_html(ui, "roles_none"))
        return
    await update.effective_message.reply_html(
        render.documents_heading(ui), reply_markup=documents_keyboard(contents, 0, ui)
    )


async def show_documents(update: Update, context: Context) -> None:
    """Go back to (or page through) the list of documents."""
    query = update.callback_query
    ui = context.ui
    page = int(context.matches[0].group(1))
    await query.answer()
    await edit(
        query, render.documents_heading(ui), documents_keyboard(scope.contents(context), page, ui)
    )


async def show_document(update: Update, context: Context) -> None:
    """Show a document's roles, or its steps when it has no roles."""
    query = update.callback_query
    ui = context.ui
    doc, page = (int(group) for group in context.matches[0].groups())
    contents = scope.contents(context)
    document = contents.document(doc)
    if document is None:
        await answer_expired(query, context)
        return
    await query.answer()
    if len(document.roles) == 1:
        heading = render.steps_heading(document.name, document.roles[0].name, ui)
        await edit(query, heading, steps_keyboard(contents, doc, 0, page, ui))
    else:
        await edit(
            query, render.roles_heading(document.name, ui), roles_keyboard(contents, doc, page, ui)
        )


async def show_section(update: Update, context: Context) -> None:
    """Show the steps of one role in a document."""
    query = update.callback_query
    ui = context.ui
    doc, role, page = (int(group) for group in context.matches[0].groups())
    contents = scope.contents(context)
    section = contents.section(doc, role)
    if section is None:
        await answer_expired(query, context)
        return
    heading = render.steps_heading(contents.documents[doc].name, section.name, ui)
    await query.answer()
    await edit(query, heading, steps_keyboard(contents, doc, role, page, ui))


async def read_step(update: Update, context: Context) -> None:
    """Show a whole step, with a button back to its list."""
    query = update.callback_query
    ui = context.ui
    step_id = context.matches[0].group(1)
    step = context.bot_data.kb.step(step_id)
    place = scope.contents(context).locate(step_id)  # None for a step the asker is not served
    if step is None or place is None:
        await answer_expired(query, context)
        return
    await query.answer()
    # A trainer browsing for the step to teach (/teach) gets a 🎓 button on it.
    teach = step_id if learning.teaching_of(context.user_data) else None
    await edit(query, render.step_full(step, ui), step_read_keyboard(*place, ui, teach))
    if isinstance(query.message, Message):
        await pictures.send_pictures(context, query.message.chat_id, step, ui)
