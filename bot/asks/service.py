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
       └───────────┘  429 and network errors: left pending, tried again by the next job

``sending`` is committed before the Bot API call and the outcome right after. A row still
``sending`` at start was cut off between the two (a kill, a crash): it becomes
``uncertain`` and is not pushed again, so nobody gets a message twice. Nothing is lost
either: the question itself is in the database, so an unanswered one is still listed in
``/asks`` for every responder and reminded, and an answered one is in the asker's ``/asks``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.access.levels import level_named
from bot.asks.model import (
    BLOCKED,
    ESCALATION,
    FAILED,
    PENDING,
    REMINDER,
    REPLY,
    SENT,
    STILL_WAITING,
    TAKEN,
    UNCERTAIN,
    Ask,
    Outgoing,
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


@dataclass(frozen=True)
class Outcome:
    state: str  # sent, blocked, failed, uncertain, or pending (try again later)
    message_id: int | None = None
    error: str = ""


class Sender(Protocol):
    async def send(self, ask: Ask, message: Outgoing) -> Outcome: ...


async def deliver(storage: Storage, sender: Sender) -> dict[str, int]:
    """Send every pending message of the outbox once; how many ended in each state.

    Safe to run from several places at once: a row is sent only by whoever moves it from
    pending to sending.
    """
    counts: dict[str, int] = {}
    for message in storage.asks.pending_messages():
        ask = storage.asks.ask(message.ask_id)
        if ask is None or not storage.asks.begin_sending(message.id):
            continue
        if not ask.unanswered and message.kind != REPLY:
            # Settled meanwhile (taken and answered, withdrawn): an offer would be stale.
            storage.asks.sent(message.id, FAILED, None, f"question {ask.status}")
            continue
        try:
            outcome = await sender.send(ask, message)
        except Exception as error:  # noqa: BLE001 - one bad message must not stop the rest
            log.exception("sending message %d of question %d failed", message.id, ask.id)
            outcome = Outcome(FAILED, error=f"{type(error).__name__}: {error}")
        assert outcome.state in (SENT, BLOCKED, FAILED, UNCERTAIN, PENDING)
        storage.asks.sent(message.id, outcome.state, outcome.message_id, outcome.error)
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    return counts


def recover(storage: Storage) -> int:
    """At start: messages cut off mid-send become uncertain (never sent twice)."""
    found = storage.asks.recover_messages()
    if found:
        log.info("%d question messages were cut off mid-send; not sending them again", found)
    return found
