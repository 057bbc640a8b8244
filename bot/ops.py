"""Running the bot in production: backups, a health check, the search index, log lines.

The `sopbot backup`, `sopbot doctor` and `sopbot index` commands (bot/cli.py) are thin
wrappers around these functions, so tests call them directly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.search_worker import SearchWorker
from bot.storage import MIGRATIONS, Questions
from bot.storage.base import why_not_writable
from knowledge import KnowledgeBase
from knowledge.corpus import AlternateKey
from knowledge.updates import Recipe, open_knowledge

log = logging.getLogger(__name__)

# getMe should answer in well under a second; a health check must not hang on a dead network.
NETWORK_TIMEOUT = 5.0
# Loading the index in a second process takes about a second; a minute means it is stuck.
WORKER_START_TIMEOUT = 60.0
BACKUP_DIR = "backups"


# -- backup --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    schema_version: int


def backup_name(now: datetime | None = None) -> str:
    """``sopbot-20250131T083000Z.db``: sorts by time, safe in any file system."""
    return f"sopbot-{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}.db"


def backup_database(source: Path, dest: Path | None = None) -> Backup:
    """Copy the database consistently while the bot may be writing to it.

    SQLite's online backup API copies every page under one read transaction, so the copy
    is the database as of one moment; in WAL mode the bot's writes carry on meanwhile.
    ``dest`` may be a file, a folder (a timestamped file in it) or None (a timestamped file
    in ``backups/`` beside the database). The copy is written beside its destination and
    linked into place, so a reader never sees half a backup. Nothing is ever overwritten: a
    ``dest`` that already exists (a file, an older backup, a device) is refused.
    """
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    if dest is None:
        dest = source.parent / BACKUP_DIR / backup_name()
    elif dest.is_dir():
        dest = dest / backup_name()
    if dest.exists() or dest.is_symlink():
        raise FileExistsError(
            f"{dest} already exists; a backup never replaces anything: give a new file name "
            "or a folder"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    original = sqlite3.connect(source)
    try:
        original.execute("PRAGMA busy_timeout = 5000")
        copy = sqlite3.connect(partial)
        try:
            original.backup(copy)
            # A backup is a standalone file: no -wal beside it to lose when it is copied.
            copy.execute("PRAGMA journal_mode = DELETE")
            (problem,) = copy.execute("PRAGMA quick_check").fetchone()
            (version,) = copy.execute("PRAGMA user_version").fetchone()
        finally:
            copy.close()
    finally:
        original.close()
    if problem != "ok":
        partial.unlink(missing_ok=True)
        raise sqlite3.DatabaseError(f"the copy of {source} failed its check: {problem}")
    try:
        os.link(partial, dest)  # fails if something appeared at dest meanwhile
    except FileExistsError:
        partial.unlink(missing_ok=True)
        raise FileExistsError(f"{dest} already exists; a backup never replaces anything") from None
    except OSError:  # a file system without hard links: check, then rename
        if dest.exists():
            partial.unlink(missing_ok=True)
            raise FileExistsError(f"{dest} already exists") from None
        os.replace(partial, dest)
    else:
        partial.unlink()
    return Backup(dest, dest.stat().st_size, version)


# -- the search index ----------------------------------------------------------------------


def prepare_index(settings: Settings) -> tuple[KnowledgeBase, float]:
    """Build (when out of date) and load the index `sopbot run` serves, and fill jieba's
    dictionary cache: the managed corpus once an SOP was imported, with taught questions.

    The Docker image runs this at build time so a container starts in about a second.
    """
    started = time.perf_counter()
    taught: dict[AlternateKey, Sequence[str]] = dict(
        Questions.read_taught(settings.db_path).items()
    )
    kb = open_knowledge(settings.index_path, settings.corpus_dir, taught)
    return kb, time.perf_counter() - started


# -- doctor --------------------------------------------------------------------------------


def read_only(path: Path) -> bool:
    """Whether the bot could not write its database: a read-only file system, file or folder."""
    folder = path.parent if path.parent.exists() else Path(".")
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(path, os.W_OK) or not os.access(folder, os.W_OK)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'✅' if self.ok else '❌'} {self.name}: {self.detail}"


def read_settings(environ: Mapping[str, str], env_file: Path | None) -> tuple[Settings, str]:
    """The settings, or (when they are invalid) the paths alone and what is wrong.

    The database and the index can be checked even when the token is missing.
    """
    try:
        return Settings.from_env(environ, env_file), ""
    except ConfigError as error:
        return Settings.paths_from_env(environ, env_file), str(error).splitlines()[0]


def check_settings(problem: str) -> Check:
    if problem:
        return Check("settings", False, problem)
    return Check("settings", True, "TELEGRAM_BOT_TOKEN is set and every setting is valid")


def check_telegram(settings: Settings, timeout: float = NETWORK_TIMEOUT) -> Check:
    """Ask the Bot API who we are (getMe), with a short timeout."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError
    from telegram.request import HTTPXRequest

    name = "telegram"
    if not settings.token:
        return Check(name, False, "no token to try (see settings)")
    request = HTTPXRequest(
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
    )
    bot = Bot(settings.token, base_url=settings.api_url, request=request)

    async def get_me() -> str:
        async with bot:  # initialize() is the getMe call
            return bot.username

    try:
        username = asyncio.run(get_me())
    except InvalidToken:
        return Check(name, False, "Telegram refused the token: copy it again from @BotFather")
    except NetworkError as error:  # TimedOut included
        reason = str(error).replace(settings.token, "<token>")
        return Check(name, False, f"{settings.api_url} is unreachable ({reason})")
    except TelegramError as error:
        return Check(name, False, f"getMe failed: {error}")
    return Check(name, True, f"getMe answered as @{username} ({settings.api_url})")


