"""The plain data of "ask a person": a question handed to people, the messages it causes.

Nothing here imports Telegram or storage; ``bot/storage/asks.py`` reads and writes these,
``bot/asks/service.py`` holds the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# What a question asked of people goes through:
#   open ──✋──▶ taken ──reply──▶ answered
#     └──────────┴──✖ (the asker)──▶ withdrawn
OPEN, TAKEN, ANSWERED, WITHDRAWN = "open", "taken", "answered", "withdrawn"
UNANSWERED = (OPEN, TAKEN)

# The messages a question causes, each one row of the outbox (``ask_messages``):
OFFER = "offer"  # to each responder of the store, with ✋
REMINDER = "reminder"  # to the responders again (or the taker) after SOPBOT_ASK_REMIND_MINUTES
ESCALATION = "escalation"  # to the admins after SOPBOT_ASK_ESCALATE_MINUTES
REPLY = "reply"  # the answer, to the asker, as a reply to their question
STILL_WAITING = "waiting"  # to the asker, when it goes up to the admins
UNDELIVERED = "undelivered"  # to the taker, when their answer could not reach the asker
UNREACHED = "unreached"  # to the asker, when no message reached anyone who answers
TO_ASKER = (REPLY, STILL_WAITING, UNREACHED)
TO_RESPONDERS = (OFFER, REMINDER, ESCALATION)

# An outbox row: pending ──▶ sending (committed before the Bot API call) ──▶ sent │ failed
# │ blocked. A row still "sending" at start was cut off mid-call: it becomes "uncertain" and
# is never pushed again (at most once, as briefings are). A passing fault leaves it pending
# for a later try, up to a number of tries and an age (``bot.asks.service.Retries``).
PENDING, SENDING, SENT, FAILED, BLOCKED, UNCERTAIN = (
    "pending",
    "sending",
    "sent",
    "failed",
    "blocked",
    "uncertain",
)

# Why a message failed for good (``ask_messages.reason``), said in plain words to whom it
# concerns: the asker blocked the bot, their account or chat is gone, the bot was removed
# from the group, Telegram refused the message, every try failed, or it waited too long.
BLOCKED_BOT, GONE, KICKED, REJECTED, RETRIES, EXPIRED = (
    "blocked",
    "gone",
    "kicked",
    "rejected",
    "retries",
    "expired",
)
REASONS = (BLOCKED_BOT, GONE, KICKED, REJECTED, RETRIES, EXPIRED)

# What changed a store note, each change one version of it (``store_note_versions``).
SAVED, EDITED, REMOVED, RESTORED, SHARED, UNSHARED = (
    "saved",
    "edited",
    "removed",
    "restored",
    "shared",
    "unshared",
)
NOTE_QUESTION_LIMIT = 300  # characters of a note's question, as edited
NOTE_ANSWER_LIMIT = 3000  # and of its answer, as an answer to a question may be

# Who answers a store's questions unless the store says otherwise (/responders).
DEFAULT_LEVELS = ("trainer", "manager")

QUESTION_LIMIT = 1000  # characters of a question kept (a forged update may carry more)
ANSWER_LIMIT = 3000  # characters of an answer: room for the header within Telegram's 4096
CLOSEST = 3  # the bot's closest steps shown to the responders


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Ask:
    """A question handed to people."""

    id: int
    asker_id: int
    asker_name: str
    chat_id: int  # where it was asked (a private chat or a group)
    message_id: int  # the message the answer replies to
    thread_id: int | None  # the group topic it was asked in
    store: str | None
    question: str
    script: str  # the question's script, for the steps shown with it
    steps: tuple[str, ...]  # the bot's closest step ids, best first
    status: str
    created_at: datetime
    taken_by: int | None = None
    taker_name: str = ""
    taken_at: datetime | None = None
    answer: str = ""
    answered_at: datetime | None = None
    vote: int | None = None
    note_id: int | None = None
    taught: bool = False

    @property
    def unanswered(self) -> bool:
        return self.status in UNANSWERED

    def age(self, now: datetime) -> float:
        """Minutes since it was asked (until it was answered, for an answered one)."""
        end = self.answered_at or now
        return max(0.0, (end - self.created_at).total_seconds() / 60)


@dataclass(frozen=True)
class Outgoing:
    """One message of the outbox, to send."""

    id: int
    ask_id: int
    kind: str
    chat_id: int
    state: str
    message_id: int | None = None
    attempts: int = 0  # tries so far
    queued_at: str = ""  # ISO, when it was queued: its age is counted from then
    reason: str | None = None  # why it failed for good (REASONS)


@dataclass(frozen=True)
class StoreNote:
    """A question and its answer kept for one store, searchable by its staff."""

    id: int
    store: str
    question: str
    answer: str
    author_id: int
    author_name: str
    created_at: datetime
    ask_id: int | None = None
    shared: bool = False  # served to every store's staff, not only its own
    version: int = 1
    edited_at: datetime | None = None  # when its text last changed (None: as saved)
    editor_name: str = ""
    removed: bool = False


@dataclass(frozen=True)
class NoteVersion:
    """One change of a store note: what it said after, who made it and when."""

    note_id: int
    version: int
    action: str  # saved, edited, removed, restored, shared, unshared
    question: str
    answer: str
    shared: bool
    removed: bool
    by_id: int | None
    by_name: str
    at: datetime
