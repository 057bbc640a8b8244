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
ROW_ID = r"([0-9]{1,12})"
CONFIRM = re.compile(rf"adm:(ok|no):{ROW_ID}\Z")  # ✅ / ✖ on a /grant or /revoke: its row
WITHDRAW = re.compile(rf"inv:x:{ROW_ID}\Z")  # 🚫 on an /invite link: withdraw invite n

PATTERNS: tuple[re.Pattern[str], ...] = (
    FULL,
    MORE,
    VOTE,
    SEE,
    EXAMPLE,
    DOCUMENTS,
    DOCUMENT,
    SECTION,
    READ,
    ROLE,
)
PATTERNS += (CONFIRM, WITHDRAW)  # people and invites (bot/access/handlers.py)
# Briefings (bot/briefings/handlers.py): n is a briefing's (or a schedule's) row id.
BRIEF_ID = r"([0-9]{1,9})"
BRIEF_READ = re.compile(rf"brf:ok:{BRIEF_ID}\Z")  # ✅ 已讀 under a delivered note
BRIEF_AUDIENCE = re.compile(rf"brf:to:{BRIEF_ID}:([0-9]{{1,2}})\Z")  # draft n: audience choice
BRIEF_SEND = re.compile(rf"brf:go:{BRIEF_ID}\Z")  # ✅ 發送 a draft now
BRIEF_SCHEDULE = re.compile(rf"brf:at:{BRIEF_ID}\Z")  # 🕗 排程: ask for the time
BRIEF_CANCEL = re.compile(rf"brf:x:{BRIEF_ID}\Z")  # ✖ 取消 a draft
BRIEF_RESEND = re.compile(rf"brf:re:{BRIEF_ID}\Z")  # 🔁 send again to the unread
BRIEF_UNSCHEDULE = re.compile(rf"brf:xs:{BRIEF_ID}\Z")  # ✖ a schedule
BRIEF_AS_NOTE = re.compile(rf"brf:nt:{BRIEF_ID}\Z")  # a question-shaped draft: send it as a note
BRIEF_AS_QUESTION = re.compile(rf"brf:qa:{BRIEF_ID}\Z")  # … no: answer it as a question
PATTERNS += (
    BRIEF_READ,
    BRIEF_AUDIENCE,
    BRIEF_SEND,
    BRIEF_SCHEDULE,
    BRIEF_CANCEL,
    BRIEF_AS_NOTE,
    BRIEF_AS_QUESTION,
    BRIEF_RESEND,
    BRIEF_UNSCHEDULE,
)

# Knowledge gaps and SOP updates (bot/learning/handlers.py, updates.py).
TEACH_GAP = re.compile(rf"tch:g:{NUMBER}\Z")  # 🎓 under gap group n of the user's last /gaps
TEACH_STEP = re.compile(rf"tch:s:{STEP_ID}\Z")  # teach the wording being taught to this step
TEACH_BROWSE = re.compile(r"tch:b\Z")  # 📚 browse the SOP for the step
TEACH_CANCEL = re.compile(r"tch:x\Z")  # ✖️ stop teaching
TEACH_SEARCH = re.compile(r"tch:f\Z")  # 🔎 the next typed text searches for the step again
TEACH_UNDO = re.compile(r"tch:u\Z")  # ↩️ take back what the user just taught
TEACH_FORGET = re.compile(rf"tch:d:{ROW_ID}\Z")  # 🗑 one taught wording of /teach's list
TEACH_WORDING = re.compile(rf"tch:w:{NUMBER}\Z")  # ✅ / ⬜ wording n of the gap being taught
SOP_UPDATE = re.compile(r"sop:(ok|no):([0-9a-f]{8})\Z")  # ✅ / ✖️ on a proposed SOP file
PATTERNS += (TEACH_GAP, TEACH_STEP, TEACH_BROWSE, TEACH_CANCEL, SOP_UPDATE)
PATTERNS += (TEACH_SEARCH, TEACH_UNDO, TEACH_FORGET, TEACH_WORDING)

