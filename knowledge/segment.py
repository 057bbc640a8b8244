"""Word segmentation with jieba, taught the SOP's own vocabulary.

We own one ``jieba.Tokenizer`` instead of using the module-level default, so loading
the domain words never leaks into other users of jieba in the same process, and its
dictionary cache goes where we say (the image builds it once, see the Dockerfile).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from knowledge.lexicon import Lexicon, stem

# jieba imports the deprecated pkg_resources (~0.15 s, a third of start-up) only to find its
# own dictionary file, and falls back to a plain path when that import fails; so make it
# fail for jieba alone, unless something else already loaded pkg_resources.
_hide_pkg_resources = "pkg_resources" not in sys.modules
if _hide_pkg_resources:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
try:
    import jieba
finally:
    if _hide_pkg_resources:
        del sys.modules["pkg_resources"]

jieba.setLogLevel(logging.WARNING)

# A private-use character: never typed, so the filler entry never matches anything.
FILLER_WORD = "\ue000"
PUNCTUATION_RE = re.compile(r"^[\W_]+$")
CJK_RUN_RE = re.compile(r"[\u3400-\u9fff]+")


def cache_dir() -> Path:
    """Where jieba keeps its dictionary cache: $SOPBOT_CACHE_DIR, else the temp dir."""
    configured = os.environ.get("SOPBOT_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir())


class Segmenter:
    """Cuts folded (simplified, lower-case) text into words."""

    def __init__(self, lexicon: Lexicon, dictionary: Path | None = None) -> None:
        self.tokenizer = jieba.Tokenizer(str(dictionary)) if dictionary else jieba.Tokenizer()
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.tmp_dir = str(directory)
        self.tokenizer.initialize()
        for word, freq in lexicon.user_words:
            self.tokenizer.add_word(word, freq)
        self.stopwords = lexicon.stopwords

    def words(self, text: str) -> list[str]:
        """Content words of ``text`` for a query: no punctuation, spaces or stop words."""
        return self._content(self.tokenizer.lcut(text, HMM=True))

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """Every word of ``text`` with its place, stop words included, no punctuation."""
        return [
            (word, start, end)
            for word, start, end in self.tokenizer.tokenize(text, HMM=True)
            if word.strip() and not PUNCTUATION_RE.match(word)
        ]

    def index_words(self, text: str) -> list[str]:
        """Words of ``text`` for the index: also the shorter words inside compounds."""
        return self._content(self.tokenizer.lcut_for_search(text, HMM=True))

    def _content(self, words: Iterable[str]) -> list[str]:
        return [
            normal_form(word)
            for word in (w.strip() for w in words)
            if word and not PUNCTUATION_RE.match(word) and word not in self.stopwords
        ]


def normal_form(word: str) -> str:
    """English words as stems ("forgot"/"forgets" meet in questions and in the index)."""
    return stem(word) if word.isascii() and word.isalpha() else word


def bigrams(text: str) -> list[str]:
    """Overlapping two-character pieces of every Chinese run in ``text``.

    They find a match where segmentation differs between question and document.
    """
    pieces: list[str] = []
    for run in CJK_RUN_RE.findall(text):
        pieces.extend(run[i : i + 2] for i in range(len(run) - 1))
    return pieces


def write_dictionary(path: Path, texts: Iterable[str], extra_words: Iterable[str]) -> None:
    """Write the part of jieba's dictionary that the corpus can use.

    jieba's full dictionary holds 350,000 words; loading it costs most of a second and
    some 60 MB. A question can only match words the corpus has, so the search needs
    just the dictionary words found in the corpus (and the lexicon). Keeping jieba's
    total frequency (one filler entry makes up the difference) keeps every probability,
    so the corpus's own sentences segment exactly as with the full dictionary.
    """
    longest = 8
    pieces: set[str] = set(extra_words)
    for text in texts:
        for start in range(len(text)):
            for size in range(1, longest + 1):
                if start + size > len(text):
                    break
                pieces.add(text[start : start + size])
    kept, total = [], 0
    with jieba.get_dict_file() as full:
        for raw in full:
            word, freq, *tag = raw.decode("utf-8").split()
            total += int(freq)
            if word in pieces:
                kept.append((word, int(freq), tag[0] if tag else ""))
    filler = total - sum(freq for _, freq, _ in kept)
    lines = [f"{word} {freq} {tag}".rstrip() for word, freq, tag in kept]
    lines.append(f"{FILLER_WORD} {max(filler, 1)} x")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
