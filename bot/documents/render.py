"""Texts and keyboards of the document library (/docs) as Telegram HTML.

Document, file and store names come from SOP files and people, so they are escaped; lints
are said in the reader's language (``knowledge.messages``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup

from bot import callbacks, render
from bot.documents.library import short_key
from bot.documents.service import Entry
from bot.i18n import Html, label, label_html
from bot.storage.documents import Change
from bot.storage.people import ACCESS_LEVELS
from knowledge.messages import render_lint
from knowledge.updates import Proposal

PAGE_SIZE = 10  # documents per page of /docs
LINTS_SHOWN = 8
LINES_SHOWN = 8  # breadcrumbs per kind of change of an import, lints
STORES_SHOWN = 24  # store buttons on one keyboard


def mark(entry: Entry) -> str:
    """✅ served to everyone, 🔒 limited, ⏸ out of service."""
    if not entry.rule.in_service:
        return "⏸"
    return "🔒" if entry.rule.limited else "✅"


def name(entry: Entry, ui: str) -> str:
    return html.escape(render.name_in(entry.name, ui))


def page_of(found: Sequence[Entry], page: int) -> tuple[Sequence[Entry], int, int]:
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages


def library(
    found: Sequence[Entry], page: int, ui: str, corpus_version: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the library: documents by file, each with its steps and version, and a
    button per document and per file of several documents. ``corpus_version`` names the
    managed corpus's version served ("" for the packaged SOP, before any import)."""
    serving = sum(entry.rule.in_service for entry in found)
    lines = [f"<b>{label_html(ui, 'docs_heading', count=len(found), serving=serving)}</b>"]
    if corpus_version:
        lines.append(label_html(ui, "docs_corpus_version", version=corpus_version))
    shown, page, pages = page_of(found, page)
    rows: list[list[Button]] = []
    current = None
    for entry in shown:
        source = entry.document.source
        if source.name != current:
            current = source.name
            files = [e for e in found if e.document.source.name == source.name]
            lines.append("\n" + file_line(source.name, source.packaged, len(source.lints), ui))
            if len(files) > 1:
                serve = not any(e.rule.in_service for e in files)
                key = "docs_file_on" if serve else "docs_file_off"
                caption = label(ui, key, name=render.shorten(source.name, 32))
                data = callbacks.library_file(short_key(source.name), serve)
                rows.append([Button(caption, callback_data=data)])
        line = f"{mark(entry)} {name(entry, ui)} · {summary(entry, ui)}"
        if entry.rule.in_service and entry.rule.limited:
            line += f" · {audience(entry, ui)}"
        lines.append(line)
        caption = f"{mark(entry)} {render.shorten(render.name_in(entry.name, ui), 40)}"
        rows.append([Button(caption, callback_data=callbacks.library_document(entry.doc_no))])
    lines.append("\n" + label_html(ui, "docs_hint"))
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(Button("⬅️", callback_data=callbacks.library(page - 1)))
        nav.append(Button(f"{page + 1}/{pages}", callback_data=callbacks.library(page)))
        if page + 1 < pages:
            nav.append(Button("➡️", callback_data=callbacks.library(page + 1)))
        rows.append(nav)
    return render.fit("\n".join(lines)), InlineKeyboardMarkup(rows)


def file_line(name: str, packaged: bool, lints: int, ui: str) -> str:
    text = f"📁 <b>{html.escape(name)}</b>"
    if packaged:
        text += " " + label_html(ui, "docs_sample")
    if lints:
        text += " · " + label_html(ui, "docs_lints", count=lints)
    return text


def summary(entry: Entry, ui: str) -> str:
    parts = [label_html(ui, "docs_steps", count=entry.document.steps)]
    if entry.version is not None:
        parts.append(f"v{entry.version.number}")
    if entry.document.pictures:
        parts.append(label_html(ui, "docs_pictures", count=entry.document.pictures))
    return " · ".join(parts)


def audience(entry: Entry, ui: str) -> str:
    rule = entry.rule
    stores = (
        label_html(ui, "docs_only_stores", stores=html.escape("、".join(rule.stores)))
        if rule.stores
        else label_html(ui, "docs_every_store")
    )
    return f"{stores} · {label_html(ui, f'docs_level_{rule.level}')}"


