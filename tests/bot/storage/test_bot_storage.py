"""The bot's SQLite storage: versioned schema, users, votes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import sqlite_utils

from bot.storage import DOWN, MIGRATIONS, UP, Storage
from bot.storage import schema as storage_module


def ticking_clock():
    seconds = itertools.count()
    return lambda: f"2026-01-01T00:00:{next(seconds):02d}+00:00"


def test_a_new_database_gets_the_newest_schema(tmp_path: Path) -> None:
    storage = Storage.open(tmp_path / "var" / "bot.db")
    assert storage.version == len(MIGRATIONS)
    assert {"users", "feedback"} <= set(storage.connection.db.table_names())
    assert storage.connection.db.journal_mode == "wal"


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    Storage.open(tmp_path / "bot.db").users.seen(1, "Ann", None, "en")
    again = Storage.open(tmp_path / "bot.db")
    assert again.version == len(MIGRATIONS)
    assert again.users.user(1).name == "Ann"


def test_a_failing_migration_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(db: sqlite_utils.Database) -> None:
        db["half_done"].create({"id": int}, pk="id")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(storage_module, "MIGRATIONS", [*MIGRATIONS, broken])
    db = sqlite_utils.Database(memory=True)
    with pytest.raises(RuntimeError, match="disk on fire"):
        Storage(db)
    assert "half_done" not in db.table_names()
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_database_from_a_newer_version_is_refused() -> None:
    db = sqlite_utils.Database(memory=True)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        Storage(db)


def test_seen_keeps_the_first_visit_and_updates_the_rest() -> None:
    storage = Storage(sqlite_utils.Database(memory=True), clock=ticking_clock())
    storage.users.seen(7, "Ann", None, "zh-hant")
    storage.users.seen(7, "Ann Lee", "annlee", "en")
    user = storage.users.user(7)
    assert (user.name, user.username, user.language) == ("Ann Lee", "annlee", "en")
    assert (user.first_seen, user.last_seen) == (
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:01+00:00",
    )
    assert storage.users.user(8) is None


def test_role_is_set_cleared_and_survives_visits() -> None:
    storage = Storage(sqlite_utils.Database(memory=True))
    assert storage.users.role_of(7) is None
    storage.users.set_role(7, "值班經理")  # before the user was ever seen
    storage.users.seen(7, "Ann", None, "zh-hant")
    assert storage.users.role_of(7) == "值班經理"
    storage.users.set_role(7, None)
    assert storage.users.role_of(7) is None


def test_a_second_vote_on_the_same_answer_replaces_the_first() -> None:
    storage = Storage(sqlite_utils.Database(memory=True), clock=ticking_clock())
    storage.users.vote(7, "沒帶證件", "802c95ae0e", UP)
    storage.users.vote(7, "沒帶證件", "802c95ae0e", DOWN)
    storage.users.vote(7, "投訴", "802c95ae0e", UP)
    storage.users.vote(8, "沒帶證件", "802c95ae0e", UP)
    assert [(v.user_id, v.query, v.vote, v.at[-8:]) for v in storage.users.votes()] == [
        (7, "沒帶證件", DOWN, "01+00:00"),
        (7, "投訴", UP, "02+00:00"),
        (8, "沒帶證件", UP, "03+00:00"),
    ]


def test_a_vote_is_up_or_down() -> None:
    storage = Storage(sqlite_utils.Database(memory=True))
    with pytest.raises(ValueError):
        storage.users.vote(7, "q", "802c95ae0e", 5)


RELEASE_0_1_0 = Path(__file__).parents[1] / "data" / "release-0.1.0.sqlite"


def applied_migrations(storage: Storage) -> list[str]:
    return [row["name"] for row in storage.connection.db["_sqlite_migrations"].rows]


def test_a_new_database_records_every_migration_with_sqlite_utils() -> None:
    storage = Storage(sqlite_utils.Database(memory=True))
    assert applied_migrations(storage) == [migration.__name__ for migration in MIGRATIONS]


def test_a_database_from_release_0_1_0_is_adopted_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "sopbot.db"
    path.write_bytes(RELEASE_0_1_0.read_bytes())
    storage = Storage.open(path)
    assert storage.version == len(MIGRATIONS)
    assert applied_migrations(storage) == [migration.__name__ for migration in MIGRATIONS]
    assert storage.users.user(1001).role == "收銀員"
    assert storage.people.person(1002).stores == ("台北站前店", "板橋店")
    assert not storage.people.person(1003).active
    assert storage.people.person(1004).access == "staff"  # joined with the invite
    assert storage.invites.invite(1).uses == 1
    assert [(v.user_id, v.vote) for v in storage.users.votes()] == [(1001, UP), (1002, DOWN)]
    assert [(a.name, a.correct) for a in storage.quizzes.quiz_answers(1)] == [("Ann", True)]
    assert storage.quizzes.poll("poll-2").owner_id == 1001
    assert storage.quizzes.cards(1001)[0].box == 1
    assert storage.quizzes.reminders() == [(1001, 1001, "09:30")]
    assert storage.questions.taught() == {"step-1": ["機器怎麼打開"]}
    assert storage.questions.briefing_reads(days=36500) == (1, 1)
    assert storage.connection.rows("SELECT count(*) AS n FROM briefing_schedules")[0]["n"] == 1
    storage.close()
    again = Storage.open(path)  # nothing is adopted or applied twice
    assert applied_migrations(again) == [migration.__name__ for migration in MIGRATIONS]
