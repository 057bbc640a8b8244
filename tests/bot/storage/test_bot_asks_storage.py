"""Questions asked of people in storage (bot/storage/asks.py) and their rules
(bot/asks/service.py): one taker, each follow-up once, the outbox at most once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.asks import service
from bot.asks.model import (
    ANSWERED,
    ESCALATION,
    FAILED,
    OFFER,
    OPEN,
    PENDING,
    REMINDER,
    SENDING,
    SENT,
    UNCERTAIN,
    WITHDRAWN,
    Ask,
    Outgoing,
)
from bot.storage import Storage

STORE, OTHER = "信義店", "松山店"
STAFF, TRAINER, MANAGER, OTHER_MANAGER, ADMIN = 1, 2, 3, 4, 5
T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    storage = Storage.open(tmp_path / "bot.db", clock=lambda: T0.isoformat(timespec="seconds"))
    storage.add_person(STAFF, "小明", "staff", [STORE])
    storage.add_person(TRAINER, "陳培訓", "trainer", [STORE])
    storage.add_person(MANAGER, "王店長", "manager", [STORE])
    storage.add_person(OTHER_MANAGER, "林店長", "manager", [OTHER])
    storage.add_person(ADMIN, "總部", "admin", [])
    return storage


def open_ask(storage: Storage, source: str = "1:10") -> Ask:
    recipients = service.first_recipients(storage, STORE, STAFF, service.admin_ids(storage, []))
    ask = storage.open_ask(
        asker_id=STAFF,
        asker_name="小明",
        chat_id=STAFF,
        message_id=10,
        thread_id=None,
        source_key=source,
        store=STORE,
        question="加班費怎麼算",
        script="hant",
        steps=["abc"],
        recipients=recipients,
    )
    assert ask is not None
    return ask


def test_a_question_goes_to_its_stores_responders_once(storage: Storage) -> None:
    ask = open_ask(storage)
    assert {m.chat_id for m in storage.messages_of(ask.id)} == {TRAINER, MANAGER}
    assert (
        storage.open_ask(
            asker_id=STAFF,
            asker_name="",
            chat_id=STAFF,
            message_id=10,
            thread_id=None,
            source_key="1:10",
            store=STORE,
            question="again",
            script="hant",
            steps=[],
            recipients=[9],
        )
        is None
    )  # the same answer's 🙋 twice
    storage.set_responder_levels(STORE, ("manager",), MANAGER)
    assert [p.user_id for p in service.responders(storage, STORE)] == [MANAGER]
    assert service.first_recipients(storage, OTHER, OTHER_MANAGER, [ADMIN]) == [ADMIN]


def test_only_one_taker_and_only_the_taker_answers(storage: Storage) -> None:
    ask = open_ask(storage)
    assert storage.take(ask.id, MANAGER, "王店長")
    assert not storage.take(ask.id, TRAINER, "陳培訓")
    assert not storage.answer_ask(ask.id, TRAINER, "不是我")
    assert storage.answer_ask(ask.id, MANAGER, "按時薪 1.34 倍")
    found = storage.ask(ask.id)
    assert (found.status, found.answer, found.taker_name) == (ANSWERED, "按時薪 1.34 倍", "王店長")
    assert [m.kind for m in storage.messages_of(ask.id)].count("reply") == 1
    assert not storage.withdraw(ask.id, STAFF)  # too late
    assert storage.vote_on_answer(ask.id, STAFF, 1) and not storage.vote_on_answer(ask.id, 9, 1)


def test_an_admin_takes_over_and_a_taker_gives_it_back(storage: Storage) -> None:
    ask = open_ask(storage)
    storage.take(ask.id, MANAGER, "王店長")
    assert storage.release(ask.id, MANAGER) and storage.ask(ask.id).status == OPEN
    storage.take(ask.id, TRAINER, "陳培訓")
    assert storage.take(ask.id, ADMIN, "總部", take_over=True)
    assert storage.ask(ask.id).taken_by == ADMIN
    assert storage.taken_by(ADMIN)[0].id == ask.id and storage.taken_by(TRAINER) == []


def test_reminders_and_escalations_are_queued_once_when_due(storage: Storage) -> None:
    ask = open_ask(storage)
    now = T0 + timedelta(minutes=5)
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == []
    now = T0 + timedelta(minutes=11)
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == [(ask.id, REMINDER)]
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == []
    now = T0 + timedelta(minutes=31)
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == [(ask.id, ESCALATION)]
    kinds = [(m.kind, m.chat_id) for m in storage.messages_of(ask.id)]
    assert (ESCALATION, ADMIN) in kinds and kinds.count((REMINDER, MANAGER)) == 1
    # A withdrawn question is followed up no more; 0 minutes turns follow-ups off.
    other = open_ask(storage, "1:11")
    storage.withdraw(other.id, STAFF)
    assert storage.ask(other.id).status == WITHDRAWN
    assert service.queue_follow_ups(storage, now, 0, 0, [ADMIN]) == []


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, int]] = []

    async def send(self, ask: Ask, message: Outgoing) -> service.Outcome:
        self.sent.append((ask.id, message.kind, message.chat_id))
        return service.Outcome(SENT, 100 + len(self.sent))


def test_the_outbox_sends_each_message_once_and_never_what_was_cut_off(storage: Storage) -> None:
    ask = open_ask(storage)
    first, second = storage.messages_of(ask.id)
    assert storage.begin_sending(first.id)  # then the process died mid-call
    assert service.recover(storage) == 1
    recorder = Recorder()
    counts = asyncio.run(service.deliver(storage, recorder))
    assert counts == {SENT: 1} and recorder.sent == [(ask.id, OFFER, second.chat_id)]
    states = {m.chat_id: m.state for m in storage.messages_of(ask.id)}
    assert states == {first.chat_id: UNCERTAIN, second.chat_id: SENT}
    assert asyncio.run(service.deliver(storage, recorder)) == {}  # nothing twice
    # An offer still pending when the question is settled is not sent stale.
    late = open_ask(storage, "1:12")
    storage.withdraw(late.id, STAFF)
    asyncio.run(service.deliver(storage, recorder))
    assert {m.state for m in storage.messages_of(late.id)} == {FAILED}
    assert not {PENDING, SENDING} & {m.state for m in storage.messages_of(ask.id)}
    assert storage.ask(ask.id).status == OPEN  # the question itself is still there to take


def test_store_notes_are_kept_per_store_and_removed(storage: Storage) -> None:
    ask = open_ask(storage)
    note = storage.add_note(STORE, "加班費怎麼算", "按時薪 1.34 倍", MANAGER, "王店長", ask.id)
    assert storage.ask(ask.id).note_id == note.id
    assert storage.notes([STORE]) == [note] and storage.notes([OTHER]) == []
    removed = storage.remove_note(note.id, note.version, MANAGER, "王店長")
    assert removed is not None and removed.removed
    assert storage.remove_note(note.id, note.version, MANAGER, "王店長") is None  # done once
    assert storage.note(note.id) is None and storage.notes() == []
