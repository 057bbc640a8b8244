"""The layers of bot/: which modules may import Telegram, and which must work without it.

Each feature package keeps its rules in modules a test (or the CLI) can import without
python-telegram-bot; the Telegram side is its handlers, keyboards and a few shared
modules. A new module lands in one of the two lists below, on purpose.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

# Modules that talk to Telegram: wiring, handlers, keyboards, the commands that start the
# bot or ask Telegram who it is.
TELEGRAM_LAYER = {
    "bot.app",
    "bot.cli",
    "bot.context",
    "bot.ops",
    "bot.tg.errors",
    "bot.tg.jobs",
    "bot.tg.load",
    "bot.tg.messages",
    "bot.tg.polling",
    "bot.tg.sending",
    "bot.access.gate",
    "bot.access.handlers",
    "bot.access.users",
    "bot.answers.cards",
    "bot.answers.feedback",
    "bot.answers.handlers",
    "bot.answers.inline",
    "bot.answers.keyboards",
    "bot.answers.start",
    "bot.asks.delivery",
    "bot.asks.handlers",
    "bot.asks.keyboards",
    "bot.briefings.handlers",
    "bot.briefings.keyboards",
    "bot.browse.handlers",
    "bot.browse.keyboards",
    "bot.browse.role",
    "bot.documents.handlers",
    "bot.documents.imports",
    "bot.documents.pictures",
    "bot.documents.render",
    "bot.learning.handlers",
    "bot.learning.render",
    "bot.quizzes.handlers",
    "bot.stats.handlers",
}


def bot_modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imports_telegram(module: str) -> bool:
    path = ROOT / Path(*module.split("."))
    source = (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(name == "telegram" or name.startswith("telegram.") for name in names):
            return True
    return False


def test_only_the_telegram_layer_imports_telegram() -> None:
    importing = {module for module in bot_modules() if imports_telegram(module)}
    assert importing <= TELEGRAM_LAYER, sorted(importing - TELEGRAM_LAYER)
    assert set(bot_modules()) >= TELEGRAM_LAYER, sorted(TELEGRAM_LAYER - set(bot_modules()))


def test_the_rules_load_without_telegram() -> None:
    """Importing every other module (and what it imports) never loads python-telegram-bot."""
    free = [m for m in bot_modules() if m not in TELEGRAM_LAYER and m != "bot.__main__"]
    script = "\n".join(
        [*(f"import {module}" for module in free), "import sys", "print('telegram' in sys.modules)"]
    )
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False", free


def test_the_limits_the_rules_keep_are_telegrams() -> None:
    """Modules that must load without Telegram keep its limits as numbers: the same ones."""
    from telegram.constants import InlineKeyboardButtonLimit, MessageLimit, PollLimit

    from bot import callbacks, render
    from bot.quizzes import render as quiz_render

    assert render.TELEGRAM_LIMIT == MessageLimit.MAX_TEXT_LENGTH
    assert callbacks.MAX_BYTES == InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    assert quiz_render.POLL_QUESTION_LIMIT == PollLimit.MAX_QUESTION_LENGTH
    assert quiz_render.POLL_OPTION_LIMIT == PollLimit.MAX_OPTION_LENGTH
    assert quiz_render.POLL_EXPLANATION_LIMIT == PollLimit.MAX_EXPLANATION_LENGTH
