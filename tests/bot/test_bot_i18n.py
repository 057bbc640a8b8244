"""The text catalogs: every key and placeholder in every script, plurals, escaping once."""

from __future__ import annotations

import pytest

from bot import i18n
from bot.i18n import Html, label, label_html
from knowledge.normalize import to_simplified
from tests.fakebotapi import parse_html

KEYS = set(i18n.read("hant"))


@pytest.mark.parametrize("script", i18n.SCRIPTS)
def test_every_catalog_has_every_key_with_the_same_placeholders(script: str) -> None:
    entries = i18n.catalog(script)
    assert set(entries) == KEYS
    for key in KEYS:
        assert i18n.placeholders(entries[key]) == i18n.placeholders(i18n.catalog("hant")[key]), key


def test_simplified_overrides_only_what_opencc_words_otherwise() -> None:
    overrides = i18n.read("hans")
    assert set(overrides) <= KEYS
    for key, text in overrides.items():
        assert text != i18n.simplified(i18n.catalog("hant")[key]), key


def test_the_example_questions_ask_the_same_in_every_chinese_script() -> None:
    for n in (1, 2, 3):
        hant, hans = label("hant", f"example_{n}"), label("hans", f"example_{n}")
        assert len(hans) == len(hant), (hant, hans)
        assert sum(a != b for a, b in zip(to_simplified(hant), hans, strict=True)) <= 1


def test_a_text_that_counts_has_its_forms() -> None:
    for key, entry in i18n.catalog("en").items():
        if isinstance(entry, dict):
            assert set(entry) == {"count", "one", "other"}, key
            assert entry["count"] in i18n.placeholders(entry), key
    assert label("en", "quiz_start", n=1) == "📝 SOP quiz: 1 question"
    assert label("en", "quiz_start", n=5) == "📝 SOP quiz: 5 questions"
    assert all("(s)" not in str(entry) for entry in i18n.catalog("en").values())


@pytest.mark.parametrize("script", i18n.SCRIPTS)
def test_every_text_is_valid_telegram_html_once_escaped(script: str) -> None:
    for key, entry in i18n.catalog(script).items():
        values = {name: "<&>" for name in i18n.placeholders(entry)}
        parse_html(label_html(script, key, **values))


def test_values_are_escaped_once_unless_already_html() -> None:
    text = label_html("en", "brief_header", author="<Ann & Bob>")
    assert text == label("en", "brief_header", author="&lt;Ann &amp; Bob&gt;")
    assert "<i>x</i>" in label_html("en", "brief_header", author=Html("<i>x</i>"))
