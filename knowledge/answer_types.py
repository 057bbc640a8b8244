"""What kind of answer a question asks for, and which sentences hold one.

"要提早多久到" asks for a length of time, "幾點開門" for a time of day, "抽查幾個" for a
count: the sentence that answers holds such a thing ("提前 30 分鐘", "9:30", "3 人"). A
sentence that shares the question's words *and* holds what it asks for is the likelier
answer. Both sides are read from folded text (simplified characters, numbers as digits,
see :mod:`knowledge.normalize`), so one pattern serves every script.

The patterns describe Chinese and English as any workplace writes them; nothing here
belongs to one document.
"""

from __future__ import annotations

import re

# Numbers as an SOP writes them once folded: 30, 2-3, 15～20, 1.5, 半, 几.
_NUMBER = r"(?:\d+(?:\.\d+)?(?:\s*[-~～—–至到]\s*\d+(?:\.\d+)?)?|半|几|数|两)"
_DURATION_UNIT = (
    r"(?:秒钟?|分钟|分|刻钟|个?小时|个?钟头|天|日|个?工作日|周|星期|个?礼拜|个?月|年|"
    r"s\b|secs?\b|seconds?\b|mins?\b|minutes?\b|hrs?\b|hours?\b|days?\b|weeks?\b|months?\b)"
)
_COUNT_UNIT = (
    r"(?:个|名|位|人|张|份|件|次|组|台|瓶|箱|包|袋|盒|支|把|条|块|桶|排|行|页|部|套|双|"
    r"本|颗|粒|片|层|间|辆|斤|公斤|千克|克|升|毫升|米|厘米|公分|%)"
)

ANSWERS = {
    "duration": re.compile(rf"{_NUMBER}\s*{_DURATION_UNIT}"),
    "clock": re.compile(
        r"\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*点(?:半|\d{1,2}分?)?|"
        r"\d{1,2}\s*(?:am|pm)\b|[上下]午|早上|晚上|中午|凌晨|开场|开门|关门|打烊|结束"
    ),
    "count": re.compile(rf"{_NUMBER}\s*{_COUNT_UNIT}|\d+\s*(?:以上|以下|以内|左右)"),
    "money": re.compile(r"\d+(?:\.\d+)?\s*(?:元|块|蚊|港币|台币|人民币|rmb|hkd|ntd)|[¥$￥]\s*\d"),
    "temperature": re.compile(r"-?\d+(?:\.\d+)?\s*(?:度|℃|°)"),
    "frequency": re.compile(
        rf"每\s*(?:{_NUMBER}\s*)?{_DURATION_UNIT}|每隔|每次|每逢|定期|{_NUMBER}\s*次"
    ),
}

# What the question asks for, by its question words. Checked in this order; a question
# can ask for more than one ("幾點到、要待多久").
ASKS = {
    "frequency": re.compile(
        r"多久.{0,6}[一1]次|几耐.{0,6}[一1]次|每隔多久|隔多久|多常|多频繁|how often|how frequently"
    ),
    "duration": re.compile(
        r"多久|多长时间|多少时间|多长|几耐|几(?:多)?(?:秒|分钟|个?小时|个?钟|天|日|周|个?星期|个?月|年)|"
        r"多少(?:秒|分钟|个?小时|天|日|周|个?月|年)|"
        r"how long|how many (?:seconds|secs|minutes|mins|hours|hrs|days|weeks|months)|how much time"
    ),
    "clock": re.compile(
        r"几点|几时|什么时候|什么时间|何时|哪个时间|when\b|what time|by when|how early|how late"
    ),
    "money": re.compile(
        r"多少钱|几多钱|几钱|什么价|价钱|价格|how much (?:money|does|is it|to pay)|price|cost"
    ),
    "temperature": re.compile(
        r"几度|多少度|什么温度|温度多少|what temperature|how (?:hot|cold|warm)"
    ),
    "count": re.compile(
        r"几(?:多)?(?!点|时|耐|度|钱)[个名位人张份件次组台瓶箱包袋盒支把条块桶排页部套双本颗片层间辆斤]|"
        r"多少(?!钱|度|时间|秒|分钟|小时|天|日|周|月|年)|几多(?!钱)|how many|how much"
    ),
}


def asked(folded_question: str) -> frozenset[str]:
    """The kinds of answer a folded question asks for (empty for most questions)."""
    text = folded_question.lower()
    kinds = {kind for kind, pattern in ASKS.items() if pattern.search(text)}
    if "frequency" in kinds:
        kinds.discard("duration")
    return frozenset(kinds)


def held(folded_text: str) -> frozenset[str]:
    """The kinds of answer a folded sentence holds."""
    text = folded_text.lower()
    return frozenset(kind for kind, pattern in ANSWERS.items() if pattern.search(text))
