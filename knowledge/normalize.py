"""Text normalization: one folded form for matching, and the reader's script for replies.

Matching happens on a *folded* form: NFKC (full-width letters and digits), lower case,
no control characters, and OpenCC's ``tw2sp`` (traditional → simplified with Taiwan
phrases turned mainland: 列印→打印, 簡訊→短信, 影印→复印), so a question typed in any
script and regional wording meets the document on the same ground. OpenCC does this
from maintained dictionaries, which no hand-written table would match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc

CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
LATIN_RE = re.compile(r"[a-zA-Z]")
# Control and format characters (zero-width joiners, bidi marks, NUL…), but keep \n\t;
# and lone surrogates (half an emoji, from a broken client), which no encoder accepts.
CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
    r"\ud800-\udfff]"
)
SPACES_RE = re.compile(r"\s+")
SURROGATE_RE = re.compile(r"[\ud800-\udfff]")

HANT, HANS, EN = "hant", "hans", "en"


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def encodable(text: str) -> str:
    """``text`` with any lone surrogate (half an emoji from a broken client or a forged
    update) replaced by U+FFFD, so it can be stored and sent; other text as it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_RE.sub("\ufffd", text)
    return text


def clean(text: str) -> str:
    """Remove control characters and squeeze white space; keep everything else."""
    return SPACES_RE.sub(" ", CONTROL_RE.sub("", text)).strip()


def to_simplified(text: str) -> str:
    """Traditional → simplified, character by character (keeps offsets)."""
    return _converter("t2s").convert(text)


def fold(text: str) -> str:
    """The matching form of ``text``: NFKC, lower case, simplified, mainland phrasing,
    numbers in digits."""
    text = clean(unicodedata.normalize("NFKC", text)).lower()
    return numbers_as_digits(_converter("tw2sp").convert(text))


def fold_characters(text: str) -> str:
    """:func:`fold` character by character (``tw2s``), without OpenCC's phrase swaps.

    Where the two differ, OpenCC changed a word, not only its characters (過載 → 重载,
    數據機 → 调制解调器, 帳號 → 账号 where the mainland also writes 帐号): the search then
    keeps both forms, so the word the document or the asker wrote is found either way.
    """
    text = clean(unicodedata.normalize("NFKC", text)).lower()
    return numbers_as_digits(_converter("tw2s").convert(text))


def fold_all(texts: list[str]) -> list[str]:
    """``fold`` for many short texts at once: one OpenCC call instead of thousands."""
    if not texts:
        return []
    cleaned = [clean(unicodedata.normalize("NFKC", text)).lower() for text in texts]
    folded = _converter("tw2sp").convert("\n".join(cleaned))
    return numbers_as_digits(folded).split("\n")


NUMERAL_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
NUMERAL_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
NUMERAL_UNITS = {"十": 10, "百": 100, "千": 1000}
# A run of numerals counts as a number only where a number stands: before a measure
# word or unit (三名, 五千元, 十五分钟), or after 第/前/每 (第一, 前三). Elsewhere the
# characters are parts of words: 一定, 统一组, 十分重要, 万一, 一半 stay as they are.
NUMERAL_RE = re.compile(
    r"(?<![统唯万专单同逐划均之不])([零〇一二两三四五六七八九十百千万]+)"
    r"(?=个|名|位|人|次|天|日|周|月|年|岁|元|块|张|份|支|瓶|箱|件|台|分钟|秒|小时|钟头|米|"
    r"公里|公斤|斤|克|度|号|层|楼|组|排|页|条|倍|遍|趟|套|盒|包|袋|桶|杯|本|把|间|辆|栋|"
    r"多|几|来|%|[0-9])"
    r"|(?<=[第前每])([零〇一二两三四五六七八九十百千万]+)"
)
THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def numeral_value(numerals: str) -> int | None:
    """三十五 → 35, 五千 → 5000, 二〇二六 → 2026; None for what is not a number (万)."""
    if all(c in NUMERAL_DIGITS for c in numerals):
        return int("".join(str(NUMERAL_DIGITS[c]) for c in numerals))
    total = section = number = 0
    for char in numerals:
        if char in NUMERAL_DIGITS:
            number = NUMERAL_DIGITS[char]
        elif char in NUMERAL_UNITS:
            section += (number or 1) * NUMERAL_UNITS[char]
            number = 0
        else:  # 万
            if not (section or number):
                return None
            total += (section + number) * 10_000
            section = number = 0
    return total + section + number