def document(
    entry: Entry, ui: str, changes: Sequence[Change] = ()
) -> tuple[str, InlineKeyboardMarkup]:
    """A document's card: status, file, steps, roles, version, audience, its latest
    changes (the audit trail) and its file's lints."""
    document, rule = entry.document, entry.rule
    status = "docs_in_service" if rule.in_service else "docs_out_of_service"
    lines = [
        f"<b>{name(entry, ui)}</b>",
        f"{mark(entry)} {label_html(ui, status)}",
        file_line(document.source.name, document.source.packaged, 0, ui),
        summary(entry, ui),
    ]
    if document.roles:
        roles = "、".join(render.name_in(role, ui) for role in document.roles[:12])
        lines.append(label_html(ui, "docs_roles", roles=roles))
    if entry.version is not None:
        updated = entry.version.updated_at[:10]
        lines.append(label_html(ui, "docs_version", version=entry.version.number, date=updated))
    lines.append(label_html(ui, "docs_audience", audience=Html(audience(entry, ui))))
    for change in changes:
        who = change.by or "sopbot docs"
        done = label(ui, f"docs_{change.action}")
        when = change.at[:16].replace("T", " ")
        lines.append(f"🕓 {html.escape(when)} {html.escape(who)}: {html.escape(done)}")
    lints = document.source.lints
    if lints:
        lines += ["", label_html(ui, "docs_file_lints", count=len(lints))]
        lines += [
            f"• {item.line}: {html.escape(render_lint(item, ui))}" for item in lints[:LINTS_SHOWN]
        ]
        if len(lints) > LINTS_SHOWN:
            lines.append(label_html(ui, "sop_more", count=len(lints) - LINTS_SHOWN))
    serve = not rule.in_service
    toggle = label(ui, "docs_put_back" if serve else "docs_take_out")
    next_level = ACCESS_LEVELS[(ACCESS_LEVELS.index(rule.level) + 1) % len(ACCESS_LEVELS)]
    rows = [
        [Button(toggle, callback_data=callbacks.library_serve(entry.doc_no, serve))],
        [
            Button(
                label(ui, "docs_stores_button"),
                callback_data=callbacks.library_stores(entry.doc_no),
            ),
            Button(
                label(ui, "docs_level_button", level=label(ui, f"docs_level_{next_level}")),
                callback_data=callbacks.library_level(entry.doc_no, next_level),
            ),
        ],
        [Button(label(ui, "docs_back"), callback_data=callbacks.library(0))],
    ]
    return render.fit("\n".join(lines)), InlineKeyboardMarkup(rows)


def stores(entry: Entry, known: Sequence[str], ui: str) -> tuple[str, InlineKeyboardMarkup]:
    """The stores a document is served to, each a toggle, and "every store"."""
    text = "\n".join(
        [f"<b>{name(entry, ui)}</b>", audience(entry, ui), "", label_html(ui, "docs_stores_hint")]
    )
    chosen = set(entry.rule.stores)
    rows = [
        [
            Button(
                f"{'☑️' if store in chosen else '⬜'} {render.shorten(store, 40)}",
                callback_data=callbacks.library_store(entry.doc_no, short_key(store)),
            )
        ]
        for store in list(known)[:STORES_SHOWN]
    ]
    every = ("🔘 " if not chosen else "⚪ ") + label(ui, "docs_every_store")
    rows.append([Button(every, callback_data=callbacks.library_store(entry.doc_no, None))])
    back = callbacks.library_document(entry.doc_no)
    rows.append([Button(label(ui, "docs_back"), callback_data=back)])
    return text, InlineKeyboardMarkup(rows)


# -- an SOP file sent to import ---------------------------------------------------------


def listed(items: Sequence[str], ui: str) -> list[str]:
    shown = [f"• {html.escape(item)}" for item in items[:LINES_SHOWN]]
    if len(items) > LINES_SHOWN:
        shown.append(label_html(ui, "sop_more", count=len(items) - LINES_SHOWN))
    return shown


def proposal(found: Proposal, ui: str) -> str:
    """What an SOP file would change: steps added, removed, changed, and the lint."""
    lines = [f"<b>{label_html(ui, 'sop_summary', name=found.name, steps=found.steps)}</b>"]
    changes = found.changes
    for key, items in (
        ("sop_added", changes.added),
        ("sop_removed", changes.removed),
        ("sop_changed", changes.changed),
    ):
        if items:
            lines += ["", label_html(ui, key, count=len(items)), *listed(items, ui)]
    if not changes.any:
        lines += ["", label_html(ui, "sop_unchanged")]
    if found.pictures:
        lines += ["", label_html(ui, "sop_pictures", count=found.pictures)]
    if found.lints:
        lints = [f"{lint.line}: {render_lint(lint, ui)}" for lint in found.lints]
        lines += ["", label_html(ui, "sop_lints", count=len(lints)), *listed(lints, ui)]
    return render.fit("\n".join(lines))


def proposal_keyboard(token: str, ui: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                Button(label(ui, "sop_apply"), callback_data=callbacks.sop_update(True, token)),
                Button(label(ui, "sop_discard"), callback_data=callbacks.sop_update(False, token)),
            ]
        ]
    )
