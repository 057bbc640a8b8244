"""The values of briefings: notes, audiences, deliveries, schedules, and what a sender reports.

Plain data, used by the rules (``service``), the queries (``bot.storage.briefings``) and
the texts (``render``) alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

# Kinds of note: a text, or a photo or document with a caption.
TEXT, PHOTO, DOCUMENT = "text", "photo", "document"
KINDS = (TEXT, PHOTO, DOCUMENT)
# Telegram's limits less room for the header ("📋 簡報 · 王經理") the note is sent with.
TEXT_LIMIT = 3800
CAPTION_LIMIT = 900

# Briefing statuses.
COMPOSING = "composing"  # /brief alone: the author's next message is the note
TIMING = "timing"  # 🕗 pressed: the author's next message is the time
DRAFT = "draft"
SENT = "sent"
SCHEDULED = "scheduled"  # the template a schedule copies each time it fires
CANCELLED = "cancelled"
# How long /brief (or 🕗) waits for the author's next message before it is a question again.
AWAIT_MINUTES = 30

# Delivery states.
PENDING, SENDING, DELIVERED, FAILED, BLOCKED, UNCERTAIN = (
    "pending",
    "sending",
    "sent",
    "failed",
    "blocked",
    "uncertain",
)
# Deliveries that are not in flight: what /missed shows if unread.
SETTLED = (DELIVERED, FAILED, BLOCKED, UNCERTAIN)

# Audiences: everyone the author manages, one store, or one access level.
ALL, STORE, LEVEL = "all", "store", "level"
LEVELS = ("staff", "trainer", "manager")

# Repeats of a schedule.
ONCE, DAILY, WEEKDAYS = "once", "daily", "weekdays"


# -- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """What a briefing says: a text, or a photo or document (Telegram file id) with a caption."""

    kind: str
    text: str
    file_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a note is one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class Audience:
    kind: str  # all, store or level
    value: str = ""

    @property
    def key(self) -> str:
        return self.kind if self.kind == ALL else f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, key: str | None) -> Audience | None:
        if key == ALL:
            return cls(ALL)
        kind, _, value = (key or "").partition(":")
        if kind in (STORE, LEVEL) and value:
            return cls(kind, value)
        return None


@dataclass(frozen=True)
class Briefing:
    id: int
    author: int
    author_name: str
    note: Note
    audience: Audience | None
    status: str
    created_at: str
    sent_at: str | None = None
    schedule_id: int | None = None


@dataclass(frozen=True)
class Delivery:
    briefing_id: int
    user_id: int
    state: str
    attempts: int
    message_id: int | None
    read_at: str | None


@dataclass(frozen=True)
class Receipt:
    """How a sent briefing is doing: for /briefs."""

    briefing: Briefing
    total: int
    read: int
    states: dict[str, int]
    unread: tuple[str, ...]  # names of those who have not acknowledged it


@dataclass(frozen=True)
class When:
    """When a scheduled briefing goes out: once on a day, every day, or Monday to Friday."""

    repeat: str
    at: time
    on: date | None = None  # the day, for once


@dataclass(frozen=True)
class Schedule:
    id: int
    briefing_id: int
    author: int
    when: When
    active: bool
    last_fired: str | None


# -- what a sender reports -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    message_id: int


@dataclass(frozen=True)
class Blocked:
    """The person blocked the bot, or never started it (403)."""

    reason: str


@dataclass(frozen=True)
class Retry:
    """Not delivered, try again: after ``after`` seconds (429), else with backoff."""

    reason: str
    after: float | None = None


@dataclass(frozen=True)
class Failed:
    """Telegram refused the message for good (400); sending it again would not help."""

    reason: str


@dataclass(frozen=True)
class Uncertain:
    """The send timed out: Telegram may have delivered it (see at-most-once above)."""

    reason: str


Outcome = Sent | Blocked | Retry | Failed | Uncertain


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
