"""Store notes: questions people answered, kept for their store and answered from then on.

A note is found for a question with ``knowledge.notes`` (read the way the search reads a
question); only the notes of the asker's own stores are ever looked at. /notes lists them
(``bot/asks/handlers.py``), and the author, the store's trainers and managers, and admins
may remove one. Nothing here imports Telegram.
"""

from __future__ import annotations

import weakref

from bot.asks.model import StoreNote
from bot.storage import Person, Storage
from knowledge.notes import NoteMatcher
from knowledge.search import Searcher

TRAINER = "trainer"


class Notes:
    """The notes of each store, read once per store and knowledge base."""

    def __init__(self) -> None:
        self.matchers: dict[str, tuple[Searcher, NoteMatcher, dict[int, StoreNote]]] = {}

    def forget(self, store: str) -> None:
        self.matchers.pop(store, None)

    def find(
        self, storage: Storage, searcher: Searcher, stores: tuple[str, ...], question: str
    ) -> StoreNote | None:
        """The note of one of ``stores`` that the question asks again, if one does clearly."""
        best: tuple[float, StoreNote] | None = None
        for store in stores:
            matcher, by_id = self.matcher(storage, searcher, store)
            match = matcher.best(question)
            if match is not None and match.confident and (best is None or match.score > best[0]):
                best = (match.score, by_id[match.note_id])
        return best[1] if best else None

    def matcher(
        self, storage: Storage, searcher: Searcher, store: str
    ) -> tuple[NoteMatcher, dict[int, StoreNote]]:
        cached = self.matchers.get(store)
        if cached is None or cached[0] is not searcher:  # a rebuilt index reads them again
            found = {note.id: note for note in storage.asks.notes([store])}
            matcher = NoteMatcher(searcher, [(n.id, n.question) for n in found.values()])
            cached = self.matchers[store] = (searcher, matcher, found)
        return cached[1], cached[2]


# One per database: the bot's, or a test's.
_notes: weakref.WeakKeyDictionary[Storage, Notes] = weakref.WeakKeyDictionary()


def notes_of(storage: Storage) -> Notes:
    return _notes.setdefault(storage, Notes())


def forget(storage: Storage, store: str) -> None:
    """Read a store's notes again at its next question (one was added or removed)."""
    notes_of(storage).forget(store)


def find(
    storage: Storage, searcher: Searcher, stores: tuple[str, ...], question: str
) -> StoreNote | None:
    """The asker's store note for this question, if any (never another store's)."""
    if not stores:
        return None
    return notes_of(storage).find(storage, searcher, stores, question)


def removable(person: Person | None, admin: bool, user_id: int, note: StoreNote) -> bool:
    """The author, a trainer or manager of the note's store, or an admin, may remove it."""
    if admin:
        return True
    if person is None or not person.active or note.store not in person.stores:
        return False
    return note.author_id == user_id or person.at_least(TRAINER)