def check_database(path: Path) -> Check:
    """The database opens read-only and its schema is the version this sopbot writes.

    Read-only, so a check never migrates or locks the bot's database.
    """
    name = "database"
    current = len(MIGRATIONS)
    if not path.exists():
        folder = next((p for p in path.parents if p.exists()), Path("."))
        if os.access(folder, os.W_OK):
            return Check(name, True, f"{path} does not exist yet; `sopbot run` creates it")
        return Check(name, False, f"{path} does not exist and {folder} is not writable")
    if path.is_file() and path.stat().st_size == 0:
        return Check(name, False, f"{path} is empty (0 bytes): restore it from a backup")
    writable = not read_only(path)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            db.execute("PRAGMA busy_timeout = 5000")
            (version,) = db.execute("PRAGMA user_version").fetchone()
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            db.close()
    except sqlite3.Error as error:
        why = "" if writable else f" ({why_not_writable(path)})"
        return Check(name, False, f"{path} does not open: {error}{why}")
    if not writable:
        return Check(name, False, f"{path} cannot be written: {why_not_writable(path)}")
    if version > current:
        return Check(name, False, f"{path} is at schema {version}, newer than this sopbot's")
    if version < current:
        return Check(
            name, False, f"{path} is at schema {version} of {current}; `sopbot run` migrates it"
        )
    return Check(name, True, f"{path} opens, schema version {version} (current)")


def check_polling(settings: Settings) -> Check | None:
    """Whether a bot running on this database hears Telegram (what its polling wrote in
    the health file beside the database, ``bot.tg.polling``); None when none is polling."""
    from bot.tg.polling import health_path, read_health

    found = read_health(health_path(settings.db_path))
    if found is None:
        return None
    ok, detail = found
    return Check("polling", ok, detail)


def check_index(settings: Settings) -> tuple[Check, KnowledgeBase | None]:
    """The index loads (or builds) and finds a step when asked with that step's own words."""
    name = "index"
    try:
        kb, seconds = prepare_index(settings)
    except (OSError, sqlite3.Error, ValueError) as error:
        return Check(name, False, f"does not load: {error}"), None
    if not kb.steps:
        return Check(name, False, f"{kb.index_path} holds no SOP steps"), kb
    step = kb.steps[0]
    probe = " ".join([step.title, *step.body])[:60]
    answer = kb.ask(probe)
    if step.id not in {hit.step.id for hit in answer.hits}:
        return Check(name, False, f"asked about {step.id!r}, the search did not find it"), kb
    return (
        Check(
            name,
            True,
            f"{len(kb.steps)} steps, loaded in {seconds:.1f}s, a probe question answered "
            f"in {answer.elapsed_ms:.0f} ms ({kb.index_path})",
        ),
        kb,
    )


def check_search_worker(
    settings: Settings, kb: KnowledgeBase, timeout: float = WORKER_START_TIMEOUT
) -> Check:
    """A search worker starts, loads the index the bot serves and answers like the bot."""
    name = "search worker"
    if not settings.search_worker:
        return Check(name, True, "off: questions are searched in the bot's own process")

    async def probe() -> Check:
        worker = SearchWorker()
        taught = Questions.read_taught(settings.db_path)
        worker.start(Recipe(kb.index_path, settings.corpus_dir, taught))
        try:
            started = time.perf_counter()
            while not worker.ready:
                if time.perf_counter() - started > timeout:
                    return Check(name, False, f"did not load the index within {timeout:.0f} s")
                await asyncio.sleep(0.05)
            seconds = time.perf_counter() - started
            question = kb.steps[0].title or kb.steps[0].text[:30]
            answer = await worker.ask(kb, question, 5, None, None)
            expected = kb.ask(question, 5)
            if answer is None or answer.hits != expected.hits:
                return Check(name, False, "answered differently from the bot's own search")
            return Check(name, True, f"loaded the index in {seconds:.1f}s and answers like the bot")
        finally:
            await worker.stop()

    return asyncio.run(probe())


def check_corpus(kb: KnowledgeBase) -> Check:
    """How many repairs the parser made: informational (`sopbot kb --lint` lists them)."""
    files = len(kb.sources)
    return Check(
        "corpus",
        True,
        f"{files} SOP file{'s' if files != 1 else ''}, {len(kb.lints)} lints (sopbot kb --lint)",
    )


def doctor(environ: Mapping[str, str], env_file: Path | None, quick: bool) -> list[Check]:
    """Every check, in the order an operator would fix them; ``quick`` skips the network."""
    settings, problem = read_settings(environ, env_file)
    checks = [check_settings(problem)]
    if not quick:
        checks.append(check_telegram(settings))
    checks.append(check_database(settings.db_path))
    # A bot that runs but cannot hear Telegram (an outage past a minute) is not healthy.
    if (polling := check_polling(settings)) is not None:
        checks.append(polling)
    index, kb = check_index(settings)
    checks.append(index)
    if kb is not None:
        checks.append(check_corpus(kb))
        if not quick:
            checks.append(check_search_worker(settings, kb))
    return checks
