"""SOP updates without downtime: an admin sends an SOP file, sees what changes, confirms.

The file is read and compared with the current SOP first (steps added, removed, changed,
and the parser's repairs); ✅ makes it a new version of the managed corpus, rebuilds the
index in a worker thread and swaps it in. /rollback goes back to the version before.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from telegram import Update

from bot.context import Context
from bot.i18n import label, label_html
from bot.learning import render as render_learning
from bot.learning import service as learning
from bot.tg.messages import answer_expired, edit, refuse
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


async def receive_sop_file(update: Update, context: Context) -> None:
    """Read an SOP file an admin sent and show what importing it would change."""
    if not context.at_least(ADMIN):
        await refuse(update, "learn_admins_only")
        return
    message = update.effective_message
    document = message.document
    ui = context.ui
    try:
        if document.file_size and document.file_size > MAX_SOP_BYTES:
            raise UpdateError(f"{document.file_name} is too big to be an SOP")
        file = await context.bot.get_file(document.file_id)
        content = bytes(await file.download_as_bytearray())
        corpus = managed(context)
        proposal = await asyncio.to_thread(corpus.propose, document.file_name or "", content)
    except UpdateError as error:
        await message.reply_html(label_html(ui, "sop_refused", reason=str(error)))
        return
    token = secrets.token_hex(4)
    context.user_data[PROPOSAL] = Pending(token, proposal)
    await message.reply_html(
        render_learning.proposal(proposal, ui),
        reply_markup=render_learning.proposal_keyboard(token, ui),
    )


async def settle_sop_file(update: Update, context: Context) -> None:
    """✅ applies the proposed file (new version, rebuilt index, live at once); ✖️ drops it."""
    query = update.callback_query
    if not context.at_least(ADMIN):
        await refuse(update, "learn_admins_only")
        return
    choice, token = context.matches[0].groups()
    pending = context.user_data.get(PROPOSAL)
    if not isinstance(pending, Pending) or pending.token != token:
        await answer_expired(query)
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
    context.bot_data.storage.log_action(
        query.from_user.id, "sop_import", pending.proposal.name, f"{len(kb.steps)} steps"
    )
    await edit(query, label_html(ui, "sop_applied", steps=len(kb.steps)), None)


async def roll_back(update: Update, context: Context) -> None:
    """/rollback: serve the previous SOP version again."""
    if not context.at_least(ADMIN):
        await refuse(update, "learn_admins_only")
        return
    ui = context.ui
    try:
        await asyncio.to_thread(managed(context).rollback)
    except UpdateError:
        await update.effective_message.reply_html(label_html(ui, "sop_no_previous"))
        return
    kb = await learning.rebuild_knowledge(context.bot_data)
    context.bot_data.storage.log_action(update.effective_user.id, "sop_rollback", "", "")
    text = label_html(ui, "sop_rolled_back", steps=len(kb.steps))
    await update.effective_message.reply_html(text)
