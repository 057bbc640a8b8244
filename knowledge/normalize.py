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
# Control and format characters (zero-width joiners, bidi marks, NUL…), but keep \n\t.
CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
SPACES_RE = re.compile(r"\s+")

HANT, HANS, EN = "hant", "hans", "en"


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def clean(text: str) -> str:
    """Remove control characters and squeeze white space; keep everything else."""
    return SPACES_RE.sub(" ", CONTROL_RE.sub("", text)).strip()


def to_simplified(text: str) -> str:
    """Traditional → simplified, character by character (keeps offsets)."""
    return _converter("t2s").convert(text)


def fold(text: str) -> str:
    """The matching form of ``text``: NFKC, lower case, simplified, mainland phrasing."""
    text = clean(unicodedata.normalize("NFKC", text)).lower()
    return _converter("tw2sp").convert(text)


def fold_all(texts: list[str]) -> list[str]:
    """``fold`` for many short texts at once: one OpenCC call instead of thousands."""
    if not texts:
        return []
    cleaned = [clean(unicodedata.normalize("NFKC", text)).lower() for text in texts]
    return _converter("tw2sp").convert("\n".join(cleaned)).split("\n")


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
