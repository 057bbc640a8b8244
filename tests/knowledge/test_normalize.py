"""Folding for matching and the reader's script for replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.normalize import clean, detect_script, fold, fold_characters, to_script


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


@pytest.mark.parametrize(
    ("numerals", "digits"),
    [
        ("前三名", "前3名"),
        ("五千元", "5000元"),
        ("5,000元", "5000元"),
        ("十五分鐘", "15分钟"),
        ("兩個人", "2个人"),
        ("第一次", "第1次"),
        ("二〇二六年", "2026年"),
    ],
)
def test_numbers_in_words_fold_to_digits(numerals: str, digits: str) -> None:
    assert fold(numerals) == digits


@pytest.mark.parametrize(
    ("said", "clock"),
    [
        ("下午兩點", "14:00"),
        ("晚上十點後", "22:00后"),
        ("九點半開門", "9:30开门"),
        ("8點15分", "8:15"),
        ("三點鐘", "3:00"),
        ("中午一點", "13:00"),
        ("中午12點", "12:00"),
        ("10點要做什麼", "10:00要做什么"),
        ("at 2pm", "at 14:00"),
        ("9:30 a.m.", "9:30"),
        ("09:30 開會", "9:30 开会"),
    ],
)
def test_times_of_day_in_words_fold_to_clocks(said: str, clock: str) -> None:
    assert fold(said) == clock


@pytest.mark.parametrize("words", ["注意兩點", "快點", "有一點", "第2點", "1.5點", "12 months"])
def test_points_that_are_no_time_stay(words: str) -> None:
    assert ":" not in fold(words)


def test_a_time_in_words_meets_the_clock_the_sop_writes(tmp_path: Path) -> None:
    sop = tmp_path / "store.md"
    sop.write_text(
        "# 門市\n## 店員\n#### 1、結算\n14:00 結算耗材數量。\n"
        "#### 2、下午班\n下午班提醒同事送回碳粉夾。\n",
        encoding="utf-8",
    )
    kb = KnowledgeBase.open(index_path=tmp_path / "index.db", sources=[sop])
    assert kb.ask("下午兩點固定要做什麼事").hits[0].step.title == "結算"


@pytest.mark.parametrize("word", ["一定", "十分重要", "統一組織", "萬一", "一半", "一起", "一般"])
def test_numerals_inside_words_stay(word: str) -> None:
    assert not any(c.isdigit() for c in fold(word))


def test_character_folding_keeps_the_word_opencc_would_replace() -> None:
    assert fold("過載") != fold_characters("過載") == fold_characters("过载") == "过载"
    assert fold_characters("數據機") == "数据机"
    assert fold_characters("列印") == "列印" and fold("列印") == "打印"


def test_a_lone_surrogate_is_dropped_not_raised_on() -> None:
    assert clean("停電\ud83d了") == "停電了"
    assert fold("停電\ud83d了") == fold("停電了")
