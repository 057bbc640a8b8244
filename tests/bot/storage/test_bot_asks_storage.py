"""Questions asked of people in storage (bot/storage/asks.py) and their rules
(bot/asks/service.py): one taker, each follow-up once, the outbox at most once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from bot.asks import service
from bot.asks.model import (
    ANSWERED,
    BLOCKED,
    BLOCKED_BOT,
    EDITED,
    ESCALATION,
    EXPIRED,
    FAILED,
    OFFER,
    OPEN,
    PENDING,
    REMINDER,
    REMOVED,
    REPLY,
    RESTORED,
    RETRIES,
    SAVED,
    SENDING,
    SENT,
    SHARED,
    UNCERTAIN,
    UNDELIVERED,
    UNREACHED,
    WITHDRAWN,
    Ask,
    Outgoing,
)
from bot.storage import MIGRATIONS, Storage, schema

STORE, OTHER = "信義店", "松山店"
STAFF, TRAINER, MANAGER, OTHER_MANAGER, ADMIN = 1, 2, 3, 4, 5
T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    storage = Storage.open(tmp_path / "bot.db", clock=lambda: T0.isoformat(timespec="seconds"))
    storage.people.add_person(STAFF, "小明", "staff", [STORE])
    storage.people.add_person(TRAINER, "陳培訓", "trainer", [STORE])
    storage.people.add_person(MANAGER, "王店長", "manager", [STORE])
    storage.people.add_person(OTHER_MANAGER, "林店長", "manager", [OTHER])
    storage.people.add_person(ADMIN, "總部", "admin", [])
    return storage


def open_ask(storage: Storage, source: str = "1:10") -> Ask:
    recipients = service.first_recipients(storage, STORE, STAFF, service.admin_ids(storage, []))
    ask = storage.asks.open_ask(
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
    assert {m.chat_id for m in storage.asks.messages_of(ask.id)} == {TRAINER, MANAGER}
    assert (
        storage.asks.open_ask(
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
    storage.asks.set_responder_levels(STORE, ("manager",), MANAGER)
    assert [p.user_id for p in service.responders(storage, STORE)] == [MANAGER]
    assert service.first_recipients(storage, OTHER, OTHER_MANAGER, [ADMIN]) == [ADMIN]


def test_only_one_taker_and_only_the_taker_answers(storage: Storage) -> None:
    ask = open_ask(storage)
    assert storage.asks.take(ask.id, MANAGER, "王店長")
    assert not storage.asks.take(ask.id, TRAINER, "陳培訓")
    assert not storage.asks.answer_ask(ask.id, TRAINER, "不是我")
    assert storage.asks.answer_ask(ask.id, MANAGER, "按時薪 1.34 倍")
    found = storage.asks.ask(ask.id)
    assert (found.status, found.answer, found.taker_name) == (ANSWERED, "按時薪 1.34 倍", "王店長")
    assert [m.kind for m in storage.asks.messages_of(ask.id)].count("reply") == 1
    assert not storage.asks.withdraw(ask.id, STAFF)  # too late
    assert storage.asks.vote_on_answer(ask.id, STAFF, 1) and not storage.asks.vote_on_answer(
        ask.id, 9, 1
    )


def test_an_admin_takes_over_and_a_taker_gives_it_back(storage: Storage) -> None:
    ask = open_ask(storage)
    storage.asks.take(ask.id, MANAGER, "王店長")
    assert storage.asks.release(ask.id, MANAGER) and storage.asks.ask(ask.id).status == OPEN
    storage.asks.take(ask.id, TRAINER, "陳培訓")
    assert storage.asks.take(ask.id, ADMIN, "總部", take_over=True)
    assert storage.asks.ask(ask.id).taken_by == ADMIN
    assert storage.asks.taken_by(ADMIN)[0].id == ask.id and storage.asks.taken_by(TRAINER) == []


def test_reminders_and_escalations_are_queued_once_when_due(storage: Storage) -> None:
    ask = open_ask(storage)
    now = T0 + timedelta(minutes=5)
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == []
    now = T0 + timedelta(minutes=11)
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == [(ask.id, REMINDER)]
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == []
    now = T0 + timedelta(minutes=31)
    assert service.queue_follow_ups(storage, now, 10, 30, [ADMIN]) == [(ask.id, ESCALATION)]
    kinds = [(m.kind, m.chat_id) for m in storage.asks.messages_of(ask.id)]
    assert (ESCALATION, ADMIN) in kinds and kinds.count((REMINDER, MANAGER)) == 1
    # A withdrawn question is followed up no more; 0 minutes turns follow-ups off.
    other = open_ask(storage, "1:11")
    storage.asks.withdraw(other.id, STAFF)
    assert storage.asks.ask(other.id).status == WITHDRAWN
    assert service.queue_follow_ups(storage, now, 0, 0, [ADMIN]) == []


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, int]] = []

    async def send(self, ask: Ask, message: Outgoing) -> service.Outcome:
        self.sent.append((ask.id, message.kind, message.chat_id))
        return service.Outcome(SENT, 100 + len(self.sent))


def test_the_outbox_sends_each_message_once_and_never_what_was_cut_off(storage: Storage) -> None:
    ask = open_ask(storage)
    first, second = storage.asks.messages_of(ask.id)
    assert storage.asks.begin_sending(first.id)  # then the process died mid-call
    assert service.recover(storage) == 1
    recorder = Recorder()
    counts = asyncio.run(service.deliver(storage, recorder))
    assert counts == {SENT: 1} and recorder.sent == [(ask.id, OFFER, second.chat_id)]
    states = {m.chat_id: m.state for m in storage.asks.messages_of(ask.id)}
    assert states == {first.chat_id: UNCERTAIN, second.chat_id: SENT}
    assert asyncio.run(service.deliver(storage, recorder)) == {}  # nothing twice
    # An offer still pending when the question is settled is not sent stale.
    late = open_ask(storage, "1:12")
    storage.asks.withdraw(late.id, STAFF)
    asyncio.run(service.deliver(storage, recorder))
    assert {m.state for m in storage.asks.messages_of(late.id)} == {FAILED}
    assert not {PENDING, SENDING} & {m.state for m in storage.asks.messages_of(ask.id)}
    assert storage.asks.ask(ask.id).status == OPEN  # the question itself is still there to take


def test_store_notes_are_kept_per_store_and_removed(storage: Storage) -> None:
    ask = open_ask(storage)
    note = storage.asks.add_note(STORE, "加班費怎麼算", "按時薪 1.34 倍", MANAGER, "王店長", ask.id)
    assert storage.asks.ask(ask.id).note_id == note.id
    assert storage.asks.notes([STORE]) == [note] and storage.asks.notes([OTHER]) == []
    removed = storage.asks.remove_note(note.id, note.version, MANAGER, "王店長")
    assert removed is not None and removed.removed
    assert storage.asks.remove_note(note.id, note.version, MANAGER, "王店長") is None  # done once
    assert storage.asks.note(note.id) is None and storage.asks.notes() == []


def many_responders(storage: Storage, count: int) -> list[int]:
    ids = [100 + n for n in range(count)]
    for user_id in ids:
        storage.people.add_person(user_id, f"培訓員{user_id}", "trainer", [STORE])
    return ids


class InFlight:
    """A sender whose calls wait for a go-ahead, counting how many are under way at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.started: list[int] = []
        self.go = asyncio.Event()

    async def send(self, ask: Ask, message: Outgoing) -> service.Outcome:
        self.started.append(message.chat_id)
        self.now += 1
        self.peak = max(self.peak, self.now)
        await self.go.wait()
        self.now -= 1
        return service.Outcome(SENT, 1000 + message.id)


