"""Ask a person: who answers a store's questions, who may see and take one, reminders,
and the outbox that delivers each message at most once.

Nothing here imports Telegram: a :class:`Sender` (``bot.asks.handlers.TelegramSender`` in
the bot, a fake in tests) sends one message of the outbox and says how it went.

Delivery
--------
Every message a question causes (an offer to each responder, a reminder, an escalation to
the admins, the answer to the asker) is a row of ``ask_messages``, queued in the same
transaction as the change that causes it::

    pending ──▶ sending ──▶ sent (with its message id) │ blocked │ failed
       ▲           │
       └───────────┘  429 and network errors: pending again after a pause (doubling), up
                      to SOPBOT_ASK_SEND_ATTEMPTS tries and SOPBOT_ASK_SEND_MAX_HOURS

``sending`` is committed before the Bot API call and the outcome right after. A row still
``sending`` at start was cut off between the two (a kill, a crash): it becomes
``uncertain`` and is not pushed again, so nobody gets a message twice. Nothing is lost
either: the question itself is in the database, so an unanswered one is still listed in
``/asks`` for every responder and reminded, and an answered one is in the asker's ``/asks``.

A message that fails for good (the asker blocked the bot, a chat that is gone, every try
used up) is marked failed with its reason, and whom it concerns is told once, by a notice
queued in the same outbox: the taker, when their answer did not reach the asker; the asker,
when the question reached nobody who answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.access.levels import level_named
from bot.asks import notes
from bot.asks.model import (
    BLOCKED,
    EDITED,
    ESCALATION,
    EXPIRED,
    FAILED,
    PENDING,
    REJECTED,
    REMINDER,
    REMOVED,
    REPLY,
    RESTORED,
    RETRIES,
    SENT,
    SHARED,
    STILL_WAITING,
    TAKEN,
    TO_RESPONDERS,
    UNCERTAIN,
    UNDELIVERED,
    UNREACHED,
    UNSHARED,
    Ask,
    NoteVersion,
    Outgoing,
    StoreNote,
    iso,
)
from bot.storage import ACCESS_LEVELS, Person, Storage

log = logging.getLogger(__name__)

ADMIN = "admin"


# -- who answers ---------------------------------------------------------------------------------


def responders(storage: Storage, store: str | None, leave_out: int | None = None) -> list[Person]:
    """The active people who answer a store's questions (by the store's levels)."""
    if store is None:
        return []
    levels = set(storage.asks.responder_levels(store))
    return [
        person
        for person in storage.people.people(stores=[store])
        if person.access in levels and person.user_id != leave_out
    ]


def admin_ids(storage: Storage, configured: Iterable[int]) -> list[int]:
    """Who a question goes up to: the configured admins and the people with admin access."""
    found = set(configured)
    found.update(person.user_id for person in storage.people.people() if person.access == ADMIN)
    return sorted(found)


def is_admin(person: Person | None, user_id: int, configured: frozenset[int]) -> bool:
    if user_id in configured:
        return True
    return person is not None and person.active and person.access == ADMIN


def may_respond(storage: Storage, ask: Ask, person: Person | None) -> bool:
    """Whether someone answers this question now: an active responder of its store.

    Read at every press, so a revoked responder's ✋ stops working at once.
    """
    if person is None or not person.active or ask.store is None:
        return False
    return ask.store in person.stores and person.access in storage.asks.responder_levels(ask.store)


def first_recipients(
    storage: Storage, ask_store: str | None, asker: int, admins: list[int]
) -> list[int]:
    """Who gets a new question: the store's responders; the admins when it has none."""
    found = [person.user_id for person in responders(storage, ask_store, leave_out=asker)]
    return found or [user_id for user_id in admins if user_id != asker]


def parse_levels(words: Iterable[str]) -> tuple[str, ...] | None:
    """``trainer manager`` (or ``培訓員 店長``) → ("trainer", "manager"); None if a word is
    not a level."""
    levels: list[str] = []
    for word in words:
        level = level_named(word)
        if level is None:
            return None
        if level not in levels:
            levels.append(level)
    return tuple(sorted(levels, key=ACCESS_LEVELS.index))


# -- reminders and escalation --------------------------------------------------------------------


def queue_follow_ups(
    storage: Storage,
    now: datetime,
    remind_after: float,
    escalate_after: float,
    configured_admins: Iterable[int],
) -> list[tuple[int, str]]:
    """Queue the reminders and escalations now due; (ask id, kind) of each queued.

    Reminded once after ``remind_after`` minutes (the store's responders while it is
    open, the taker once taken), sent up to the admins once after ``escalate_after``;
    0 turns either off.
    """
    queued: list[tuple[int, str]] = []
    if remind_after > 0:
        for ask in storage.asks.due_for("reminded_at", iso(now - timedelta(minutes=remind_after))):
            if ask.status == TAKEN and ask.taken_by is not None:
                to = [ask.taken_by]
            else:
                to = [p.user_id for p in responders(storage, ask.store, leave_out=ask.asker_id)]
            if storage.asks.follow_up(ask.id, "reminded_at", REMINDER, to):
                queued.append((ask.id, REMINDER))
    if escalate_after > 0:
        admins = admin_ids(storage, configured_admins)
        for ask in storage.asks.due_for(
            "escalated_at", iso(now - timedelta(minutes=escalate_after))
        ):
            to = [user_id for user_id in admins if user_id != ask.asker_id]
            # The asker hears that it is still waiting, and where it went.
            if storage.asks.follow_up(ask.id, "escalated_at", ESCALATION, to, asker=STILL_WAITING):
                queued.append((ask.id, ESCALATION))
    return queued


