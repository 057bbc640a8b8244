"""Messages that are not questions: a greeting, thanks, a goodbye, an "ok".

Staff type these to a chat bot as they would to a colleague. Searched as questions they
get "the SOP has no clear answer" and three unrelated steps; recognised, they get a
short friendly reply instead, and stay out of /gaps and /stats. Only a whole message
counts: "你好，客人沒帶證件怎麼辦" is a question.

The phrases are in ``knowledge/lexicon/smalltalk.tsv`` (``kind<TAB>phrase|phrase|...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from knowledge.normalize import fold

GREETING, THANKS, BYE, ACK = "greeting", "thanks", "bye", "ack"
KINDS = (GREETING, THANKS, BYE, ACK)
# A small-talk message is short; anything longer is read as a question.
MAX_SMALL_TALK_CHARS = 30
# What is dropped before comparing: punctuation, symbols and emoji, spaces, and the
# particles and names people add ("謝謝啦", "thanks bot", "hi 小幫手").
NOISE_RE = re.compile(r"[^\w]|_")
TRAILING = (
    "啦",
    "呀",
    "啊",
    "喔",
    "哦",
    "噢",
    "囉",
    "咯",
    "嘅",
    "哈",
    "lah",
    "la",
    "bot",
    "小幫手",
)
TRAILING_RE = re.compile(f"({'|'.join(re.escape(fold(word)) for word in TRAILING)})+$")


def key_of(text: str) -> str:
    """The form phrases are compared in: folded, without punctuation, emoji or spaces."""
    return NOISE_RE.sub("", fold(text))


def read_phrases(path: Path) -> dict[str, str]:
    """Folded phrase → kind, from the lexicon file."""
    phrases: dict[str, str] = {}
    if not path.exists():
        return phrases
    for line in path.read_text(encoding="utf-8").splitlines():
        kind, _, listed = line.partition("\t")
        if kind in KINDS:
            for phrase in listed.split("|"):
                if key := key_of(phrase):
                    phrases[key] = kind
    return phrases


def small_talk(text: str, phrases: Mapping[str, str]) -> str | None:
    """The kind of small talk a whole message is, or None for anything else."""
    if len(text) > MAX_SMALL_TALK_CHARS:
        return None
    key = key_of(text)
    if not key:
        return None
    return phrases.get(key) or phrases.get(TRAILING_RE.sub("", key) or key)