async def wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


def test_offers_go_to_several_responders_at_once_within_the_bound(storage: Storage) -> None:
    many_responders(storage, 10)
    ask = open_ask(storage)
    sender = InFlight()

    async def run() -> dict[str, int]:
        delivering = asyncio.create_task(service.deliver(storage, sender, concurrency=4))
        await wait_for(lambda: len(sender.started) == 4)
        await asyncio.sleep(0)  # nobody else starts while four are under way
        assert sender.now == 4
        sender.go.set()
        return await delivering

    counts = asyncio.run(run())
    assert counts == {SENT: 12} and sender.peak == 4
    assert sorted(sender.started) == sorted(m.chat_id for m in storage.asks.messages_of(ask.id))


def test_a_kill_mid_delivery_sends_nothing_twice_across_the_restart(storage: Storage) -> None:
    responders = many_responders(storage, 10)
    ask = open_ask(storage)
    sender = InFlight()

    async def killed() -> None:
        delivering = asyncio.create_task(service.deliver(storage, sender, concurrency=4))
        await wait_for(lambda: len(sender.started) == 4)
        delivering.cancel()  # the process dies with four calls under way
        with contextlib.suppress(asyncio.CancelledError):
            await delivering

    asyncio.run(killed())
    cut_off = set(sender.started)
    assert service.recover(storage) == 4  # at the restart: never pushed again
    recorder = Recorder()
    asyncio.run(service.deliver(storage, recorder))
    again = {chat_id for _, _, chat_id in recorder.sent}
    assert not again & cut_off and again | cut_off == {TRAINER, MANAGER, *responders}
    states = [m.state for m in storage.asks.messages_of(ask.id)]
    assert states.count(UNCERTAIN) == 4 and states.count(SENT) == 8


