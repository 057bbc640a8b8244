"""Word segmentation with jieba, taught the SOP's own vocabulary.

We own one ``jieba.Tokenizer`` instead of using the module-level default, so loading
the domain words never leaks into other users of jieba in the same process, and its
dictionary cache goes where we say (the image builds it once, see the Dockerfile).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import jieba

from knowledge.lexicon import Lexicon

jieba.setLogLevel(logging.WARNING)

PUNCTUATION_RE = re.compile(r"^[\W_]+$")
CJK_RUN_RE = re.compile(r"[\u3400-\u9fff]+")


def cache_dir() -> Path:
    """Where jieba keeps its dictionary cache: $SOPBOT_CACHE_DIR, else the temp dir."""
    configured = os.environ.get("SOPBOT_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir())


class Segmenter:
    """Cuts folded (simplified, lower-case) text into words."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.tokenizer = jieba.Tokenizer()
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

    def index_words(self, text: str) -> list[str]:
        """Words of ``text`` for the index: also the shorter words inside compounds."""
        return self._content(self.tokenizer.lcut_for_search(text, HMM=True))

    def _content(self, words: Iterable[str]) -> list[str]:
        return [
            word
            for word in (w.strip() for w in words)
            if word and not PUNCTUATION_RE.match(word) and word not in self.stopwords
        ]


def bigrams(text: str) -> list[str]:
    """Overlapping two-character pieces of every Chinese run in ``text``.

    They find a match where segmentation differs between question and document.
    """
    pieces = []
    for run in CJK_RUN_RE.findall(text):
        pieces.extend(run[i : i + 2] for i in range(len(run) - 1))
    return pieces
