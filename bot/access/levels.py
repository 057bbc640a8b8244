"""Access levels as people type them: ``staff`` or 員工, ``manager`` or 店長 / 經理 …

Wherever a level is typed (/invite, /grant, /responders) it is read with :func:`level_named`,
so the names the bot itself shows (``access_*`` in the catalogs) are understood back, in
traditional and simplified Chinese as well as in English.
"""

from __future__ import annotations

from bot.storage import ACCESS_LEVELS

# Besides the English names: what stores call each level, in both scripts.
LEVEL_WORDS = {
    "staff": ("員工", "员工", "店員", "店员", "職員", "职员", "同事"),
    "trainer": ("培訓員", "培训员", "訓練員", "训练员", "培訓", "培训", "講師", "讲师"),
    "manager": ("店長", "店长", "經理", "经理", "主管", "副店長", "副店长"),
    "admin": ("管理員", "管理员", "管理者", "系統管理員", "系统管理员"),
}
LEVELS_BY_WORD = {
    **{word: level for level, words in LEVEL_WORDS.items() for word in words},
    **{level: level for level in ACCESS_LEVELS},
}


def level_named(word: str) -> str | None:
    """The level a typed word names (``"培训员"`` → ``"trainer"``), None if it names none."""
    return LEVELS_BY_WORD.get(word.strip().lower())
