"""The bot's settings: environment variables (and an optional ``.env`` file) in one frozen object.

Every setting is documented in ``.env.example``. The environment wins over the file, so a
deployment can override what a developer keeps in ``.env``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_DB = Path("var/sopbot.db")
DEFAULT_TIMEZONE = "Asia/Taipei"
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"
DEFAULT_WEBHOOK_PORT = 8443
DEFAULT_BRIEF_REMINDER_HOURS = 4.0
DEFAULT_INVITE_HOURS = 72
DEFAULT_CORPUS_DIR = Path("var/corpus")
DEFAULT_LOG_DAYS = 90
DEFAULT_ASK_REMIND_MINUTES = 10.0
DEFAULT_ASK_ESCALATE_MINUTES = 30.0
DEFAULT_ASK_SEND_ATTEMPTS = 6
DEFAULT_ASK_SEND_BACKOFF_SECONDS = 60.0
DEFAULT_ASK_SEND_MAX_HOURS = 24.0

SEARCH_WORKER_ON = ("1", "on", "yes", "true")
SEARCH_WORKER_OFF = ("0", "off", "no", "false")

TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
# Telegram accepts only these characters in the secret it sends back with each webhook POST.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

MISSING_TOKEN = """\
TELEGRAM_BOT_TOKEN is not set.

To get a token, open Telegram, talk to @BotFather and send /newbot; it answers with a token
like 123456789:AAH… . Put it in the environment or in a .env file in this directory
(copy .env.example to .env and fill it in), then run `sopbot run` again.

