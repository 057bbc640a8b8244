"""The README keeps up with the product: bot commands, `sopbot` commands, settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from telegram.ext import CommandHandler

from bot.app import build_application
from bot.cli import cli
from bot.config import Settings
from bot.offline import OfflineRequest
from bot.storage import Storage
from knowledge import KnowledgeBase

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
        app = build_application(settings, kb, storage, request=OfflineRequest())
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
