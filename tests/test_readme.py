"""The README keeps up with the product: bot commands, `sopbot` commands, settings."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from telegram.ext import CommandHandler

from bot.app import build_application
from bot.cli import cli
from bot.config import Settings
from bot.storage import Storage
from bot.tg.commands import ADMIN_COMMANDS, COMMANDS, MANAGER_COMMANDS, TRAINER_COMMANDS
from knowledge import KnowledgeBase
from knowledge.base import default_index_path
from tests.fakebotapi import InProcessRequest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text under a ``## title`` heading, up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"the README has no section {title!r}"
    return match[1]


@pytest.fixture(scope="module")
def registered_commands(
    tmp_path_factory: pytest.TempPathFactory, index_path: Path, kb: KnowledgeBase
) -> set[str]:
    """Every command a CommandHandler of the built Application answers."""
    tmp = tmp_path_factory.mktemp("readme")
    settings = Settings(
        token="123456:TEST-TOKEN",
        api_url="http://offline.invalid/bot",
        db_path=tmp / "sopbot.db",
        index_path=index_path,
    )
    storage = Storage.open(settings.db_path)
    try:
        app = build_application(settings, kb, storage, request=InProcessRequest())
        return {
            command
            for handlers in app.handlers.values()
            for handler in handlers
            if isinstance(handler, CommandHandler)
            for command in handler.commands
        }
    finally:
        storage.close()


def test_readme_bot_command_table_lists_exactly_the_registered_commands(
    registered_commands: set[str],
) -> None:
    documented = set(re.findall(r"^\| `/(\w+)`", section("Bot commands"), re.M))
    assert documented == registered_commands, (
        f"add a row to README's 'Bot commands' for {sorted(registered_commands - documented)}; "
        f"no such command: {sorted(documented - registered_commands)}"
    )


def test_readme_documents_every_sopbot_subcommand() -> None:
    table = section("The `sopbot` command")
    missing = [name for name in cli.commands if f"| `sopbot {name}" not in table]
    assert missing == [], f"add a row to README's '`sopbot` command' table for {missing}"


def test_readme_configuration_table_lists_every_setting_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    settings = re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M)
    documented = re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", section("Configuration"), re.M)
    assert sorted(documented) == sorted(settings)


def test_readme_quick_start_is_make_run_and_make_test() -> None:
    quick_start = section("Quick start")
    assert "make run" in quick_start and "make test" in quick_start
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_and_env_example_say_where_the_index_lives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SOPBOT_INDEX", raising=False)
    monkeypatch.setenv("SOPBOT_CACHE_DIR", str(tmp_path))
    assert default_index_path() == tmp_path / "sopbot" / "index.db"
    monkeypatch.delenv("SOPBOT_CACHE_DIR")
    assert default_index_path() == Path(tempfile.gettempdir()) / "sopbot" / "index.db"
    row = re.search(r"^\| `SOPBOT_INDEX` \| ([^|]+) \|", section("Configuration"), re.M)
    assert row and "`sopbot/index.db` in `SOPBOT_CACHE_DIR`" in row[1]
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    comment = example.split("SOPBOT_INDEX=")[0].rsplit("\n\n", 1)[1]
    assert "sopbot/index.db in SOPBOT_CACHE_DIR" in comment
    assert "~/.cache" not in README and "~/.cache" not in example


def test_readme_sopbot_ask_example_is_what_the_command_prints(
    index_path: Path, tmp_path: Path
) -> None:
    block = re.search(r"```console\n\$ sopbot ask ([^\n]+)\n(.*?)```", README, re.S)
    assert block, "the README shows `sopbot ask` in a console block"
    env = {"SOPBOT_DB": str(tmp_path / "sopbot.db"), "SOPBOT_CORPUS_DIR": str(tmp_path / "corpus")}
    asked = CliRunner(env=env).invoke(cli, ["ask", "--index", str(index_path), block[1]])
    assert asked.exit_code == 0, asked.output
    assert block[2] == asked.output, "paste what `sopbot ask` prints into the README"


def test_readme_says_who_sees_which_command_menu() -> None:
    menus = section("Telegram bot").split("The command menu", 1)[1].split("\n\n", 1)[0]
    for name in (*COMMANDS, *TRAINER_COMMANDS, *MANAGER_COMMANDS, *ADMIN_COMMANDS):
        assert f"/{name}" in menus, f"the README's command menus do not name /{name}"


def test_readme_tells_a_new_admin_how_to_find_their_telegram_id() -> None:
    quick_start = section("Quick start")
    assert "SOPBOT_ADMIN_IDS" in quick_start and "/start" in quick_start
    assert "@userinfobot" not in quick_start  # the bot itself tells them; no third party
