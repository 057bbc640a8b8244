"""The README and .env.example keep up with the bot."""

from __future__ import annotations

import re
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


def test_readme_architecture_names_every_bot_module() -> None:
    """A newcomer finds any module in one hop: the map names each, under its package."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.split(r"\n(?=  \S)", section)  # one block per top-level entry of bot/
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT / "bot")
        if relative.stem in ("__init__", "__main__"):
            continue
        if len(relative.parts) == 1:
            assert f"{relative.name}" in section, relative
            continue
        package = f"  {relative.parts[0]}/"
        (block,) = [b for b in blocks if b.startswith(package)] or [""]
        assert re.search(rf"\b{relative.stem}\b", block), relative