# A time of day said in words (下午兩點, 九點半, 8點15分, 2 pm) is written as a clock
# (14:00, 9:30, 8:15): an SOP writes times either way. 點 after Chinese numerals alone
# ("注意兩點") is a time only with a part of the day before it or 半/分/鐘/整 after it.
DAY_PARTS = {
    "凌晨": 0, "早上": 0, "早晨": 0, "上午": 0, "中午": 12, "下午": 12, "傍晚": 12,
    "晚上": 12, "夜晚": 12, "夜里": 12,
}  # fmt: skip
CLOCK_NUMBER = r"([零〇一二两三四五六七八九十]{1,3}|\d{1,2})"
CLOCK_RE = re.compile(
    rf"(?<![第\d.])({'|'.join(DAY_PARTS)})?{CLOCK_NUMBER}点"
    rf"(?:(半)|{CLOCK_NUMBER}分|(钟|整))?"
)
ENGLISH_CLOCK_RE = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b\.?")
LEADING_ZERO_RE = re.compile(r"(?<![\d:])0(\d:\d{2})")


def clock_times(text: str) -> str:
    """Times of day in words as clocks: 下午两点 → 14:00, 九点半 → 9:30, 2 pm → 14:00,
    09:30 → 9:30 (``text`` already folded to simplified)."""
    if ":" in text:
        text = LEADING_ZERO_RE.sub(r"\1", text)
    if "点" in text:
        text = CLOCK_RE.sub(_clock, text)
    if "m" in text:
        text = ENGLISH_CLOCK_RE.sub(_english_clock, text)
    return text


def _clock(match: re.Match[str]) -> str:
    part, hour_text, half, minute_text, whole = match.groups()
    if not (part or half or minute_text or whole or hour_text.isdigit()):
        return match.group(0)
    hour = _clock_number(hour_text)
    minute = 30 if half else _clock_number(minute_text) if minute_text else 0
    if hour is None or minute is None or hour > 24 or minute > 59:
        return match.group(0)
    if part and DAY_PARTS[part] and hour < 12 and not (part == "中午" and hour >= 11):
        hour += 12
    return f"{hour}:{minute:02d}"


def _english_clock(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if not 1 <= hour <= 12 or minute > 59:
        return match.group(0)
    if match.group(3) == "p" and hour < 12:
        hour += 12
    elif match.group(3) == "a" and hour == 12:
        hour = 0
    return f"{hour}:{minute:02d}"


def _clock_number(text: str) -> int | None:
    return int(text) if text.isdigit() else numeral_value(text)


def numbers_as_digits(text: str) -> str:
    """Numbers written in Chinese numerals as digits, and 5,000 as 5000, so a question
    and an SOP that write a number differently still meet: 前三名 / 前 3 名, 五千 / 5,000;
    and times of day as clocks (:func:`clock_times`)."""
    text = clock_times(THOUSANDS_RE.sub("", text))
    if not any(c in NUMERAL_DIGITS or c in NUMERAL_UNITS for c in text):
        return text

    def digits(match: re.Match[str]) -> str:
        numerals = match.group(1) or match.group(2)
        value = numeral_value(numerals)
        return match.group(0) if value is None else str(value)

    return NUMERAL_RE.sub(digits, text)


def detect_script(text: str, hint: str | None = None) -> str:
    """Say whether a question is in traditional, simplified Chinese, or English.

    ``hint`` is a language code such as Telegram's ``zh-hans``; it decides only when
    the text itself cannot (characters common to both scripts, or no text).
    """
    text = unicodedata.normalize("NFKC", text)
    chinese = "".join(CJK_RE.findall(text))
    if not chinese:
        if LATIN_RE.search(text):
            return EN
        return script_from_language(hint)
    if len(LATIN_RE.findall(text)) > 3 * len(chinese):
        return EN
    if to_simplified(chinese) != chinese:
        return HANT
    if _converter("s2t").convert(chinese) != chinese:
        return HANS
    return script_from_language(hint) if hint else HANT


def script_from_language(language_code: str | None) -> str:
    """Map a language code (``zh-hant``, ``zh-CN``, ``en``…) to a reply script."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        if any(tag in code for tag in ("hans", "cn", "sg", "my")):
            return HANS
        return HANT
    if code.startswith("en"):
        return EN
    return HANT


def to_script(text: str, script: str) -> str:
    """Write SOP text (traditional) in the reader's script.

    Character by character (t2s), not with tw2sp's phrase swaps: those suit matching
    but misread context when shown (資料 "documents" would become 数据 "data").
    """
    if script == HANS:
        return _converter("t2s").convert(text)
    return text
