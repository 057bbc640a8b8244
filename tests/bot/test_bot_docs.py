"""The README and .env.example keep up with the bot."""

from __future__ import annotations

from pathlib import Path

from bot.app import COMMANDS
from bot.cli import cli

ROOT = Path(__file__).parents[2]


def test_readme_documents_sopbot_run_and_every_bot_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "run" in cli.commands
    assert "sopbot run" in readme
    for command in COMMANDS:
        assert f"/{command}" in readme, command


def test_readme_names_every_handler_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    modules = sorted(p.stem for p in (ROOT / "bot" / "handlers").glob("*.py"))
    for module in modules:
        if module not in ("__init__", "common"):
            assert f"`{module}`" in readme, module
