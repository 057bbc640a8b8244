"""Operations: a backup taken while the bot writes, `sopbot doctor`, one-line logs."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.logs import OneLineFormatter
from bot.ops import backup_database, backup_name, doctor
from bot.storage import MIGRATIONS, UP, Storage
from bot.tg.polling import DEAF_AFTER, Health, health_path
from tests.fakebotapi import FakeBotAPI

TOKEN = "123456:TEST-TOKEN"


def votes_in(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT count(*) FROM feedback").fetchone()[0]
    finally:
        db.close()


def test_backup_is_consistent_while_the_bot_writes(tmp_path: Path) -> None:
    storage = Storage.open(tmp_path / "sopbot.db")
    stop = threading.Event()
    written = 0

    def write() -> None:
        nonlocal written
        while not stop.is_set():
            storage.users.vote(1, f"question {written}", "step", UP)
            written += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        counts = [
            votes_in(backup_database(tmp_path / "sopbot.db", tmp_path / f"copy{n}.db").path)
            for n in range(5)
        ]
    finally:
        stop.set()
        writer.join()
        storage.close()
    assert counts == sorted(counts)  # each copy is one moment, later copies later moments
    assert counts[-1] <= written
    copy = backup_database(tmp_path / "sopbot.db", tmp_path / "final.db")
    assert votes_in(copy.path) == written
    assert copy.schema_version == len(MIGRATIONS)
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("final.db-*"))


def test_backup_names_carry_the_time_and_go_beside_the_database(tmp_path: Path) -> None:
    assert backup_name(datetime(2025, 1, 31, 8, 30, tzinfo=UTC)) == "sopbot-20250131T083000Z.db"
    Storage.open(tmp_path / "sopbot.db").close()
    made = backup_database(tmp_path / "sopbot.db")
    assert made.path.parent == tmp_path / "backups"
    assert made.path.name.startswith("sopbot-") and made.path.suffix == ".db"
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert backup_database(tmp_path / "sopbot.db", folder).path.parent == folder


def test_sopbot_backup_without_a_database_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["backup"], env={"SOPBOT_DB": str(tmp_path / "none.db")})
    assert result.exit_code == 1
    assert "backup failed: no database at" in result.output


@pytest.mark.parametrize("kind", ["file", "older backup", "fifo", "symlink"])
def test_sopbot_backup_never_replaces_what_is_at_dest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Storage.open(tmp_path / "sopbot.db").close()
    dest = tmp_path / "dest"
    if kind == "file":
        dest.write_text("a report someone keeps here")
    elif kind == "older backup":
        backup_database(tmp_path / "sopbot.db", dest)
    elif kind == "fifo":  # a special file, as a device would be
        os.mkfifo(dest)
    else:
        (tmp_path / "target").write_text("kept")
        dest.symlink_to(tmp_path / "target")
    before = dest.lstat()
    content = dest.read_bytes() if kind in ("file", "older backup") else None
    env = {"SOPBOT_DB": str(tmp_path / "sopbot.db")}
    result = CliRunner().invoke(cli, ["backup", str(dest)], env=env)
    assert result.exit_code == 1
    assert f"backup failed: {dest} already exists" in result.output
    after = dest.lstat()
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    if content is not None:
        assert dest.read_bytes() == content
    if kind == "symlink":
        assert (tmp_path / "target").read_text() == "kept"
    assert not list(tmp_path.glob(".*.partial"))


def environment(tmp_path: Path, index_path: Path, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "SOPBOT_DB": str(tmp_path / "sopbot.db"),
        "SOPBOT_INDEX": str(index_path),
        "SOPBOT_CORPUS_DIR": str(tmp_path / "corpus"),
        **extra,
    }


@pytest.mark.process
def test_doctor_quick_passes_on_a_healthy_install(tmp_path: Path, index_path: Path) -> None:
    Storage.open(tmp_path / "sopbot.db").close()
    checks = doctor(environment(tmp_path, index_path), None, quick=True)
    assert [(c.name, c.ok) for c in checks] == [
        ("settings", True),
        ("database", True),
        ("index", True),
        ("corpus", True),
    ]
    assert f"schema version {len(MIGRATIONS)} (current)" in checks[1].detail
    assert "lints" in checks[3].detail


@pytest.mark.process
def test_doctor_quick_fails_while_the_running_bot_cannot_hear_telegram(
    tmp_path: Path, index_path: Path
) -> None:
    Storage.open(tmp_path / "sopbot.db").close()
    health = Health(health_path(tmp_path / "sopbot.db"))  # as `sopbot run` keeps it
    health.ok()
    checks = doctor(environment(tmp_path, index_path), None, quick=True)
    assert ("polling", True) in [(c.name, c.ok) for c in checks]
    health.failed("500 Internal Server Error")
    health.failing_since = time.time() - DEAF_AFTER - 1
    health.write()
    checks = doctor(environment(tmp_path, index_path), None, quick=True)
    polling = next(c for c in checks if c.name == "polling")
    assert not polling.ok and "500 Internal Server Error" in polling.detail
    health.stopped()  # the bot stopped: nothing to say about polling
    assert "polling" not in [c.name for c in doctor(environment(tmp_path, index_path), None, True)]


@pytest.mark.process
def test_sopbot_doctor_without_a_token_fails_with_one_line_per_check(
    tmp_path: Path, index_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = environment(tmp_path, index_path, TELEGRAM_BOT_TOKEN="")
    result = CliRunner().invoke(cli, ["doctor", "--quick"], env=env)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "❌ settings: TELEGRAM_BOT_TOKEN is not set."
    assert [line[0] for line in lines[1:]] == ["✅", "✅", "✅"]  # the rest is still checked


@pytest.mark.process
def test_doctor_asks_telegram_who_the_bot_is(tmp_path: Path, index_path: Path) -> None:
    with FakeBotAPI(token=TOKEN) as api:
        env = environment(tmp_path, index_path, TELEGRAM_API_URL=api.base_url)
        (telegram,) = [c for c in doctor(env, None, quick=False) if c.name == "telegram"]
        assert telegram.ok and "@sop_test_bot" in telegram.detail
        wrong = environment(
            tmp_path, index_path, TELEGRAM_API_URL=api.base_url, TELEGRAM_BOT_TOKEN="999:WRONG"
        )
        (refused,) = [c for c in doctor(wrong, None, quick=False) if c.name == "telegram"]
        assert not refused.ok and "@BotFather" in refused.detail


@pytest.mark.process
def test_doctor_starts_a_search_worker_and_compares_its_answer(
    tmp_path: Path, index_path: Path
) -> None:
    with FakeBotAPI(token=TOKEN) as api:
        on = environment(
            tmp_path, index_path, TELEGRAM_API_URL=api.base_url, SOPBOT_SEARCH_WORKER="on"
        )
        (worker,) = [c for c in doctor(on, None, quick=False) if c.name == "search worker"]
        assert worker.ok and "answers like the bot" in worker.detail
        off = environment(
            tmp_path, index_path, TELEGRAM_API_URL=api.base_url, SOPBOT_SEARCH_WORKER="off"
        )
        (worker,) = [c for c in doctor(off, None, quick=False) if c.name == "search worker"]
        assert worker.ok and worker.detail.startswith("off")


@pytest.mark.process
def test_doctor_says_when_telegram_is_unreachable(tmp_path: Path, index_path: Path) -> None:
    with socket_nobody_listens_on() as port:
        env = environment(tmp_path, index_path, TELEGRAM_API_URL=f"http://127.0.0.1:{port}/bot")
        checks = doctor(env, None, quick=False)
    (telegram,) = [c for c in checks if c.name == "telegram"]
    assert not telegram.ok and "unreachable" in telegram.detail
    assert TOKEN not in telegram.line()


class socket_nobody_listens_on:
    """A port that was free a moment ago: connecting to it is refused at once."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize(
    ("version", "advice"), [(1, "`sopbot run` migrates it"), (999, "newer than this sopbot")]
)
def test_doctor_flags_a_database_at_another_schema_version(
    version: int, advice: str, tmp_path: Path, index_path: Path
) -> None:
    db = sqlite3.connect(tmp_path / "sopbot.db")
    db.execute(f"PRAGMA user_version = {version}")
    db.close()
    checks = doctor(environment(tmp_path, index_path), None, quick=True)
    (database,) = [c for c in checks if c.name == "database"]
    assert not database.ok and advice in database.detail


def test_log_records_stay_on_one_line_with_their_traceback() -> None:
    formatter = OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord(
            "bot.app", logging.ERROR, __file__, 1, "failed on %s", ("x",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line
    assert " ERROR bot.app: failed on x\\nTraceback" in line
    assert "ValueError: bad\\nthing" in line
