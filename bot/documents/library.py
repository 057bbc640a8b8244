"""Which SOP documents are served, and to whom: the library's rules, with no Telegram.

A document (``Step.doc_no``: 篇1–14 in the packaged SOP, a stable number for every other
document) is served to everyone unless an admin set a rule for it: out of service (served
to no one), limited to some stores, or to people from some access level up. An asker is
never served a document their rule leaves out: not in answers, /roles, inline results or
quizzes (the steps are left out before anything is ranked or drawn).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from bot.storage.documents import EVERYONE, Library, Rule
from knowledge.model import Step

__all__ = ["EVERYONE", "Library", "Rule", "fingerprint", "fingerprints", "served_steps"]


def served_steps(steps: Sequence[Step], hidden: frozenset[int]) -> list[Step]:
    """The steps of the documents not ``hidden``, in order."""
    return list(steps) if not hidden else [s for s in steps if s.doc_no not in hidden]


def fingerprint(steps: Iterable[Step]) -> str:
    """What a document says: another fingerprint means another version of it."""
    digest = hashlib.blake2s(digest_size=8)
    for step in steps:
        for part in (step.id, *step.body, "\x1e", *step.tips, "\x1e", *step.pictures):
            digest.update(part.encode() + b"\x1f")
    return digest.hexdigest()


def fingerprints(steps: Iterable[Step]) -> dict[int, tuple[str, str]]:
    """Each document's name and fingerprint, by number, in the order they come."""
    grouped: dict[int, list[Step]] = {}
    names: dict[int, str] = {}
    for step in steps:
        grouped.setdefault(step.doc_no, []).append(step)
        names.setdefault(step.doc_no, step.doc)
    return {no: (names[no], fingerprint(found)) for no, found in grouped.items()}


def short_key(text: str) -> str:
    """Eight hex characters naming a store or a file in a button's data."""
    return hashlib.blake2s(text.encode(), digest_size=4).hexdigest()