# -- the outbox ----------------------------------------------------------------------------------

# Messages sent at once (to different chats; one chat's in order): the bot's limiter paces
# them within Telegram's limits, so ten offers no longer wait on each other's round trip.
CONCURRENT_SENDS = 8
# Rounds of one delivery: a failure may queue a notice about it, sent in the next round.
ROUNDS = 3
# The longest pause between two tries of one message.
LONGEST_PAUSE = timedelta(hours=1)


@dataclass(frozen=True)
class Outcome:
    state: str  # sent, blocked, failed, uncertain, or pending (try again later)
    message_id: int | None = None
    error: str = ""
    reason: str | None = None  # why it failed for good (REASONS), for blocked and failed
    wait: float = 0.0  # seconds Telegram asked to wait before the next try (a 429)


@dataclass(frozen=True)
class Retries:
    """How long a message that meets passing faults (a 429, Telegram unreachable) is tried:
    ``attempts`` tries at most, the first pause ``backoff`` seconds and each next one twice
    as long (an hour at most), and never once it is ``max_age`` hours old. Then it has failed
    and whom it concerns is told."""

    attempts: int = 6
    backoff: float = 60.0
    max_age: float = 24.0

    def too_old(self, message: Outgoing, now: datetime) -> bool:
        if not message.queued_at:
            return False
        queued = datetime.fromisoformat(message.queued_at)
        return now - queued > timedelta(hours=self.max_age)

    def next_try(self, message: Outgoing, now: datetime, wait: float = 0.0) -> datetime | None:
        """When to try again after this failed try (not before Telegram's ``wait``); None
        when it has had its last."""
        tried = message.attempts + 1
        if tried >= self.attempts:
            return None
        pause = min(timedelta(seconds=self.backoff * 2 ** (tried - 1)), LONGEST_PAUSE)
        pause = max(pause, timedelta(seconds=wait))
        later = now + pause
        if message.queued_at and later - datetime.fromisoformat(message.queued_at) > timedelta(
            hours=self.max_age
        ):
            return None
        return later


class Sender(Protocol):
    async def send(self, ask: Ask, message: Outgoing) -> Outcome: ...


async def deliver(
    storage: Storage,
    sender: Sender,
    retries: Retries | None = None,
    clock: Callable[[], datetime] | None = None,
    concurrency: int = CONCURRENT_SENDS,
) -> dict[str, int]:
    """Send every message of the outbox that is due, once; how many ended in each state.

    Up to ``concurrency`` chats at once, each chat's messages in the order queued. Safe to
    run from several places at once: a row is sent only by whoever moves it from pending to
    sending, and that is committed before the Bot API call, so a kill mid-send (however many
    were in flight) leaves rows that are never sent again. ``clock`` is the storage's
    unless given.
    """
    retries = retries or Retries()
    now = clock or (lambda: datetime.fromisoformat(storage.connection.clock()))
    counts: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)

    async def send_to_chat(messages: list[Outgoing]) -> None:
        async with gate:
            for message in messages:
                state = await deliver_one(storage, sender, retries, now, message)
                if state is not None:
                    counts[state] = counts.get(state, 0) + 1

    seen: set[int] = set()
    for _ in range(ROUNDS):
        by_chat: dict[int, list[Outgoing]] = {}
        for message in storage.asks.pending_messages(iso(now())):
            if message.id not in seen:
                seen.add(message.id)
                by_chat.setdefault(message.chat_id, []).append(message)
        if not by_chat:
            break
        await asyncio.gather(*(send_to_chat(messages) for messages in by_chat.values()))
    return counts