class Failing:
    """A sender meeting one outcome for some chats, delivering to the others."""

    def __init__(self, outcome: service.Outcome, chats: set[int]) -> None:
        self.outcome = outcome
        self.chats = chats
        self.tries: list[tuple[str, int]] = []

    async def send(self, ask: Ask, message: Outgoing) -> service.Outcome:
        self.tries.append((message.kind, message.chat_id))
        if message.chat_id in self.chats:
            return self.outcome
        return service.Outcome(SENT, 1000 + message.id)


def test_passing_faults_are_tried_with_growing_pauses_then_given_up_and_told_once(
    storage: Storage,
) -> None:
    ask = open_ask(storage)
    retries = service.Retries(attempts=3, backoff=60, max_age=24)
    sender = Failing(service.Outcome(PENDING, error="429"), {TRAINER, MANAGER})

    def deliver_at(seconds: float) -> dict[str, int]:
        at = T0 + timedelta(seconds=seconds)
        return asyncio.run(service.deliver(storage, sender, retries, clock=lambda: at))

    assert deliver_at(0) == {PENDING: 2}
    assert deliver_at(59) == {}  # the first pause: a minute
    assert deliver_at(61) == {PENDING: 2}
    assert deliver_at(61 + 119) == {}  # the second: twice as long
    # The third try is the last; no offer reached anyone, so the asker is told, once.
    assert deliver_at(61 + 121) == {FAILED: 2, SENT: 1}
    offers = [m for m in storage.asks.messages_of(ask.id) if m.kind == OFFER]
    assert {(m.state, m.reason, m.attempts) for m in offers} == {(FAILED, RETRIES, 3)}
    assert sender.tries[-1] == (UNREACHED, STAFF)
    assert deliver_at(3600) == {} and deliver_at(48 * 3600) == {}
    assert [m.kind for m in storage.asks.messages_of(ask.id)].count(UNREACHED) == 1


def test_a_message_too_old_is_not_sent_and_a_failure_with_others_reached_tells_nobody(
    storage: Storage,
) -> None:
    ask = open_ask(storage)
    sender = Failing(service.Outcome(BLOCKED, error="blocked", reason=BLOCKED_BOT), {TRAINER})
    # The trainer blocked the bot; the manager got it: the asker has nothing to hear.
    asyncio.run(service.deliver(storage, sender, clock=lambda: T0))
    assert UNREACHED not in [m.kind for m in storage.asks.messages_of(ask.id)]
    # A reminder queued while Telegram was away for longer than the maximum age.
    assert service.queue_follow_ups(storage, T0 + timedelta(minutes=11), 10, 0, [])
    late = T0 + timedelta(hours=30)
    sender.tries.clear()
    asyncio.run(service.deliver(storage, sender, clock=lambda: late))
    assert (REMINDER, MANAGER) not in sender.tries
    reminders = [m for m in storage.asks.messages_of(ask.id) if m.kind == REMINDER]
    assert {(m.state, m.reason, m.attempts) for m in reminders} == {(FAILED, EXPIRED, 0)}


def test_a_reply_blocked_tells_its_taker_once_and_a_failed_notice_nobody(
    storage: Storage,
) -> None:
    ask = open_ask(storage)
    storage.asks.take(ask.id, MANAGER, "王店長")
    storage.asks.answer_ask(ask.id, MANAGER, "按時薪 1.34 倍")
    blocked = service.Outcome(BLOCKED, error="blocked", reason=BLOCKED_BOT)
    sender = Failing(blocked, {STAFF, MANAGER})  # the taker's notice fails too
    asyncio.run(service.deliver(storage, sender, clock=lambda: T0))
    assert (UNDELIVERED, MANAGER) in sender.tries
    found = [(m.kind, m.state) for m in storage.asks.messages_of(ask.id) if m.kind not in (OFFER,)]
    assert found == [(REPLY, BLOCKED), (UNDELIVERED, BLOCKED)]
    assert service.failure_of(storage, storage.asks.ask(ask.id), (REPLY,)).reason == BLOCKED_BOT


