"""Settings from the environment and .env, and `sopbot run` without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config import ConfigError, Settings, parse_search_worker

TOKEN = "123456:ABC-def_1"


def test_settings_defaults() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert settings.token == TOKEN
    assert settings.api_url == "https://api.telegram.org/bot"
    assert settings.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.db_path == Path("var/sopbot.db")
    assert settings.index_path is None
    assert settings.admin_ids == frozenset()
    assert settings.timezone == ZoneInfo("Asia/Taipei")
    assert not settings.uses_webhook
    assert len(settings.webhook_secret) >= 32  # generated: forged webhook POSTs stay out


def test_settings_read_every_variable() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "SOPBOT_DB": "/data/bot.db",
            "SOPBOT_INDEX": "/data/index.db",
            "SOPBOT_ADMIN_IDS": "12, 34,56",
            "SOPBOT_TIMEZONE": "Asia/Hong_Kong",
            "SOPBOT_WEBHOOK_URL": "https://bot.example.com/telegram/hook",
            "SOPBOT_WEBHOOK_LISTEN": "0.0.0.0",
            "SOPBOT_WEBHOOK_PORT": "8080",
            "SOPBOT_WEBHOOK_SECRET": "s3cret-_",
        },
        env_file=None,
    )
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.db_path == Path("/data/bot.db")
    assert settings.index_path == Path("/data/index.db")
    assert settings.admin_ids == {12, 34, 56}
    assert settings.timezone == ZoneInfo("Asia/Hong_Kong")
    assert settings.uses_webhook
    assert settings.webhook_path == "telegram/hook"
    assert (settings.webhook_listen, settings.webhook_port) == ("0.0.0.0", 8080)
    assert settings.webhook_secret == "s3cret-_"


def test_settings_read_a_dotenv_file_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nSOPBOT_DB=from-file.db\nSOPBOT_ADMIN_IDS=1\n",
        encoding="utf-8",
    )
    settings = Settings.from_env({"SOPBOT_DB": "from-env.db"}, env_file=env_file)
    assert settings.token == TOKEN
    assert settings.db_path == Path("from-env.db")
    assert settings.admin_ids == {1}


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    with pytest.raises(AttributeError):
        settings.token = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TELEGRAM_BOT_TOKEN", "not a token", "does not look like a bot token"),
        ("SOPBOT_ADMIN_IDS", "12,bob", "SOPBOT_ADMIN_IDS"),
        ("SOPBOT_TIMEZONE", "Mars/Olympus", "not a known time zone"),
        ("SOPBOT_WEBHOOK_PORT", "eighty", "port number"),
        ("SOPBOT_WEBHOOK_PORT", "70000", "port number"),
        ("SOPBOT_WEBHOOK_SECRET", "has spaces!", "SOPBOT_WEBHOOK_SECRET"),
        ("SOPBOT_WEBHOOK_URL", "bot.example.com/hook", "https://"),
        ("SOPBOT_SEARCH_WORKER", "maybe", "auto, on or off"),
    ],
)
def test_bad_settings_say_what_to_fix(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, variable: value}, env_file=None)


def test_search_worker_is_automatic_with_two_cpus_or_more() -> None:
    assert parse_search_worker("auto", cpus=2) and parse_search_worker("AUTO", cpus=8)
    assert not parse_search_worker("auto", cpus=1)
    assert parse_search_worker("on", cpus=1) and parse_search_worker("1", cpus=1)
    assert not parse_search_worker("off", cpus=8) and not parse_search_worker("0", cpus=8)
    for value, expected in (("on", True), ("off", False)):
        environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "SOPBOT_SEARCH_WORKER": value}
        assert Settings.from_env(environ, env_file=None).search_worker is expected
    # Built in code (tests, embedding), the bot searches in its own process.
    assert not Settings(token=TOKEN).search_worker


def test_missing_token_says_how_to_get_one() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({}, env_file=None)
    assert "@BotFather" in str(raised.value)
    assert "sopbot chat" in str(raised.value)


def test_run_without_a_token_exits_2_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    result = CliRunner().invoke(cli, ["run"], env={"TELEGRAM_BOT_TOKEN": ""})
    assert result.exit_code == 2
    assert "@BotFather" in result.output
    assert "Traceback" not in result.output


def test_run_without_a_token_as_a_process(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "@BotFather" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text(encoding="utf-8")
    names = {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "SOPBOT_DB",
        "SOPBOT_INDEX",
        "SOPBOT_ADMIN_IDS",
        "SOPBOT_TIMEZONE",
        "SOPBOT_WEBHOOK_URL",
        "SOPBOT_WEBHOOK_LISTEN",
        "SOPBOT_WEBHOOK_PORT",
        "SOPBOT_WEBHOOK_SECRET",
    }
    config_source = (Path(__file__).parents[2] / "bot" / "config.py").read_text(encoding="utf-8")
    assert all(f'"{name}"' in config_source for name in names)
    assert {name for name in names if f"{name}=" in example} == names


def test_settings_keep_their_secrets_out_of_repr() -> None:
    settings = Settings.from_env(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "SOPBOT_WEBHOOK_SECRET": "s3cret-_"}, env_file=None
    )
    shown = repr(settings)
    assert TOKEN not in shown and "s3cret-_" not in shown
    assert "db_path" in shown


def test_paths_are_read_even_when_the_settings_are_invalid(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SOPBOT_DB=/data/bot.db\nSOPBOT_SEARCH_WORKER=maybe\n", encoding="utf-8")
    paths = Settings.paths_from_env({"SOPBOT_CORPUS_DIR": " /data/corpus "}, env_file)
    assert (paths.db_path, paths.corpus_dir) == (Path("/data/bot.db"), Path("/data/corpus"))
    assert paths.token == "" and not paths.search_worker


def test_ask_follow_up_minutes_are_read_and_checked() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "SOPBOT_ASK_REMIND_MINUTES": "5"}
    settings = Settings.from_env({**env, "SOPBOT_ASK_ESCALATE_MINUTES": "0"}, env_file=None)
    assert (settings.ask_remind_minutes, settings.ask_escalate_minutes) == (5.0, 0.0)
    with pytest.raises(ConfigError, match="SOPBOT_ASK_REMIND_MINUTES"):
        Settings.from_env({**env, "SOPBOT_ASK_REMIND_MINUTES": "soon"}, env_file=None)


def test_ask_send_retries_are_read_and_checked() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:abc"}
    settings = Settings.from_env(env, env_file=None)
    assert (settings.ask_send_attempts, settings.ask_send_backoff_seconds) == (6, 60.0)
    assert settings.ask_send_max_hours == 24.0
    tuned = {
        "SOPBOT_ASK_SEND_ATTEMPTS": "3",
        "SOPBOT_ASK_SEND_BACKOFF_SECONDS": "30",
        "SOPBOT_ASK_SEND_MAX_HOURS": "2.5",
    }
    settings = Settings.from_env({**env, **tuned}, env_file=None)
    assert (settings.ask_send_attempts, settings.ask_send_backoff_seconds) == (3, 30.0)
    assert settings.ask_send_max_hours == 2.5
    for name, value in [
        ("SOPBOT_ASK_SEND_ATTEMPTS", "0"),
        ("SOPBOT_ASK_SEND_ATTEMPTS", "forever"),
        ("SOPBOT_ASK_SEND_BACKOFF_SECONDS", "0"),
        ("SOPBOT_ASK_SEND_MAX_HOURS", "nan"),
        ("SOPBOT_ASK_SEND_MAX_HOURS", "1000"),
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({**env, name: value}, env_file=None)
