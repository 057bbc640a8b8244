"""The command menus: the one everyone sees (``bot.app`` registers it), and what each level's
own menu (``bot.access.handlers.set_menu``) and /help add to it."""

from __future__ import annotations

from collections.abc import Callable

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
# What a level's own menu adds (each level has the ones below it too): trainers the
# questions the SOP answered badly; managers their people, notes and figures; admins the
# SOP library and its versions (bot/documents/).
TRAINER_COMMANDS = ("gaps", "teach")
MANAGER_COMMANDS = (
    *("invite", "users", "grant", "stores", "revoke"),
    *("brief", "briefs", "stats", "responders"),
)
ADMIN_COMMANDS = ("docs", "rollback")
LEVEL_COMMANDS = (
    ("trainer", TRAINER_COMMANDS),
    ("manager", MANAGER_COMMANDS),
    ("admin", ADMIN_COMMANDS),
)


def commands_beyond_public(at_least: Callable[[str], bool]) -> tuple[str, ...]:
    """The commands someone may use beyond the public menu, by the levels they are at."""
    return tuple(name for level, names in LEVEL_COMMANDS if at_least(level) for name in names)


# In the public menu (a group's members see a group quiz start there), yet for a level.
PUBLIC_NEEDS = {"quiz": "trainer"}


def usable_commands(at_least: Callable[[str], bool]) -> tuple[str, ...]:
    """Every command someone may use, in menu order: what /help lists for them."""
    public = tuple(
        name for name in COMMANDS if name not in PUBLIC_NEEDS or at_least(PUBLIC_NEEDS[name])
    )
    return (*public, *commands_beyond_public(at_least))
