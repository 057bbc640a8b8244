"""The command menu everyone sees: ``bot.app`` registers it, and managers' menus extend it."""

from __future__ import annotations

# Telegram picks a list by the user's two-letter language code, so one Chinese list ("zh")
# serves both scripts: it is in traditional Chinese, the SOP's own script, which simplified
# readers also read. Everyone else gets the default list, in English, the most likely
# shared language of a store's non-Chinese-speaking staff.
COMMAND_LANGUAGES = (("", "en"), ("zh", "hant"))
COMMANDS = (
    "start",
    "help",
    "roles",
    "role",
    "practice",
    "myscore",
    "leaderboard",
    "quiz",
    "missed",
    "ask",
    "asks",
    "notes",
)
