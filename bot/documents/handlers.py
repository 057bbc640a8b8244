"""/docs: the document library for admins, one message edited in place.

Every button names its document by number and is checked again on each press: a forged or
stale one (a document no longer served, a store unknown, a non-admin) is refused politely
and changes nothing. Each change is stored with the audit trail and applies at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update

from bot.context import BotData, Context
from bot.documents import render, service
from bot.documents.library import Rule, short_key
from bot.documents.service import Entry
from bot.i18n import label
from bot.tg.messages import answer_expired, edit, refuse
from knowledge.updates import ManagedCorpus

log = logging.getLogger(__name__)

WATCH_SECONDS, WATCH_JOB = 60, "library-watch"
ADMIN = "admin"
REFUSAL = "refused_docs"


async def library(data: BotData) -> list[Entry]:
    """The served documents with their rules and versions (the files read in a thread)."""
    directory = service.corpus_directory(data.settings)
    versions = data.storage.documents.versions()
    return await asyncio.to_thread(service.entries, data.kb, directory, data.library, versions)


def corpus_version(context: Context) -> str:
    """The managed corpus's version served now (its folder's name), "" before any import."""
    corpus = ManagedCorpus(context.bot_data.settings.corpus_dir)
    return corpus.directory.name if corpus.exists else ""


async def list_documents(update: Update, context: Context) -> None:
    """/docs: the served documents, each a button to its card."""
    if not context.at_least(ADMIN):
        await refuse(update, context, REFUSAL)
        return
    found = await library(context.bot_data)
    text, keyboard = render.library(found, 0, context.ui, corpus_version(context))
    await update.effective_message.reply_html(text, reply_markup=keyboard)


async def show_library(update: Update, context: Context) -> None:
    """A page of the library (and ⬅️ back to it)."""
    query = update.callback_query
    if not context.at_least(ADMIN):
        await refuse(update, context, REFUSAL)
        return
    found = await library(context.bot_data)
    await query.answer()
    page = int(context.matches[0].group(1))
    await edit(query, *render.library(found, page, context.ui, corpus_version(context)))


async def entry_for(update: Update, context: Context) -> Entry | None:
    """The pressed button's document, after the checks; None when refused (answered)."""
    query = update.callback_query
    if not context.at_least(ADMIN):
        await refuse(update, context, REFUSAL)
        return None
    found = await library(context.bot_data)
    doc_no = int(context.matches[0].group(1))
    entry = next((e for e in found if e.doc_no == doc_no), None)
    if entry is None:
        await answer_expired(query, context)
    return entry


async def show_document(update: Update, context: Context) -> None:
    """A document's card: status, file, steps, version, audience, lints, and its buttons."""
    entry = await entry_for(update, context)
    if entry is None:
        return
    await update.callback_query.answer()
    await edit(update.callback_query, *card(context, entry))


def card(context: Context, entry: Entry) -> tuple[str, Any]:
    changes = context.bot_data.storage.documents.document_changes(entry.doc_no)
    return render.document(entry, context.ui, changes)


async def apply(context: Context, entry: Entry, rule: Rule, action: str) -> Entry:
    """Store the new rule (and its audit line), serve by it at once; the entry as it is now."""
    data = context.bot_data
    actor = context.asker.id if context.asker else 0
    data.library = service.change(data.storage, entry, rule, actor, action)
    log.info("%s: document %d (%s) %s", action, entry.doc_no, entry.name, service.describe(rule))
    return Entry(entry.document, data.library.rule(entry.doc_no), entry.version)


async def serve_document(update: Update, context: Context) -> None:
    """⏸ take a document out of service, or ▶️ put it back."""
    entry = await entry_for(update, context)
    if entry is None:
        return
    serve = context.matches[0].group(2) == "1"
    action = "doc_serve" if serve else "doc_withdraw"
    entry = await apply(context, entry, service.in_service(entry.rule, serve), action)
    await update.callback_query.answer(
        label(context.ui, "docs_served" if serve else "docs_withdrawn")
    )
    await edit(update.callback_query, *card(context, entry))


async def serve_file(update: Update, context: Context) -> None:
    """Take every document of one file out of service (the sample SOP), or put them back."""
    query = update.callback_query
    if not context.at_least(ADMIN):
        await refuse(update, context, REFUSAL)
        return
    key, choice = context.matches[0].groups()
    found = await library(context.bot_data)
    files = [e for e in found if short_key(e.document.source.name) == key]
    if not files:
        await answer_expired(query, context)
        return
    serve = choice == "1"
    action = "doc_serve" if serve else "doc_withdraw"
    for entry in files:
        await apply(context, entry, service.in_service(entry.rule, serve), action)
    found = await library(context.bot_data)
    await query.answer(label(context.ui, "docs_served" if serve else "docs_withdrawn"))
    page = next(i for i, e in enumerate(found) if e.doc_no == files[0].doc_no) // render.PAGE_SIZE
    await edit(query, *render.library(found, page, context.ui, corpus_version(context)))


def known_stores(context: Context, entry: Entry) -> list[str]:
    """The stores people belong to, and any the document is limited to already."""
    return sorted({*context.bot_data.storage.documents.store_names(), *entry.rule.stores})


async def choose_stores(update: Update, context: Context) -> None:
    """🏪 the stores a document is served to, each a toggle."""
    entry = await entry_for(update, context)
    if entry is None:
        return
    await update.callback_query.answer()
    keyboard = render.stores(entry, known_stores(context, entry), context.ui)
    await edit(update.callback_query, *keyboard)


async def toggle_store(update: Update, context: Context) -> None:
    """Serve the document to one more store or one fewer; * serves every store again."""
    entry = await entry_for(update, context)
    if entry is None:
        return
    _, key, every = context.matches[0].groups()
    stores = known_stores(context, entry)
    if every:
        rule = service.with_stores(entry.rule, ())
    else:
        store = next((s for s in stores if short_key(s) == key), None)
        if store is None:
            await answer_expired(update.callback_query, context)
            return
        rule = service.with_store(entry.rule, store, store not in entry.rule.stores)
    entry = await apply(context, entry, rule, "doc_stores")
    await update.callback_query.answer()
    await edit(update.callback_query, *render.stores(entry, stores, context.ui))


async def set_level(update: Update, context: Context) -> None:
    """🎚 serve the document from one access level up."""
    entry = await entry_for(update, context)
    if entry is None:
        return
    level = context.matches[0].group(2)
    entry = await apply(context, entry, service.with_level(entry.rule, level), "doc_level")
    await update.callback_query.answer()
    await edit(update.callback_query, *card(context, entry))


async def reload_library(context: Context) -> None:
    """Pick up rules changed with `sopbot docs` (a job, every minute)."""
    data = context.bot_data
    data.library = data.storage.documents.library()


def schedule_jobs(app: Any) -> None:
    """The minute's watch for rules changed from the shell."""
    app.job_queue.run_repeating(reload_library, interval=WATCH_SECONDS, name=WATCH_JOB)