# The document library (bot/documents/handlers.py): a document by its number (Step.doc_no),
# a store or a file by eight hex characters of its name's hash.
DOC_NO = r"([0-9]{1,9})"
HASH = r"([0-9a-f]{8})"
LIBRARY = re.compile(rf"lib:p:{NUMBER}\Z")  # /docs: a page of the library
LIBRARY_DOC = re.compile(rf"lib:d:{DOC_NO}\Z")  # one document's card
LIBRARY_SERVE = re.compile(rf"lib:s:{DOC_NO}:([01])\Z")  # ⏸ out of service / ▶️ back
LIBRARY_FILE = re.compile(rf"lib:f:{HASH}:([01])\Z")  # every document of one file
LIBRARY_STORES = re.compile(rf"lib:t:{DOC_NO}\Z")  # 🏪 the stores a document is served to
LIBRARY_STORE = re.compile(rf"lib:t:{DOC_NO}:(?:{HASH}|(\*))\Z")  # toggle one, or * for all
LIBRARY_LEVEL = re.compile(rf"lib:l:{DOC_NO}:(staff|trainer|manager|admin)\Z")  # 🎚 from level
PATTERNS += (
    LIBRARY,
    LIBRARY_DOC,
    LIBRARY_SERVE,
    LIBRARY_FILE,
    LIBRARY_STORES,
    LIBRARY_STORE,
    LIBRARY_LEVEL,
)
# Ask a person and store notes (bot/asks/): n is a question's (or a note's) row id.
ASK_ID = r"([0-9]{1,9})"
ASK_PERSON = re.compile(r"hp:q\Z")  # 🙋 under an answer: hand the question it shows to people
ASK_TAKE = re.compile(rf"hp:t:{ASK_ID}\Z")  # ✋ take question n
ASK_RELEASE = re.compile(rf"hp:r:{ASK_ID}\Z")  # ↩️ give question n back
ASK_WITHDRAW = re.compile(rf"hp:x:{ASK_ID}\Z")  # ✖ the asker withdraws question n
ASK_VOTE = re.compile(rf"hp:v:([+-]):{ASK_ID}\Z")  # 👍 / 👎 on the answer to question n
ASK_NOTE = re.compile(rf"hp:n:{ASK_ID}\Z")  # 📌 save question n and its answer as a note
ASK_TEACH = re.compile(rf"hp:s:{ASK_ID}\Z")  # 🎓 attach question n to a step
# A note's buttons that change it name the version they were shown at (v): one pressed
# after someone else changed the note changes nothing.
NOTE_VERSION = r"([0-9]{1,6})"
NOTE_OPEN = re.compile(rf"nt:o:{ASK_ID}\Z")  # 📌 store note n, with its versions
NOTE_REMOVE = re.compile(rf"nt:x:{ASK_ID}:{NOTE_VERSION}\Z")  # 🗑 remove note n (at v)
NOTE_EDIT = re.compile(rf"nt:e:{ASK_ID}:{NOTE_VERSION}\Z")  # ✏️ write new text for note n
NOTE_SHARE = re.compile(rf"nt:([su]):{ASK_ID}:{NOTE_VERSION}\Z")  # 🌐 share / 🏪 unshare note n
NOTE_RESTORE = re.compile(
    rf"nt:r:{ASK_ID}:{NOTE_VERSION}:{NOTE_VERSION}\Z"
)  # ↩️ note n (at v) as vk
NOTE_EDIT_CANCEL = re.compile(r"nt:c\Z")  # ✖ leave the note as it is
PATTERNS += (ASK_PERSON, ASK_TAKE, ASK_RELEASE, ASK_WITHDRAW, ASK_VOTE, ASK_NOTE, ASK_TEACH)
PATTERNS += (NOTE_OPEN, NOTE_REMOVE, NOTE_EDIT, NOTE_SHARE, NOTE_RESTORE, NOTE_EDIT_CANCEL)


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


def confirm(yes: bool, confirmation_id: int) -> str:
    return checked(f"adm:{'ok' if yes else 'no'}:{confirmation_id}")


def withdraw(invite_id: int) -> str:
    return checked(f"inv:x:{invite_id}")


def briefing(action: str, briefing_id: int, choice: int | None = None) -> str:
    """Briefing buttons: ``action`` is ok, to (with ``choice``), go, at, x, re, xs, nt or qa."""
    return checked(f"brf:{action}:{briefing_id}" + ("" if choice is None else f":{choice}"))


def teach_gap(number: int) -> str:
    return checked(f"tch:g:{number}")


def teach_step(step_id: str) -> str:
    return checked(f"tch:s:{step_id}")


def teach_browse() -> str:
    return checked("tch:b")


def teach_cancel() -> str:
    return checked("tch:x")


def teach_search() -> str:
    return checked("tch:f")


def teach_undo() -> str:
    return checked("tch:u")


def teach_wording(number: int) -> str:
    return checked(f"tch:w:{number}")


def teach_forget(row_id: int) -> str:
    return checked(f"tch:d:{row_id}")


def sop_update(apply: bool, token: str) -> str:
    return checked(f"sop:{'ok' if apply else 'no'}:{token}")


def library(page: int) -> str:
    return checked(f"lib:p:{page}")


def library_document(doc_no: int) -> str:
    return checked(f"lib:d:{doc_no}")


def library_serve(doc_no: int, serve: bool) -> str:
    return checked(f"lib:s:{doc_no}:{int(serve)}")


def library_file(key: str, serve: bool) -> str:
    return checked(f"lib:f:{key}:{int(serve)}")


def library_stores(doc_no: int) -> str:
    return checked(f"lib:t:{doc_no}")


def library_store(doc_no: int, key: str | None) -> str:
    """Toggle the store whose name hashes to ``key``; None: serve every store."""
    return checked(f"lib:t:{doc_no}:{key or '*'}")


def library_level(doc_no: int, level: str) -> str:
    return checked(f"lib:l:{doc_no}:{level}")


def ask_person() -> str:
    return checked("hp:q")


def ask(action: str, ask_id: int) -> str:
    """Buttons of a question asked of people: ``action`` is t, r, x, n or s."""
    return checked(f"hp:{action}:{ask_id}")


def ask_vote(up: bool, ask_id: int) -> str:
    return checked(f"hp:v:{'+' if up else '-'}:{ask_id}")


def note_open(note_id: int) -> str:
    return checked(f"nt:o:{note_id}")


def note_remove(note_id: int, version: int) -> str:
    return checked(f"nt:x:{note_id}:{version}")


def note_edit(note_id: int, version: int) -> str:
    return checked(f"nt:e:{note_id}:{version}")


def note_share(note_id: int, version: int, shared: bool) -> str:
    """🌐 (``shared``) or 🏪 (back to its store only)."""
    return checked(f"nt:{'s' if shared else 'u'}:{note_id}:{version}")


def note_restore(note_id: int, version: int, restored: int) -> str:
    return checked(f"nt:r:{note_id}:{version}:{restored}")


def note_edit_cancel() -> str:
    return checked("nt:c")


def is_known(data: str) -> bool:
    """Whether ``data`` has one of the forms this bot writes."""
    return any(pattern.match(data) for pattern in PATTERNS)
