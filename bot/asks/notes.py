"""Store notes: questions people answered, kept for their store and answered from then on.

A note is found for a question with ``knowledge.notes`` (read the way the search reads a
question); only the notes of the asker's own stores, and the notes shared with every store,
are ever looked at. Each change of a note is a version of it (``bot/storage/asks.py``): the
author, the store's trainers and managers, and admins may edit, remove or restore one; the
store's managers and admins may share it with every store. /notes lists them
(``bot/asks/handlers.py``). Nothing here imports Telegram.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.asks.model import NOTE_ANSWER_LIMIT, NOTE_QUESTION_LIMIT, NoteVersion, StoreNote
from bot.storage import Person, Storage
from knowledge.notes import NoteMatcher
from knowledge.search import Searcher

TRAINER, MANAGER = "trainer", "manager"
RESTORES_SHOWN = 3  # ↩️ buttons under a note, for its latest other texts


class Notes:
    """The notes each set of stores is served, read once per knowledge base and change."""

    def __init__(self) -> None:
        self.matchers: dict[
            tuple[str, ...], tuple[Searcher, NoteMatcher, dict[int, StoreNote]]
        ] = {}

    def forget(self) -> None:
        self.matchers.clear()

    def find(
        self, storage: Storage, searcher: Searcher, stores: tuple[str, ...], question: str
    ) -> StoreNote | None:
        """The note served to ``stores`` that the question asks again, if one does clearly."""
        matcher, by_id = self.matcher(storage, searcher, tuple(sorted(set(stores))))
        match = matcher.best(question)
        return by_id[match.note_id] if match is not None and match.confident else None

    def matcher(
        self, storage: Storage, searcher: Searcher, stores: tuple[str, ...]
    ) -> tuple[NoteMatcher, dict[int, StoreNote]]:
        cached = self.matchers.get(stores)
        if cached is None or cached[0] is not searcher:  # a rebuilt index reads them again
            found = {note.id: note for note in storage.asks.notes(stores, shared=True)}
            matcher = NoteMatcher(searcher, [(n.id, n.question) for n in found.values()])
            cached = self.matchers[stores] = (searcher, matcher, found)
        return cached[1], cached[2]


# One per database: the bot's, or a test's.
_notes: weakref.WeakKeyDictionary[Storage, Notes] = weakref.WeakKeyDictionary()


def notes_of(storage: Storage) -> Notes:
    return _notes.setdefault(storage, Notes())


def forget(storage: Storage) -> None:
    """Read the notes again at the next question (one was added, changed or shared)."""
    notes_of(storage).forget()


def find(
    storage: Storage, searcher: Searcher, stores: tuple[str, ...], question: str
) -> StoreNote | None:
    """The note for this question of the asker's stores, or shared with every store; never
    another store's unshared one."""
    return notes_of(storage).find(storage, searcher, stores, question)


def served_stores(
    private: bool, stores: tuple[str, ...], linked_store: str | None
) -> tuple[str, ...]:
    """Whose notes a chat may show: the reader's stores in a private chat; in a group, the
    store it is linked to (everyone there reads the reply, whatever their store)."""
    if private:
        return stores
    return (linked_store,) if linked_store else ()


# -- who may do what -----------------------------------------------------------------------------


def visible(stores: Sequence[str], admin: bool, note: StoreNote) -> bool:
    """Whoever is served the notes of ``stores`` sees their notes and the shared ones; an
    admin every note."""
    return admin or note.store in stores or (note.shared and not note.removed)


def manageable(person: Person | None, admin: bool, user_id: int, note: StoreNote) -> bool:
    """The author, a trainer or manager of the note's store, or an admin, may edit, remove
    or restore it (and see its versions)."""
    if admin:
        return True
    if person is None or not person.active or note.store not in person.stores:
        return False
    return note.author_id == user_id or person.at_least(TRAINER)


def shareable(person: Person | None, admin: bool, note: StoreNote) -> bool:
    """A manager of the note's store, or an admin, may share it with every store."""
    if admin:
        return True
    return (
        person is not None
        and person.active
        and note.store in person.stores
        and person.at_least(MANAGER)
    )


def restorable(note: StoreNote, versions: Sequence[NoteVersion]) -> list[NoteVersion]:
    """The versions a note can go back to: each other text it had (its latest version of
    each), the latest first; a removed note also its own last text."""
    current = (note.question, note.answer)
    found: dict[tuple[str, str], NoteVersion] = {}
    for version in versions:
        if version.removed:
            continue
        key = (version.question, version.answer)
        if key != current or note.removed:
            found[key] = version
    return sorted(found.values(), key=lambda v: v.version, reverse=True)[:RESTORES_SHOWN]


# -- editing -------------------------------------------------------------------------------------

EDITING = "note-edit"  # user_data key of the note someone is editing
EDIT_SECONDS = 15 * 60  # how long the next private message is taken as the new text
QUESTION_RE = re.compile(r"\A\s*(?:問|问|Q)\s*[:：]\s*(.+?)\s*\n\s*(?:答|A)\s*[:：]\s*(.+)\Z", re.S)
ANSWER_RE = re.compile(r"\A\s*(?:答|A)\s*[:：]\s*(.+)\Z", re.S)


@dataclass(frozen=True)
class Editing:
    """A note someone is writing new text for, as it was when they began."""

    note_id: int
    version: int
    started: float

    @property
    def live(self) -> bool:
        return time.monotonic() - self.started < EDIT_SECONDS


def start_editing(user_data: MutableMapping[Any, Any], note: StoreNote) -> Editing:
    editing = user_data[EDITING] = Editing(note.id, note.version, time.monotonic())
    return editing


def editing_of(user_data: MutableMapping[Any, Any] | None) -> Editing | None:
    editing = (user_data or {}).get(EDITING)
    return editing if isinstance(editing, Editing) and editing.live else None


def stop_editing(user_data: MutableMapping[Any, Any] | None) -> Editing | None:
    if user_data is None:
        return None
    editing = editing_of(user_data)
    user_data.pop(EDITING, None)
    return editing


def new_text(note: StoreNote, written: str) -> tuple[str, str] | None:
    """(question, answer) a message gives a note: ``問：…`` and ``答：…`` lines change both,
    any other text the answer; None when what it changes is too long."""
    both = QUESTION_RE.match(written)
    if both and both.group(1).strip():
        question, answer = both.group(1).strip(), both.group(2).strip()
        if len(question) > NOTE_QUESTION_LIMIT:
            return None
    else:
        only = ANSWER_RE.match(written)
        question, answer = note.question, (only.group(1) if only else written).strip()
    if len(answer) > NOTE_ANSWER_LIMIT:
        return None
    return question, answer or note.answer
