"""`sopbot run`, `sopbot index` and `sopbot doctor` on a damaged or unusable installation.

What an operator meets after a disk fault or a bad restore: index pages damaged behind an
intact header, jieba's dictionary cache garbled, a database truncated to zero bytes, a
volume mounted read-only. Each either repairs itself (the index and the cache are derived:
`sopbot index` builds them again) or stops the bot with one sentence naming the file and
the reason, no traceback, and `doctor` red.
"""

from __future__ import annotations

import marshal
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import Storage
from knowledge import KnowledgeBase
from knowledge.segment import cache_dir
from tests.bot.processes import environment
from tests.fakebotapi import FakeBotAPI

pytestmark = pytest.mark.process

TIMEOUT = 120  # a rebuild of the whole index


def sopbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def bot_environment(tmp_path: Path, fake_api: FakeBotAPI, **extra: str) -> dict[str, str]:
    return environment(fake_api, tmp_path / "sopbot.db", SOPBOT_SEARCH_WORKER="off", **extra)


def test_a_damaged_index_and_a_garbled_jieba_cache_are_repaired_by_sopbot_index(
    fake_api: FakeBotAPI, tmp_path: Path, index_path: Path, kb: KnowledgeBase
) -> None:
    index = tmp_path / "index.db"
    for path in index_path.parent.glob(index_path.name + "*"):
        shutil.copy(path, tmp_path / path.name.replace(index_path.name, index.name))
    cache = tmp_path / "cache"
    # What the build reads off CC-CEDICT and pypinyin is kept there too: copied, as this test
    # is about jieba's caches.
    (cache / "sopbot").mkdir(parents=True)
    for path in (cache_dir() / "sopbot").glob("*.tsv"):
        shutil.copy(path, cache / "sopbot" / path.name)
    env = bot_environment(tmp_path, fake_api, SOPBOT_INDEX=str(index), SOPBOT_CACHE_DIR=str(cache))
    assert sopbot("index", env=env, cwd=tmp_path).returncode == 0  # jieba's caches made
    # Pages behind the header overwritten; every jieba cache unpacks into the wrong things.
    data = bytearray(index.read_bytes())
    for page in range(8192, len(data), 4096):
        data[page + 100 : page + 300] = b"\xff" * 200
    index.write_bytes(bytes(data))
    caches = sorted({*cache.glob("jieba*.cache"), cache / "jieba.cache"})  # jieba's own too
    assert len(caches) == 2
    for path in caches:
        path.write_bytes(marshal.dumps(({"客人": "many"}, "a total")))

    repaired = sopbot("index", env=env, cwd=tmp_path)
    assert repaired.returncode == 0, repaired.stderr
    assert f"{len(kb.steps)} steps" in repaired.stdout
    asked = sopbot("ask", "客人沒帶證件怎麼辦", env=env, cwd=tmp_path)
    assert asked.returncode == 0 and "證件" in asked.stdout, asked.stderr
    # And the bot starts on it.
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE
    ) as bot:
        try:
            fake_api.wait_for_call("setMyCommands", timeout=60)
        finally:
            bot.kill()


def test_a_zero_length_database_stops_the_bot_with_a_reason_and_doctor_is_red(
    fake_api: FakeBotAPI, tmp_path: Path, index_path: Path, kb: KnowledgeBase
) -> None:
    (tmp_path / "sopbot.db").write_bytes(b"")  # truncated by a bad restore
    env = bot_environment(tmp_path, fake_api, SOPBOT_INDEX=str(index_path))
    done = sopbot("run", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert f"{tmp_path / 'sopbot.db'} is empty (0 bytes)" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "sopbot.db").stat().st_size == 0  # not silently started afresh
    doctor = sopbot("doctor", "--quick", env=env, cwd=tmp_path)
    assert doctor.returncode == 1 and "❌ database:" in doctor.stdout and "empty" in doctor.stdout


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system of its own, holding the bot's database, then mounted
    read-only (as a volume mounted `:ro` by mistake; root ignores file modes)."""
    folder = tmp_path / "data"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a file system here: {mounted.stderr.decode().strip()}")
    try:
        Storage.open(folder / "sopbot.db").close()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_database_stops_the_bot_saying_which_file_and_why(
    fake_api: FakeBotAPI, tmp_path: Path, index_path: Path, read_only_folder: Path
) -> None:
    db = read_only_folder / "sopbot.db"
    env = bot_environment(tmp_path, fake_api, SOPBOT_INDEX=str(index_path), SOPBOT_DB=str(db))
    done = sopbot("run", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert str(db) in done.stderr and "read-only file system" in done.stderr
    doctor = sopbot("doctor", "--quick", env=env, cwd=tmp_path)
    assert doctor.returncode == 1 and "read-only file system" in doctor.stdout
