"""SOP updates without downtime: an admin sends an SOP file, sees what changes, confirms.

The file is read and compared with the current SOP first (steps added, removed, changed,
its pictures, and what the reader had to guess, in the admin's language); ✅ makes it a
new version of the managed corpus, rebuilds the index in a worker thread and swaps it in.
/rollback goes back to the version before. Anyone else who sends a file is answered as a
person would be: the caption is their question, or they are asked to type one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from telegram import Update
from telegram.error import BadRequest

from bot.answers import handlers as ask
from bot.context import Context
from bot.documents import render
from bot.i18n import label, label_html
from bot.learning import service as learning
from bot.tg.messages import answer_expired, edit, refuse
from knowledge.messages import render as say
from knowledge.reading import megabytes
from knowledge.updates import MAX_SOP_BYTES, ManagedCorpus, Proposal, UpdateError

log = logging.getLogger(__name__)

PROPOSAL = "sop_proposal"  # user_data key: the file waiting for ✅
ADMIN = "admin"


@dataclass(frozen=True)
class Pending:
    token: str
    proposal: Proposal


def managed(context: Context) -> ManagedCorpus:
    return ManagedCorpus(context.bot_data.settings.corpus_dir)


def refusal(error: UpdateError, ui: str) -> str:
    """Why a file cannot be imported, in the reader's language where the reader said why."""
    return say(error.code, error.params, ui) if error.code else str(error)


async def receive_file(update: Update, context: Context) -> None:
    """A file sent in a private chat: an admin's proposes an SOP update; anyone else's is
    answered like a message (its caption is the question)."""
    if context.at_least(ADMIN):
        await propose_sop_file(update, context)
        return
    message = update.effective_message
    if (message.caption or "").strip():
        await ask.answer_text(update, context, message.caption)
        return
    await message.reply_html(label_html(context.ui, "file_not_read"))


async def propose_sop_file(update: Update, context: Context) -> None:
    """Read an SOP file an admin sent and show what importing it would change."""
    message = update.effective_message
    document = message.document
    ui = context.ui
    name = document.file_name or ""
    try:
        if document.file_size and document.file_size > MAX_SOP_BYTES:
            size, limit = megabytes(document.file_size), megabytes(MAX_SOP_BYTES)
            raise UpdateError(
                f"{name} is too big", "too_large", {"name": name, "size": size, "limit": limit}
            )
        try:
            file = await context.bot.get_file(document.file_id)
        except BadRequest as error:
            # Bots may download files up to 20 MB; Telegram says so when size was unknown.
            if "too big" not in error.message.lower():
                raise
            size, limit = "20+", megabytes(MAX_SOP_BYTES)
            raise UpdateError(
                f"{name} is too big", "too_large", {"name": name, "size": size, "limit": limit}
            ) from None
        content = bytes(await file.download_as_bytearray())
        proposal = await asyncio.to_thread(managed(context).propose, name, content)
    except UpdateError as error:
        await message.reply_html(label_html(ui, "sop_refused", reason=refusal(error, ui)))
        return
    token = secrets.token_hex(4)
    context.user_data[PROPOSAL] = Pending(token, proposal)
    await message.reply_html(
        render.proposal(proposal, ui), reply_markup=render.proposal_keyboard(token, ui)
    )


async def settle_sop_file(update: Update, context: Context) -> None:
    """✅ applies the proposed file (new version, rebuilt index, live at once); ✖️ drops it."""
    query = update.callback_query
    if not context.at_least(ADMIN):
        await refuse(update, context, "refused_sop_update")
        return
    choice, token = context.matches[0].groups()
    pending = context.user_data.get(PROPOSAL)
    if not isinstance(pending, Pending) or pending.token != token:
        await answer_expired(query, context)
        return
    del context.user_data[PROPOSAL]
    ui = context.ui
    if choice == "no":
        await query.answer()
        await edit(query, label_html(ui, "sop_discarded"), None)
        return
    await query.answer(label(ui, "sop_working"))
    corpus = managed(context)
    await asyncio.to_thread(corpus.apply, pending.proposal)
    try:
        kb = await learning.rebuild_knowledge(context.bot_data)
    except Exception:
        # The file parsed when proposed, so this is a bug; keep serving the old SOP.
        await asyncio.to_thread(corpus.rollback)
        raise
    context.bot_data.storage.people.log_action(
        query.from_user.id, "sop_import", pending.proposal.name, f"{len(kb.steps)} steps"
    )
    await edit(query, label_html(ui, "sop_applied", steps=len(kb.steps)), None)


async def roll_back(update: Update, context: Context) -> None:
    """/rollback: serve the previous SOP version again."""
    if not context.at_least(ADMIN):
        await refuse(update, context, "refused_sop_update")
        return
    ui = context.ui
    corpus = managed(context)
    before = corpus.directory
    try:
        after = await asyncio.to_thread(corpus.rollback)
    except UpdateError:
        await update.effective_message.reply_html(label_html(ui, "sop_no_previous"))
        return
    kb = await learning.rebuild_knowledge(context.bot_data)
    context.bot_data.storage.people.log_action(update.effective_user.id, "sop_rollback", "", "")
    # A second /rollback serves the newer version again: say so.
    key = "sop_rolled_forward" if corpus.newer(after, before) else "sop_rolled_back"
    text = label_html(ui, key, steps=len(kb.steps))
    await update.effective_message.reply_html(text)
