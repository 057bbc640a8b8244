"""The bot's own words, from one catalog per script (``hant.toml``, ``hans.toml``, ``en.toml``).

SOP text itself is converted with OpenCC (see ``knowledge.normalize.to_script``); only the
product's own words live here. Traditional Chinese (``hant``), the SOP's script, has every
key; simplified Chinese (``hans``) is OpenCC's conversion of it, except the keys
``hans.toml`` words differently; English (``en``) has every key. A text that counts
something has two forms (``one``, ``other``) chosen by the placeholder ``count`` names.

``label`` gives plain text; ``label_html`` gives Telegram HTML, the template and every value
escaped here, once (values already in HTML are marked :class:`Html`).
"""

from __future__ import annotations

import html as html_module
import re
import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from knowledge.normalize import to_simplified

HERE = Path(__file__).parent
SCRIPTS = ("hant", "hans", "en")
FALLBACK = "hant"
TAG_RE = re.compile(r"(</?[a-z][a-z-]*>)")

Entry = str | dict[str, str]  # a text, or its plural forms {"count", "one", "other"}


class Html(str):
    """Text that is Telegram HTML already (a bold name, a code span): left as it is."""


def read(script: str) -> dict[str, Entry]:
    with (HERE / f"{script}.toml").open("rb") as file:
        return dict(tomllib.load(file))


@cache
def catalog(script: str) -> dict[str, Entry]:
    """Every key of a script, loaded once."""
    if script == "hans":
        derived = {key: simplified(entry) for key, entry in catalog("hant").items()}
        return {**derived, **read("hans")}
    return read(script)


def simplified(entry: Entry) -> Entry:
    if isinstance(entry, str):
        return to_simplified(entry)
    return {key: value if key == "count" else to_simplified(value) for key, value in entry.items()}


def template(script: str, key: str, values: dict[str, Any]) -> str:
    entry = catalog(script if script in SCRIPTS else FALLBACK)[key]
    if isinstance(entry, str):
        return entry
    return entry["one"] if values.get(entry["count"]) == 1 else entry["other"]


def label(script: str, key: str, **values: object) -> str:
    """The text of ``key`` in ``script``, its placeholders filled, as plain text."""
    text = template(script, key, values)
    return text.format(**values) if values else text


def label_html(script: str, key: str, **values: object) -> str:
    """The text of ``key`` as Telegram HTML: the catalog's own tags kept, everything else
    (the template's text and each value not marked :class:`Html`) escaped."""
    text = "".join(
        part if TAG_RE.fullmatch(part) else html_module.escape(part)
        for part in TAG_RE.split(template(script, key, values))
    )
    escaped = {
        name: value if isinstance(value, Html) else html_module.escape(str(value))
        for name, value in values.items()
    }
    return text.format(**escaped) if values else text


def placeholders(entry: Entry) -> set[str]:
    """The placeholders a catalog entry fills (both forms, for a plural)."""
    texts = [entry] if isinstance(entry, str) else [entry["one"], entry["other"]]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


LABELS: dict[str, dict[str, Entry]] = {script: catalog(script) for script in SCRIPTS}