async def deliver_one(
    storage: Storage,
    sender: Sender,
    retries: Retries,
    clock: Callable[[], datetime],
    message: Outgoing,
) -> str | None:
    """Send one message of the outbox if nobody else has; the state it ended in."""
    ask = storage.asks.ask(message.ask_id)
    if ask is None or not storage.asks.begin_sending(message.id):
        return None
    if not ask.unanswered and message.kind not in (REPLY, UNDELIVERED):
        # Settled meanwhile (taken and answered, withdrawn): an offer would be stale.
        storage.asks.sent(message.id, FAILED, None, f"question {ask.status}", tried=False)
        return FAILED
    if retries.too_old(message, clock()):
        outcome = Outcome(FAILED, error="too old to send", reason=EXPIRED)
        storage.asks.sent(message.id, FAILED, None, outcome.error, reason=EXPIRED, tried=False)
        tell_of_failure(storage, ask, message, outcome)
        return FAILED
    try:
        outcome = await sender.send(ask, message)
    except Exception as error:  # noqa: BLE001 - one bad message must not stop the rest
        log.exception("sending message %d of question %d failed", message.id, ask.id)
        outcome = Outcome(FAILED, error=f"{type(error).__name__}: {error}", reason=REJECTED)
    assert outcome.state in (SENT, BLOCKED, FAILED, UNCERTAIN, PENDING)
    if outcome.state == PENDING:
        later = retries.next_try(message, clock(), outcome.wait)
        if later is not None:
            storage.asks.sent(message.id, PENDING, None, outcome.error, retry_at=iso(later))
            return PENDING
        log.warning(
            "giving up on message %d of question %d after %d tries: %s",
            message.id,
            ask.id,
            message.attempts + 1,
            outcome.error,
        )
        outcome = Outcome(FAILED, error=outcome.error, reason=RETRIES)
    storage.asks.sent(
        message.id, outcome.state, outcome.message_id, outcome.error, reason=outcome.reason
    )
    if outcome.state in (BLOCKED, FAILED):
        tell_of_failure(storage, ask, message, outcome)
    return outcome.state


def tell_of_failure(storage: Storage, ask: Ask, message: Outgoing, outcome: Outcome) -> None:
    """Queue, once, a word to whom a message that failed for good concerns.

    The answer not reaching the asker: its taker is told why. No message reaching anyone
    who answers (every offer, reminder or escalation failed): the asker is told to ask in
    person. A failed notice, or another message to the asker, is only logged: there is
    nobody left to tell.
    """
    log.info(
        "message %d (%s) of question %d to %d failed: %s (%s)",
        message.id,
        message.kind,
        ask.id,
        message.chat_id,
        outcome.reason,
        outcome.error,
    )
    if message.kind == REPLY and ask.taken_by is not None and ask.taken_by != ask.chat_id:
        storage.asks.queue_notice(ask.id, UNDELIVERED, ask.taken_by)
    elif (
        message.kind in TO_RESPONDERS
        and ask.unanswered
        and not storage.asks.reaches_responders(ask.id)
    ):
        storage.asks.queue_notice(ask.id, UNREACHED, ask.chat_id)


def failure_of(storage: Storage, ask: Ask, kinds: Iterable[str]) -> Outgoing | None:
    """The latest message of ``kinds`` of a question that failed for good (for its reason)."""
    failed = [
        m for m in storage.asks.messages_of(ask.id) if m.kind in set(kinds) and m.reason is not None
    ]
    return failed[-1] if failed else None


def recover(storage: Storage) -> int:
    """At start: messages cut off mid-send become uncertain (never sent twice)."""
    found = storage.asks.recover_messages()
    if found:
        log.info("%d question messages were cut off mid-send; not sending them again", found)
    return found


# -- store notes ---------------------------------------------------------------------------------
# Every read and change of a note goes through here: the rules of who may are in
# ``bot/asks/notes.py``, the versions in storage.


def note_of(storage: Storage, note_id: int) -> StoreNote | None:
    """A note, served or removed (its versions keep it)."""
    return storage.asks.note(note_id, removed=True)


def note_history(storage: Storage, note_id: int) -> list[NoteVersion]:
    return storage.asks.note_versions(note_id)


def notes_served(storage: Storage, stores: Iterable[str] | None) -> list[StoreNote]:
    """The notes of ``stores`` and those shared with every store (None: every note)."""
    return storage.asks.notes(stores, shared=True)


def save_note(storage: Storage, ask: Ask, by_id: int) -> StoreNote:
    """📌: a question and its answer kept as a note of the asker's store, its version 1."""
    assert ask.store is not None
    note = storage.asks.add_note(ask.store, ask.question, ask.answer, by_id, ask.taker_name, ask.id)
    notes.forget(storage)
    storage.people.log_action(by_id, "note_saved", str(note.id), ask.store)
    return note


def change_note(
    storage: Storage,
    note_id: int,
    seen: int,
    action: str,
    by_id: int,
    by_name: str,
    *,
    text: tuple[str, str] | None = None,
    version: int = 0,
) -> StoreNote | None:
    """One change of a note (edited to ``text``, removed, restored to ``version``, shared or
    unshared) as a new version, if it is still at version ``seen``; None when someone
    changed it meanwhile. A change is written to the audit trail, and the next question
    reads the notes again."""
    if action == EDITED:
        assert text is not None
        done = storage.asks.edit_note(note_id, seen, *text, by_id, by_name)
    elif action == REMOVED:
        done = storage.asks.remove_note(note_id, seen, by_id, by_name)
    elif action == RESTORED:
        done = storage.asks.restore_note(note_id, seen, version, by_id, by_name)
    else:
        assert action in (SHARED, UNSHARED)
        done = storage.asks.share_note(note_id, seen, action == SHARED, by_id, by_name)
    if done is not None and done.version != seen:
        storage.people.log_action(by_id, f"note_{action}", str(note_id), f"v{done.version}")
        notes.forget(storage)
    return done