def test_store_notes_keep_every_change_as_a_version(storage: Storage) -> None:
    note = storage.asks.add_note(STORE, "加班費怎麼算", "按時薪 1.34 倍", MANAGER, "王店長")
    edited = storage.asks.edit_note(
        note.id, 1, note.question, "按時薪 1.34 倍，假日加倍", TRAINER, "陳培訓"
    )
    assert edited is not None and (edited.version, edited.editor_name) == (2, "陳培訓")
    # A change made from what version 1 showed is refused: it would undo the edit unseen.
    assert storage.asks.edit_note(note.id, 1, note.question, "別的", MANAGER, "王店長") is None
    assert storage.asks.share_note(note.id, 2, True, MANAGER, "王店長").shared
    assert storage.asks.notes([OTHER], shared=True)[0].id == note.id
    assert storage.asks.notes([OTHER]) == []
    removed = storage.asks.remove_note(note.id, 3, MANAGER, "王店長")
    assert removed.removed and storage.asks.notes([OTHER], shared=True) == []
    assert storage.asks.edit_note(note.id, 4, note.question, "x", MANAGER, "王店長") is None
    back = storage.asks.restore_note(note.id, 4, 1, ADMIN, "總部")
    assert (back.answer, back.removed, back.shared, back.version) == (
        "按時薪 1.34 倍",
        False,
        True,
        5,
    )
    actions = [(v.version, v.action, v.by_name) for v in storage.asks.note_versions(note.id)]
    assert actions == [
        (1, SAVED, "王店長"),
        (2, EDITED, "陳培訓"),
        (3, SHARED, "王店長"),
        (4, REMOVED, "王店長"),
        (5, RESTORED, "總部"),
    ]
    assert storage.asks.restore_note(note.id, 5, 9, ADMIN, "總部") is None  # no such version


def test_a_note_change_that_changes_nothing_makes_no_version(storage: Storage) -> None:
    note = storage.asks.add_note(STORE, "加班費怎麼算", "按時薪 1.34 倍", MANAGER, "王店長")
    assert storage.asks.share_note(note.id, 1, False, MANAGER, "王店長") == note  # not shared yet
    assert storage.asks.edit_note(note.id, 1, note.question, note.answer, MANAGER, "王店長") == note
    removed = storage.asks.remove_note(note.id, 1, MANAGER, "王店長")
    assert storage.asks.remove_note(note.id, 2, MANAGER, "王店長") is None  # removed once
    assert storage.asks.share_note(note.id, 2, True, MANAGER, "王店長") is None  # nor shared
    back = storage.asks.restore_note(note.id, 2, 1, MANAGER, "王店長")
    assert removed is not None and back is not None and not back.removed
    assert back.edited_at is None  # the same text back: not an edit
    assert [v.version for v in storage.asks.note_versions(note.id)] == [1, 2, 3]


def test_notes_saved_before_versions_become_their_first_versions(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "old.db")
    schema.migration_set(MIGRATIONS[:10]).apply(db)  # a database of the release before
    for note_id, removed in ((1, None), (2, "2026-12-02T09:00:00+00:00")):
        db.table("store_notes").insert(
            {
                "id": note_id,
                "store": STORE,
                "question": f"問題{note_id}",
                "answer": f"答案{note_id}",
                "author_id": MANAGER,
                "author_name": "王店長",
                "created_at": "2026-12-01T09:00:00+00:00",
                "removed_at": removed,
                "removed_by": MANAGER if removed else None,
            }
        )
    db.table("ask_messages").insert(
        {"ask_id": 1, "kind": OFFER, "chat_id": TRAINER, "state": PENDING, "queued_at": "x"}
    )
    db.close()
    storage = Storage.open(tmp_path / "old.db")
    assert [(n.id, n.version, n.shared) for n in storage.asks.notes()] == [(1, 1, False)]
    assert [v.action for v in storage.asks.note_versions(1)] == [SAVED]
    assert [(v.action, v.removed) for v in storage.asks.note_versions(2)] == [
        (SAVED, False),
        (REMOVED, True),
    ]
    assert storage.asks.restore_note(2, 2, 1, MANAGER, "王店長").answer == "答案2"
    (message,) = storage.asks.pending_messages("9999")
    assert (message.attempts, message.reason) == (0, None)
