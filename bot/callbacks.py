"""The callback data of every inline button: how it is written and the strict form it is read in.

Telegram sends a button's data back verbatim, but anyone can forge a callback query, and old
messages keep buttons of earlier versions. So each kind of data has one pattern, matched in
full (``\\Z``, ASCII digits only); data that matches none is answered "expired" and never
reaches a handler. Telegram limits data to 64 bytes: step ids are 10 hex characters and
positions a few digits, so every form fits with room to spare.
"""

from __future__ import annotations

import re

MAX_BYTES = 64

STEP_ID = r"([0-9a-f]{4,40})"
NUMBER = r"([0-9]{1,3})"

FULL = re.compile(rf"full:{STEP_ID}\Z")  # the whole step, with every tip
MORE = re.compile(rf"more:{NUMBER}\Z")  # hit n of the answer this message shows
VOTE = re.compile(rf"fb:([+-]):{STEP_ID}\Z")  # 👍 / 👎 on a step given as an answer
SEE = re.compile(rf"see:{STEP_ID}\Z")  # "did you mean" suggestion
EXAMPLE = re.compile(r"ask:([0-9])\Z")  # an example question of /start
DOCUMENTS = re.compile(rf"docs:{NUMBER}\Z")  # /roles: a page of documents
DOCUMENT = re.compile(rf"doc:{NUMBER}:{NUMBER}\Z")  # a document's roles: document, page
SECTION = re.compile(rf"sec:{NUMBER}:{NUMBER}:{NUMBER}\Z")  # steps: document, role, page
READ = re.compile(rf"read:{STEP_ID}\Z")  # one step, opened while browsing
ROLE = re.compile(rf"role:(?:{NUMBER}|(-))\Z")  # /role: choose role n, or "-" for none

PATTERNS = (FULL, MORE, VOTE, SEE, EXAMPLE, DOCUMENTS, DOCUMENT, SECTION, READ, ROLE)


def checked(data: str) -> str:
    """``data`` if it fits Telegram's limit; raise otherwise (a bug, not user input)."""
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def full(step_id: str) -> str:
    return checked(f"full:{step_id}")


def more(index: int) -> str:
    return checked(f"more:{index}")


def vote(up: bool, step_id: str) -> str:
    return checked(f"fb:{'+' if up else '-'}:{step_id}")


def see(step_id: str) -> str:
    return checked(f"see:{step_id}")


def example(index: int) -> str:
    return checked(f"ask:{index}")


def documents(page: int) -> str:
    return checked(f"docs:{page}")


def document(doc: int, page: int) -> str:
    return checked(f"doc:{doc}:{page}")


def section(doc: int, role: int, page: int) -> str:
    return checked(f"sec:{doc}:{role}:{page}")


def read(step_id: str) -> str:
    return checked(f"read:{step_id}")


def role(index: int | None) -> str:
    return checked(f"role:{'-' if index is None else index}")


def is_known(data: str) -> bool:
    """Whether ``data`` has one of the forms this bot writes."""
    return any(pattern.match(data) for pattern in PATTERNS)
