"""Folding for matching and the reader's script for replies."""

from __future__ import annotations

import pytest

from knowledge.normalize import clean, detect_script, fold, to_script


def test_fold_meets_traditional_simplified_and_full_width() -> None:
    assert fold("客人沒帶身份證") == fold("客人没带身份证")
    assert fold("ＶＩＰ客戶") == "vip客户"
    assert fold("列印話單") == fold("打印话单")


def test_clean_removes_control_characters() -> None:
    assert clean("早會\x00\u200b 幾點\x1b") == "早會 幾點"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("客人沒帶身分證怎麼辦", "hant"),
        ("客户没带证件怎么办", "hans"),
        ("customer forgot his ID", "en"),
        ("VIP客人等了多久", "hant"),
        ("冇帶證件點算", "hant"),
    ],
)
def test_detect_script(text: str, expected: str) -> None:
    assert detect_script(text) == expected


def test_detect_script_uses_the_hint_only_when_the_text_cannot_tell() -> None:
    assert detect_script("早会", hint="zh-hans") == "hans"
    assert detect_script("客人", hint="zh-hans") == "hans"
    assert detect_script("客人", hint="zh-hant") == "hant"
    assert detect_script("客戶", hint="zh-hans") == "hant"


def test_to_script_writes_simplified_for_simplified_readers() -> None:
    assert to_script("請客戶稍等", "hans") == "请客户稍等"
    assert to_script("請客戶稍等", "hant") == "請客戶稍等"