To try the answers without Telegram, run `sopbot chat`."""


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    # Secrets stay out of repr(), so a logged or printed Settings leaks neither.
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    db_path: Path = DEFAULT_DB
    index_path: Path | None = None
    admin_ids: frozenset[int] = frozenset()
    invite_hours: int = DEFAULT_INVITE_HOURS
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    webhook_url: str = ""
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN
    webhook_port: int = DEFAULT_WEBHOOK_PORT
    webhook_secret: str = field(default="", repr=False)
    brief_reminder_hours: float = DEFAULT_BRIEF_REMINDER_HOURS
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    log_days: int = DEFAULT_LOG_DAYS
    # Search in a child process (bot/search_worker.py); from_env turns it on with 2+ CPUs.
    search_worker: bool = False
    # Questions asked of people (bot/asks/): a reminder after N minutes, the admins after M.
    ask_remind_minutes: float = DEFAULT_ASK_REMIND_MINUTES
    ask_escalate_minutes: float = DEFAULT_ASK_ESCALATE_MINUTES
    # Their messages that meet passing faults: tries at most, the first pause (doubling),
    # and the age after which one is not sent at all.
    ask_send_attempts: int = DEFAULT_ASK_SEND_ATTEMPTS
    ask_send_backoff_seconds: float = DEFAULT_ASK_SEND_BACKOFF_SECONDS
    ask_send_max_hours: float = DEFAULT_ASK_SEND_MAX_HOURS

    @property
    def base_file_url(self) -> str:
        """Where files are downloaded from: ``…/bot`` becomes ``…/file/bot``, as on Telegram."""
        head, _, last = self.api_url.rstrip("/").rpartition("/")
        return f"{head}/file/{last}"

    @property
    def uses_webhook(self) -> bool:
        return bool(self.webhook_url)

    @property
    def webhook_path(self) -> str:
        """The path the local web server answers on: the path of the public webhook URL.

        A reverse proxy in front of the bot must forward that path unchanged.
        """
        return urlsplit(self.webhook_url).path.lstrip("/")

    @classmethod
    def from_env(cls, environ: Mapping[str, str], env_file: Path | None = Path(".env")) -> Settings:
        """Read the settings; raise :class:`ConfigError` saying what to fix."""
        values = read_values(environ, env_file)

        def get(key: str, default: str = "") -> str:
            return values.get(key, default).strip()

        token = get("TELEGRAM_BOT_TOKEN")
        if not token:
            raise ConfigError(MISSING_TOKEN)
        if not TOKEN_RE.fullmatch(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
                "letters, e.g. 123456789:AAH…). Copy it again from @BotFather."
            )
        webhook_url = get("SOPBOT_WEBHOOK_URL")
        if webhook_url and urlsplit(webhook_url).scheme not in ("http", "https"):
            raise ConfigError(f"SOPBOT_WEBHOOK_URL must be an https:// URL, not {webhook_url!r}.")
        # Without a configured secret a fresh one per start still keeps forged POSTs out:
        # the bot registers it with setWebhook each time it starts.
        secret = get("SOPBOT_WEBHOOK_SECRET") or secrets.token_urlsafe(32)
        if not SECRET_RE.fullmatch(secret):
            raise ConfigError(
                "SOPBOT_WEBHOOK_SECRET may only hold letters, digits, '_' and '-' (1–256)."
            )
        index = get("SOPBOT_INDEX")
        return cls(
            token=token,
            api_url=get("TELEGRAM_API_URL", DEFAULT_API_URL),
            db_path=Path(get("SOPBOT_DB") or DEFAULT_DB),
            index_path=Path(index) if index else None,
            admin_ids=parse_ids(get("SOPBOT_ADMIN_IDS")),
            invite_hours=parse_hours(get("SOPBOT_INVITE_HOURS", str(DEFAULT_INVITE_HOURS))),
            timezone=parse_timezone(get("SOPBOT_TIMEZONE", DEFAULT_TIMEZONE)),
            webhook_url=webhook_url,
            webhook_listen=get("SOPBOT_WEBHOOK_LISTEN", DEFAULT_WEBHOOK_LISTEN),
            webhook_port=parse_port(get("SOPBOT_WEBHOOK_PORT", str(DEFAULT_WEBHOOK_PORT))),
            webhook_secret=secret,
            brief_reminder_hours=parse_reminder_hours(
                get("SOPBOT_BRIEF_REMINDER_HOURS", str(DEFAULT_BRIEF_REMINDER_HOURS))
            ),
            corpus_dir=Path(get("SOPBOT_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
            log_days=parse_log_days(get("SOPBOT_LOG_DAYS", str(DEFAULT_LOG_DAYS))),
            search_worker=parse_search_worker(get("SOPBOT_SEARCH_WORKER", "auto")),
            ask_remind_minutes=parse_minutes(
                "SOPBOT_ASK_REMIND_MINUTES",
                get("SOPBOT_ASK_REMIND_MINUTES", str(DEFAULT_ASK_REMIND_MINUTES)),
            ),
            ask_escalate_minutes=parse_minutes(
                "SOPBOT_ASK_ESCALATE_MINUTES",
                get("SOPBOT_ASK_ESCALATE_MINUTES", str(DEFAULT_ASK_ESCALATE_MINUTES)),
            ),
            ask_send_attempts=parse_attempts(
                get("SOPBOT_ASK_SEND_ATTEMPTS", str(DEFAULT_ASK_SEND_ATTEMPTS))
            ),
            ask_send_backoff_seconds=parse_number(
                "SOPBOT_ASK_SEND_BACKOFF_SECONDS",
                get("SOPBOT_ASK_SEND_BACKOFF_SECONDS", str(DEFAULT_ASK_SEND_BACKOFF_SECONDS)),
                low=1,
                high=3600,
                unit="seconds",
                example="60",
            ),
            ask_send_max_hours=parse_number(
                "SOPBOT_ASK_SEND_MAX_HOURS",
                get("SOPBOT_ASK_SEND_MAX_HOURS", str(DEFAULT_ASK_SEND_MAX_HOURS)),
                low=0.1,
                high=24 * 7,
                unit="hours",
                example="24",
            ),
        )

    @classmethod
    def paths_from_env(
        cls, environ: Mapping[str, str], env_file: Path | None = Path(".env")
    ) -> Settings:
        """Where things are, even when the settings are invalid (no token, say): for the
        commands that work without Telegram (doctor, backup, import, rollback)."""
        values = read_values(environ, env_file)

        def get(key: str, default: str = "") -> str:
            return values.get(key, "").strip() or default

        index = get("SOPBOT_INDEX")
        try:
            search_worker = parse_search_worker(get("SOPBOT_SEARCH_WORKER", "auto"))
        except ConfigError:  # the settings check reports it
            search_worker = False
        return cls(
            token="",
            api_url=get("TELEGRAM_API_URL", DEFAULT_API_URL),
            db_path=Path(get("SOPBOT_DB") or DEFAULT_DB),
            corpus_dir=Path(get("SOPBOT_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
            index_path=Path(index) if index else None,
            search_worker=search_worker,
        )


def read_values(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    """The settings as text: the ``.env`` file's, overridden by the environment's non-empty ones."""
    values = {
        key: value
        for key, value in (dotenv_values(env_file) if env_file else {}).items()
        if value is not None
    }
    values.update({key: value for key, value in environ.items() if value != ""})
    return values


def parse_ids(text: str) -> frozenset[int]:
    """``"1, 2,3"`` → {1, 2, 3}."""
    try:
        return frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(
            f"SOPBOT_ADMIN_IDS must be Telegram user ids separated by commas, not {text!r}."
        ) from None


def parse_hours(text: str) -> int:
    """How long an invite link stays valid: a whole number of hours, at most a year."""
    if not text.isdigit() or not 0 < int(text) <= 24 * 366:
        raise ConfigError(f"SOPBOT_INVITE_HOURS must be a number of hours (e.g. 72), not {text!r}.")
    return int(text)


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"SOPBOT_TIMEZONE {name!r} is not a known time zone (e.g. Asia/Taipei)."
        ) from None


def parse_reminder_hours(text: str) -> float:
    """Hours after a briefing before the unread are reminded; 0 for no reminder."""
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 <= hours <= 24 * 7:
        raise ConfigError(
            f"SOPBOT_BRIEF_REMINDER_HOURS must be a number of hours (e.g. 4, 0 for none), "
            f"not {text!r}."
        )
    return hours


def parse_minutes(name: str, text: str) -> float:
    """Minutes before a question asked of people is followed up; 0 for never."""
    try:
        minutes = float(text)
    except ValueError:
        minutes = -1.0
    if not 0 <= minutes <= 7 * 24 * 60:
        raise ConfigError(
            f"{name} must be a number of minutes (e.g. 10, 0 for never), not {text!r}."
        )
    return minutes


def parse_attempts(text: str) -> int:
    """How many times a message of a question is tried at most (1 to 50)."""
    if not text.isdigit() or not 0 < int(text) <= 50:
        raise ConfigError(
            f"SOPBOT_ASK_SEND_ATTEMPTS must be a number of tries from 1 to 50 (e.g. 6), "
            f"not {text!r}."
        )
    return int(text)


def parse_number(
    name: str, text: str, *, low: float, high: float, unit: str, example: str
) -> float:
    """A number of ``unit`` from ``low`` to ``high``."""
    try:
        value = float(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(
            f"{name} must be a number of {unit} from {low:g} to {high:g} (e.g. {example}), "
            f"not {text!r}."
        )
    return value


def parse_log_days(text: str) -> int:
    """How many days asked questions are kept (at least 1)."""
    if not text.isdigit() or not 0 < int(text) <= 3650:
        raise ConfigError(f"SOPBOT_LOG_DAYS must be a number of days (e.g. 90), not {text!r}.")
    return int(text)


def parse_search_worker(text: str, cpus: int | None = None) -> bool:
    """Whether to search in a child process: ``auto`` (when there are two CPUs or more),
    ``on`` or ``off``."""
    value = text.lower()
    if value == "auto":
        return (cpus if cpus is not None else usable_cpus()) >= 2
    if value in SEARCH_WORKER_ON:
        return True
    if value in SEARCH_WORKER_OFF:
        return False
    raise ConfigError(f"SOPBOT_SEARCH_WORKER must be auto, on or off, not {text!r}.")


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's cpuset, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parse_port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"SOPBOT_WEBHOOK_PORT must be a port number, not {text!r}.")
    return int(text)
